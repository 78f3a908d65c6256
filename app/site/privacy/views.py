"""The privacy notice page (/privacy, signed in or not) and the admin's form for it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.auth.deps import AdminUser, CurrentOrg, OptionalPrincipal
from app.auth.models import Organisation
from app.db import DbSession
from app.forms import show_again
from app.site.privacy import service
from app.site.privacy.forms import PrivacyForm
from app.web import FormData, redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/privacy", response_class=HTMLResponse)
def privacy_page(request: Request, db: DbSession, principal: OptionalPrincipal) -> HTMLResponse:
    """Signed in: the person's organisation's notice. Signed out there is no organisation
    yet: what Tandem holds in general, and to ask the organisation that runs the programme."""
    if principal is None:
        return render(request, "privacy/notice.html", {"notice": None})
    user = principal.user
    org = db.get(Organisation, user.org_id)
    assert org is not None  # a user's organisation is never deleted
    return render(
        request, "privacy/notice.html", {"notice": service.notice_for(db, user=user, org=org)}
    )


def _form_context(org: Organisation) -> dict[str, object]:
    return {"org": org, "notice_max": service.NOTICE_MAX}


@router.get("/admin/privacy", response_class=HTMLResponse)
def privacy_form(request: Request, actor: AdminUser, org: CurrentOrg) -> HTMLResponse:
    values = PrivacyForm.initial(privacy_notice=org.privacy_notice)
    return render(
        request, "privacy/edit.html", {**_form_context(org), "values": values, "errors": {}}
    )


@router.post("/admin/privacy", response_class=HTMLResponse)
def save_privacy(
    request: Request, db: DbSession, actor: AdminUser, org: CurrentOrg, form: FormData
) -> Response:
    submission = PrivacyForm.read(form)
    if (data := submission.data) is not None:
        with submission.saving(rename={"text": "privacy_notice"}):
            saved = service.set_notice(db, actor=actor, org=org, text=data.privacy_notice)
            notice = (
                "Saved. Everyone in your organisation sees this notice at /privacy."
                if saved.privacy_notice
                else "Saved. Your organisation has no privacy notice now."
            )
            return redirect(request, "/admin/privacy", notice=notice)
    return show_again(request, db, "privacy/edit.html", lambda: _form_context(org), submission)
