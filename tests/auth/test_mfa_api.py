"""Two-step sign-in through the API: setting it up, tokens with and without a code, codes
working once, drift, recovery codes, turning it off and an admin's reset."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import update
from sqlmodel import Session, col, select

from app.auth import mfa
from app.auth.models import RecoveryCode, User
from app.auth.security import verify_password
from tests.auth.mfa_support import STEP, code_at, mails, turn_on
from tests.support.auth import (
    TOKEN_URL,
    assert_problem,
    audit_events,
    bearer,
    count,
    error_fields,
    reload,
    request_token,
)
from tests.support.people import PASSWORD, People, Signed

WRONG_CODE = mfa.WRONG_CODE
LOCKED = "This account is locked after too many failed sign-ins. Try again later."


def token_with(client: TestClient, user: User, otp: str | None) -> Response:
    data = {"username": user.email, "password": PASSWORD}
    if otp is not None:
        data["otp"] = otp
    return client.post(TOKEN_URL, data=data)


def test_set_up_confirm_and_me(signed: Signed, people: People, db: Session) -> None:
    api = signed.api(people.mentor)
    response = api.post("/api/v1/me/mfa")
    assert response.status_code == 200, response.text
    body = response.json()
    secret = body["secret"]
    assert len(secret) >= 16
    assert body["otpauth_uri"].startswith("otpauth://totp/")
    assert f"secret={secret}" in body["otpauth_uri"]
    # Not on until confirmed.
    status = api.get("/api/v1/me/mfa").json()
    assert (status["enabled"], status["pending"], status["required"]) == (False, True, False)

    assert_problem(api.post("/api/v1/me/mfa/confirm", json={"code": "abc"}), 422)
    wrong = api.post("/api/v1/me/mfa/confirm", json={"code": "000000"})
    problem = assert_problem(wrong, 422, WRONG_CODE)
    assert error_fields(problem) == {"code": WRONG_CODE}
    assert reload(db, people.mentor).mfa_enabled_at is None

    assert api.post("/api/v1/me/mfa/confirm", json={"code": code_at(secret)}).status_code == 204
    status = api.get("/api/v1/me/mfa").json()
    assert (status["enabled"], status["pending"], status["recovery_codes_left"]) == (True, False, 0)
    assert_problem(api.post("/api/v1/me/mfa"), 409)
    assert_problem(api.post("/api/v1/me/mfa/confirm", json={"code": code_at(secret)}), 409)

    (mail,) = mails(db, people.mentor)
    assert mail.subject == "Your two-step sign-in was turned on"
    assert "/account/security" in mail.body_text
    assert secret not in mail.body_text
    events = audit_events(db, entity_id=people.mentor.id)
    assert [e.action for e in events][-2:] == ["mfa_setup", "mfa_on"]
    for event in events:
        assert secret not in str(event.changes)


def test_confirm_without_a_pending_secret_is_a_conflict(signed: Signed, people: People) -> None:
    api = signed.api(people.mentor)
    assert_problem(api.post("/api/v1/me/mfa/confirm", json={"code": "123456"}), 409)
    assert_problem(api.post("/api/v1/me/mfa/confirm", json={}), 422)
    assert_problem(api.post("/api/v1/me/mfa/confirm", json={"code": "1", "x": 1}), 422)


def test_a_new_set_up_replaces_the_pending_secret(signed: Signed, people: People) -> None:
    api = signed.api(people.mentor)
    first = api.post("/api/v1/me/mfa").json()["secret"]
    second = api.post("/api/v1/me/mfa").json()["secret"]
    assert first != second
    assert_problem(api.post("/api/v1/me/mfa/confirm", json={"code": code_at(first)}), 422)
    assert api.post("/api/v1/me/mfa/confirm", json={"code": code_at(second)}).status_code == 204


def test_token_needs_the_code(client: TestClient, people: People, db: Session) -> None:
    secret, _ = turn_on(db, people.mentor)
    missing = assert_problem(token_with(client, people.mentor, None), 401)
    assert missing["mfa_required"] is True
    wrong = assert_problem(token_with(client, people.mentor, "123456"), 401, WRONG_CODE)
    assert wrong["mfa_required"] is True
    right = token_with(client, people.mentor, code_at(secret))
    assert right.status_code == 200, right.text
    token = right.json()["access_token"]
    assert "mfa_setup_required" not in right.json()
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    # A wrong password is the usual answer, with no hint about the second step.
    response = request_token(client, people.mentor.email, "not the password at all")
    body = assert_problem(response, 401)
    assert "mfa_required" not in body


def test_a_code_works_once(client: TestClient, people: People, db: Session) -> None:
    secret, _ = turn_on(db, people.mentor)
    code = code_at(secret)
    assert token_with(client, people.mentor, code).status_code == 200
    again = assert_problem(token_with(client, people.mentor, code), 401, WRONG_CODE)
    assert again["mfa_required"] is True
    # An older step than the last accepted one is refused too, though still in the window.
    earlier = code_at(secret, datetime.now(UTC) - STEP)
    assert token_with(client, people.mentor, earlier).status_code == 401


def test_one_step_of_drift_each_way(client: TestClient, people: People, db: Session) -> None:
    secret, _ = turn_on(db, people.mentor)  # confirmed with the step before now
    now = datetime.now(UTC)
    too_old = code_at(secret, now - 2 * STEP)
    too_new = code_at(secret, now + 2 * STEP)
    for code in {too_old, too_new} - {code_at(secret, now + d * STEP) for d in (-1, 0, 1)}:
        assert token_with(client, people.mentor, code).status_code == 401
    # The next step (a phone 30 seconds fast) is accepted...
    ahead = token_with(client, people.mentor, code_at(secret, now + STEP))
    assert ahead.status_code == 200
    # ...and then the current step is older than it: refused.
    assert token_with(client, people.mentor, code_at(secret, now)).status_code == 401


def test_one_step_behind_is_accepted(signed: Signed, people: People) -> None:
    api = signed.api(people.mentor)
    secret = api.post("/api/v1/me/mfa").json()["secret"]
    # A phone 30 seconds slow.
    behind = code_at(secret, datetime.now(UTC) - STEP)
    assert api.post("/api/v1/me/mfa/confirm", json={"code": behind}).status_code == 204


def test_confirm_refuses_a_code_two_steps_away(signed: Signed, people: People) -> None:
    api = signed.api(people.mentor)
    secret = api.post("/api/v1/me/mfa").json()["secret"]
    now = datetime.now(UTC)
    near = {code_at(secret, now + d * STEP) for d in (-1, 0, 1)}
    for far in (code_at(secret, now - 2 * STEP), code_at(secret, now + 2 * STEP)):
        if far not in near:
            assert_problem(api.post("/api/v1/me/mfa/confirm", json={"code": far}), 422)


def test_the_code_may_be_typed_with_spaces(client: TestClient, people: People, db: Session) -> None:
    secret, _ = turn_on(db, people.mentor)
    code = code_at(secret)
    spaced = f"{code[:3]} {code[3:]}"
    assert token_with(client, people.mentor, spaced).status_code == 200


def test_recovery_codes_work_once_each(client: TestClient, people: People, db: Session) -> None:
    _, codes = turn_on(db, people.mentor)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    # Kept as salted Argon2 hashes (ASVS 5.0 V6.5.2), never as typed.
    rows = db.exec(select(RecoveryCode).where(RecoveryCode.user_id == people.mentor.id)).all()
    assert all(r.code_hash.startswith("$argon2id$") for r in rows)
    assert not {c.replace("-", "") for c in codes} & {r.code_hash for r in rows}
    plain = sorted(c.replace("-", "") for c in codes)
    matched = sorted(p for p in plain for r in rows if verify_password(p, r.code_hash)[0])
    assert matched == plain
    assert token_with(client, people.mentor, codes[0]).status_code == 200
    reused = assert_problem(token_with(client, people.mentor, codes[0]), 401)
    assert reused["mfa_required"] is True
    # Case and the dash do not matter.
    typed = codes[1].upper().replace("-", " ")
    assert token_with(client, people.mentor, typed).status_code == 200
    assert mfa.remaining_recovery_codes(db, reload(db, people.mentor)) == 8


def test_wrong_codes_lock_the_account(client: TestClient, people: People, db: Session) -> None:
    secret, _ = turn_on(db, people.mentor)
    statuses = [token_with(client, people.mentor, "000000").status_code for _ in range(5)]
    assert statuses == [401] * 5
    assert reload(db, people.mentor).locked_until is not None
    locked = token_with(client, people.mentor, code_at(secret))
    assert_problem(locked, 429, LOCKED)
    assert [e.action for e in audit_events(db, action="lock")] == ["lock"]


def test_the_right_password_does_not_reset_the_count_of_wrong_codes(
    client: TestClient, people: People, db: Session
) -> None:
    turn_on(db, people.mentor)
    for _ in range(3):
        token_with(client, people.mentor, "000000")
    # A request without a code (the right password alone) counts too, never clears it.
    token_with(client, people.mentor, None)
    assert reload(db, people.mentor).failed_logins == 4


def test_a_right_code_clears_the_count(client: TestClient, people: People, db: Session) -> None:
    secret, _ = turn_on(db, people.mentor)
    for _ in range(3):
        token_with(client, people.mentor, "000000")
    assert token_with(client, people.mentor, code_at(secret)).status_code == 200
    assert reload(db, people.mentor).failed_logins == 0


def test_new_recovery_codes(signed: Signed, people: People, db: Session) -> None:
    _, old = turn_on(db, people.mentor)
    api = signed.api(people.mentor)
    assert_problem(api.post("/api/v1/me/mfa/recovery-codes", json={"code": "000000"}), 422)
    response = api.post("/api/v1/me/mfa/recovery-codes", json={"code": old[0]})
    assert response.status_code == 200, response.text
    new = response.json()["codes"]
    assert len(new) == 10
    assert not set(new) & set(old)
    user = reload(db, people.mentor)
    assert mfa.remaining_recovery_codes(db, user) == 10
    # The old set has ended.
    assert_problem(api.post("/api/v1/me/mfa/recovery-codes", json={"code": old[1]}), 422)
    assert [m.subject for m in mails(db, people.mentor)][-1] == (
        "Your two-step sign-in was given a new set of recovery codes"
    )
    events = audit_events(db, action="mfa_recovery_codes")
    assert len(events) == 1
    assert all(c not in str(events[0].changes) for c in new)


def test_new_recovery_codes_need_mfa_on(signed: Signed, people: People) -> None:
    api = signed.api(people.mentor)
    assert_problem(api.post("/api/v1/me/mfa/recovery-codes", json={"code": "123456"}), 409)


def test_turn_off(signed: Signed, people: People, db: Session, client: TestClient) -> None:
    secret, _ = turn_on(db, people.mentor)
    api = signed.api(people.mentor)
    wrong = api.request("DELETE", "/api/v1/me/mfa", json={"code": "000000"})
    assert_problem(wrong, 422, WRONG_CODE)
    assert reload(db, people.mentor).mfa_enabled_at is not None
    assert_problem(api.request("DELETE", "/api/v1/me/mfa", json={}), 422)
    response = api.request("DELETE", "/api/v1/me/mfa", json={"code": code_at(secret)})
    assert response.status_code == 204, response.text
    user = reload(db, people.mentor)
    assert (user.mfa_enabled_at, user.mfa_secret) == (None, None)
    assert count(db, RecoveryCode, RecoveryCode.user_id == user.id) == 0
    assert "turned off" in mails(db, people.mentor)[-1].subject
    assert request_token(client, people.mentor.email).status_code == 200
    assert_problem(api.request("DELETE", "/api/v1/me/mfa", json={"code": "123456"}), 409)


def test_turn_off_with_a_recovery_code(signed: Signed, people: People, db: Session) -> None:
    _, codes = turn_on(db, people.mentor)
    api = signed.api(people.mentor)
    response = api.request("DELETE", "/api/v1/me/mfa", json={"code": codes[3]})
    assert response.status_code == 204


def test_admin_reset(signed: Signed, people: People, db: Session, client: TestClient) -> None:
    turn_on(db, people.mentor)
    admin = signed.api(people.admin)
    url = f"/api/v1/users/{people.mentor.id}/mfa"
    assert_problem(signed.api(people.lead).delete(url), 403)
    assert_problem(signed.api(people.other_admin).delete(url), 404)
    assert admin.delete(url).status_code == 204
    assert reload(db, people.mentor).mfa_enabled_at is None
    assert_problem(admin.delete(url), 409)
    (event,) = audit_events(db, action="mfa_reset")
    assert (event.actor_id, event.entity_id) == (people.admin.id, people.mentor.id)
    assert "reset by your organisation's admin" in mails(db, people.mentor)[-1].subject
    # The password alone signs in again.
    assert request_token(client, people.mentor.email).status_code == 200


def test_status_counts_recovery_codes(signed: Signed, people: People, db: Session) -> None:
    _, codes = turn_on(db, people.mentor)
    api = signed.api(people.mentor)
    assert api.get("/api/v1/me/mfa").json()["recovery_codes_left"] == 10
    api.request("DELETE", "/api/v1/me/mfa", json={"code": codes[0]})
    assert api.get("/api/v1/me/mfa").json() == {
        "enabled": False,
        "pending": False,
        "recovery_codes_left": 0,
        "required": False,
        "setup_due": None,
    }


def test_the_mfa_routes_need_a_sign_in(client: TestClient) -> None:
    assert_problem(client.post("/api/v1/me/mfa"), 401)
    assert_problem(client.post("/api/v1/me/mfa/confirm", json={"code": "123456"}), 401)
    assert_problem(client.request("DELETE", "/api/v1/me/mfa", json={"code": "123456"}), 401)


@pytest.mark.parametrize("otp", ["", "x" * 65])
def test_token_refuses_a_malformed_otp(
    client: TestClient, people: People, db: Session, otp: str
) -> None:
    turn_on(db, people.mentor)
    response = client.post(
        TOKEN_URL, data={"username": people.mentor.email, "password": PASSWORD, "otp": otp}
    )
    assert response.status_code in (401, 422)
    assert response.status_code != 200


def test_a_stale_copy_cannot_reuse_a_step(people: People, db: Session) -> None:
    """The check and the write are one conditional UPDATE: a request that read the person
    before another used the code cannot use it again (two concurrent requests)."""
    secret, _ = turn_on(db, people.mentor)
    code = code_at(secret)
    stale = people.mentor
    step = int(datetime.now(UTC).timestamp()) // 30
    # Another request used the current step, committed, and this one's copy is older.
    db.execute(
        update(User)
        .where(col(User.id) == stale.id)
        .values(mfa_last_step=step)
        .execution_options(synchronize_session=False)
    )
    db.commit()
    stale.__dict__["mfa_last_step"] = step - 1  # what it read before
    assert mfa._accept(db, stale, code) is None
