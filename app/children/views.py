"""Children pages: find a child, register one, read a record, and correct it."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BeforeValidator, Field
from sqlmodel import Session
from starlette.datastructures import UploadFile

from app.audit import service as audit
from app.auth.deps import CurrentUser, LeadUser, Today
from app.auth.models import User
from app.children import importing, lists, service
from app.children.forms import (
    EthnicityField,
    EthnicityOtherField,
    GenderField,
    GenderOtherField,
    InterestsField,
    LanguagesField,
    LanguagesOtherField,
)
from app.children.lists import MentorGender
from app.children.models import Child, PlacementType
from app.children.panels import CHILD_PANELS
from app.children.schemas import ChildCreate, ChildUpdate
from app.csvout import csv_text
from app.db import DbSession
from app.exceptions import Invalid
from app.forms import (
    Choice,
    DateInput,
    Form,
    Msg,
    OptionalText,
    Text,
    show_again,
)
from app.web import PathId, WholeFormData, redirect, render

router = APIRouter(include_in_schema=False)

PLACEMENTS = [
    (PlacementType.kinship.value, "Kinship care", "Living with relatives or friends"),
    (PlacementType.foster.value, "Foster care", None),
    (PlacementType.residential.value, "Residential care", "A children's home"),
    (PlacementType.other.value, "Other", None),
]
PLACEMENT_NAMES = {value: label for value, label, _ in PLACEMENTS}
SAME_ETHNICITY = [("yes", "Yes"), ("no", "No"), ("any", "No preference")]

SAME = {"yes": True, "no": False, "any": None}
REFERENCE_PATTERN = (
    "Reference must start with a letter or number, and use only letters, numbers, "
    "hyphens (-), underscores (_), full stops and slashes"
)


def _items(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


class ChildForm(Form):
    """Register a child, or change one: the fields in the order of the page."""

    reference: Annotated[
        Text,
        Field(title="Reference", max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9\-_/.]*$"),
        Msg(empty="Enter a reference", invalid=REFERENCE_PATTERN),
    ]
    first_name: Annotated[
        Text, Field(title="First name", max_length=60), Msg(empty="Enter the child's first name")
    ]
    date_of_birth: Annotated[DateInput, Field(title="Date of birth")]
    placement_type: Annotated[
        Choice[PlacementType],
        Field(title="Type of placement"),
        Msg(empty="Choose the type of placement", invalid="Choose the type of placement"),
    ]
    gender: GenderField = None
    gender_other: GenderOtherField = None
    ethnicity: EthnicityField = None
    ethnicity_other: EthnicityOtherField = None
    languages: LanguagesField
    languages_other: LanguagesOtherField = None
    interests: InterestsField = None
    mentor_gender: Annotated[
        Choice[MentorGender] | None,
        Field(title="Mentor's gender"),
        Msg(invalid=lists.CHOOSE_MENTOR_GENDER),
    ] = None
    same_ethnicity: Annotated[
        Literal["yes", "no", "any"],
        Field(title="Same ethnicity"),
        Msg(
            empty="Choose whether a mentor of the same ethnicity is preferred",
            invalid="Choose whether a mentor of the same ethnicity is preferred",
        ),
    ]
    notes: Annotated[OptionalText, Field(title="Notes", max_length=500)] = None
    consent_given_by: Annotated[
        Text,
        Field(title="Who gave consent", max_length=120),
        Msg(empty="Enter who gave consent"),
    ]
    consent_given_on: Annotated[DateInput, Field(title="Date consent was given")]

    @classmethod
    def typed_problems(cls, values: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
        return lists.form_problems(values)

    def problems(self) -> Iterable[tuple[str, str]]:
        items = _items(self.interests)
        if len(items) > 20 or any(len(item) > 40 for item in items):
            yield "interests", "List up to 20 interests, each 40 characters or fewer"

    def body(self, keep_languages: list[str] | None = None) -> dict[str, Any]:
        """The form as the API's body (ChildCreate / ChildUpdate)."""
        prefs: dict[str, Any] = {
            "mentor_gender": self.mentor_gender,
            "same_ethnicity": SAME[self.same_ethnicity],
            "notes": self.notes,
        }
        if keep_languages:
            prefs["languages"] = keep_languages
        return {
            "reference": self.reference,
            "first_name": self.first_name,
            "date_of_birth": self.date_of_birth,
            "placement_type": self.placement_type,
            "gender": self.gender,
            # The box under "Prefer to self-describe" counts only with it (hidden otherwise).
            "gender_other": self.gender_other if self.gender in lists.GENDER_DESCRIBED else None,
            "ethnicity": self.ethnicity,
            "ethnicity_other": self.ethnicity_other,
            "languages": self.languages,
            "languages_other": self.languages_other,
            "interests": _items(self.interests),
            "preferences": prefs,
            "consent_given_by": self.consent_given_by,
            "consent_given_on": self.consent_given_on,
        }


