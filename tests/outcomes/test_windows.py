"""The timepoints' windows: from the child's sessions (cancelled ones and those before the
enrolment left out), with the organisation's widths, at each edge."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import Organisation
from app.children.service import age_on
from app.outcomes.assessments.windows import (
    Anchors,
    Widths,
    Window,
    add_months,
    estimated_birth,
    load_anchors,
    suits_age,
    windows,
    windows_of,
)
from app.outcomes.models import Timepoint
from tests.outcomes.conftest import FIRST, LAST, Programme
from tests.support.clock import Clock
from tests.support.people import PageClient, People, Signed

D = dt.date


def test_windows_from_the_anchors() -> None:
    found = windows(Anchors(D(2027, 1, 4), D(2027, 1, 11), D(2027, 3, 8), 1), Widths())
    assert [(w.opens, w.closes) for w in found.values()] == [
        (D(2026, 11, 23), D(2027, 1, 11)),
        (D(2027, 3, 8), D(2027, 4, 19)),
        (D(2027, 7, 28), D(2027, 10, 20)),
        (D(2028, 1, 26), D(2028, 4, 19)),
    ]
    assert found[Timepoint.end].words() == "from 8 March 2027 to 19 April 2027"


def test_widths_are_the_organisations() -> None:
    found = windows(Anchors(D(2027, 1, 4), D(2027, 1, 11), D(2027, 3, 8), 1), Widths(0, 2, 1))
    assert found[Timepoint.baseline].opens == D(2027, 1, 4)
    assert found[Timepoint.end].closes == D(2027, 3, 22)
    assert found[Timepoint.follow_up_6m].opens == D(2027, 9, 1)
    assert found[Timepoint.follow_up_12m].closes == D(2028, 3, 15)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 8, 31), 6, D(2027, 2, 28)),
        (D(2027, 8, 31), 6, D(2028, 2, 29)),
        (D(2027, 2, 28), 12, D(2028, 2, 28)),
        (D(2027, 12, 15), 6, D(2028, 6, 15)),
    ],
)
def test_months_later(day: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(day, months) == expected


def test_anchors_from_the_sessions(db: Session, programme: Programme, people: People) -> None:
    found = load_anchors(db, org_id=people.org.id or 0, child_ids=[programme.child_id])
    assert found == {
        programme.child_id: Anchors(FIRST, FIRST + dt.timedelta(weeks=1), LAST, programme.cohort_id)
    }


def test_cancelled_sessions_and_those_before_the_enrolment_do_not_count(
    db: Session, programme: Programme, people: People
) -> None:
    build = programme.build
    cohort = build.cohort(D(2027, 1, 5))
    days = [D(2027, 1, 5) + dt.timedelta(weeks=w) for w in range(5)]
    build.session(cohort, 1, days[0])
    build.session(cohort, 2, days[1], status="cancelled")
    build.session(cohort, 3, days[2])
    build.session(cohort, 4, days[3], status="delivered")
    build.session(cohort, 5, days[4], status="cancelled")
    late = build.child("Late")
    build.enrol(late, cohort, days[1])  # joined after the first session
    found = load_anchors(db, org_id=people.org.id or 0, child_ids=[late])
    assert found[late] == Anchors(days[2], days[3], days[3], cohort)


def test_a_withdrawn_child_keeps_the_cohorts_last_session_and_a_move_counts_the_new_cohort(
    db: Session, programme: Programme, people: People
) -> None:
    build = programme.build
    left = build.child("Left")
    build.enrol(left, programme.cohort_id, D(2027, 1, 1), D(2027, 1, 20), withdrawn=True)
    later = build.cohort(D(2027, 2, 2))
    for week in range(3):
        build.session(later, week + 1, D(2027, 2, 2) + dt.timedelta(weeks=week))
    moved = build.child("Moved")
    build.enrol(moved, programme.cohort_id, D(2027, 1, 1), D(2027, 1, 12), withdrawn=True)
    build.enrol(moved, later, D(2027, 2, 1))
    found = load_anchors(db, org_id=people.org.id or 0, child_ids=[left, moved])
    assert found[left] == Anchors(FIRST, FIRST + dt.timedelta(weeks=1), LAST, programme.cohort_id)
    # the first session (and its cohort) is the first enrolment's; the last, the new cohort's
    assert found[moved] == Anchors(
        FIRST, FIRST + dt.timedelta(weeks=1), D(2027, 2, 16), programme.cohort_id
    )


def test_no_sessions_no_windows(db: Session, programme: Programme, people: People) -> None:
    alone = programme.build.child("Alone")
    assert windows_of(db, org=people.org, child_ids=[alone]) == {}
    assert load_anchors(db, org_id=people.org.id or 0, child_ids=[]) == {}


def test_one_session_so_far_the_baseline_closes_on_it(
    db: Session, programme: Programme, people: People
) -> None:
    build = programme.build
    cohort = build.cohort(D(2027, 6, 7))
    build.session(cohort, 1, D(2027, 6, 7))
    child = build.child("Once")
    build.enrol(child, cohort, D(2027, 6, 1))
    found = windows_of(db, org=people.org, child_ids=[child])[child]
    assert found[Timepoint.baseline].closes == D(2027, 6, 7)


def test_the_windows_are_one_query(
    db: Session, programme: Programme, people: People, count_queries: Any
) -> None:
    build = programme.build
    extra = []
    for n in range(5):
        child = build.child(f"Extra{n}")
        build.enrol(child, programme.cohort_id, D(2027, 1, 1))
        extra.append(child)
    db.commit()
    with count_queries() as counted:
        found = windows_of(db, org=people.org, child_ids=[programme.child_id, *extra])
    assert len(found) == 6
    assert counted.count == 1


def _post(api: TestClient, child_id: int, timepoint: str, day: dt.date) -> Any:
    return api.post(
        f"/api/v1/children/{child_id}/assessments",
        json={
            "measure": "kids_scores",
            "informant": "carer",
            "timepoint": timepoint,
            "completed_on": day.isoformat(),
            "scores": {"worry": 3, "mood": 4},
        },
    )


@pytest.mark.parametrize(
    ("timepoint", "inside", "outside"),
    [
        ("baseline", D(2026, 11, 23), D(2026, 11, 22)),
        ("baseline", D(2027, 1, 11), D(2027, 1, 12)),
        ("end", D(2027, 3, 8), D(2027, 3, 7)),
        ("end", D(2027, 4, 19), D(2027, 4, 20)),
        ("follow_up_6m", D(2027, 7, 28), D(2027, 7, 27)),
        ("follow_up_6m", D(2027, 10, 20), D(2027, 10, 21)),
        ("follow_up_12m", D(2028, 1, 26), D(2028, 1, 25)),
        ("follow_up_12m", D(2028, 4, 19), D(2028, 4, 20)),
    ],
)
def test_each_edge_through_the_api(
    signed: Signed,
    people: People,
    programme: Programme,
    clock: Clock,
    timepoint: str,
    inside: dt.date,
    outside: dt.date,
) -> None:
    # The clock on the later of the two days: neither is in the future.
    clock.move_to(max(inside, outside))
    lead_api = signed.api(people.lead)  # signed in then: a token lasts days, not months
    refused = _post(lead_api, programme.child_id, timepoint, outside)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["loc"] == ["body", "completed_on"]
    assert "outside" in refused.json()["errors"][0]["msg"]
    assert _post(lead_api, programme.child_id, timepoint, inside).status_code == 201


def test_the_organisations_widths_through_patch(
    signed: Signed, people: People, programme: Programme, clock: Clock
) -> None:
    clock.move_to(D(2027, 4, 30))
    admin_api, lead_api = signed.api(people.admin), signed.api(people.lead)
    assert _post(lead_api, programme.child_id, "end", D(2027, 4, 26)).status_code == 422
    changed = admin_api.patch("/api/v1/organisation", json={"outcome_end_weeks": 8})
    assert changed.status_code == 200
    assert changed.json()["outcome_end_weeks"] == 8
    assert _post(lead_api, programme.child_id, "end", D(2027, 4, 26)).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"outcome_end_weeks": 0},
        {"outcome_baseline_weeks": 27},
        {"outcome_follow_up_weeks": 14},
        {"outcome_follow_up_weeks": "6"},
    ],
)
def test_bad_widths_are_refused(admin_api: TestClient, body: dict[str, Any]) -> None:
    assert admin_api.patch("/api/v1/organisation", json=body).status_code == 422


def _settings(client: PageClient, **outcomes: str) -> dict[str, str]:
    return {
        "csrf_token": client.csrf_token,
        "holiday_region": "england",
        "dosage_threshold": "0.75",
        "dbs_renewal_years": "3",
        "mentoring_hours_min": "2",
        "mentoring_hours_max": "4",
        "session_checklist": "",
        **outcomes,
    }


def test_the_outcomes_fieldset_on_the_settings_page(
    db: Session, signed: Signed, people: People
) -> None:
    admin = signed.pages(people.admin)
    page = admin.get("/admin/organisation")
    assert '<h2 class="govuk-fieldset__heading">Outcomes</h2>' in page.text
    assert 'id="outcome_end_weeks" name="outcome_end_weeks" type="text" value="6"' in page.text
    bad = admin.post(
        "/admin/organisation",
        data=_settings(admin, outcome_end_weeks="0", outcome_baseline_weeks="x"),
    )
    assert bad.status_code == 422
    assert "Enter whole weeks from 1 to 26 after the last session" in bad.text
    assert "Enter whole weeks from 0 to 26 before the first session" in bad.text
    saved = admin.post(
        "/admin/organisation",
        data=_settings(
            admin, outcome_baseline_weeks="0", outcome_end_weeks="8", outcome_follow_up_weeks="2"
        ),
    )
    assert saved.status_code == 303
    org = db.get(Organisation, people.org.id)
    assert org is not None
    db.refresh(org)
    assert (org.outcome_baseline_weeks, org.outcome_end_weeks, org.outcome_follow_up_weeks) == (
        0,
        8,
        2,
    )
    # A form without the fieldset (an older page) leaves the widths as they are.
    assert admin.post("/admin/organisation", data=_settings(admin)).status_code == 303
    db.refresh(org)
    assert org.outcome_end_weeks == 8


def test_a_measure_suits_a_child_of_its_ages_on_any_day_of_the_window() -> None:
    window = Window(Timepoint.baseline, D(2027, 1, 4), D(2027, 2, 15))
    nine_to_seventeen = (9, 17)
    # Turns 9 on the window's last day: they may take it then.
    assert suits_age(nine_to_seventeen, D(2018, 2, 15), window)
    # Turns 9 the day after it closes: not for them.
    assert not suits_age(nine_to_seventeen, D(2018, 2, 16), window)
    # Turns 18 on the day it opens: too old on every day of it.
    assert not suits_age(nine_to_seventeen, D(2009, 1, 4), window)
    # Turns 18 the day after it opens: still 17 on its first day.
    assert suits_age(nine_to_seventeen, D(2009, 1, 5), window)
    # No ages on the measure, or no birth date (an anonymised record): it suits.
    assert suits_age(None, D(2024, 1, 1), window)
    assert suits_age(nine_to_seventeen, None, window)


def test_an_anonymised_record_keeps_its_age_at_the_first_session_for_the_measures() -> None:
    first = D(2027, 3, 1)
    assert estimated_birth(D(2016, 5, 5), first, 10) == D(2016, 5, 5)  # known: kept
    assert estimated_birth(None, first, None) is None
    born = estimated_birth(None, first, 10)
    assert born == D(2017, 3, 1)
    assert age_on(born, first) == 10
    assert estimated_birth(None, D(2028, 2, 29), 9) == D(2019, 2, 28)
