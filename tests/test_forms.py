"""The page-form toolkit (app/forms.py): plain messages, every problem at once, page order."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, cast

import pytest
from pydantic import Field
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request

from app import forms
from app.exceptions import Conflict, Invalid
from app.forms import (
    Checkboxes,
    Choice,
    DateInput,
    Form,
    Msg,
    OptionalDateInput,
    OptionalSecret,
    OptionalText,
    OptionalWholeNumber,
    PageVersion,
    Secret,
    Text,
    Tick,
    TimeOfDay,
    WholeNumber,
    parse_time,
)


class Colour(enum.StrEnum):
    red = "red"
    blue = "blue"


class Example(Form):
    name: Annotated[Text, Field(title="Name", max_length=100)]
    born: Annotated[DateInput, Field(title="Date of birth")]
    colour: Annotated[Choice[Colour], Field(title="Favourite colour")]
    starts: Annotated[TimeOfDay, Field(title="Start time")]
    minutes: Annotated[WholeNumber, Field(title="Length", ge=15, le=480)]
    note: Annotated[OptionalText, Field(title="Note", max_length=10)] = None
    ended: Annotated[OptionalDateInput, Field(title="End date")] = None
    days: Annotated[Checkboxes, Field(title="Days", default_factory=list)]
    code: Annotated[
        OptionalText, Msg(invalid="Code must be letters only"), Field(pattern=r"^[a-z]+$")
    ] = None

    def problems(self) -> Iterable[tuple[str, str]]:
        if self.ended and self.ended < self.born:
            yield "ended", "End date must be after the date of birth"


GOOD = {
    "name": "  Ada ",
    "born-day": "27",
    "born-month": "3",
    "born-year": "2016",
    "colour": "red",
    "starts": "4:30pm",
    "minutes": "90",
}


def test_a_good_form_parses_to_typed_values() -> None:
    sub = Example.read(GOOD)
    assert sub.errors == {}
    assert sub.data is not None
    assert sub.data.name == "Ada"
    assert sub.data.born == dt.date(2016, 3, 27)
    assert sub.data.colour is Colour.red
    assert sub.data.starts == dt.time(16, 30)
    assert sub.data.minutes == 90
    assert sub.data.note is None
    assert sub.data.ended is None
    assert sub.data.days == []
    assert sub.values["born"] == {"day": "27", "month": "3", "year": "2016"}


def test_every_problem_at_once_in_page_order_in_plain_english() -> None:
    sub = Example.read({"name": "x" * 101, "born-month": "3", "starts": "16", "minutes": "ten"})
    assert sub.data is None
    assert list(sub.errors.items()) == [
        ("name", "Name must be 100 characters or fewer"),
        ("born", "Date of birth must include a day and year"),
        ("colour", "Choose the favourite colour"),
        ("starts", "Enter a real time for the start time, for example 16:30 or 4:30pm"),
        ("minutes", "Length must be a whole number"),
    ]


def test_empty_required_fields_say_enter_or_choose() -> None:
    sub = Example.read({})
    assert sub.errors == {
        "name": "Enter the name",
        "born": "Enter the date of birth",
        "colour": "Choose the favourite colour",
        "starts": "Enter the start time",
        "minutes": "Enter the length",
    }


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"born-day": "31", "born-month": "2"}, "born", "Enter a real date of birth"),
        ({"born-year": "16"}, "born", "Enter a real date of birth"),
        ({"born-year": "1899"}, "born", "Date of birth must be between 1900 and 2100"),
        ({"colour": "green"}, "colour", "Choose the favourite colour from the list"),
        ({"minutes": "5"}, "minutes", "Length must be between 15 and 480"),
        ({"minutes": "1,000"}, "minutes", "Length must be between 15 and 480"),
        ({"note": "x" * 11}, "note", "Note must be 10 characters or fewer"),
        ({"code": "A1"}, "code", "Code must be letters only"),
        (
            {"ended-day": "1", "ended-month": "1", "ended-year": "2010"},
            "ended",
            "End date must be after the date of birth",
        ),
    ],
)
def test_each_kind_of_problem(changes: dict[str, str], field: str, message: str) -> None:
    sub = Example.read({**GOOD, **changes})
    assert sub.data is None
    assert sub.errors == {field: message}


def test_checkboxes_read_every_ticked_box() -> None:
    posted = FormData([*GOOD.items(), ("days", "mon"), ("days", "wed")])
    sub = Example.read(posted)
    assert sub.data is not None
    assert sub.data.days == ["mon", "wed"]
    assert sub.values["days"] == ["mon", "wed"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("16:30", dt.time(16, 30)),
        ("16.30", dt.time(16, 30)),
        ("4:30pm", dt.time(16, 30)),
        ("4:30 PM", dt.time(16, 30)),
        ("4pm", dt.time(16, 0)),
        ("12am", dt.time(0, 0)),
        ("12pm", dt.time(12, 0)),
        ("9am", dt.time(9, 0)),
        ("16", None),
        ("13pm", None),
        ("24:00", None),
        ("4:60pm", None),
        ("teatime", None),
    ],
)
def test_one_rule_for_times(text: str, expected: dt.time | None) -> None:
    assert parse_time(text) == expected


def test_a_services_refusal_joins_the_errors_beside_its_fields() -> None:
    sub = Example.read(GOOD)
    with sub.saving(rename={"date_of_birth": "born"}):
        raise Invalid("Too young", errors=[{"loc": ["body", "date_of_birth"], "msg": "Too young"}])
    assert sub.data is None
    assert sub.status_code == 422
    assert sub.errors == {"born": "Too young"}

    sub = Example.read(GOOD)
    with sub.saving(conflict_field="name"):
        raise Conflict("That name is taken")
    assert sub.status_code == 409
    assert sub.errors == {"name": "That name is taken"}

    sub = Example.read(GOOD)
    with sub.saving():
        raise Conflict("Someone else saved first")
    assert list(sub.errors) == ["form"]


def test_initial_values_show_what_is_stored() -> None:
    values = Example.initial(
        name="Ada", born=dt.date(2016, 3, 27), colour=Colour.blue, starts=dt.time(16, 0)
    )
    assert values["born"] == {"day": "27", "month": "3", "year": "2016"}
    assert values["colour"] == "blue"
    assert values["starts"] == "16:00"
    assert values["ended"] == {"day": "", "month": "", "year": ""}
    assert values["note"] == ""


class Versioned(Form):
    version: PageVersion
    days: Annotated[Checkboxes, Field(title="Days")] = Field(default_factory=list)
    name: Annotated[Text, Field(title="Name")]

    @classmethod
    def typed_problems(cls, values: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
        if not values["days"]:
            yield "days", "Tick at least one day"


def test_a_hidden_version_and_rules_on_what_was_typed_come_with_every_other_problem() -> None:
    sub = Versioned.read({"version": "x"})
    # The version's problem is the whole form's (nothing to click to), first; the rule on
    # the ticked boxes is named although another field does not parse.
    assert list(sub.errors.items()) == [
        ("form", "This page is out of date. Reload it and try again."),
        ("days", "Tick at least one day"),
        ("name", "Enter the name"),
    ]
    assert Versioned.read({"version": str(2**31 - 1), "days": "mon", "name": "A"}).errors == {
        "form": "This page is out of date. Reload it and try again."
    }
    sub = Versioned.read({"version": "3", "name": "A"})
    assert sub.data is None
    assert sub.errors == {"days": "Tick at least one day"}
    good = Versioned.read({"version": "3", "days": "mon", "name": "A"})
    assert good.data is not None
    assert good.data.version == 3


def test_show_again_builds_the_page_after_the_roll_back(monkeypatch: pytest.MonkeyPatch) -> None:
    done: list[str] = []
    shown: dict[str, Any] = {}

    class Db:
        def rollback(self) -> None:
            done.append("rollback")

    def render(request: Any, template: str, context: dict[str, Any], **kw: Any) -> Any:
        shown.update(context, status=kw["status_code"])

    def context() -> dict[str, Any]:
        done.append("context")
        return {"values": {"other": "kept", "name": "stored"}, "page": 1}

    monkeypatch.setattr(forms, "render", render)
    sub = Versioned.read({"version": "3", "name": "typed"})
    # Stand-ins: render is patched (no request needed), and the session only rolls back.
    forms.show_again(cast(Request, None), cast(Session, Db()), "t.html", context, sub)
    assert done == ["rollback", "context"]
    assert shown["values"] == {"other": "kept", "version": "3", "days": [], "name": "typed"}
    assert (shown["page"], shown["status"], list(shown["errors"])) == (1, 422, ["days"])


class SignIn(Form):
    email: Annotated[Text, Field(title="Email address")]
    password: Annotated[Secret, Field(title="Password")]
    old: Annotated[OptionalSecret, Field(title="Old password")] = None


def test_a_secret_is_taken_as_typed_and_never_shown_again() -> None:
    sub = SignIn.read({"email": " a@example.org ", "password": "  spaced  "})
    assert sub.data is not None
    assert (sub.data.email, sub.data.password) == ("a@example.org", "  spaced  ")
    assert sub.data.old is None
    assert sub.values == {"email": "a@example.org", "password": "", "old": ""}
    sub = SignIn.read({"email": "a@example.org", "password": "", "old": "typed"})
    assert sub.errors == {"password": "Enter the password"}
    assert sub.values["old"] == ""


class Bounded(Form):
    count: Annotated[OptionalWholeNumber, Field(title="Count", ge=1, le=5)] = None


@pytest.mark.parametrize(
    ("posted", "count", "errors"),
    [
        ({}, None, {}),
        ({"count": " "}, None, {}),
        ({"count": "3"}, 3, {}),
        ({"count": "9"}, None, {"count": "Count must be between 1 and 5"}),
        ({"count": "x"}, None, {"count": "Count must be a whole number"}),
    ],
)
def test_an_optional_number_is_bounded_and_may_stay_blank(
    posted: dict[str, str], count: int | None, errors: dict[str, str]
) -> None:
    sub = Bounded.read(posted)
    assert sub.errors == errors
    assert (sub.data.count if sub.data else None) == count


class Agreed(Form):
    agreed: Annotated[Tick, Field(title="I agree")] = False
    length: Annotated[
        OptionalWholeNumber,
        Msg(invalid="Enter the length as a number", out_of_range="From 15 to 480 minutes"),
        Field(title="Length", ge=15, le=480),
    ] = None


@pytest.mark.parametrize(
    ("posted", "agreed"), [({"agreed": "yes"}, True), ({}, False), ({"agreed": "no"}, False)]
)
def test_a_lone_checkbox_is_ticked_by_yes(posted: dict[str, str], agreed: bool) -> None:
    sub = Agreed.read(posted)
    assert sub.data is not None
    assert sub.data.agreed is agreed


def test_a_lone_checkbox_shows_what_is_stored() -> None:
    assert Agreed.initial(agreed=True)["agreed"] == "yes"
    assert Agreed.initial(agreed=False)["agreed"] == ""
    assert Agreed.initial()["agreed"] == ""


@pytest.mark.parametrize(
    ("length", "message"),
    [("10", "From 15 to 480 minutes"), ("481", "From 15 to 480 minutes"), ("ten", None)],
)
def test_a_number_out_of_range_may_say_its_own_words(length: str, message: str | None) -> None:
    sub = Agreed.read({"length": length})
    assert sub.errors == {"length": message or "Enter the length as a number"}


class Started(Form):
    start_date: Annotated[DateInput, Field(title="Start date")]


@pytest.mark.parametrize(
    ("year", "message"),
    [
        ("9999", "Start date must be between 1900 and 2100"),
        ("0001", "Start date must be between 1900 and 2100"),
        ("2100", None),
        ("1900", None),
    ],
)
def test_a_page_date_is_bounded_as_the_apis(year: str, message: str | None) -> None:
    form = {"start_date-day": "31", "start_date-month": "12", "start_date-year": year}
    if year == "1900":
        form["start_date-day"], form["start_date-month"] = "1", "1"
    sub = Started.read(form)
    assert sub.errors.get("start_date") == message
    assert (sub.data is None) is (message is not None)
