"""The fidelity pages' one form: the date the figures run to (a GET form, on every page)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Annotated

from pydantic import Field

from app.forms import DATE_PARTS, Errors, Form, OptionalDateInput, Submission

EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2099, 12, 31)
NOT_A_DATE = "Enter a real date, for example 27 3 2026"


class AsOfForm(Form):
    as_of: Annotated[OptionalDateInput, Field(title="Date")] = None

    def problems(self) -> Iterable[tuple[str, str]]:
        if self.as_of is not None and not EARLIEST <= self.as_of <= LATEST:
            yield "as_of", "The date must be between 2000 and 2099"

    @classmethod
    def read_query(cls, query: Mapping[str, str]) -> Submission[AsOfForm]:
        """The date typed in the form (as_of-day, -month, -year), or a link's
        ?as_of=YYYY-MM-DD; no date at all is today's figures."""
        link = (query.get("as_of") or "").strip()
        if not link or any(query.get(f"as_of-{part}") for part in DATE_PARTS):
            return cls.read(query)
        errors = Errors(cls.field_order())
        try:
            form = cls(as_of=dt.date.fromisoformat(link))
        except ValueError:
            errors.add("as_of", NOT_A_DATE)
            return Submission(values=cls.initial(), data=None, errors=errors)
        errors.add_all(form.problems())
        return Submission(
            values=cls.initial(as_of=form.as_of), data=None if errors else form, errors=errors
        )
