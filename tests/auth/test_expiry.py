"""A form posted after the session ended: back to the page after sign-in, with what was
typed kept (minus the CSRF token and passwords) and a message; nothing saved until saved."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session

from app import errors
from app.auth.deps import SESSION_COOKIE
from app.cohorts.models import GroupSession, SessionStatus
from app.web import KEPT_COOKIE, KEPT_MESSAGE
from tests.support.auth import hidden_csrf
from tests.support.clock import Clock
from tests.support.mentoring import Programme
from tests.support.people import PASSWORD, PageClient, People, Signed
from tests.support.sessions import page_form

HERE = "http://testserver"
KEPT_NOTE = "Ben & Amira led the warm-up <b>brilliantly</b>"


def this_weeks_session(programme: Programme, api: TestClient, today: dt.date) -> dict[str, Any]:
    monday = (today - dt.timedelta(days=today.weekday())).isoformat()
    found = next(s for s in programme.sessions(api) if s["date"] == monday)
    session: dict[str, Any] = api.get(f"/api/v1/sessions/{found['id']}").json()
    return session


def kept_cookies(response: Response) -> list[str]:
    return [h for h in response.headers.get_list("set-cookie") if h.startswith(KEPT_COOKIE)]


def sign_in_again(pages: TestClient, email: str, next_page: str) -> Response:
    login = pages.get(f"/login?next={quote(next_page, safe='')}")
    assert login.status_code == 200
    form = {
        "email": email,
        "password": PASSWORD,
        "csrf_token": hidden_csrf(login.text),
        "next": next_page,
    }
    return pages.post("/login", data=form)


def status_of(db: Session, session_id: int) -> SessionStatus:
    db.expire_all()
    stored = db.get(GroupSession, session_id)
    assert stored is not None
    return stored.status


def deleted(response: Response) -> bool:
    """The response clears the kept entries."""
    return any("Max-Age=0" in h for h in kept_cookies(response))


def checked(html: str, name: str, value: str) -> bool:
    pattern = rf'<input[^>]*name="{re.escape(name)}"[^>]*value="{re.escape(value)}"[^>]*>'
    return any(" checked" in tag for tag in re.findall(pattern, html))


@pytest.mark.clock("2027-03-10T10:00")
def test_a_register_posted_after_the_session_ended_comes_back_after_sign_in(
    signed: Signed,
    people: People,
    lead_api: TestClient,
    programme: Programme,
    clock: Clock,
    db: Session,
) -> None:
    pages = signed.pages(people.facilitator)
    session = this_weeks_session(programme, lead_api, clock.today)
    page_url = f"/sessions/{session['id']}"
    assert pages.get(page_url).status_code == 200
    first, second = (c["child_id"] for c in session["roster"][:2])
    form = page_form(
        session,
        people.facilitator.id,
        **{f"attendance-{second}": "absent", "notes": KEPT_NOTE},
    )

    clock.shift(dt.timedelta(minutes=61))  # idle for longer than the session lasts
    posted = pages.post(
        f"{page_url}/record",
        data={**form, "csrf_token": pages.csrf_token},
        headers={"Origin": HERE, "Referer": f"{HERE}{page_url}"},
    )
    assert posted.status_code == 303
    # Back to the page after sign-in: never the address that only takes the form.
    assert posted.headers["location"] == f"/login?next={quote(page_url, safe='')}"
    assert kept_cookies(posted)

    login = pages.get(posted.headers["location"])
    assert "We kept what you entered" in login.text

    signed_in = sign_in_again(pages, people.facilitator.email, page_url)
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == page_url
    assert SESSION_COOKIE in signed_in.headers.get("set-cookie", "")

    assert status_of(db, session["id"]) == SessionStatus.scheduled  # nothing was saved

    page = pages.get(page_url)
    assert page.status_code == 200
    assert KEPT_MESSAGE in page.text
    assert checked(page.text, f"attendance-{first}", "present")
    assert checked(page.text, f"attendance-{second}", "absent")
    assert "Ben &amp; Amira led the warm-up &lt;b&gt;brilliantly&lt;/b&gt;" in page.text
    assert deleted(page)
    # Offered once: the next visit shows what is stored.
    again = pages.get(page_url)
    assert KEPT_MESSAGE not in again.text
    assert "led the warm-up" not in again.text

    # Saving from the restored page works with the new session's token.
    new_csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert new_csrf is not None
    saved = pages.post(f"{page_url}/record", data={**form, "csrf_token": new_csrf.group(1)})
    assert saved.status_code == 303
    assert status_of(db, session["id"]) == SessionStatus.delivered


def test_passwords_and_the_csrf_token_are_never_kept(
    signed: Signed, people: People, clock: Clock
) -> None:
    pages = signed.pages(people.lead)
    clock.shift(dt.timedelta(minutes=61))
    posted = pages.post(
        "/account/password",
        data={
            "csrf_token": pages.csrf_token,
            "current_password": "secret-now",
            "new_password": "secret-next-one",
        },
        headers={"Origin": HERE, "Referer": f"{HERE}/account/password"},
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == "/login?next=%2Faccount%2Fpassword"
    assert kept_cookies(posted) == []  # nothing left once they go


def test_too_much_to_keep_leaves_nothing(signed: Signed, people: People, clock: Clock) -> None:
    pages = signed.pages(people.lead)
    clock.shift(dt.timedelta(minutes=61))
    posted = pages.post(
        "/children",
        data={"csrf_token": "x", "notes": secrets.token_urlsafe(12_000)},
        headers={"Origin": HERE, "Referer": f"{HERE}/children/new"},
    )
    assert posted.headers["location"] == "/login?next=%2Fchildren%2Fnew"
    assert kept_cookies(posted) == []


def test_a_form_from_another_site_leaves_nothing(
    signed: Signed, people: People, clock: Clock, cohort: dict[str, Any]
) -> None:
    pages = signed.pages(people.lead)
    clock.shift(dt.timedelta(minutes=61))
    posted = pages.post(
        "/children",
        data={"csrf_token": "x", "reference": "EVIL-1", "first_name": "Mallory"},
        headers={"Origin": "https://elsewhere.example", "Referer": "https://elsewhere.example/"},
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == "/login?next=%2Fchildren"
    assert kept_cookies(posted) == []


def test_without_a_referer_the_page_is_the_nearest_that_answers_get(
    signed: Signed, people: People, clock: Clock, cohort: dict[str, Any]
) -> None:
    pages = signed.pages(people.lead)
    session_id = cohort["sessions"][0]["id"]
    clock.shift(dt.timedelta(minutes=61))
    posted = pages.post(
        f"/sessions/{session_id}/record",
        data={"csrf_token": "x", "notes": "kept"},
        headers={"Origin": HERE},
    )
    assert posted.headers["location"] == f"/login?next=%2Fsessions%2F{session_id}"
    assert kept_cookies(posted)


def test_a_referer_that_a_browser_would_read_as_another_site_is_not_the_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Referer of this host whose path starts "//" names another site to a browser (a
    protocol-relative address): never the way back, even were a route to answer it."""
    monkeypatch.setattr(errors, "_answers_get", lambda request, path: True)
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/children",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"referer", b"http://testserver//elsewhere.example/children/new"),
        ],
        "scheme": "http",
        "server": ("testserver", 80),
    }
    assert errors._page_of_form(Request(scope)) == "/children"
    ours = {**scope, "headers": [(b"host", b"testserver"), (b"referer", b"http://testserver/x")]}
    assert errors._page_of_form(Request(ours)) == "/x"


