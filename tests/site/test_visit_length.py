"""The visit's length: radios of the usual lengths, and "Another length" revealing the
minutes box (GOV.UK conditional reveal; without JavaScript the box is always there)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.mentoring import Mentees, visit_form
from tests.support.pages import post
from tests.support.people import People, Signed

OPEN = "tandem-reveal__target--open"
CSS = Path(__file__).resolve().parents[2] / "app" / "static" / "css" / "tandem.css"


def reveal(html: str) -> str:
    """The class attribute of the box's conditional region."""
    found = re.search(r'class="([^"]*)" id="conditional-minutes-other"', html)
    assert found is not None
    return found.group(1)


def test_the_minutes_box_is_revealed_by_another_length(
    people: People, signed: Signed, mentees: Mentees
) -> None:
    pages = signed.pages(people.mentor)
    html = pages.get(f"/visits/new?match_id={mentees.amira_match}").text
    # Radios, the first one the error summary's target, "Another length" controlling the box.
    assert 'id="minutes" name="minutes" type="radio" value="30"' in html
    assert re.search(r'value="other" data-reveals="conditional-minutes-other"', html)
    assert "tandem-reveal__target" in reveal(html)
    assert OPEN not in reveal(html)
    assert 'name="minutes_other"' in html
    # Hidden only once GOV.UK Frontend runs and while another length is not chosen: without
    # JavaScript the box is always there (the browser test checks the reveal itself).
    rule = CSS.read_text().split(".govuk-frontend-supported\n  .tandem-reveal", 1)[1]
    assert rule.startswith(":not(:has([data-reveals]:checked))")
    assert "display: none" in rule.split("}", 1)[0]
    assert "<select" not in html.split('name="minutes"')[0].rsplit("<fieldset", 1)[-1]


def test_another_length_shown_again_keeps_the_box_open(
    people: People, signed: Signed, mentees: Mentees
) -> None:
    pages = signed.pages(people.mentor)
    form = visit_form(mentees, mentees.today, minutes="other", minutes_other="")
    refused = post(pages, "/visits/new", form)
    assert refused.status_code == 422
    assert "Enter how many minutes the visit lasted" in refused.text
    assert OPEN in reveal(refused.text)
    assert re.search(r'value="other" data-reveals="[^"]+" checked', refused.text)
    chosen = post(pages, "/visits/new", {**form, "minutes": "90", "start_time": ""})
    assert chosen.status_code == 422
    assert OPEN not in reveal(chosen.text)
    assert 'value="90" checked' in chosen.text
