"""Pages for retention's legal hold: the form to place one, and lifting it (the section
itself is on the child's page, app/site/panels.py `child_retention`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.auth.deps import LeadUser
from app.children import service as children
from app.children.models import Child
from app.db import DbSession
from app.forms import show_again
from app.records import retention
from app.records.forms import LegalHoldForm
from app.records.schemas import REASON_MAX
from app.web import PathId, WholeFormData, redirect, render

router = APIRouter(include_in_schema=False)
TEMPLATE = "records/legal_hold.html"


def _context(child: Child) -> dict[str, object]:
    return {"child": child, "reason_max": REASON_MAX, "errors": {}}


@router.get("/children/{child_id}/legal-hold", response_class=HTMLResponse)
def legal_hold_form(
    request: Request, db: DbSession, actor: LeadUser, child_id: PathId
) -> HTMLResponse:
    child = children.get_child(db, actor=actor, child_id=child_id)
    values = LegalHoldForm.initial(reason=child.legal_hold_reason)
    return render(request, TEMPLATE, _context(child) | {"values": values})


@router.post("/children/{child_id}/legal-hold", response_class=HTMLResponse)
def place_legal_hold(
    request: Request, db: DbSession, actor: LeadUser, child_id: PathId, form: WholeFormData
) -> Response:
    child = children.get_child(db, actor=actor, child_id=child_id)
    submission = LegalHoldForm.read(form)
    if submission.data:
        with submission.saving():
            retention.place_legal_hold(
                db, actor=actor, child_id=child_id, reason=submission.data.reason
            )
            return redirect(
                request,
                f"/children/{child_id}#legal-hold",
                notice=f"{child.reference}'s record is on legal hold: retention will not "
                "anonymise it until the hold is lifted.",
            )
    return show_again(
        request,
        db,
        TEMPLATE,
        lambda: _context(children.get_child(db, actor=actor, child_id=child_id)),
        submission,
    )


@router.post("/children/{child_id}/legal-hold/lift", response_class=HTMLResponse)
def lift_legal_hold(request: Request, db: DbSession, actor: LeadUser, child_id: PathId) -> Response:
    child = retention.lift_legal_hold(db, actor=actor, child_id=child_id)
    return redirect(
        request,
        f"/children/{child_id}#legal-hold",
        notice=f"The legal hold on {child.reference}'s record has been lifted.",
    )
