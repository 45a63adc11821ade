"""The gradebook (成绩册): categories, items, computed grades, overrides, final grades and transcripts."""
