"""The organisation's privacy notice: the API (anyone reads, admins write, audited by length),
the /privacy page (signed in or not), the admin's form, and the links to it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.auth.models import Organisation
from tests.audit.support import text_of
from tests.support.auth import assert_error_summary, audit_events, post_form, reload
from tests.support.people import People, Signed

NOTICE = "Org A keeps what it needs.\n\nAsk our data protection officer: dpo@org-a.example.org"
API = "/api/v1/organisation/privacy-notice"


def notice_events(db: Session, people: People) -> list[AuditEvent]:
    return [
        e
        for e in audit_events(db, org_id=people.org.id, entity="organisation")
        if "privacy_notice_length" in e.changes
    ]


def test_admin_writes_the_notice_and_everyone_reads_it(
    db: Session, signed: Signed, people: People, admin_api: TestClient
) -> None:
    assert admin_api.get(API).json() == {"text": None}
    response = admin_api.put(API, json={"text": "  " + NOTICE + "\r\n\n"})
    assert response.status_code == 200
    assert response.json() == {"text": NOTICE}  # ends trimmed, line endings as \n
    for user in (people.lead, people.facilitator, people.mentor):
        assert signed.api(user).get(API).json() == {"text": NOTICE}
    # Another organisation has its own (none yet).
    assert signed.api(people.other_lead).get(API).json() == {"text": None}
    (event,) = notice_events(db, people)
    assert event.actor_id == people.admin.id
    assert event.changes == {"privacy_notice_length": [0, len(NOTICE)]}
    assert "Org A keeps" not in str(event.changes)  # the length, not the text


def test_the_same_notice_again_is_not_a_change(
    db: Session, people: People, admin_api: TestClient
) -> None:
    admin_api.put(API, json={"text": NOTICE})
    admin_api.put(API, json={"text": NOTICE + "\n"})
    assert len(notice_events(db, people)) == 1


def test_a_blank_notice_removes_it(db: Session, people: People, admin_api: TestClient) -> None:
    admin_api.put(API, json={"text": NOTICE})
    assert admin_api.put(API, json={"text": "   \n "}).json() == {"text": None}
    assert admin_api.put(API, json={"text": None}).json() == {"text": None}
    assert [e.changes for e in notice_events(db, people)] == [
        {"privacy_notice_length": [0, len(NOTICE)]},
        {"privacy_notice_length": [len(NOTICE), 0]},
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"text": "x" * 20_001},
        {"text": "Hello\x00there"},
        {"text": 12},
        {},
    ],
    ids=["too-long", "nul", "not-text", "no-text"],
)
def test_bad_notices_are_refused_and_change_nothing(
    db: Session, people: People, admin_api: TestClient, body: dict[str, Any]
) -> None:
    admin_api.put(API, json={"text": NOTICE})
    response = admin_api.put(API, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert admin_api.get(API).json() == {"text": NOTICE}
    assert len(notice_events(db, people)) == 1


def test_the_longest_notice_is_kept(admin_api: TestClient) -> None:
    text = "y" * 20_000
    assert admin_api.put(API, json={"text": text}).json() == {"text": text}


def test_only_admins_write_it(signed: Signed, people: People, db: Session) -> None:
    for user in (people.lead, people.facilitator, people.mentor):
        assert signed.api(user).put(API, json={"text": "Mine"}).status_code == 403
    # Another organisation's admin writes their own, never A's.
    assert signed.api(people.other_admin).put(API, json={"text": "B's"}).status_code == 200
    assert reload(db, people.org).privacy_notice is None
    other = db.get(Organisation, people.other_org.id)
    assert other is not None
    assert other.privacy_notice == "B's"


def test_the_page_shows_paragraphs_and_escapes_html(
    signed: Signed, people: People, admin_api: TestClient
) -> None:
    text = "First <b>bold</b> line\nsecond line\n\n<script>alert(1)</script>\n\n\nThird"
    admin_api.put(API, json={"text": text})
    html = signed.pages(people.mentor).get("/privacy").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html
    notice = html.split('id="privacy-notice"', 1)[1].split("</div>", 1)[0]
    assert notice.count("<p ") == 3
    assert "First &lt;b&gt;bold&lt;/b&gt; line<br>second line" in notice
    assert "Org A" in text_of(html)


def test_the_page_without_a_notice_says_whom_to_ask(signed: Signed, people: People) -> None:
    text = text_of(signed.pages(people.facilitator).get("/privacy").text)
    assert "Org A has not written its privacy notice in Tandem yet" in text
    assert f"ask an administrator: {people.admin.name}" in text
    assert "Write the privacy notice" not in text
    admin_text = text_of(signed.pages(people.admin).get("/privacy").text)
    assert "Write the privacy notice" in admin_text


def test_signed_out_the_page_says_what_tandem_holds(client: TestClient) -> None:
    response = client.get("/privacy")
    assert response.status_code == 200
    text = text_of(response.text)
    assert "What Tandem holds" in text
    assert "ask the organisation that runs your programme" in text
    assert 'id="privacy-notice"' not in response.text


def test_every_page_links_to_it(signed: Signed, people: People, client: TestClient) -> None:
    link = '<a class="govuk-footer__link" href="/privacy">Privacy</a>'
    assert link in client.get("/login").text  # signed out
    assert link in client.get("/no-such-page").text  # an error page
    for user, path in (
        (people.admin, "/admin/users"),
        (people.lead, "/children"),
        (people.facilitator, "/"),
        (people.mentor, "/mentor"),
    ):
        assert link in signed.pages(user).get(path).text, path


def test_the_shortlist_links_to_it(
    signed: Signed, people: People, make_child: Any, make_mentor: Any
) -> None:
    child = make_child()
    mentor = make_mentor(name="Jo Mentor")
    page = signed.pages(people.lead).get(
        f"/children/{child['id']}/shortlist", params={"mentor_id": mentor["user_id"]}
    )
    assert page.status_code == 200, page.text
    shortlist = page.text.split('class="tandem-shortlist"', 1)[1]
    assert 'href="/privacy"' in shortlist.split("</main>", 1)[0]


def test_the_admin_form_saves_and_says_so(
    db: Session, signed: Signed, people: People, admin_pages: Any
) -> None:
    form = admin_pages.get("/admin/privacy")
    assert form.status_code == 200
    assert '<label class="govuk-label govuk-label--m" for="privacy_notice">' in form.text
    assert 'aria-describedby="privacy_notice-hint"' in form.text
    response = post_form(admin_pages, "/admin/privacy", {"privacy_notice": NOTICE})
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/privacy"
    shown = admin_pages.get("/admin/privacy").text
    assert "Saved. Everyone in your organisation sees this notice at /privacy." in shown
    assert "Org A keeps what it needs." in shown  # back in the box
    assert reload(db, people.org).privacy_notice == NOTICE
    assert len(notice_events(db, people)) == 1
    cleared = post_form(admin_pages, "/admin/privacy", {"privacy_notice": ""})
    assert cleared.status_code == 303
    assert "Your organisation has no privacy notice now" in admin_pages.get("/admin/privacy").text
    assert reload(db, people.org).privacy_notice is None


def test_the_admin_form_shows_errors_and_saves_nothing(
    db: Session, people: People, admin_pages: Any
) -> None:
    response = post_form(admin_pages, "/admin/privacy", {"privacy_notice": "z" * 20_001})
    html = assert_error_summary(
        response, 422, "privacy_notice", "Privacy notice must be 20,000 characters or fewer"
    )
    assert "z" * 20_001 in html  # what was typed, kept
    assert reload(db, people.org).privacy_notice is None
    assert notice_events(db, people) == []
