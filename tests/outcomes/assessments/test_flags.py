"""Outcome assessments as fidelity flags (issue 17, point 2): `assessment_due` while a window
is open, linking to the form filled in for that child, measure and timepoint; and
`assessment_missed` once it has closed with nothing recorded, linking to the child's outcome
measures and acknowledgeable by a lead. In scope for each role, in a fixed number of queries,
and the same as the lead's home lists.

The programme (tests/outcomes/conftest.py): Ada's first sessions are on 4 and 11 January
2027, the cohort's last on 8 March 2027, so her baseline window runs from 23 November 2026
to 11 January 2027 and her end window from 8 March to 19 April 2027. Two measures:
kids_scores (every timepoint) and feel_good (baseline and end)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.fidelity import flags, service
from app.outcomes.assessments.due import assessment_flags
from tests.outcomes.conftest import Programme
from tests.support.clock import Clock
from tests.support.pages import post
from tests.support.people import PageClient, People, Signed

D = dt.date
ACK = "/api/v1/flags/acknowledgements"
ASSESSMENT_KINDS = ("assessment_due", "assessment_missed")


def assessment_flags_of(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, href) of the assessment flags in a fidelity report's JSON, in order."""
    return [(f["kind"], f["href"]) for f in body["flags"] if f["kind"] in ASSESSMENT_KINDS]


def fidelity(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/fidelity", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def form(child: int, measure: str, timepoint: str) -> str:
    return f"/children/{child}/assessments/new?measure={measure}&timepoint={timepoint}"


def plan(child: int, measure: str, timepoint: str) -> str:
    return f"/children/{child}?measure={measure}&timepoint={timepoint}#outcomes"


# Raised at the window's edges ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (D(2026, 11, 22), []),  # the day before the baseline window opens
        (D(2026, 11, 23), ["due", "due"]),  # the day it opens
        (D(2027, 1, 11), ["due", "due"]),  # the day it closes: still open
        (D(2027, 1, 12), ["missed", "missed"]),  # the day after: missed
    ],
)
def test_baseline_flags_at_the_window_edges(
    clock: Clock,
    lead_api: TestClient,
    programme: Programme,
    today: dt.date,
    expected: list[str],
) -> None:
    clock.move_to(today)
    found = assessment_flags_of(fidelity(lead_api))
    child = programme.child_id
    link = form if "due" in expected else plan
    assert sorted(found) == sorted(
        (f"assessment_{kind}", link(child, measure, "baseline"))
        for kind, measure in zip(expected, ["feel_good", "kids_scores"], strict=False)
    )


def test_end_window_edges_and_the_messages(
    clock: Clock, lead_api: TestClient, programme: Programme
) -> None:
    child = programme.child_id
    clock.move_to(D(2027, 3, 7))  # the day before the end window opens
    assert {k for k, _ in assessment_flags_of(fidelity(lead_api))} == {"assessment_missed"}
    clock.move_to(D(2027, 3, 8))
    body = fidelity(lead_api)
    due = [f for f in body["flags"] if f["kind"] == "assessment_due"]
    assert sorted(f["href"] for f in due) == [
        form(child, "feel_good", "end"),
        form(child, "kids_scores", "end"),
    ]
    reference = next(c["reference"] for c in body["children"] if c["child_id"] == child)
    assert f"{reference}: Kids scores, end of programme, is due by 19 April 2027" in [
        f["message"] for f in due
    ]
    assert all(f["child_id"] == child and f["cohort_id"] == programme.cohort_id for f in due)
    assert not any(f.get("acknowledgeable") for f in due)
    missed = [f for f in body["flags"] if f["kind"] == "assessment_missed"]
    assert all(f["acknowledgeable"] is True for f in missed)
    assert (
        f"{reference}: Feel good, baseline, was not taken: its window closed on 11 January 2027"
        in [f["message"] for f in missed]
    )
    # The end window's last day, then the day after (as_of: a later clock would outlive the
    # test's sign-in).
    last = fidelity(lead_api, as_of="2027-04-19")
    assert {k for k, _ in assessment_flags_of(last)} == set(ASSESSMENT_KINDS)
    after = fidelity(lead_api, as_of="2027-04-20")
    assert [k for k, _ in assessment_flags_of(after)] == ["assessment_missed"] * 4


