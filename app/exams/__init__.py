"""Papers, exams, the attempt engine (autosave, submit exactly once, deadlines) and grading."""