def values_of(child: Child) -> dict[str, Any]:
    prefs = child.preferences or {}
    same = prefs.get("same_ethnicity")
    return ChildForm.initial(
        reference=child.reference,
        first_name=child.first_name,
        date_of_birth=child.date_of_birth,
        placement_type=child.placement_type,
        gender=child.gender,
        gender_other=child.gender_other,
        ethnicity=child.ethnicity,
        ethnicity_other=child.ethnicity_other,
        languages=child.languages,
        languages_other=child.languages_other,
        interests=", ".join(child.interests),
        mentor_gender=prefs.get("mentor_gender"),
        same_ethnicity="any" if same is None else ("yes" if same else "no"),
        notes=prefs.get("notes"),
        consent_given_by=child.consent_given_by,
        consent_given_on=child.consent_given_on,
    )


# Pages -------------------------------------------------------------------------------------


def _form_page(
    request: Request, *, values: dict[str, Any], child: Child | None = None
) -> HTMLResponse:
    return render(request, "children/form.html", _form_context(child) | {"values": values})


def _form_context(child: Child | None) -> dict[str, Any]:
    return {
        "child": child,
        "errors": {},
        "placements": PLACEMENTS,
        "same_ethnicity": SAME_ETHNICITY,
        "lists": lists.form_choices(),
    }


def _is_staff(user: User) -> bool:
    return user.role in service.STAFF


@router.get("/children", response_class=HTMLResponse)
def children_page(
    request: Request,
    db: DbSession,
    user: CurrentUser,
    today: Today,
    q: str | None = Query(default=None, max_length=60),
) -> HTMLResponse:
    q = (q or "").strip() or None
    found = service.list_children(db, actor=user, q=q)
    rows = [(child, service.age_of(child, today)) for child in found]
    return render(
        request,
        "children/index.html",
        {
            "rows": rows,
            "q": q or "",
            "staff": _is_staff(user),
            "placement_names": PLACEMENT_NAMES,
        },
        block="results",
    )


@router.get("/children/new", response_class=HTMLResponse)
def new_child_form(request: Request, actor: LeadUser) -> HTMLResponse:
    return _form_page(request, values=ChildForm.initial(same_ethnicity="any"))


@router.post("/children", response_class=HTMLResponse)
def create_child(
    request: Request, db: DbSession, actor: LeadUser, today: Today, form: WholeFormData
) -> Response:
    submission = ChildForm.read(form)
    if submission.data:
        with submission.saving(conflict_field="reference"):
            body = ChildCreate.model_validate(submission.data.body())
            child = service.create_child(db, actor=actor, data=body, today=today)
            return redirect(
                request, f"/children/{child.id}", notice=f"{child.reference} has been registered."
            )
    return show_again(request, db, "children/form.html", _form_context(None), submission)


# Importing children from a file ------------------------------------------------------------
# Upload -> preview (a dry run: every bad row, or "This will add 30 children") -> confirm.
# The confirm form carries the file itself, base64 in a hidden field (multipart, so under the
# upload cap): nothing is kept on the server between the two steps, any server process can
# take the confirm, and the file is checked again in full when it is confirmed.

NO_IMPORT_FILE = "Choose a CSV or Excel file of children"


def _import_bytes(value: object) -> object:
    if isinstance(value, UploadFile):
        value = value.file.read(importing.MAX_FILE_BYTES + 1)
    if not isinstance(value, bytes) or not value:
        raise ValueError(NO_IMPORT_FILE)
    return value


def _encoded_bytes(value: object) -> object:
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("The upload was lost: choose the file again") from None


class ChildrenFileForm(Form):
    file: Annotated[
        bytes, BeforeValidator(_import_bytes), Msg(empty=NO_IMPORT_FILE), Field(title="File")
    ]


class ChildrenConfirmForm(Form):
    content: Annotated[
        bytes,
        BeforeValidator(_encoded_bytes),
        Msg(empty="The upload was lost: choose the file again"),
        Field(title="File"),
    ]