def test_an_assessment_recorded_takes_the_flag_off(
    clock: Clock, lead_api: TestClient, programme: Programme
) -> None:
    child = programme.child_id
    lead_api.post(
        f"/api/v1/children/{child}/assessments",
        json={
            "measure": "kids_scores",
            "informant": "self",
            "timepoint": "end",
            "completed_on": "2027-03-09",
            "scores": {"worry": 1, "mood": 2},
        },
    ).raise_for_status()
    hrefs = [h for _, h in assessment_flags_of(fidelity(lead_api))]
    assert form(child, "kids_scores", "end") not in hrefs
    assert form(child, "feel_good", "end") in hrefs
    # As of a day before it was completed, it was still due.
    before = [h for _, h in assessment_flags_of(fidelity(lead_api, as_of="2027-03-08"))]
    assert form(child, "kids_scores", "end") in before


def test_withdrawn_before_the_first_session_no_flags_left_early_still_assessed_at_the_end(
    clock: Clock, lead_api: TestClient, programme: Programme
) -> None:
    build = programme.build
    never = build.child("Never")
    build.enrol(never, programme.cohort_id, D(2027, 1, 1), D(2027, 1, 2), withdrawn=True)
    left = build.child("Left")
    build.enrol(left, programme.cohort_id, D(2027, 1, 1), D(2027, 2, 1), withdrawn=True)
    build.db.commit()
    clock.move_to(D(2027, 3, 10))
    hrefs = [h for _, h in assessment_flags_of(fidelity(lead_api))]
    assert not any(f"/children/{never}" in h for h in hrefs)
    assert form(left, "kids_scores", "end") in hrefs
    assert plan(left, "kids_scores", "baseline") in hrefs


# Links ---------------------------------------------------------------------------------------


def test_the_due_flag_opens_the_form_filled_in_and_the_missed_one_the_childs_plan(
    lead_api: TestClient, lead_pages: PageClient, programme: Programme
) -> None:
    body = fidelity(lead_api)  # 10 March 2027: baselines missed, ends due
    hrefs = {h: k for k, h in assessment_flags_of(body)}
    child = programme.child_id
    due = form(child, "kids_scores", "end")
    assert hrefs[due] == "assessment_due"
    page = lead_pages.get(due)
    assert page.status_code == 200
    assert '<option value="end" selected>' in page.text
    assert 'name="score-worry"' in page.text  # the Kids scores form, not the chooser
    missed = plan(child, "kids_scores", "baseline")
    assert hrefs[missed] == "assessment_missed"
    page = lead_pages.get(missed.split("#")[0])
    assert page.status_code == 200
    assert 'id="outcomes"' in page.text
    assert "Overdue" in page.text
    assert flags.assessment_in(missed) == ("kids_scores", "baseline")
    assert flags.assessment_in(due) == ("kids_scores", "end")
    assert flags.assessment_in(f"/sessions/{programme.session_ids[0]}") is None


def test_the_dashboard_lists_them_with_working_links(
    lead_pages: PageClient, programme: Programme
) -> None:
    page = lead_pages.get("/fidelity")
    assert page.status_code == 200
    assert "Outcome assessments due" in page.text
    assert "Outcome assessments missed (window closed)" in page.text
    links = {
        unescape(h)
        for h in re.findall(r'href="([^"]+)"', page.text)
        if f"/children/{programme.child_id}" in h
    }
    assert form(programme.child_id, "feel_good", "end") in links
    assert plan(programme.child_id, "feel_good", "baseline") in links
    for href in links:
        assert lead_pages.get(href.split("#")[0]).status_code == 200, href
    # Each missed one has its acknowledgement form; a due one has none.
    assert f'id="note-assessment_missed-{programme.child_id}-feel_good-baseline"' in page.text
    assert "note-assessment_due" not in page.text


