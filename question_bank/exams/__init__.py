"""Exams: blueprints (组卷), exam settings and audience, timed attempts with autosave, objective grading and
results. Part of the question bank layer (L2)."""
