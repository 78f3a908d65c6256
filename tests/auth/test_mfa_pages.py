"""Two-step sign-in on the pages: the code step after the password, the account's security
page, an admin's reset and the organisation's settings."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session

from app.auth import mfa
from app.auth.deps import SESSION_COOKIE
from app.auth.entry import MFA_COOKIE
from app.auth.models import SignInChallenge, User
from tests.auth.mfa_support import code_at, mails, turn_on
from tests.support.auth import (
    assert_error_summary,
    assert_page,
    assert_redirect,
    audit_events,
    count,
    hidden_csrf,
    post_form,
    reload,
    set_cookies,
    sign_in,
)
from tests.support.clock import Clock
from tests.support.people import People, Signed

CODE_PAGE = "/login/code"
SECURITY = "/account/security"
LOCKED = "This account is locked after too many failed sign-ins. Try again later."


def to_code_page(anon: TestClient, user: User, next: str | None = None) -> str:
    """Sign in with the password: the code page's HTML (no session yet)."""
    response = sign_in(anon, user.email, next=next)
    assert_redirect(response, CODE_PAGE)
    assert SESSION_COOKIE not in set_cookies(response)
    assert MFA_COOKIE in set_cookies(response)
    return assert_page(anon.get(CODE_PAGE), 200, "Enter the code from your app")


def send_code(anon: TestClient, html: str, code: str, **extra: str) -> Response:
    return anon.post(CODE_PAGE, data={"csrf_token": hidden_csrf(html), "code": code, **extra})


def test_second_step_with_the_code(anon: TestClient, people: People, db: Session) -> None:
    secret, _ = turn_on(db, people.mentor)
    html = to_code_page(anon, people.mentor, next="/account/password")
    # Nothing but the code page until the code is right.
    assert anon.get("/account/password").status_code == 303
    response = send_code(anon, html, code_at(secret))
    assert_redirect(response, "/account/password")
    assert SESSION_COOKIE in set_cookies(response)
    assert anon.get("/account/password").status_code == 200
    assert count(db, SignInChallenge) == 0
    assert [e.action for e in audit_events(db, entity_id=people.mentor.id)][-1] == "sign_in"


def test_a_wrong_code_is_shown_by_the_field(anon: TestClient, people: People, db: Session) -> None:
    secret, _ = turn_on(db, people.mentor)
    html = to_code_page(anon, people.mentor)
    response = send_code(anon, html, "000000")
    assert_error_summary(response, 401, "code", mfa.WRONG_CODE)
    blank = send_code(anon, html, "")
    assert_error_summary(blank, 400, "code", "Enter the code")
    # The same code twice: the second is refused (a code works once).
    code = code_at(secret)
    assert send_code(anon, html, code).status_code == 303
    with TestClient(anon.app, follow_redirects=False) as other:
        again = to_code_page(other, people.mentor)
        assert_error_summary(send_code(other, again, code), 401, "code", mfa.WRONG_CODE)


def test_a_recovery_code_instead(anon: TestClient, people: People, db: Session) -> None:
    _, codes = turn_on(db, people.mentor)
    html = to_code_page(anon, people.mentor)
    assert 'href="/login/code?recovery=1"' in html
    page = assert_page(anon.get(f"{CODE_PAGE}?recovery=1"), 200, "Recovery code")
    response = send_code(anon, page, codes[0], recovery="1")
    assert_redirect(response, "/")
    assert mfa.remaining_recovery_codes(db, reload(db, people.mentor)) == 9


def test_too_many_wrong_codes_lock_the_account(
    anon: TestClient, people: People, db: Session
) -> None:
    secret, _ = turn_on(db, people.mentor)
    html = to_code_page(anon, people.mentor)
    statuses = [send_code(anon, html, "000000").status_code for _ in range(4)]
    # The password's attempt counts too: the fifth wrong one of the sign-in locks it.
    assert statuses == [401, 401, 401, 401]
    locked = send_code(anon, html, code_at(secret))
    assert_page(locked, 429, LOCKED)
    assert "Retry-After" in locked.headers
    assert reload(db, people.mentor).locked_until is not None


def test_the_pending_sign_in_expires(
    anon: TestClient, people: People, db: Session, clock: Clock
) -> None:
    secret, _ = turn_on(db, people.mentor)
    html = to_code_page(anon, people.mentor)
    clock.shift(timedelta(minutes=6))
    assert_page(anon.get(CODE_PAGE), 200, "Your sign-in took too long")
    response = send_code(anon, html, code_at(secret))
    assert_page(response, 403, "Your sign-in took too long")
    assert anon.get("/account/password").status_code == 303


