"""JSON API for children."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field

from app.audit import service as audit
from app.auth.deps import CurrentUser, LeadUser, Today
from app.children import importing, lists, service
from app.children.schemas import ChildCreate, ChildPublic, ChildUpdate, Lists
from app.db import DbSession
from app.errors import problem, problem_responses
from app.idempotency import Idempotent
from app.web import PathId

router = APIRouter(prefix="/children", tags=["children"], responses=problem_responses(401))
lists_router = APIRouter(tags=["lists"], responses=problem_responses(401))


@lists_router.get(
    "/lists",
    response_model=Lists,
    summary="The controlled lists: gender, ethnic group, languages (anyone signed in)",
    description=(
        "The keys the gender, ethnicity, languages and preferences.mentor_gender fields of "
        "children and mentors take, with their labels. An entry with `describe` keeps the "
        "person's own words in the field's `_other` (`gender_other`)."
    ),
)
def controlled_lists(user: CurrentUser) -> Lists:
    return Lists.model_validate(lists.as_dict(), from_attributes=True)


@router.post(
    "",
    status_code=201,
    response_model=ChildPublic,
    summary="Register a child (lead)",
    responses=problem_responses(403, 409, 422),
)
def create_child(
    db: DbSession, actor: LeadUser, today: Today, body: ChildCreate, once: Idempotent
) -> ChildPublic | Response:
    if (replay := once.replay()) is not None:
        return replay
    child = service.create_child(db, actor=actor, data=body, today=today)
    return once.keep(ChildPublic.model_validate(child))


class ImportRowError(BaseModel):
    row: int = Field(description="The row as the spreadsheet numbers it (the header is 1).")
    column: str | None = Field(description="The column at fault; null for the whole row.")
    msg: str


class ChildrenImported(BaseModel):
    created: int = Field(description="Children added (with dry_run, that would be added).")
    errors: list[ImportRowError] = Field(default_factory=list)
    dry_run: bool = False


@router.post(
    "/import",
    response_model=ChildrenImported,
    summary="Register children from a CSV or XLSX file, all or none (lead)",
    description=(
        "A CSV (UTF-8) or XLSX file whose first row names the columns: the fields of "
        "POST /children, `preferences.*` for the preferences, lists separated by commas. "
        f"At most {importing.MAX_ROWS:,} rows and {importing.MAX_FILE_BYTES // 1_000_000} MB. "
        "Every bad row is listed at once (422, `errors`), and nothing is added unless "
        "every row is good. With `dry_run=true` nothing is added either way."
    ),
    responses=problem_responses(400, 403, 413, 422),
)
def import_children(
    db: DbSession,
    actor: LeadUser,
    today: Today,
    file: Annotated[UploadFile, File(description="CSV or XLSX, the header in row 1")],
    dry_run: bool = Query(default=False),
) -> ChildrenImported:
    content = file.file.read(importing.MAX_FILE_BYTES + 1)
    done = importing.import_children(db, actor=actor, content=content, today=today, dry_run=dry_run)
    return ChildrenImported(created=done.created, dry_run=dry_run)


@router.api_route(
    "/import",
    methods=["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"],
    include_in_schema=False,
    response_model=None,
)
def import_other_methods(request: Request) -> Response:
    """Only POST: without this, /children/import would reach /children/{child_id} (a 422
    or 403 for "import" as an id) instead of the 405 every other path answers."""
    return problem(request, 405, "Send the file with POST.", headers={"Allow": "POST"})


@router.get(
    "",
    response_model=list[ChildPublic],
    summary="Children I may see; search by reference or first name",
)
def list_children(
    db: DbSession, actor: CurrentUser, q: str | None = Query(default=None, max_length=60)
) -> list[ChildPublic]:
    return [ChildPublic.model_validate(c) for c in service.list_children(db, actor=actor, q=q)]


@router.get(
    "/{child_id}", response_model=ChildPublic, summary="One child", responses=problem_responses(404)
)
def get_child(db: DbSession, actor: CurrentUser, child_id: PathId) -> ChildPublic:
    child = service.get_child(db, actor=actor, child_id=child_id)
    audit.looked(db, actor=actor, child_id=child_id, what="record")
    return ChildPublic.model_validate(child)


@router.patch(
    "/{child_id}",
    response_model=ChildPublic,
    summary="Correct a child's record (lead)",
    responses=problem_responses(403, 404, 409, 422),
)
def update_child(
    db: DbSession, actor: LeadUser, today: Today, body: ChildUpdate, child_id: PathId
) -> ChildPublic:
    child = service.update_child(db, actor=actor, child_id=child_id, data=body, today=today)
    return ChildPublic.model_validate(child)
