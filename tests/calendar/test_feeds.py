"""Calendar feeds: secret, rotatable, Europe/London times, stable UIDs, cancellations."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from icalendar import Calendar

from tests.support.people import People, Signed


def _feed(client: TestClient, url: str) -> Calendar:
    path = url.split("testserver", 1)[1]
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def test_facilitator_feed_has_their_sessions_in_uk_time(
    signed: Signed, people: People, cohort: dict[str, Any], lead_api: TestClient
) -> None:
    facilitator = signed.api(people.facilitator)
    url = facilitator.get("/api/v1/me/calendar").json()["url"]
    assert facilitator.get("/api/v1/me/calendar").json()["url"] is None  # shown once only
    week1 = cohort["sessions"][0]
    lead_api.post(f"/api/v1/sessions/{week1['id']}/cancel", json={"version": 1, "reason": "Snow"})
    events = {str(e["uid"]): e for e in _feed(facilitator, url).walk("VEVENT")}
    assert len(events) == 31  # 30 lessons and the cancelled occurrence
    first = events[f"group-session-{week1['id']}@tandem"]
    assert str(first["status"]) == "CANCELLED"
    # 16:00 in London: BST (UTC+1) in September, GMT in December, BST again after 28 March.
    starts = sorted(
        e.decoded("dtstart") for e in events.values() if str(e["status"]) == "CONFIRMED"
    )
    assert starts[0].isoformat() == "2026-09-14T16:00:00+01:00"
    assert any(s.isoformat() == "2026-11-02T16:00:00+00:00" for s in starts)
    assert any(s.isoformat() == "2027-04-05T16:00:00+01:00" for s in starts)
    assert all(str(s.tzinfo) == "Europe/London" for s in starts)


def test_feed_is_private_and_rotatable(
    signed: Signed, people: People, cohort: dict[str, Any], client: TestClient
) -> None:
    mentor = signed.api(people.mentor)
    url = mentor.get("/api/v1/me/calendar").json()["url"]
    assert list(_feed(client, url).walk("VEVENT")) == []  # no mentees yet
    new = mentor.post("/api/v1/me/calendar/rotate").json()["url"]
    assert new != url
    assert client.get(url.split("testserver", 1)[1]).status_code == 404
    assert client.get(new.split("testserver", 1)[1]).status_code == 200
    assert client.get("/calendar/not-a-real-token-at-all-xxxxxxxx.ics").status_code == 404
    assert client.get("/api/v1/me/calendar").status_code == 401
