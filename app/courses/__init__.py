"""Courses (开课), cohorts (班级), enrollments, mentor pairing (拜师) and activities with completion."""