# Acknowledging a missed one ------------------------------------------------------------------


def test_a_lead_acknowledges_a_missed_assessment_and_not_a_due_one(
    signed: Signed, lead_api: TestClient, programme: Programme, people: People
) -> None:
    child = programme.child_id
    body = {"kind": "assessment_missed", "child_id": child, "note": "Carer declined"}
    missing = lead_api.post(ACK, json=body)
    assert missing.status_code == 422
    assert {tuple(e["loc"]) for e in missing.json()["errors"]} == {
        ("body", "measure"),
        ("body", "timepoint"),
    }
    for measure, timepoint in [("kids_scores", "end"), ("nope", "baseline")]:  # due; none
        wrong = lead_api.post(ACK, json={**body, "measure": measure, "timepoint": timepoint})
        assert wrong.status_code == 404, (measure, timepoint)
    due = lead_api.post(
        ACK, json={**body, "kind": "assessment_due", "measure": "kids_scores", "timepoint": "end"}
    )
    assert due.status_code == 422
    assert "current" in due.json()["detail"]
    done = lead_api.post(ACK, json={**body, "measure": "kids_scores", "timepoint": "baseline"})
    assert done.status_code == 201, done.text
    out = done.json()
    assert out["kind"] == "assessment_missed"
    assert out["cohort_id"] == programme.cohort_id
    assert "Kids scores, baseline, was not taken" in out["message"]
    again = lead_api.post(ACK, json={**body, "measure": "kids_scores", "timepoint": "baseline"})
    assert again.status_code == 409
    after = fidelity(lead_api)
    hrefs = [h for _, h in assessment_flags_of(after)]
    assert plan(child, "kids_scores", "baseline") not in hrefs
    assert plan(child, "feel_good", "baseline") in hrefs  # the other measure's stays
    (acknowledged,) = after["acknowledged"]
    assert acknowledged["href"] == plan(child, "kids_scores", "baseline")
    assert acknowledged["note"] == "Carer declined"
    # Another organisation's lead finds no such flag.
    other = signed.api(people.other_lead).post(
        ACK, json={**body, "measure": "feel_good", "timepoint": "baseline"}
    )
    assert other.status_code == 404


def test_acknowledged_from_the_dashboard_form(lead_pages: PageClient, programme: Programme) -> None:
    child = programme.child_id
    saved = post(
        lead_pages,
        "/fidelity/flags/acknowledge",
        {
            "kind": "assessment_missed",
            "child_id": str(child),
            "measure": "feel_good",
            "timepoint": "baseline",
            "note": "Child moved out of area",
        },
    )
    assert saved.status_code == 303, saved.text
    page = lead_pages.get("/fidelity")
    assert f'id="note-assessment_missed-{child}-feel_good-baseline"' not in page.text
    assert "Child moved out of area" in page.text  # under Acknowledged
    blank = post(
        lead_pages,
        "/fidelity/flags/acknowledge",
        {
            "kind": "assessment_missed",
            "child_id": str(child),
            "measure": "kids_scores",
            "timepoint": "baseline",
            "note": "",
        },
    )
    assert blank.status_code == 422
    box = f"note-assessment_missed-{child}-kids_scores-baseline"
    assert f'href="#{box}"' in blank.text  # the error summary links to that flag's note


def test_a_long_measure_key_still_fits_the_subject() -> None:
    key = "m" * 64
    one = flags.subject_for(
        "assessment_missed", {"child_id": 2**31 - 1, "measure": key, "timepoint": "follow_up_12m"}
    )
    other = flags.subject_for(
        "assessment_missed",
        {"child_id": 2**31 - 1, "measure": key[:-1] + "n", "timepoint": "follow_up_12m"},
    )
    assert one is not None
    assert other is not None
    assert len(one) <= flags.SUBJECT_MAX
    assert len(other) <= flags.SUBJECT_MAX
    assert one != other
    ids = {"child_id": 7, "measure": "sdq", "timepoint": "end"}
    assert flags.subject_for("assessment_missed", ids) == "child=7,measure=sdq,timepoint=end"
    assert flags.subject_for("session_not_recorded", {"session_id": 12}) == "session=12"


