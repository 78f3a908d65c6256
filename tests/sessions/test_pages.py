"""The session page a facilitator uses on a tablet after the group (no JavaScript needed)."""

from __future__ import annotations

from typing import Any

from tests.support.pages import post
from tests.support.people import PageClient, People, Signed
from tests.support.sessions import page_form


def test_my_sessions_lists_what_to_record_first(
    signed: Signed, people: People, first_session: dict[str, Any]
) -> None:
    home = signed.pages(people.facilitator).get("/")
    assert home.status_code == 200
    # The cohort started on 7 September; "today" is later than a fortnight after it, so the
    # list holds only the sessions of the last two weeks.
    assert "My sessions" in home.text


def test_session_page_register_and_shortcut(
    signed: Signed, people: People, first_session: dict[str, Any]
) -> None:
    pages = signed.pages(people.facilitator)
    url = f"/sessions/{first_session['id']}"
    html = pages.get(url).text
    for child in first_session["roster"]:
        assert f'name="attendance-{child["child_id"]}"' in html
    # The register starts empty: nobody is assumed present, nothing assumed delivered.
    assert " checked" not in html.split('id="register"')[1].split("Facilitators present")[0]
    # The shortcut is a link outside the form (never its default button) and saves nothing.
    form = html.split('action="' + url + '/record"')[1].split("</form>")[0]
    assert "Mark everyone present" not in form
    assert f'href="{url}?everyone_present=1#register"' in html
    shortcut = pages.get(f"{url}?everyone_present=1")
    assert shortcut.status_code == 200
    assert shortcut.text.count('value="present" checked') == len(first_session["roster"])
    assert 'value="delivered" checked' not in shortcut.text
    assert "Nothing is saved yet" in shortcut.text
    assert "Recorded</strong>" not in shortcut.text


def test_missing_answers_show_errors_beside_the_fields(
    signed: Signed, people: People, first_session: dict[str, Any]
) -> None:
    pages = signed.pages(people.facilitator)
    child = first_session["roster"][0]
    form = page_form(first_session, people.facilitator.id)
    del form[f"attendance-{child['child_id']}"]
    response = post(pages, f"/sessions/{first_session['id']}/record", form)
    assert response.status_code == 422
    assert "There is a problem" in response.text
    assert f'href="#attendance-{child["child_id"]}"' in response.text
    assert "Recorded</strong>" not in pages.get(f"/sessions/{first_session['id']}").text


def test_save_then_a_stale_save_shows_what_differs(
    signed: Signed, people: People, first_session: dict[str, Any]
) -> None:
    first, second = signed.pages(people.facilitator), signed.pages(people.lead)
    url = f"/sessions/{first_session['id']}/record"
    saved = post(first, url, page_form(first_session, people.facilitator.id))
    assert saved.status_code == 303
    assert "The session is recorded" in first.get(saved.headers["location"]).text
    child = first_session["roster"][0]
    stale = post(
        second,
        url,
        page_form(
            first_session, people.facilitator.id, **{f"attendance-{child['child_id']}": "absent"}
        ),
    )
    assert stale.status_code == 409
    assert "Someone else saved this session" in stale.text
    assert "Saved by the other person: <strong>Present</strong>" in stale.text


def test_observation_through_the_page(
    lead_pages: PageClient, people: People, first_session: dict[str, Any]
) -> None:
    url = f"/sessions/{first_session['id']}"
    assert (
        post(
            lead_pages, f"{url}/record", page_form(first_session, people.facilitator.id)
        ).status_code
        == 303
    )
    bad = post(lead_pages, f"{url}/observations", {"adherence": "9"})
    assert bad.status_code == 422
    ok = post(
        lead_pages, f"{url}/observations", {"adherence": "4", "quality": "5", "comments": "Calm"}
    )
    assert ok.status_code == 303
    assert "adherence 4 out of 5" in lead_pages.get(url).text
    cohort_page = lead_pages.get(f"/cohorts/{first_session['cohort_id']}").text
    assert "1 of 4 checks; observed: adherence 4.0, quality 5.0 out of 5" in cohort_page