def test_entries_kept_for_one_page_are_dropped_by_a_sign_in_to_another(
    signed: Signed, people: People, clock: Clock, client: TestClient
) -> None:
    pages = signed.pages(people.lead)
    clock.shift(dt.timedelta(minutes=61))
    posted = pages.post(
        "/children",
        data={"csrf_token": "x", "reference": "LA-9", "first_name": "Robin"},
        headers={"Origin": HERE, "Referer": f"{HERE}/children/new"},
    )
    assert posted.headers["location"] == "/login?next=%2Fchildren%2Fnew"
    # Someone else signs in on this browser, to their own home page.
    done = sign_in_again(pages, people.admin.email, "/")
    assert done.headers["location"] == "/"
    assert deleted(done)
    assert "Robin" not in pages.get("/children/new").text


def test_entries_kept_for_one_person_are_dropped_by_anothers_sign_in_to_that_page(
    signed: Signed, people: People, clock: Clock
) -> None:
    """A shared tablet: the lead's session ends with a child's details typed in; the admin
    signs in on the same browser, straight to the same page, and sees none of it."""
    pages = signed.pages(people.lead)
    clock.shift(dt.timedelta(minutes=61))
    posted = pages.post(
        "/children",
        data={"csrf_token": "x", "reference": "LA-7", "first_name": "Robin"},
        headers={"Origin": HERE, "Referer": f"{HERE}/children/new"},
    )
    assert kept_cookies(posted)
    done = sign_in_again(pages, people.admin.email, "/children/new")
    assert done.headers["location"] == "/children/new"
    assert deleted(done)
    page = pages.get("/children/new")
    assert "Robin" not in page.text
    assert KEPT_MESSAGE not in page.text


