"""The "Where you are signed in" page (/account/sessions), the admin's "Sign out of every
device" and the links that lead to them."""

from __future__ import annotations

from sqlmodel import Session

from app.auth import service as auth_service
from app.auth.models import User, WebSession
from tests.auth.mfa_support import code_at, turn_on
from tests.support.auth import (
    assert_error_summary,
    assert_page,
    assert_redirect,
    audit_events,
    post_form,
    reload,
    save,
)
from tests.support.people import PASSWORD, People, Signed

PAGE = "/account/sessions"
END_OTHERS = "/account/sessions/end-others"


def browser_of(db: Session, user: User, method: str = "password") -> WebSession:
    _, session = auth_service.start_session(db, user=user, method=method)
    db.commit()
    return session


def live(db: Session, session: WebSession) -> bool:
    return bool(reload(db, session).revoked_at is None)


def test_the_page_lists_my_browsers(signed: Signed, people: People, db: Session) -> None:
    pages = signed.pages(people.mentor)
    sso = browser_of(db, people.mentor, method="sso")
    theirs = browser_of(db, people.lead)
    signed.api(people.mentor)
    html = assert_page(
        pages.get(PAGE),
        200,
        "Where you are signed in",
        "2 signed-in browsers",
        "This device",
        "Single sign-on",
        "Password",
        "10 March 2027 at",
        "1 API token",
    )
    assert f'action="/account/sessions/{sso.id}/end"' in html
    assert f"session-{theirs.id}" not in html
    assert 'name="password"' in html  # the proof asked for: their password


def test_the_account_bar_and_security_pages_link_here(signed: Signed, people: People) -> None:
    pages = signed.pages(people.facilitator)
    for page in ("/account/password", "/account/security"):
        assert f'href="{PAGE}' in pages.get(page).text
    assert f'href="{PAGE}#everywhere-else"' in pages.get("/account/security").text


def test_signs_one_browser_out(signed: Signed, people: People, db: Session) -> None:
    pages = signed.pages(people.mentor)
    other = browser_of(db, people.mentor)
    assert_redirect(post_form(pages, f"/account/sessions/{other.id}/end", {}), PAGE)
    assert not live(db, other)
    html = assert_page(pages.get(PAGE), 200, "That browser has been signed out.")
    assert f"session-{other.id}" not in html
    events = audit_events(db, action="end_sessions", entity_id=people.mentor.id)
    assert events[-1].changes["sessions"] == [other.id]


def test_cannot_sign_out_someone_elses_browser(signed: Signed, people: People, db: Session) -> None:
    pages = signed.pages(people.mentor)
    theirs = browser_of(db, people.lead)
    assert post_form(pages, f"/account/sessions/{theirs.id}/end", {}).status_code == 404
    assert live(db, theirs)


def test_a_form_without_its_csrf_token_is_refused(
    signed: Signed, people: People, db: Session
) -> None:
    pages = signed.pages(people.mentor)
    other = browser_of(db, people.mentor)
    response = post_form(pages, f"/account/sessions/{other.id}/end", {}, csrf=False)
    assert response.status_code == 403
    response = post_form(pages, END_OTHERS, {"password": PASSWORD}, csrf=False)
    assert response.status_code == 403
    assert live(db, other)


def test_signs_out_everywhere_else_with_the_password(
    signed: Signed, people: People, db: Session
) -> None:
    pages = signed.pages(people.mentor)
    other = browser_of(db, people.mentor)
    api = signed.api(people.mentor)
    assert_redirect(post_form(pages, END_OTHERS, {"password": PASSWORD}), PAGE)
    assert not live(db, other)
    assert api.get("/api/v1/me").status_code == 401
    html = assert_page(
        pages.get(PAGE), 200, "You have been signed out everywhere else.", "This device"
    )
    assert "You are not signed in anywhere else." in html


def test_a_wrong_or_missing_password_is_shown_beside_the_field(
    signed: Signed, people: People, db: Session
) -> None:
    pages = signed.pages(people.mentor)
    other = browser_of(db, people.mentor)
    response = post_form(pages, END_OTHERS, {"password": "not my password"})
    html = assert_error_summary(response, 422, "password", "Your password is wrong")
    assert "not my password" not in html
    assert_error_summary(post_form(pages, END_OTHERS, {}), 422, "password", "Enter your password")
    assert live(db, other)
    assert reload(db, people.mentor).failed_logins == 1


def test_a_person_without_a_password_gives_a_code(
    signed: Signed, people: People, db: Session
) -> None:
    secret, _ = turn_on(db, people.mentor)
    save(db, people.mentor, password_hash=None)
    pages = signed.pages(people.mentor)
    other = browser_of(db, people.mentor, method="sso")
    html = assert_page(pages.get(PAGE), 200, "Code from your app, or a recovery code")
    assert 'name="password"' not in html
    response = post_form(pages, END_OTHERS, {"code": "000000"})
    assert_error_summary(response, 422, "code", "The code is wrong")
    assert live(db, other)
    assert_redirect(post_form(pages, END_OTHERS, {"code": code_at(secret)}), PAGE)
    assert not live(db, other)


def test_nothing_else_to_sign_out_says_so(signed: Signed, people: People) -> None:
    pages = signed.pages(people.mentor)
    assert_redirect(post_form(pages, END_OTHERS, {"password": PASSWORD}), PAGE)
    assert_page(pages.get(PAGE), 200, "You were not signed in anywhere else.")


# The admin's button --------------------------------------------------------------------------


def test_admin_signs_a_person_out_of_every_device(
    signed: Signed, people: People, db: Session
) -> None:
    admin = signed.pages(people.admin)
    browser = browser_of(db, people.mentor)
    api = signed.api(people.mentor)
    page = f"/admin/users/{people.mentor.id}"
    assert_page(admin.get(page), 200, "Sign out of every device")
    assert_redirect(post_form(admin, f"{page}/sign-out", {}), page)
    assert_page(admin.get(page), 200, "has been signed out of every browser")
    assert not live(db, browser)
    assert api.get("/api/v1/me").status_code == 401
    event = audit_events(db, action="end_sessions", entity_id=people.mentor.id)[-1]
    assert event.actor_id == people.admin.id
    assert event.changes["sessions"] == [browser.id]


def test_only_an_admin_of_the_organisation_signs_people_out(
    signed: Signed, people: People, db: Session
) -> None:
    browser = browser_of(db, people.mentor)
    url = f"/admin/users/{people.mentor.id}/sign-out"
    assert post_form(signed.pages(people.lead), url, {}).status_code == 403
    assert post_form(signed.pages(people.other_admin), url, {}).status_code == 404
    assert live(db, browser)


def test_the_admins_mfa_reset_signs_them_out(signed: Signed, people: People, db: Session) -> None:
    turn_on(db, people.mentor)
    browser = browser_of(db, people.mentor)
    admin = signed.pages(people.admin)
    page = f"/admin/users/{people.mentor.id}"
    assert_redirect(post_form(admin, f"{page}/mfa-reset", {}), page)
    assert not live(db, browser)


def test_turning_mfa_off_keeps_other_browsers_and_offers_to_end_them(
    signed: Signed, people: People, db: Session
) -> None:
    secret, _ = turn_on(db, people.mentor)
    pages = signed.pages(people.mentor)
    other = browser_of(db, people.mentor)
    response = post_form(pages, "/account/security/turn-off", {"off_code": code_at(secret)})
    assert_redirect(response, "/account/security")
    html = assert_page(pages.get("/account/security"), 200, "Two-step sign-in is off.")
    assert "sign out everywhere else" in html
    assert live(db, other)
