"""Pages for a child's whole record: the printable subject access page, and erasing a record
made in error (admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from app.audit import words as audit_words
from app.auth.deps import AdminUser, LeadUser, Today
from app.children import service as children
from app.db import DbSession
from app.forms import Form, Msg, Text, show_again
from app.records import erasure, service
from app.records.schemas import REASON_MAX
from app.records.words import page_context
from app.web import PathId, WholeFormData, redirect, render

router = APIRouter(include_in_schema=False)
ERASE = "records/erase.html"
NO_REASON = "Enter why the record was made in error"


class EraseForm(Form):
    reason: Annotated[
        Text,
        Field(title="Why the record was made in error", max_length=REASON_MAX),
        Msg(empty=NO_REASON),
    ]


@router.get("/children/{child_id}/export", response_class=HTMLResponse)
def export_page(
    request: Request, db: DbSession, actor: LeadUser, today: Today, child_id: PathId
) -> HTMLResponse:
    found = service.export_page(db, actor=actor, child_id=child_id)
    events = audit_words.readable_page(
        [(e, found.who(e.actor_id)) for e in found.events], found.audit_names
    )
    return render(
        request, "records/export.html", page_context(found, events=events, today=today, by=actor)
    )


def _erase_context(db: DbSession, actor: Any, child_id: int) -> dict[str, Any]:
    erasure.require_admin(actor)
    child = children.get_child(db, actor=actor, child_id=child_id)
    return {
        "child": child,
        "refused": erasure.refusal(db, child),
        "reason_max": REASON_MAX,
        "values": {},
        "errors": {},
    }


@router.get("/children/{child_id}/erase", response_class=HTMLResponse)
def erase_form(request: Request, db: DbSession, actor: AdminUser, child_id: PathId) -> HTMLResponse:
    return render(request, ERASE, _erase_context(db, actor, child_id))


@router.post("/children/{child_id}/erase", response_class=HTMLResponse)
def erase(
    request: Request, db: DbSession, actor: AdminUser, child_id: PathId, form: WholeFormData
) -> Response:
    _erase_context(db, actor, child_id)  # 404 before reading the form
    submission = EraseForm.read(form)
    if submission.data:
        with submission.saving(conflict_field="form"):
            reference = erasure.erase_child(
                db, actor=actor, child_id=child_id, reason=submission.data.reason
            )
            return redirect(
                request,
                "/children",
                notice=f"The record {reference} has been erased, with everything held about "
                "the child. The audit trail keeps only the reference and your reason.",
            )
    return show_again(request, db, ERASE, lambda: _erase_context(db, actor, child_id), submission)