# Scope ---------------------------------------------------------------------------------------


def test_each_role_sees_its_own(
    signed: Signed, people: People, lead_api: TestClient, programme: Programme
) -> None:
    lead = [k for k, _ in assessment_flags_of(fidelity(lead_api))]
    assert sorted(lead) == ["assessment_due"] * 2 + ["assessment_missed"] * 2
    # A lead's view of one cohort: its children; of another cohort, none of them.
    assert len(assessment_flags_of(fidelity(lead_api, cohort_id=programme.cohort_id))) == 4
    other = programme.build.cohort(D(2027, 1, 5))
    programme.build.db.commit()
    assert assessment_flags_of(fidelity(lead_api, cohort_id=other)) == []
    # The cohort's facilitator: the due ones (they may enter them), not the missed ones.
    theirs = assessment_flags_of(fidelity(signed.api(people.facilitator)))
    assert sorted(k for k, _ in theirs) == ["assessment_due"] * 2
    for _, href in theirs:
        assert signed.pages(people.facilitator).get(href).status_code == 200
    stranger = people.add(people.facilitator.role, email="fac2@org-a.example.org")
    assert assessment_flags_of(fidelity(signed.api(stranger))) == []
    # A mentor sees no flags; another organisation's lead, none of these.
    assert signed.api(people.mentor).get("/api/v1/fidelity").status_code == 403
    assert assessment_flags_of(fidelity(signed.api(people.other_lead))) == []


# The same as the lead's home -----------------------------------------------------------------


def home_counts(page: str) -> tuple[int, int]:
    found = re.search(r"(\d+) assessments? to take(?:, (\d+) overdue)?", page)
    assert found, page
    return int(found.group(1)), int(found.group(2) or 0)


def test_the_home_panel_and_the_flags_agree(
    lead_api: TestClient, lead_pages: PageClient, programme: Programme
) -> None:
    def flag_counts() -> tuple[int, int]:
        kinds = [k for k, _ in assessment_flags_of(fidelity(lead_api))]
        return len(kinds), kinds.count("assessment_missed")

    assert home_counts(lead_pages.get("/").text) == flag_counts() == (4, 2)
    page = lead_pages.get("/").text
    # The overdue ones link to the child's plan, as the flags do; the due ones to the form.
    assert unescape(plan(programme.child_id, "kids_scores", "baseline")) in unescape(page)
    assert unescape(form(programme.child_id, "kids_scores", "end")) in unescape(page)
    lead_api.post(
        ACK,
        json={
            "kind": "assessment_missed",
            "child_id": programme.child_id,
            "measure": "kids_scores",
            "timepoint": "baseline",
            "note": "Carer declined",
        },
    ).raise_for_status()
    assert home_counts(lead_pages.get("/").text) == flag_counts() == (3, 1)


# Queries -------------------------------------------------------------------------------------


def test_a_fixed_number_of_queries(
    db: Session, people: People, programme: Programme, count_queries: Any
) -> None:
    def counted() -> tuple[int, int]:
        db.expire_all()
        scope = service.scope_for(db, actor=people.lead, as_of=D(2027, 3, 10))
        with count_queries() as c:
            raised = assessment_flags(db, scope)
        return int(c.count), len(raised)

    one, few = counted()
    for n in range(8):
        child = programme.build.child(f"More{n}")
        programme.build.enrol(child, programme.cohort_id, D(2027, 1, 1))
    db.commit()
    many, lots = counted()
    assert (few, lots) == (4, 36)
    assert many == one <= 4, one


def test_the_worker_process_has_the_rule() -> None:
    """`tandem worker` imports no router: the weekly digest counts the flags all the same."""
    code = (
        "import app.notify.worker\n"
        "from app.fidelity import flags\n"
        "assert flags.ASSESSMENT_FLAGS().__module__ == 'app.outcomes.assessments.due'\n"
        "import sys; assert 'app.main' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
