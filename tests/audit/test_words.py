"""The renderer on its own: every shape the services record, in words (no database)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.audit.models import AuditEvent
from app.audit.words import FieldChange, changes_in_words, name_of, readable, value_words, wanted

NAMES: dict[str, dict[int, tuple[Any, ...]]] = {
    "child": {7: ("Ben", "DEMO-02"), 8: ("Amira", "DEMO-01")},
    "user": {3: ("Sam Facilitator",), 4: ("Kim Mentor",)},
    "cohort": {5: ("Monday group",)},
    "session": {9: ("Monday group", "2027-10-12")},
    "activity": {11: ("Feelings word hunt",)},
    "closure": {2: ("Half term", "2027-10-25", "2027-10-29")},
}


def _event(
    entity: str, entity_id: int | None, changes: dict[str, Any], action: str = "update"
) -> AuditEvent:
    return AuditEvent(
        id=1,
        org_id=1,
        actor_id=3,
        at=dt.datetime(2027, 10, 12, 17, 30, tzinfo=dt.UTC),
        action=action,
        entity=entity,
        entity_id=entity_id,
        changes=changes,
    )


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("start_date", "2027-10-12", "12 October 2027"),
        ("locked_until", "2027-10-12T17:30:00+00:00", "12 October 2027 at 6:30pm"),
        ("start_time", "16:30:00", "4:30pm"),
        ("status", "not_delivered", "Not delivered"),
        ("placement_type", "residential", "Residential"),
        ("chosen_by_young_person", True, "Yes"),
        ("score", 0.75, "0.75"),
        ("child_id", 7, "Ben (DEMO-02)"),
        ("facilitator_ids", [3, 4], "Sam Facilitator, Kim Mentor"),
        ("cancelled_sessions", [9], "Monday group, 12 October 2027"),
        ("mentor_id", 99, "User 99"),  # gone, or another organisation's: never its name
        ("note", "late_bus", "late_bus"),  # free text stays as typed
        ("note", None, None),
        ("interests", [], None),
    ],
)
def test_values_in_words(key: str, value: Any, shown: str | None) -> None:
    assert value_words(key, value, NAMES) == shown


def test_register_rows_compared_child_by_child() -> None:
    before = [
        {"child_id": 7, "status": "absent", "note": None},
        {"child_id": 8, "status": "present", "note": None},
    ]
    after = [
        {"child_id": 7, "status": "late", "note": "Bus was late"},
        {"child_id": 8, "status": "present", "note": None},
    ]
    coverage = [None, [{"activity_id": 11, "status": "delivered", "note": None}]]
    event = _event("session", 9, {"attendance": [before, after], "coverage": coverage}, "correct")
    assert changes_in_words(event, NAMES) == [
        FieldChange("Ben (DEMO-02): attendance", "Absent", "Late"),
        FieldChange("Ben (DEMO-02): note", None, "Bus was late"),
        FieldChange("Feelings word hunt: coverage", None, "Delivered"),
    ]
    shown = readable(event, "Sam Facilitator", NAMES)
    assert shown.label == "Monday group, 12 October 2027"
    assert shown.what == "Register corrected"


def test_secrets_dicts_and_empty_values() -> None:
    event = _event(
        "child",
        7,
        {
            "password": "changed",
            "preferences": [{"notes": None, "food": "vegetarian"}, {"notes": "Likes art"}],
            "languages": [None, []],
        },
    )
    assert changes_in_words(event, NAMES) == [
        FieldChange("Password", None, "changed (not shown)"),
        FieldChange("Preferences: notes", None, "Likes art"),
        FieldChange("Preferences: food", "vegetarian", None),
    ]


def test_an_export_names_children_by_reference_only() -> None:
    event = _event(
        "child",
        7,
        {
            "first_name": [None, "Ben"],
            "date_of_birth": [None, "2016-03-01"],
            "reference": [None, "DEMO-02"],
        },
        "create",
    )
    assert changes_in_words(event, NAMES, export=True) == [
        FieldChange("First name", None, "changed (not in exports)"),
        FieldChange("Date of birth", None, "changed (not in exports)"),
        FieldChange("Reference", None, "DEMO-02"),
    ]
    assert name_of("child", 7, NAMES, export=True) == "DEMO-02"
    visit = _event("session", 9, {"attendance": [None, [{"child_id": 8, "status": "present"}]]})
    assert changes_in_words(visit, NAMES, export=True) == [
        FieldChange("DEMO-01: attendance", None, "Present")
    ]


def test_labels_of_every_kind_and_of_records_gone() -> None:
    assert name_of("closure", 2, NAMES) == "Closure: Half term (25 October 2027 to 29 October 2027)"
    assert name_of("mentor_profile", 4, NAMES) == "Kim Mentor"
    assert name_of("cohort", 6, NAMES) == "Cohort 6"
    assert name_of("flag_acknowledgement", 3, NAMES) == "Flag acknowledgement 3"


def test_wanted_collects_every_id_once_per_kind() -> None:
    events = [
        _event("session", 9, {"attendance": [None, [{"child_id": 7}, {"child_id": 8}]]}),
        _event("match", 1, {"child_id": [None, 7], "mentor_id": [None, 4]}),
        _event("cohort", 5, {"facilitator_ids": [[3], [3, 4]]}),
        _event("mentor_profile", 4, {}),
    ]
    assert wanted(events) == {
        "session": {9},
        "child": {7, 8},
        "match": {1},
        "user": {3, 4},
        "cohort": {5},
    }
