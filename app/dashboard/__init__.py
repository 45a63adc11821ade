"""Home pages per role and, later, the national 百千万 dashboard."""
