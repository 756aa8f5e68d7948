"""Courseware (layer L1): syllabus, courses, lessons, study records and 学时."""
