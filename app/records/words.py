"""The printable subject access page in words a family reads: no internal ids, dates as
people read them, staff by name, measures by name, terms explained."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from app.audit.words import Readable, words
from app.auth.models import User
from app.children import lists
from app.outcomes.events.schemas import KIND_WORDS
from app.records.service import Gathered
from app.web import date_long, datetime_long, minutes_human, time_12h

PLACEMENT_WORDS = {
    "kinship": "Kinship care (living with relatives or friends)",
    "foster": "Foster care",
    "residential": "Residential care (a children's home)",
    "other": "Other",
}
ATTENDANCE_WORDS = {
    "present": "Came",
    "late": "Came, late",
    "absent": "Did not come",
    "excused": "Did not come (excused)",
}
COVERAGE_WORDS = {"delivered": "Done", "partial": "Partly done", "skipped": "Not done"}
ENROLMENT_WORDS = {"active": "In the group", "withdrawn": "Left the group"}
VISIT_WORDS = {
    "planned": "Planned",
    "completed": "Took place",
    "missed": "Missed",
    "cancelled": "Called off",
}
TASK_WORDS = {"open": "Not practised yet", "practised": "Practised", "completed": "Completed"}
END_WORDS = {
    "planned": "Came to its planned end",
    "mentor_left": "The mentor left",
    "child_moved": "The child moved",
    "child_request": "The child asked to end it",
    "safeguarding": "Ended for safety reasons",
    "other": "Other reason",
}
TIMEPOINT_WORDS = {
    "baseline": "At the start",
    "end": "At the end",
    "follow_up_6m": "Six months after the end",
    "follow_up_12m": "A year after the end",
}
LOOKED_WORDS = {
    "record": "the child's record",
    "export": "this summary of the record",
    "outcomes": "the child's outcomes",
    "audit": "the changes made to the record",
}
FLAG_WORDS = {
    "assessment_missed": "A questionnaire was not done in time",
}
# Terms a family may not know, explained once at the end of the page.
GLOSSARY: list[tuple[str, str]] = [
    (
        "Register entry",
        "At each group session the staff running it note who came. Each line of the "
        "register shows one session and whether the child came.",
    ),
    (
        "Lesson checklist note",
        "Staff tick off each activity of the session's lesson and may add a note. The notes "
        "that mention the child by name are shown here.",
    ),
    (
        "Practice task",
        "A small thing to try at home after a group session (asking for help, say), which "
        "the child's mentor helps them practise during visits.",
    ),
    (
        "Mentor and visits",
        "A mentor is a trained adult who meets the child one to one. A visit is one of "
        "those meetings; the mentor writes a short summary of it.",
    ),
    (
        "Check-in",
        "A regular conversation the programme lead has with the mentor, the child or their "
        "carer to see how the mentoring is going.",
    ),
    (
        "Questionnaire (measure)",
        "A published set of questions, answered by the child, their carer or a teacher at "
        "the start and end of the programme, scored to see how things are going.",
    ),
    (
        "Reliable change",
        "When a questionnaire's score moves by more than the amount it can move by chance "
        "alone from one time to the next, the change is called reliable: it is likely to be "
        "a real change, not a quirk of the day.",
    ),
    (
        "Life event",
        "Something important that the child's records say happened, such as a move to a "
        "new home. Events are counted, without names, to see how children in the "
        "programme are doing.",
    ),
    (
        "Flag",
        "A reminder the system gives staff when something needs attention. When it cannot "
        "be put right, a lead notes why.",
    ),
    (
        "Change history",
        "Every change made to the record is logged with who made it and when.",
    ),
]


def _scores(scores: Mapping[str, float], definition: Mapping[str, Any] | None) -> list[str]:
    names = {
        str(s.get("key")): str(s.get("name"))
        for s in (definition or {}).get("scales", [])
        if isinstance(s, Mapping)
    }
    out = []
    for key, value in scores.items():
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        out.append(f"{names.get(key, key.replace('_', ' ').capitalize())}: {shown}")
    return out


def _informant(key: str, definition: Mapping[str, Any] | None) -> str:
    informants = (definition or {}).get("informants") or {}
    found = informants.get(key) if isinstance(informants, Mapping) else None
    return str(found) if found else key.replace("_", " ").capitalize()


def _with_whom(check: Any) -> str:
    who = [
        name
        for name, there in (
            ("the mentor", check.with_mentor),
            ("the child", check.with_child),
            ("the carer", check.with_carer),
        )
        if there
    ]
    return ", ".join(who) if who else "Not noted"


def page_context(
    g: Gathered, *, events: Sequence[Readable], today: dt.date, by: User
) -> dict[str, Any]:
    """Everything the template shows, already in words."""
    child = g.child
    titles = {a.id: title for a, title, _ in g.assignments}
    prefs = child.preferences or {}
    return {
        "child": child,
        "today": today,
        "produced_by": by.name,
        "shown": lists.shown(child),
        "profile": [
            ("Reference", child.reference),
            ("First name", child.first_name),
            ("Date of birth", date_long(child.date_of_birth) if child.date_of_birth else None),
            ("Type of placement", PLACEMENT_WORDS.get(child.placement_type.value)),
            ("Gender", lists.shown(child)["gender"]),
            ("Ethnic group", lists.shown(child)["ethnicity"]),
            ("Languages", lists.shown(child)["languages"]),
            ("Interests", ", ".join(child.interests)),
            ("What they would like in a mentor", prefs.get("notes")),
            ("Record started", date_long(child.created_at)),
        ],
        "consent": [
            ("Given by", child.consent_given_by),
            ("Given on", date_long(child.consent_given_on)),
        ],
        "enrolments": [
            {
                "group": name,
                "from": date_long(e.start_date),
                "to": date_long(e.end_date) if e.end_date else "Still in the group",
                "status": ENROLMENT_WORDS.get(e.status.value, e.status.value),
                "why_left": e.withdraw_reason,
            }
            for e, name in g.enrolments
        ],
        "register": [
            {
                "date": date_long(s.date),
                "group": cohort,
                "session": f"Week {s.week}" + (f": {lesson}" if lesson else ""),
                "attended": ATTENDANCE_WORDS.get(a.status.value, a.status.value),
                "note": a.note,
            }
            for a, s, cohort, lesson in g.register
        ],
        "coverage": [
            {
                "date": date_long(s.date),
                "group": cohort,
                "activity": title,
                "done": COVERAGE_WORDS.get(c.status.value, c.status.value),
                "note": c.note,
            }
            for c, s, cohort, title in g.coverage
        ],
        "matches": [
            {
                "mentor": g.who(m.mentor_id) or "A mentor",
                "from": date_long(m.start_date),
                "to": date_long(m.end_date) if m.end_date else "Still going",
                "why_ended": END_WORDS.get(m.end_reason.value) if m.end_reason else None,
                "closure_note": m.closure_note,
                "check_ins": [
                    {
                        "date": date_long(c.date),
                        "with": _with_whom(c),
                        "notes": c.notes,
                        "by": g.who(c.recorded_by),
                    }
                    for c in g.check_ins
                    if c.match_id == m.id
                ],
            }
            for m in g.matches
        ],
        "visits": [
            {
                "date": date_long(v.date),
                "time": time_12h(v.start_time) if v.start_time else None,
                "length": minutes_human(v.minutes),
                "mentor": g.who(v.mentor_id) or "A mentor",
                "status": VISIT_WORDS.get(v.status.value, v.status.value),
                "summary": v.summary,
                "tasks": [titles.get(i) for i in g.worked_on.get(v.id or 0, []) if titles.get(i)],
                "concern": v.safeguarding_concern,
            }
            for v in g.visits
        ],
        "tasks": [
            {
                "task": title,
                "from": f"{date_long(s.date)} (week {s.week})",
                "status": TASK_WORDS.get(a.status.value, a.status.value),
                "mentor": g.who(a.mentor_id),
                "note": a.note,
            }
            for a, title, s in g.assignments
        ],
        "assessments": [
            {
                "measure": m.name if m else a.measure_key,
                "informant": _informant(a.informant, m.definition if m else None),
                "timepoint": TIMEPOINT_WORDS.get(a.timepoint.value, a.timepoint.value),
                "date": date_long(a.completed_on),
                "scores": "; ".join(_scores(a.scores, m.definition if m else None)),
            }
            for a, m in g.assessments
        ],
        "life_events": [
            {"date": date_long(e.date), "what": KIND_WORDS.get(e.kind, e.kind), "note": e.note}
            for e in g.life_events
        ],
        "flags": [
            {
                "what": FLAG_WORDS.get(f.kind, f.kind.replace("_", " ").capitalize()),
                "note": f.note,
                "by": g.who(f.acknowledged_by),
                "on": date_long(f.on_date),
            }
            for f in g.flags
        ],
        "changes": [
            {
                "at": datetime_long(e.at),
                "by": e.actor or "Tandem",
                "what": e.what,
                # A row that has gone is named by its id ("Life event 5"): say what it was.
                "record": words(e.entity) if re.search(r"\d+$", e.label) else e.label,
                "changes": [
                    (c.field, c.old, c.new) for c in e.changes if not re.search(r"\d+$", c.field)
                ],
            }
            for e in events
        ],
        "views": [
            {
                "at": datetime_long(v.at),
                "by": g.who(v.user_id) or "Someone no longer at the organisation",
                "what": LOOKED_WORDS.get(v.what, v.what),
            }
            for v in g.views
        ],
        "glossary": GLOSSARY,
    }
