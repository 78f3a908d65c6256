"""The /outcomes page and its printable version: figures as tables with the definitions, the
two charts with their data tables, "too few to report", the filters, and bad filters
shown as errors beside their fields."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import Session

from tests.outcomes.report_support import add_measure, paired
from tests.support.builder import Builder
from tests.support.people import People

HAND = [(20.0, 12.0), (18.0, 17.0), (22.0, 14.0), (10.0, 12.0), (15.0, 25.0)]


@pytest.fixture
def build(db: Session, people: People, curriculum_id: int) -> Builder:
    add_measure(db)
    return Builder(db, people, curriculum_id)


def test_the_page_shows_the_figures_charts_and_definitions(
    build: Builder, db: Session, lead_pages: Any
) -> None:
    paired(build, HAND)
    db.commit()
    page = lead_pages.get("/outcomes")
    assert page.status_code == 200
    html = page.text
    assert "Test Measure: Carer" in html
    assert "17.0" in html  # mean at baseline
    assert "-1.00" in html  # mean change
    assert "(-10.37 to 8.37)" in html  # its 95% interval
    assert "2 / 2 / 1" in html  # improved / no reliable change / deteriorated
    assert "too few to report" in html  # the child informant, the follow-ups
    assert html.count("<svg") == 4  # a slope chart and change bars per informant
    assert 'role="img"' in html
    assert "Show the data" in html
    assert "What the figures mean" in html
    assert "t(0.975, n \u2212 1)" in html
    assert 'href="/outcomes/print?as_of=2027-03-10"' in html
    assert 'href="/outcomes"' in html  # in the navigation


def test_the_printable_version(build: Builder, db: Session, lead_pages: Any) -> None:
    paired(build, HAND)
    db.commit()
    page = lead_pages.get("/outcomes/print", params={"as_of": "2027-02-01"})
    assert page.status_code == 200
    assert "print.css" in page.text
    assert "Back to outcomes" in page.text
    assert "1 February 2027" in page.text


def test_filters(build: Builder, db: Session, lead_pages: Any) -> None:
    cohort = build.cohort(dt.date(2026, 9, 1), name="Spring group")
    paired(build, HAND, cohort_id=cohort)
    db.commit()
    page = lead_pages.get("/outcomes", params={"cohort_id": cohort, "measure": "test_measure"})
    assert page.status_code == 200
    assert "Outcomes: Spring group" in page.text
    assert f'<option value="{cohort}" selected>Spring group</option>' in page.text
    assert '<option value="test_measure" selected>Test Measure</option>' in page.text


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"measure": "nope"}, "measure", "Choose a measure from the list"),
        ({"as_of-day": "31", "as_of-month": "2", "as_of-year": "2027"}, "as_of", ""),
    ],
)
def test_bad_filters_are_shown_beside_their_fields(
    build: Builder, lead_pages: Any, params: dict[str, str], field: str, message: str
) -> None:
    page = lead_pages.get("/outcomes", params=params)
    assert page.status_code == 422
    assert "There is a problem" in page.text
    assert f'href="#{field}"' in page.text
    assert message in page.text


def test_an_unknown_cohort_is_404(build: Builder, lead_pages: Any) -> None:
    assert lead_pages.get("/outcomes", params={"cohort_id": "999999"}).status_code == 404
    assert lead_pages.get("/outcomes", params={"cohort_id": "x"}).status_code == 404


def test_leads_see_it_in_the_navigation_and_facilitators_do_not(
    build: Builder, people: People, signed: Any
) -> None:
    assert 'href="/outcomes"' in signed.pages(people.lead).get("/").text
    assert 'href="/outcomes"' not in signed.pages(people.facilitator).get("/").text
