"""Web pages of exams: the candidate's pages and the examiners' management pages."""
