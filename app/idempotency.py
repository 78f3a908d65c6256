"""Safe retries of creating requests: the `Idempotency-Key` header.

The same key and body from the same person to the same endpoint within 24 hours answers
with the first response (same status and body) and creates nothing; the same key with
another body is refused (422). The key is claimed, the work done and the response kept in
the request's own transaction, so they are committed together or not at all:

- a refused request (4xx, 5xx) rolls back and leaves the key free: a retry runs afresh;
- two requests with the same key at once cannot both create. PostgreSQL: the second's
  claim waits on the first's uncommitted row, then replays its response (or, if the first
  was refused, runs itself). SQLite: writers are serialised (BEGIN IMMEDIATE), so the
  second finds the first's response.

Only a hash of the key and of the body is kept; the response kept is the one the client
was sent (it may name a child, as the response did) and is never logged. Expired keys of
the caller are deleted whenever they use a key again.

An endpoint takes an `Idempotent` parameter and uses it so:

    if (replay := once.replay()) is not None:
        return replay
    ...
    return once.keep(result)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request, Response
from pydantic import TypeAdapter
from sqlalchemy import Column, Table, Text, UniqueConstraint, delete, insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel

from app.auth.deps import CurrentUser
from app.db import DbSession, UTCDateTime
from app.exceptions import Conflict, Invalid

HEADER = "Idempotency-Key"
KEPT_FOR = dt.timedelta(hours=24)
REPLAYED_HEADER = "Idempotent-Replayed"

T = TypeVar("T")


class IdempotencyKey(SQLModel, table=True):
    """A creating request made with an `Idempotency-Key`, and the response it was sent."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("user_id", "key_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    # SHA-256 of the method, path and key: the same key on another endpoint is another key.
    key_hash: str = Field(max_length=64)
    method: str = Field(max_length=10)
    path: str = Field(max_length=300)
    # SHA-256 of the body (canonical JSON when it is JSON: key order and spacing ignored).
    body_hash: str = Field(max_length=64)
    # Empty only inside the claiming transaction, before the response is known.
    status: int | None = None
    response: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


KEYS: Table = IdempotencyKey.__table__  # type: ignore[attr-defined]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def body_digest(raw: bytes) -> str:
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError):
        return _sha256(raw)
    canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _sha256(canonical.encode("utf-8"))


@dataclass(frozen=True)
class _Asked:
    key_hash: str
    body_hash: str
    method: str
    path: str


async def _asked(
    request: Request,
    key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            min_length=1,
            max_length=255,
            description=(
                "Makes a retry safe: the same key and body within 24 hours answers with the "
                "first response and creates nothing; the same key with another body is 422. "
                "A unique value per request, such as a UUID."
            ),
        ),
    ] = None,
) -> _Asked | None:
    if key is None:
        return None
    method, path = request.method, request.url.path
    return _Asked(
        key_hash=_sha256(f"{method} {path}\n{key}".encode()),
        body_hash=body_digest(await request.body()),  # read once already: Starlette caches it
        method=method,
        path=path,
    )


class Once:
    """The request's idempotency: a replay to send, or a response to keep."""

    def __init__(self, db: Session, user_id: int, asked: _Asked | None) -> None:
        self.db = db
        self.user_id = user_id
        self.asked = asked
        self.row_id: int | None = None

    def replay(self) -> Response | None:
        """Claim the key for this request; the first response if it had it already."""
        asked = self.asked
        if asked is None:
            return None
        now = dt.datetime.now(dt.UTC)
        self.db.execute(
            delete(KEYS).where(KEYS.c.user_id == self.user_id, KEYS.c.created_at < now - KEPT_FOR)
        )
        for _ in range(2):
            found = self.db.execute(
                sa_select(KEYS.c.body_hash, KEYS.c.status, KEYS.c.response).where(
                    KEYS.c.user_id == self.user_id, KEYS.c.key_hash == asked.key_hash
                )
            ).first()
            if found is not None:
                return self._answer(asked, *found)
            try:
                with self.db.begin_nested():
                    self.row_id = self.db.execute(
                        insert(KEYS)
                        .values(
                            user_id=self.user_id,
                            key_hash=asked.key_hash,
                            method=asked.method,
                            path=asked.path,
                            body_hash=asked.body_hash,
                            created_at=now,
                        )
                        .returning(KEYS.c.id)
                    ).scalar_one()
                return None
            except IntegrityError:
                continue  # another request with this key committed first: answer as it did
        raise Conflict("A request with this Idempotency-Key is in progress. Try again shortly.")

    def _answer(
        self, asked: _Asked, body_hash: str, status: int | None, response: str | None
    ) -> Response:
        if body_hash != asked.body_hash:
            msg = "This Idempotency-Key was used with another request body: use a new key"
            raise Invalid(msg, [{"loc": ["header", HEADER], "msg": msg}])
        if status is None or response is None:
            raise Conflict("A request with this Idempotency-Key is in progress. Try again shortly.")
        return Response(
            response,
            status_code=status,
            media_type="application/json",
            headers={REPLAYED_HEADER: "true"},
        )

    def keep(self, result: T, status: int = 201) -> T:
        """Keep the response for replays (in this transaction) and return it."""
        if self.row_id is not None:
            body = TypeAdapter(type(result)).dump_json(result, by_alias=True).decode("utf-8")
            self.db.execute(
                update(KEYS).where(KEYS.c.id == self.row_id).values(status=status, response=body)
            )
        return result


def _once(
    db: DbSession, user: CurrentUser, asked: Annotated[_Asked | None, Depends(_asked)]
) -> Once:
    return Once(db, user.id or 0, asked)


Idempotent = Annotated[Once, Depends(_once)]
