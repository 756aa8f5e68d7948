"""Public JSON verification of a certificate, for other systems checking a printed code: no authentication,
the same answer as the verification page (state, programme, dates, masked name) and the same per-address rate
limit, shared with the page so that switching between them buys no extra look-ups."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, jsonify
from flask_babel import gettext as _

from training.certification.services import verification
from training.core.api import API_PREFIX, json_error
from training.extensions import limiter

verify_api = Blueprint("verify_api", __name__, url_prefix=API_PREFIX)
verify_limit = limiter.shared_limit(verification.verify_rate_limit, scope=verification.VERIFY_SCOPE)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() + "Z" if moment is not None else None


@verify_api.get("/verify/<code>")
@verify_limit
def verify(code: str):
    """``{"code", "state", "program", "number", "issued_at", "expires_at", "revoked_at", "holder"}`` — state
    ``valid``, ``expired`` or ``revoked``; times in ISO 8601 UTC; ``holder`` is the masked name."""
    result = verification.verify(code)
    if result is None:
        return json_error("not_found", _("没有与该验证码对应的证书"), 404)
    return jsonify({"code": result.code, "state": result.state, "program": result.program_name,
                    "number": result.number, "issued_at": _iso(result.issued_at),
                    "expires_at": _iso(result.expires_at), "revoked_at": _iso(result.revoked_at),
                    "holder": result.masked_name})
