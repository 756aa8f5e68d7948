"""Public verification of a certificate by its verification code (no login): the state, the programme, the dates
and a masked name — nothing else about the person (DOMAIN.md §6: store the minimum, mask personal data on public
pages). The revocation reason is internal and never leaves the HR pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from training.certification.models import Certificate
from training.core.clock import utcnow
from training.extensions import db

#: What a verification code looks like once normalised (the issuer draws 12 characters from A–Z and 2–9).
CODE_PATTERN = re.compile(r"^[A-Z2-9]{12}$")
#: Separators people type or copy from the printed certificate (which groups the code as XXXX-XXXX-XXXX).
_SEPARATORS = re.compile("[\\s\\-\u2010-\u2015\uff0d]+")
DEFAULT_VERIFY_RATE_LIMIT = "30 per minute;300 per hour"
#: The rate-limit scope shared by the verification page and API: one budget per client address for both.
VERIFY_SCOPE = "certificate-verify"


@dataclass(frozen=True)
class Verification:
    """What the public may know about a certificate: ``state`` is ``valid``, ``expired`` or ``revoked``;
    times are naive UTC; ``revoked_at`` is None unless revoked (the reason is never included)."""

    code: str
    state: str
    program_name: str
    number: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    masked_name: str


def verify_rate_limit() -> str:
    """The per-address limit on verification look-ups (page and API share one budget), from the app config
    key ``VERIFY_RATE_LIMIT``; a limit against enumerating codes."""
    return current_app.config.get("VERIFY_RATE_LIMIT") or DEFAULT_VERIFY_RATE_LIMIT


def normalise_code(code: str) -> str:
    """Upper-case ``code`` without spaces and dashes: ``abcd-efgh jklm`` → ``ABCDEFGHJKLM``."""
    return _SEPARATORS.sub("", code or "").upper()


def is_well_formed(code: str) -> bool:
    """Whether the normalised ``code`` has the shape of a verification code (12 of A–Z, 2–9)."""
    return bool(CODE_PATTERN.match(code))


def grouped_code(code: str) -> str:
    """The code in groups of four for print and reading aloud: ``ABCD-EFGH-JKLM``."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def mask_name(name: str) -> str:
    """A holder's name as the public sees it — enough to match it against the person in front of you, not
    enough to learn a name from a code. Rules, by length in characters (after trimming):

    - 1 character: ``*``
    - 2 characters: the first and ``*`` (张伟 → 张*)
    - 3 characters: the first, ``*`` and the last (张晓明 → 张*明)
    - 4 or more: the first two, one ``*`` and the last (欧阳文明 → 欧阳*明): four-character Chinese names
      mostly carry a two-character surname; one ``*`` whatever the number of hidden characters, so the
      length of a long name is not shown either.
    """
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" if name else ""
    if len(name) == 2:
        return name[0] + "*"
    if len(name) == 3:
        return name[0] + "*" + name[2]
    return name[:2] + "*" + name[-1]


def verify(code: str, now: datetime | None = None) -> Verification | None:
    """The public view of the certificate with verification code ``code`` (case-insensitive; spaces and dashes
    ignored) at ``now`` (naive UTC, default the server's clock); None when no certificate has that code."""
    normalised = normalise_code(code)
    if not is_well_formed(normalised):
        return None
    certificate = db.session.scalar(db.select(Certificate).where(Certificate.verification_code == normalised))
    if certificate is None:
        return None
    return Verification(
        code=normalised,
        state=certificate.state(now or utcnow()),
        program_name=certificate.program_name,
        number=certificate.number or "",
        issued_at=certificate.issued_at,
        expires_at=certificate.expires_at,
        revoked_at=certificate.revoked_at,
        masked_name=mask_name(certificate.holder_name),
    )
