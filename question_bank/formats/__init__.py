"""Readers and writers of question files. Each reader turns a file's bytes into a list of
:class:`ParsedQuestion` — one per question found, in file order — and never touches the database: the import
service validates, checks for duplicates, previews and commits.

Mapping of foreign types onto ours (issue 4): multichoice → single or multiple (more than one answer with a
positive weight = multiple), truefalse → true_false, shortanswer → fill_blank (the accepted answers of one
blank), numerical → fill_blank with the value, essay → short_answer (reference answer from the grader
information). Anything else (matching, cloze, calculated, description, …) is returned with ``skip_reason``
set — listed, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from question_bank.services.authoring import QuestionDraft


@dataclass
class ParsedQuestion:
    """One question read from a file.

    ``ref`` names it for people, in Chinese: a line (``第 12 行``), a spreadsheet row (``第 5 行``) or a
    question's name (``“Kanji Origins”（第 3 题）``). Exactly one of ``draft``, ``skip_reason`` or ``errors``
    describes the outcome: a draft to import, a reason it cannot be represented, or why it is broken.
    ``tags`` carries a category path (Moodle ``$course$/Iota/Kappa`` → ``["Iota", "Kappa"]``)."""

    ref: str
    draft: QuestionDraft | None = None
    skip_reason: str | None = None
    errors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    name: str = ""
