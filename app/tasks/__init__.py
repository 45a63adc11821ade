"""学习任务实施 (work tasks) and 多元评价 (multi-party evaluation)."""
