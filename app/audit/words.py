"""The audit trail in words: one renderer for every domain's events.

Services record `changes` in a few shapes (app/audit/service.py `record`): `{field: [old,
new]}` (an update, or `[None, new]` when a row is made: shown as "set to"), `{field:
"changed"}` for a secret or free text that is not kept, lists of rows for a register
(`attendance`: `[{"child_id", "status", "note"}, ...]`), lists of ids, and dicts. This
module turns an event into a label for the record (a child's first name and reference, a
cohort's name, a session's cohort and date, a person's name...) and a list of field
changes in words (enum values in words, dates as people read them, ids as names).

The names come from `service.names`, asked once per page for every id the events mention
(`wanted`): a fixed number of queries however many events a page holds. For an export,
children are their reference alone and a child's name and date of birth are not shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from app.audit.models import AuditEvent
from app.web import date_long, datetime_long, time_12h

Names = Mapping[str, Mapping[int, tuple[Any, ...]]]

# What kind of record a field's id (or list of ids) names.
ID_FIELDS: dict[str, str] = {
    "child_id": "child",
    "cohort_id": "cohort",
    "session_id": "session",
    "mentor_id": "user",
    "user_id": "user",
    "actor_id": "user",
    "reviewed_by": "user",
    "concern_reviewed_by": "user",
    "recorded_by": "user",
    "created_by": "user",
    "updated_by": "user",
    "facilitator_id": "user",
    "facilitator_ids": "user",
    "facilitators_present": "user",
    "activity_id": "activity",
    "curriculum_id": "curriculum",
    "match_id": "match",
    "visit_id": "visit",
    "enrolment_id": "enrolment",
    "closure_id": "closure",
    "cancelled_sessions": "session",
    "session_ids": "session",
}

# Field names that read better otherwise than with their underscores as spaces.
FIELD_WORDS: dict[str, str] = {
    "child_id": "child",
    "cohort_id": "cohort",
    "session_id": "session",
    "mentor_id": "mentor",
    "user_id": "person",
    "activity_id": "activity",
    "match_id": "match",
    "visit_id": "visit",
    "closure_id": "closure",
    "curriculum_id": "curriculum",
    "facilitator_ids": "facilitators",
    "facilitators_present": "facilitators present",
    "cancelled_sessions": "sessions cancelled",
    "chosen_by_young_person": "chosen by the young person",
    "date_of_birth": "date of birth",
    "duration_minutes": "length (minutes)",
    "minutes": "length (minutes)",
    "start_time": "start time",
    "end_time": "end time",
    "locked_until": "locked until",
    "concern_reviewed": "concern reviewed",
    "safeguarding_concern": "safeguarding concern",
    "calendar_token": "calendar address",
    "status": "status",
}

# Fields whose values are names from a fixed list (enum values): shown in words.
ENUM_FIELDS = frozenset(
    {
        "role",
        "status",
        "placement_type",
        "end_reason",
        "ended_by",
        "kind",
        "action",
        "called_off_by",
        "informant",
        "timepoint",
        "gender",
        "ethnicity",
        "languages",
        "interests",
        "holiday_region",
        "require_mfa_for",
    }
)

# What a child's record holds that identifies them: never in an export (references only).
CHILD_PERSONAL = frozenset({"first_name", "date_of_birth", "name", "last_name"})

# Lists of rows recorded whole (a register): compared row by row, by the row's id field.
ROW_KEYS = ("child_id", "activity_id", "user_id", "id")

# What happened, in words, by the action the service recorded; any other action reads
# "Create cohort" style (the action and the kind of record).
ACTION_WORDS = {
    # The sign-in events (app/auth), which name no record but the person.
    "sign_in": "Signed in",
    "sign_in_refused": "Single sign-on refused",
    "sign_out": "Signed out",
    "end_sessions": "Signed out of other browsers or API tokens ended",
    "issue_token": "API token issued (signed in to the API)",
    "revoke_token": "API token revoked",
    "lock": "Account locked after too many wrong passwords",
    "change_password": "Password changed",
    "rotate_calendar": "Calendar address renewed",
    "enrol": "Enrolled",
    "withdraw": "Withdrawn",
    "record": "Register recorded",
    "correct": "Register corrected",
    "reschedule": "Session moved",
    "observe": "Session observed",
    "check_in": "Check-in recorded",
    "plan_visits": "Visits planned",
    "safeguarding_concern": "Safeguarding concern raised",
    "review_concern": "Safeguarding concern reviewed",
    "export": "Record downloaded (subject access request)",
    "erase": "Record erased (made in error)",
}

HIDDEN = "changed (not shown)"
NOT_EXPORTED = "changed (not in exports)"

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


@dataclass(frozen=True)
class FieldChange:
    """One field's change in words; `old` is None when the value was set for the first time
    (or not recorded), `new` None when it was cleared."""

    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Readable:
    at: datetime
    actor: str | None
    action: str
    entity: str
    entity_id: int | None
    label: str
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def what(self) -> str:
        """ "Update child", "Signed in": the action and the kind of record, in words."""
        return ACTION_WORDS.get(self.action) or f"{words(self.action)} {words(self.entity).lower()}"


def words(key: str) -> str:
    """A key as people read it: "placement_type" -> "Placement type"."""
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def field_words(key: str) -> str:
    return words(FIELD_WORDS.get(key, key.removesuffix("_id")))


# Which ids a page of events needs named -------------------------------------------------


def _ids(value: Any) -> Iterable[int]:
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _ids(item)


def _collect(changes: Any, wanted: dict[str, set[int]]) -> None:
    if not isinstance(changes, Mapping):
        return
    for key, value in changes.items():
        kind = ID_FIELDS.get(str(key))
        pair = value if _is_pair(value) else [value]
        for side in pair:
            if kind is not None:
                wanted.setdefault(kind, set()).update(_ids(side))
            elif isinstance(side, list):
                for row in side:
                    _collect(row, wanted)
            elif isinstance(side, Mapping):
                _collect(side, wanted)


def wanted(events: Iterable[AuditEvent]) -> dict[str, set[int]]:
    """{kind: ids}: every record the events name, as entity or in their changes."""
    out: dict[str, set[int]] = {}
    for event in events:
        if event.entity_id is not None:
            kind = "user" if event.entity == "mentor_profile" else event.entity
            out.setdefault(kind, set()).add(event.entity_id)
        _collect(event.changes, out)
    return out


# Names ------------------------------------------------------------------------------------


def _child(parts: tuple[Any, ...], export: bool) -> str:
    first, reference = parts[0], parts[1]
    return str(reference) if export else f"{first} ({reference})"


def _day(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return str(value)
    return date_long(value) if isinstance(value, date) else str(value)


def name_of(kind: str, record_id: int | None, names: Names, *, export: bool = False) -> str:
    """A record's name: "Ben (DEMO-02)", "Monday group, 12 October 2027", "Ada Lovelace";
    "Child 12" when the record has gone (or is not one Tandem names)."""
    fallback = f"{words(kind)} {record_id}" if record_id is not None else words(kind)
    if record_id is None:
        return fallback
    lookup = "user" if kind == "mentor_profile" else kind
    parts = names.get(lookup, {}).get(record_id)
    if parts is None:
        return fallback
    if lookup == "child":
        return _child(parts, export)
    if lookup == "session":
        return f"{parts[0]}, {_day(parts[1])}"
    if lookup == "enrolment":
        return f"{_child(parts, export)} in {parts[2]}"
    if lookup == "match":
        return f"{_child(parts, export)} with {parts[2]}"
    if lookup == "visit":
        return f"Visit to {_child(parts, export)}, {_day(parts[2])}"
    if lookup == "closure":
        start, end = _day(parts[1]), _day(parts[2])
        days = start if start == end else f"{start} to {end}"
        return f"Closure: {parts[0]} ({days})"
    if lookup == "practice_assignment":
        return f"{_child(parts, export)}: {parts[2]}"
    if lookup == "curriculum":
        return f"{parts[0]} (version {parts[1]})"
    return str(parts[0])


# Values -----------------------------------------------------------------------------------


def _is_pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and not _is_rows(value)


def _is_rows(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def value_words(key: str, value: Any, names: Names, *, export: bool = False) -> str | None:
    """A stored value in words: None stays None (nothing), ids become names."""
    if value is None or value == [] or value == "":
        return None
    kind = ID_FIELDS.get(key)
    if kind is not None:
        ids = list(_ids(value))
        if ids:
            return ", ".join(name_of(kind, i, names, export=export) for i in ids)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, list):
        items = [value_words(key, v, names, export=export) for v in value]
        return ", ".join(item for item in items if item) or None
    if isinstance(value, Mapping):
        pairs = [
            f"{field_words(str(k))}: {value_words(str(k), v, names, export=export) or '(none)'}"
            for k, v in value.items()
        ]
        return "; ".join(pairs) or None
    text = str(value)
    if key in ENUM_FIELDS and re.fullmatch(r"[a-z0-9_]+", text):
        return words(text)
    if _DATETIME.match(text):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return text
        return datetime_long(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    if _DATE.match(text):
        return _day(text)
    if _TIME.match(text):
        try:
            return time_12h(time.fromisoformat(text))
        except ValueError:
            return text
    return text


def _rows_by_key(rows: Any) -> tuple[str | None, dict[Any, Mapping[str, Any]]]:
    if not _is_rows(rows):
        return None, {}
    for key in ROW_KEYS:
        if all(key in row for row in rows):
            return key, {row[key]: row for row in rows}
    return None, {}


def _row_changes(
    name: str, old: Any, new: Any, names: Names, export: bool
) -> list[FieldChange] | None:
    """A register's rows, compared row by row: "Ben (DEMO-02): attendance" Late -> Absent.
    None when the values are not lists of rows with a common id field."""
    if not (_is_rows(old) or _is_rows(new)) or not all(
        v is None or isinstance(v, list) for v in (old, new)
    ):
        return None
    old_key, before = _rows_by_key(old or [])
    new_key, after = _rows_by_key(new or [])
    key = old_key or new_key
    if key is None or (old_key and new_key and old_key != new_key):
        return None
    kind = ID_FIELDS.get(key)
    out: list[FieldChange] = []
    for row_id in sorted(set(before) | set(after), key=str):
        a, b = before.get(row_id, {}), after.get(row_id, {})
        who = name_of(kind, row_id, names, export=export) if kind else f"{words(key)} {row_id}"
        for sub in [k for k in {**a, **b} if k != key]:
            if a.get(sub) == b.get(sub):
                continue
            label = words(name) if sub == "status" else field_words(sub)
            out.append(
                FieldChange(
                    f"{who}: {label.lower()}",
                    value_words(sub, a.get(sub), names, export=export),
                    value_words(sub, b.get(sub), names, export=export),
                )
            )
    return out


def _dict_changes(name: str, old: Any, new: Any, names: Names, export: bool) -> list[FieldChange]:
    before = old if isinstance(old, Mapping) else {}
    after = new if isinstance(new, Mapping) else {}
    out = []
    for sub in list({**before, **after}):
        if before.get(sub) == after.get(sub):
            continue
        out.append(
            FieldChange(
                f"{field_words(name)}: {field_words(str(sub)).lower()}",
                value_words(str(sub), before.get(sub), names, export=export),
                value_words(str(sub), after.get(sub), names, export=export),
            )
        )
    return out


def changes_in_words(event: AuditEvent, names: Names, *, export: bool = False) -> list[FieldChange]:
    """Every field the event changed, in words, in the order the service recorded them."""
    changes = event.changes if isinstance(event.changes, Mapping) else {}
    out: list[FieldChange] = []
    for key, value in changes.items():
        name = str(key)
        label = field_words(name)
        if export and event.entity == "child" and name in CHILD_PERSONAL:
            out.append(FieldChange(label, None, NOT_EXPORTED))
            continue
        # Services record [old, new] (app/audit/service.py changes_between), or "changed".
        if not (isinstance(value, list) and len(value) == 2):
            shown = HIDDEN if value == "changed" else value_words(name, value, names)
            out.append(FieldChange(label, None, shown))
            continue
        old, new = value
        rows = _row_changes(name, old, new, names, export)
        if rows is not None:
            out.extend(rows)
        elif isinstance(old, Mapping) or isinstance(new, Mapping):
            out.extend(_dict_changes(name, old, new, names, export))
        else:
            out.append(
                FieldChange(
                    label,
                    value_words(name, old, names, export=export),
                    value_words(name, new, names, export=export),
                )
            )
    # An empty list or text made with the record ([None, []]) changed nothing worth a line.
    return [c for c in out if c.old is not None or c.new is not None]


def readable(
    event: AuditEvent, actor: str | None, names: Names, *, export: bool = False
) -> Readable:
    return Readable(
        at=event.at,
        actor=actor,
        action=event.action,
        entity=event.entity,
        entity_id=event.entity_id,
        label=name_of(event.entity, event.entity_id, names, export=export),
        changes=changes_in_words(event, names, export=export),
    )


def readable_page(
    rows: Sequence[tuple[AuditEvent, str | None]], names: Names, *, export: bool = False
) -> list[Readable]:
    return [readable(event, actor, names, export=export) for event, actor in rows]
