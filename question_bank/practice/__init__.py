"""The learning loop: practice by module or knowledge point with immediate feedback, and the wrong-answer book
(错题本) that collects every wrong answer from practice, mock exams and released formal exams. Part of the
question bank layer (L2)."""