def test_the_code_form_needs_its_csrf_token(anon: TestClient, people: People, db: Session) -> None:
    secret, _ = turn_on(db, people.mentor)
    to_code_page(anon, people.mentor)
    response = anon.post(CODE_PAGE, data={"code": code_at(secret)})
    assert response.status_code == 403
    assert SESSION_COOKIE not in set_cookies(response)


def test_no_pending_sign_in(anon: TestClient) -> None:
    assert_page(anon.get(CODE_PAGE), 200, "Your sign-in took too long")
    assert anon.post(CODE_PAGE, data={"code": "123456"}).status_code == 403


# The security page --------------------------------------------------------------------------


def test_set_up_from_the_page(signed: Signed, people: People, db: Session) -> None:
    pages = signed.pages(people.mentor)
    html = assert_page(pages.get(SECURITY), 200, "Set up two-step sign-in", "Off")
    assert_redirect(post_form(pages, f"{SECURITY}/setup", {}), f"{SECURITY}#confirm")
    html = assert_page(pages.get(SECURITY), 200, "<svg", "Enter the code the app shows")
    secret = reload(db, people.mentor).mfa_secret
    assert secret
    shown = re.search(r'id="mfa-secret"[^>]*>([^<]*)<', html)
    assert shown is not None
    assert shown.group(1).replace(" ", "") == secret
    assert all(len(group) == 4 for group in shown.group(1).split())
    assert 'aria-label="QR code' in html

    wrong = post_form(pages, f"{SECURITY}/confirm", {"code": "000000"})
    assert_error_summary(wrong, 422, "code", mfa.WRONG_CODE)
    blank = post_form(pages, f"{SECURITY}/confirm", {"code": ""})
    assert_error_summary(blank, 422, "code", "Enter the 6-digit code from your authenticator app")
    assert reload(db, people.mentor).mfa_enabled_at is None

    done = post_form(pages, f"{SECURITY}/confirm", {"code": code_at(secret)})
    html = assert_page(done, 200, "Save your recovery codes", "Two-step sign-in is on.")
    assert done.headers["cache-control"] == "no-store"
    codes = re.findall(r"<code>([a-z2-7]{5}-[a-z2-7]{5})</code>", html)
    assert len(codes) == 10
    assert reload(db, people.mentor).mfa_enabled_at is not None
    assert_page(pages.get(SECURITY), 200, "10 of 10", "Turn off two-step sign-in")
    assert len(mails(db, people.mentor)) == 1


def test_new_codes_and_turning_off_from_the_page(
    signed: Signed, people: People, db: Session
) -> None:
    secret, codes = turn_on(db, people.mentor)
    pages = signed.pages(people.mentor)
    wrong = post_form(pages, f"{SECURITY}/recovery-codes", {"renew_code": "000000"})
    assert_error_summary(wrong, 422, "renew_code", mfa.WRONG_CODE)
    blank = post_form(pages, f"{SECURITY}/recovery-codes", {"renew_code": ""})
    assert_error_summary(blank, 422, "renew_code", "Enter a code from your app or a recovery code")
    renewed = post_form(pages, f"{SECURITY}/recovery-codes", {"renew_code": codes[0]})
    html = assert_page(renewed, 200, "Your old ones no longer work")
    assert codes[1] not in html
    assert_page(pages.get(SECURITY), 200, "10 of 10")

    wrong = post_form(pages, f"{SECURITY}/turn-off", {"off_code": "000000"})
    assert_error_summary(wrong, 422, "off_code", mfa.WRONG_CODE)
    off = post_form(pages, f"{SECURITY}/turn-off", {"off_code": code_at(secret)})
    assert_redirect(off, SECURITY)
    assert_page(pages.get(SECURITY), 200, "Two-step sign-in is off.")
    assert reload(db, people.mentor).mfa_enabled_at is None


def test_wrong_codes_on_the_page_lock_it_for_a_while(
    signed: Signed, people: People, db: Session
) -> None:
    turn_on(db, people.mentor)
    pages = signed.pages(people.mentor)
    for _ in range(5):
        post_form(pages, f"{SECURITY}/turn-off", {"off_code": "000000"})
    locked = post_form(pages, f"{SECURITY}/turn-off", {"off_code": "000000"})
    assert_page(locked, 429, mfa.CODES_LOCKED)
    assert reload(db, people.mentor).mfa_enabled_at is not None


