"""The question bank (layer L2): questions and immutable versions, the review workflow, import and export,
blueprints, exams, grading and item analysis."""