def test_without_the_ended_sign_in_nothing_kept_is_offered(
    signed: Signed, people: People, clock: Clock
) -> None:
    """No session cookie left to say whose the entries were: they are not given out."""
    pages = signed.pages(people.lead)
    clock.shift(dt.timedelta(minutes=61))
    pages.post(
        "/children",
        data={"csrf_token": "x", "reference": "LA-6", "first_name": "Robin"},
        headers={"Origin": HERE, "Referer": f"{HERE}/children/new"},
    )
    pages.cookies.delete(SESSION_COOKIE)
    done = sign_in_again(pages, people.lead.email, "/children/new")
    assert deleted(done)
    assert "Robin" not in pages.get("/children/new").text


def test_the_restored_form_is_the_children_form_with_what_was_typed(
    signed: Signed, people: People, clock: Clock
) -> None:
    pages = signed.pages(people.lead)
    clock.shift(dt.timedelta(minutes=61))
    pages.post(
        "/children",
        data={
            "csrf_token": "x",
            "reference": "LA-9",
            "first_name": "Robin",
            "date_of_birth-day": "1",
            "date_of_birth-month": "3",
            "date_of_birth-year": "2016",
        },
        headers={"Origin": HERE, "Referer": f"{HERE}/children/new"},
    )
    assert sign_in_again(pages, people.lead.email, "/children/new").status_code == 303
    page = pages.get("/children/new")
    assert KEPT_MESSAGE in page.text
    assert 'value="Robin"' in page.text
    assert 'value="LA-9"' in page.text
    assert 'value="2016"' in page.text


def test_a_get_on_an_address_that_only_takes_a_form_goes_to_its_page(
    lead_pages: PageClient, cohort: dict[str, Any]
) -> None:
    session_id = cohort["sessions"][0]["id"]
    response = lead_pages.get(f"/sessions/{session_id}/record")
    assert response.status_code == 303
    assert response.headers["location"] == f"/sessions/{session_id}"
    assert lead_pages.get("/logout").headers["location"] == "/"
    # The API still says 405, with the methods it takes.
    api = lead_pages.get("/api/v1/sessions/1/record", headers={"Accept": "application/json"})
    assert api.status_code == 405


def test_a_form_from_an_earlier_session_goes_back_to_its_page_with_its_entries(
    signed: Signed, people: People, db: Session
) -> None:
    # Signed in again (in another tab, say): the page's form still carries the token of the
    # session that ended.
    ended = signed.pages(people.lead).csrf_token
    pages = signed.pages(people.lead)
    posted = pages.post(
        "/children",
        data={"csrf_token": ended, "first_name": "Robin"},
        headers={"Origin": HERE, "Referer": f"{HERE}/children/new"},
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == "/children/new"
    page = pages.get("/children/new")
    assert KEPT_MESSAGE in page.text
    assert 'value="Robin"' in page.text
    assert deleted(page)
    assert "Robin" not in pages.get("/children/new").text
    # Nothing saved; and without a page of this site behind it, still the plain refusal.
    refused = pages.post("/children", data={"csrf_token": "forged", "first_name": "Mallory"})
    assert refused.status_code == 403
    assert kept_cookies(refused) == []


def test_a_form_from_someone_elses_earlier_session_keeps_nothing(
    signed: Signed, people: People
) -> None:
    """A shared tablet: the admin's page is still open in one tab, the lead has signed in
    in another; the admin's form, sent now, is refused and leaves nothing for the lead."""
    admins = signed.pages(people.admin).csrf_token
    pages = signed.pages(people.lead)
    posted = pages.post(
        "/children",
        data={"csrf_token": admins, "first_name": "Robin"},
        headers={"Origin": HERE, "Referer": f"{HERE}/children/new"},
    )
    assert posted.status_code == 403
    assert kept_cookies(posted) == []
    assert "Robin" not in pages.get("/children/new").text