def test_security_page_forms_need_csrf(signed: Signed, people: People, db: Session) -> None:
    pages = signed.pages(people.mentor)
    response = post_form(pages, f"{SECURITY}/setup", {}, csrf=False)
    assert response.status_code == 403
    assert reload(db, people.mentor).mfa_secret is None


def test_setup_when_already_on_is_refused(signed: Signed, people: People, db: Session) -> None:
    turn_on(db, people.mentor)
    pages = signed.pages(people.mentor)
    assert post_form(pages, f"{SECURITY}/setup", {}).status_code == 409


def test_the_account_bar_links_to_the_page(signed: Signed, people: People) -> None:
    html = signed.pages(people.facilitator).get("/account/password").text
    assert 'href="/account/security"' in html


# An admin's reset --------------------------------------------------------------------------


def test_admin_resets_two_step_sign_in(signed: Signed, people: People, db: Session) -> None:
    turn_on(db, people.mentor)
    admin = signed.pages(people.admin)
    page = f"/admin/users/{people.mentor.id}"
    assert_page(admin.get(page), 200, "Reset two-step sign-in", "On")
    assert '<td class="govuk-table__cell">On</td>' in admin.get("/admin/users").text
    response = post_form(admin, f"{page}/mfa-reset", {})
    assert_redirect(response, page)
    html = assert_page(admin.get(page), 200, "two-step sign-in has been reset")
    assert "Reset two-step sign-in</button>" not in html
    assert reload(db, people.mentor).mfa_enabled_at is None
    assert "reset" in mails(db, people.mentor)[-1].subject
    assert post_form(admin, f"{page}/mfa-reset", {}).status_code == 409


def test_only_an_admin_of_the_organisation_resets(
    signed: Signed, people: People, db: Session
) -> None:
    turn_on(db, people.mentor)
    url = f"/admin/users/{people.mentor.id}/mfa-reset"
    assert post_form(signed.pages(people.lead), url, {}).status_code == 403
    assert post_form(signed.pages(people.other_admin), url, {}).status_code == 404
    assert reload(db, people.mentor).mfa_enabled_at is not None


# The organisation's settings -----------------------------------------------------------------


def test_the_settings_page(signed: Signed, people: People, db: Session) -> None:
    admin = signed.pages(people.admin)
    html = assert_page(admin.get("/admin/organisation"), 200, "Two-step sign-in")
    assert 'value="admin" checked' in html
    assert 'value="mentor">' in html
    url = "/admin/organisation/two-step"
    bad = admin.post(
        url,
        data={"csrf_token": admin.csrf_token, "require_mfa_for": ["lead"], "mfa_grace_days": "91"},
    )
    html = assert_error_summary(
        bad, 422, "mfa_grace_days", "Enter a whole number of days from 0 to 90"
    )
    assert 'value="lead" checked' in html  # what was ticked is shown again
    unknown = admin.post(
        url,
        data={"csrf_token": admin.csrf_token, "require_mfa_for": "wizard", "mfa_grace_days": "5"},
    )
    assert_error_summary(unknown, 422, "require_mfa_for", "Choose roles from the list")
    org = reload(db, people.org)
    assert (org.require_mfa_for, org.mfa_grace_days) == (["admin", "lead"], 14)
    good = admin.post(
        url,
        data={
            "csrf_token": admin.csrf_token,
            "require_mfa_for": ["admin", "mentor"],
            "mfa_grace_days": "7",
        },
    )
    assert_redirect(good, "/admin/organisation")
    org = reload(db, people.org)
    assert (org.require_mfa_for, org.mfa_grace_days) == (["admin", "mentor"], 7)
    assert_page(admin.get("/admin/organisation"), 200, "Two-step sign-in settings saved.")
    # None ticked: nobody must.
    none = admin.post(url, data={"csrf_token": admin.csrf_token, "mfa_grace_days": "7"})
    assert_redirect(none, "/admin/organisation")
    assert reload(db, people.org).require_mfa_for == []


def test_only_an_admin_changes_the_settings_page(signed: Signed, people: People) -> None:
    lead = signed.pages(people.lead)
    response = post_form(lead, "/admin/organisation/two-step", {"mfa_grace_days": "3"})
    assert response.status_code == 403
