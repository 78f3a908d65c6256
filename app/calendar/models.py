"""Secret calendar feed addresses, one per user, rotatable."""

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime


class CalendarFeed(SQLModel, table=True):
    __tablename__ = "calendar_feed"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    org_id: int = Field(foreign_key="organisation.id", index=True)
    # The address itself is the credential (calendar apps cannot sign in): long and random,
    # never logged, shown once when it is made, and kept only as its SHA-256 (like session
    # and API tokens), so a copy of the database opens no one's calendar. Re-issuing it
    # revokes the old one.
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
