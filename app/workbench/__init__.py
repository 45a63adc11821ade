"""工作台: each role's home page, answering "what do I do now?" with to-dos computed from the other domains."""
