"""Seeing and ending one's signed-in browsers and API tokens through the API (app/auth/
devices.py), an admin signing a person out everywhere, and the MFA changes that end (or
keep) sessions."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth import mfa
from app.auth import service as auth_service
from app.auth.models import ApiToken, User, WebSession
from tests.auth.mfa_support import code_at, turn_on
from tests.support.auth import (
    Setting,
    assert_problem,
    audit_events,
    csrf_header,
    error_fields,
    reload,
    save,
)
from tests.support.clock import Clock
from tests.support.people import PASSWORD, People, Signed

LIST = "/api/v1/me/sessions"
END_OTHERS = "/api/v1/me/sessions/end-others"


def signed_in_browser(db: Session, user: User, method: str = "password") -> WebSession:
    _, session = auth_service.start_session(db, user=user, method=method)
    db.commit()
    return session


def live(db: Session, row: WebSession | ApiToken) -> bool:
    return bool(reload(db, row).revoked_at is None)


def ended_events(db: Session, user: User) -> list[dict[str, Any]]:
    return [e.changes for e in audit_events(db, action="end_sessions", entity_id=user.id)]


# The list ------------------------------------------------------------------------------------


def test_lists_my_browsers_and_tokens_with_the_current_one_marked(
    signed: Signed, people: People, db: Session
) -> None:
    pages = signed.pages(people.mentor)
    sso = signed_in_browser(db, people.mentor, method="sso")
    signed_in_browser(db, people.lead)  # someone else's: never listed
    api = signed.api(people.mentor)
    body = pages.get(LIST).json()
    browsers = [i for i in body if i["kind"] == "browser"]
    tokens = [i for i in body if i["kind"] == "token"]
    assert len(browsers) == 2
    assert len(tokens) == 1
    assert {b["method"] for b in browsers} == {"password", "sso"}
    assert [b["current"] for b in browsers if b["id"] == sso.id] == [False]
    assert sum(b["current"] for b in browsers) == 1
    assert set(browsers[0]) == {
        "id",
        "kind",
        "method",
        "created_at",
        "last_seen_at",
        "expires_at",
        "current",
    }
    assert tokens[0]["last_seen_at"] is None
    assert tokens[0]["current"] is False
    # Asked with the token, the token is the current one.
    by_token = api.get(LIST).json()
    assert [i["current"] for i in by_token if i["kind"] == "token"] == [True]
    assert not any(i["current"] for i in by_token if i["kind"] == "browser")
    text = json.dumps(body)
    stored = db.get(WebSession, sso.id)
    assert stored is not None
    assert stored.token_hash not in text
    assert stored.csrf_token not in text


def test_ended_and_expired_ones_are_not_listed(
    signed: Signed, people: People, db: Session, clock: Clock
) -> None:
    pages = signed.pages(people.mentor)
    ended = signed_in_browser(db, people.mentor)
    save(db, ended, revoked_at=ended.created_at)
    old = signed_in_browser(db, people.mentor)
    save(db, old, last_seen_at=old.last_seen_at - timedelta(hours=2))
    ids = [i["id"] for i in pages.get(LIST).json() if i["kind"] == "browser"]
    assert ended.id not in ids
    assert old.id not in ids
    assert len(ids) == 1


def test_the_list_needs_a_sign_in(anon: TestClient) -> None:
    assert_problem(anon.get(LIST), 401)


# Ending one ----------------------------------------------------------------------------------


def test_ends_one_of_my_browsers(signed: Signed, people: People, db: Session) -> None:
    api = signed.api(people.mentor)
    other = signed.pages(people.mentor)
    # The other browser's session: the list holds the API client's token too, whose id
    # comes from another table's sequence and may be any number.
    browsers = [i["id"] for i in api.get(LIST).json() if i["kind"] == "browser"]
    session = db.get(WebSession, max(browsers))
    assert session is not None
    response = api.delete(f"{LIST}/{session.id}")
    assert response.status_code == 204, response.text
    assert not live(db, session)
    assert other.get("/account/sessions").status_code == 303  # signed out
    assert ended_events(db, people.mentor)[-1] == {
        "sessions": [session.id],
        "tokens": [],
        "reason": "signed out",
    }
    assert_problem(api.delete(f"{LIST}/{session.id}"), 404)  # already ended


def test_cannot_end_anyone_elses(signed: Signed, people: People, db: Session) -> None:
    theirs = signed_in_browser(db, people.lead)
    their_token = signed.api(people.lead)
    mine = signed.api(people.mentor)
    token_id = next(i["id"] for i in their_token.get(LIST).json() if i["kind"] == "token")
    assert_problem(mine.delete(f"{LIST}/{theirs.id}"), 404)
    assert_problem(mine.delete(f"/api/v1/me/tokens/{token_id}"), 404)
    assert_problem(mine.delete(f"{LIST}/999999"), 404)
    assert live(db, theirs)
    assert their_token.get("/api/v1/me").status_code == 200
    assert ended_events(db, people.lead) == []


def test_ends_one_of_my_tokens(signed: Signed, people: People) -> None:
    pages = signed.pages(people.mentor)
    api = signed.api(people.mentor)
    token_id = next(i["id"] for i in pages.get(LIST).json() if i["kind"] == "token")
    response = pages.delete(f"/api/v1/me/tokens/{token_id}", headers=csrf_header(pages))
    assert response.status_code == 204, response.text
    assert_problem(api.get("/api/v1/me"), 401)


def test_bad_ids_are_refused(signed: Signed, people: People) -> None:
    api = signed.api(people.mentor)
    assert api.delete(f"{LIST}/abc").status_code == 404  # no such route: ids are numbers
    assert api.delete(f"{LIST}/-1").status_code in (404, 422)


# Signing out everywhere else -----------------------------------------------------------------


def test_end_others_with_the_password_keeps_this_one(
    signed: Signed, people: People, db: Session
) -> None:
    pages = signed.pages(people.mentor)
    other = signed_in_browser(db, people.mentor)
    api = signed.api(people.mentor)
    response = pages.post(END_OTHERS, json={"password": PASSWORD}, headers=csrf_header(pages))
    assert response.status_code == 204, response.text
    assert not live(db, other)
    assert_problem(api.get("/api/v1/me"), 401)
    assert [i["current"] for i in pages.get(LIST).json()] == [True]
    event = ended_events(db, people.mentor)[-1]
    assert event["sessions"] == [other.id]
    assert len(event["tokens"]) == 1
    assert PASSWORD not in json.dumps(event)


def test_end_others_from_a_token_keeps_the_token(
    signed: Signed, people: People, db: Session
) -> None:
    api = signed.api(people.mentor)
    browser = signed_in_browser(db, people.mentor)
    assert api.post(END_OTHERS, json={"password": PASSWORD}).status_code == 204
    assert not live(db, browser)
    assert api.get("/api/v1/me").status_code == 200


def test_a_wrong_password_ends_nothing_and_counts(
    signed: Signed, people: People, db: Session
) -> None:
    api = signed.api(people.mentor)
    other = signed_in_browser(db, people.mentor)
    body = assert_problem(api.post(END_OTHERS, json={"password": "not it at all"}), 422)
    assert error_fields(body) == {"password": "Your password is wrong"}
    assert live(db, other)
    assert reload(db, people.mentor).failed_logins == 1
    # The right one clears the count.
    assert api.post(END_OTHERS, json={"password": PASSWORD}).status_code == 204
    assert reload(db, people.mentor).failed_logins == 0


def test_too_many_wrong_passwords_lock(
    signed: Signed, people: People, db: Session, setting: Setting
) -> None:
    setting("LOGIN_MAX_FAILURES", "2")
    api = signed.api(people.mentor)
    other = signed_in_browser(db, people.mentor)
    for _ in range(2):
        assert_problem(api.post(END_OTHERS, json={"password": "wrong guess"}), 422)
    response = api.post(END_OTHERS, json={"password": PASSWORD})
    assert_problem(response, 429)
    assert "Retry-After" in response.headers
    assert live(db, other)


def test_no_proof_is_refused(signed: Signed, people: People, db: Session) -> None:
    api = signed.api(people.mentor)
    other = signed_in_browser(db, people.mentor)
    body = assert_problem(api.post(END_OTHERS, json={}), 422)
    assert error_fields(body) == {"password": "Enter your password"}
    # A code does not stand in for a password the person has (MFA off here).
    assert_problem(api.post(END_OTHERS, json={"code": "123456"}), 422)
    assert_problem(api.post(END_OTHERS, json={"password": 5}), 422)
    assert_problem(api.post(END_OTHERS, json={"token": "x"}), 422)
    assert_problem(api.post(END_OTHERS, json={"password": "x" * 1025}), 422)
    assert live(db, other)
    assert reload(db, people.mentor).failed_logins == 0


def test_without_a_password_a_code_is_the_proof(
    signed: Signed, people: People, db: Session, clock: Clock
) -> None:
    secret, codes = turn_on(db, people.mentor)
    save(db, people.mentor, password_hash=None)
    api = signed.api(people.mentor)
    other = signed_in_browser(db, people.mentor, method="sso")
    body = assert_problem(api.post(END_OTHERS, json={}), 422)
    assert "code" in error_fields(body)
    body = assert_problem(api.post(END_OTHERS, json={"code": "000000"}), 422)
    assert error_fields(body) == {"code": mfa.WRONG_CODE}
    assert reload(db, people.mentor).failed_logins == 1
    assert live(db, other)
    assert api.post(END_OTHERS, json={"code": code_at(secret)}).status_code == 204
    assert not live(db, other)
    # A recovery code works too.
    again = signed_in_browser(db, people.mentor, method="sso")
    assert api.post(END_OTHERS, json={"code": codes[0]}).status_code == 204
    assert not live(db, again)


def test_single_sign_on_only_needs_a_recent_sign_in(
    signed: Signed, people: People, db: Session, clock: Clock
) -> None:
    save(db, people.mentor, password_hash=None)
    raw, here = auth_service.start_session(db, user=people.mentor, method="sso")
    db.commit()
    other = signed_in_browser(db, people.mentor, method="sso")
    pages = signed.pages(people.mentor)  # another fresh one, used below
    clock.shift(timedelta(minutes=11))
    body = assert_problem(pages.post(END_OTHERS, json={}, headers=csrf_header(pages)), 422)
    assert "sign in again" in error_fields(body)["password"]
    assert live(db, other)
    # Signed in just now (in this browser): that is the proof.
    fresh = signed.pages(people.mentor)
    assert fresh.post(END_OTHERS, json={}, headers=csrf_header(fresh)).status_code == 204
    assert not live(db, other)
    assert not live(db, here)
    # A token is never a recent sign-in.
    api_user_token = signed.api(people.mentor)
    assert_problem(api_user_token.post(END_OTHERS, json={}), 422)
    assert raw


# An admin signs a person out everywhere ------------------------------------------------------


def test_admin_signs_a_person_out_everywhere(signed: Signed, people: People, db: Session) -> None:
    browser = signed_in_browser(db, people.mentor)
    api = signed.api(people.mentor)
    admin = signed.api(people.admin)
    response = admin.post(f"/api/v1/users/{people.mentor.id}/sign-out")
    assert response.status_code == 204, response.text
    assert not live(db, browser)
    assert_problem(api.get("/api/v1/me"), 401)
    events = audit_events(db, action="end_sessions", entity_id=people.mentor.id)
    assert events[-1].actor_id == people.admin.id
    assert events[-1].changes["sessions"] == [browser.id]
    assert events[-1].changes["reason"] == "signed out by an admin"
    # Nothing left: 204 again, and no new event.
    assert admin.post(f"/api/v1/users/{people.mentor.id}/sign-out").status_code == 204
    assert len(audit_events(db, action="end_sessions", entity_id=people.mentor.id)) == 1


def test_only_an_admin_of_the_organisation_signs_people_out(
    signed: Signed, people: People, db: Session
) -> None:
    browser = signed_in_browser(db, people.mentor)
    url = f"/api/v1/users/{people.mentor.id}/sign-out"
    assert_problem(signed.api(people.lead).post(url), 403)
    assert_problem(signed.api(people.mentor).post(url), 403)
    assert_problem(signed.api(people.other_admin).post(url), 404)
    assert_problem(signed.api(people.admin).post("/api/v1/users/999999/sign-out"), 404)
    assert live(db, browser)


# Changes of a factor ---------------------------------------------------------------------------


def test_an_admins_mfa_reset_ends_every_session(
    signed: Signed, people: People, db: Session
) -> None:
    turn_on(db, people.mentor)
    browser = signed_in_browser(db, people.mentor)
    api = signed.api(people.mentor)
    response = signed.api(people.admin).delete(f"/api/v1/users/{people.mentor.id}/mfa")
    assert response.status_code == 204, response.text
    assert not live(db, browser)
    assert_problem(api.get("/api/v1/me"), 401)
    reasons = [e["reason"] for e in ended_events(db, people.mentor)]
    assert reasons == ["two-step sign-in reset by an admin"]


def test_turning_mfa_on_and_off_keeps_other_sessions(
    signed: Signed, people: People, db: Session
) -> None:
    other = signed_in_browser(db, people.mentor)
    api = signed.api(people.mentor)
    secret = api.post("/api/v1/me/mfa").json()["secret"]
    assert api.post("/api/v1/me/mfa/confirm", json={"code": code_at(secret)}).status_code == 204
    assert live(db, other)
    assert api.get(LIST).status_code == 200  # and the offer to end them is one call away
