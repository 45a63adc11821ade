"""Teaching videos and documents (教学视频, 课件/案例): uploaded once, reviewed, streamed and downloaded."""