def _import_page(
    request: Request, *, errors: Any = None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    page = {"errors": errors or {}, "rows": [], "columns": importing.columns()}
    page |= {"required": importing.required_columns(), "max_rows": importing.MAX_ROWS}
    return render(request, "children/import.html", page | context, status_code=status_code)


def _import_check(
    request: Request, db: Session, actor: User, today: dt.date, content: bytes, *, save: bool
) -> Response:
    try:
        done = importing.import_children(
            db, actor=actor, content=content, today=today, dry_run=not save
        )
    except importing.RowsInvalid as exc:
        db.rollback()
        summary = {f"row-{i}": _row_message(e) for i, e in enumerate(exc.errors)}
        return _import_page(request, errors=summary, rows=exc.errors, status_code=422)
    except (Invalid, importing.TooLarge) as exc:
        db.rollback()
        return _import_page(request, errors={"file": exc.detail}, status_code=exc.status_code)
    if save:
        noun = "child" if done.created == 1 else "children"
        return redirect(request, "/children", notice=f"{done.created} {noun} added.")
    return _import_page(
        request,
        preview=done,
        content=base64.b64encode(content).decode("ascii"),
    )


def _row_message(error: dict[str, Any]) -> str:
    where = f"Row {error['row']}" + (f", {error['column']}" if error["column"] else "")
    return f"{where}: {error['msg']}"


@router.get("/children/import", response_class=HTMLResponse)
def import_page(request: Request, actor: LeadUser) -> HTMLResponse:
    return _import_page(request)


@router.get("/children/import/template.csv")
def import_template(actor: LeadUser) -> Response:
    return Response(
        csv_text([importing.columns()]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="children-import.csv"'},
    )


@router.post("/children/import", response_class=HTMLResponse)
def import_preview(
    request: Request, db: DbSession, actor: LeadUser, today: Today, form: WholeFormData
) -> Response:
    submission = ChildrenFileForm.read(form)
    if submission.data is None:
        return _import_page(request, errors=submission.errors, status_code=422)
    return _import_check(request, db, actor, today, submission.data.file, save=False)


@router.post("/children/import/confirm", response_class=HTMLResponse)
def import_confirm(
    request: Request, db: DbSession, actor: LeadUser, today: Today, form: WholeFormData
) -> Response:
    submission = ChildrenConfirmForm.read(form)
    if submission.data is None:  # the hidden field: the problem goes by the file input
        errors = {"file": next(iter(submission.errors.values()))}
        return _import_page(request, errors=errors, status_code=422)
    return _import_check(request, db, actor, today, submission.data.content, save=True)


@router.get("/children/{child_id}", response_class=HTMLResponse)
def child_page(
    request: Request,
    db: DbSession,
    user: CurrentUser,
    today: Today,
    child_id: PathId,
    added: int | None = Query(default=None),
    saved: int | None = Query(default=None),
) -> HTMLResponse:
    child = service.get_child(db, actor=user, child_id=child_id)
    audit.looked(db, actor=user, child_id=child_id, what="record")
    prefs = child.preferences or {}
    same = prefs.get("same_ethnicity")
    return render(
        request,
        "children/view.html",
        {
            "child": child,
            "age": service.age_of(child, today),
            "placement": PLACEMENT_NAMES.get(child.placement_type.value, child.placement_type),
            "prefs": prefs,
            "same_ethnicity": "No preference" if same is None else ("Yes" if same else "No"),
            "shown": lists.shown(child),
            "staff": _is_staff(user),
            "added": bool(added),
            "saved": bool(saved),
            **{name: panel(db, user, child) for name, panel in CHILD_PANELS.items()},
        },
    )


@router.get("/children/{child_id}/edit", response_class=HTMLResponse)
def edit_child_form(
    request: Request, db: DbSession, actor: LeadUser, child_id: PathId
) -> HTMLResponse:
    child = service.get_child(db, actor=actor, child_id=child_id)
    service.refuse_if_anonymised(child)
    return _form_page(request, values=values_of(child), child=child)


@router.post("/children/{child_id}", response_class=HTMLResponse)
def update_child(
    request: Request,
    db: DbSession,
    actor: LeadUser,
    today: Today,
    form: WholeFormData,
    child_id: PathId,
) -> Response:
    child = service.get_child(db, actor=actor, child_id=child_id)
    keep = list((child.preferences or {}).get("languages") or [])
    submission = ChildForm.read(form)
    if submission.data:
        with submission.saving(conflict_field="reference"):
            body = ChildUpdate.model_validate(submission.data.body(keep))
            changed = service.update_child(
                db, actor=actor, child_id=child_id, data=body, today=today
            )
            return redirect(
                request, f"/children/{child_id}", notice=f"{changed.reference} has been updated."
            )
        child = service.get_child(db, actor=actor, child_id=child_id)
    return show_again(request, db, "children/form.html", _form_context(child), submission)
