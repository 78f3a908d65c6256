"""What every cohorts noun uses: a refusal naming one field and the organisation's row."""

from __future__ import annotations

from sqlmodel import Session

from app.auth.models import Organisation
from app.exceptions import Invalid


def invalid(field: str, message: str) -> Invalid:
    return Invalid(message, [{"loc": ["body", field], "msg": message}])


def organisation(db: Session, org_id: int) -> Organisation:
    org = db.get(Organisation, org_id)
    assert org is not None
    return org
