"""Issue 18's pages walked in Chromium as their users walk them, on a tablet: a legal hold
placed (an empty reason first) and lifted, the printable subject-access page on screen and
as printed, "Who looked at this record", an admin refused the erasure of a used record and
erasing a record made in error, the privacy notice (the footer's link, the admin's form, the
general statement before sign-in), the organisation's retention years, and an anonymised
child. Every page is reached by clicking from the navigation where a link exists, has no axe
violation (WCAG 2.2 A/AA and best practice), shows where the keyboard's focus is, and logs
no JavaScript error. Screenshots go to var/screenshots/records/ for a person to look at.

On a server of its own (the walks change the demo: a hold, an erasure, the notice, an
anonymised child), whose SQLite database this process opens to anonymise a child through
retention's own service, as the nightly run would."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlmodel import Session, select

from app.children.models import Child
from app.db import create_db_engine
from app.records import retention
from tests.e2e.conftest import served_demo
from tests.support.browser import (
    SCREENSHOTS,
    TABLET,
    BrowserPage,
    assert_accessible,
    assert_focus_visible,
)
from tests.support.clock import Clock

pytestmark = pytest.mark.e2e

SHOTS = SCREENSHOTS / "records"
LONG_DATE = re.compile(
    r"\b\d{1,2} (January|February|March|April|May|June|July|August|September|October"
    r"|November|December) \d{4}\b"
)
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# A child the other walks leave alone, anonymised in the last one.
ANONYMISED = "DEMO-24"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The base URL of a `tandem serve` of the demo, and its SQLite database file."""
    tmp = tmp_path_factory.mktemp("browser-records")
    with served_demo(tmp, worker=False) as url:
        yield url, tmp / "served.db"  # served_demo's database (tests/e2e/conftest.py)


@pytest.fixture(scope="module")
def live_server(served: tuple[str, Path]) -> str:
    return served[0]


def _shot(page: Page, name: str, show: Locator | None = None) -> None:
    """What a tablet shows: the top of the page, or the part around `show`."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    if show is not None:
        show.evaluate("(el) => el.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _check(page: Page, name: str, *, show: Locator | None = None) -> None:
    assert_accessible(page)
    _shot(page, name, show)
    assert_focus_visible(page, tabs=80)


def _home(pages: BrowserPage, role: str) -> Page:
    page = pages.new(TABLET, role=role)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    return page


def _menu(page: Page, name: str) -> None:
    menu = page.get_by_role("navigation", name="Menu")
    menu.get_by_role("link", name=name, exact=True).click()
    expect(menu.locator('[aria-current="page"]')).to_have_text(name)


def _open_child(page: Page, reference: str) -> None:
    _menu(page, "Children")
    page.get_by_role("link", name=reference, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(reference)


def _no_errors(js_errors: list[str], *statuses: int) -> None:
    """No JavaScript error; Chromium logs the error status of a page itself (a refused
    form's 422, a refused erasure's 409): those of `statuses` are expected."""
    expected = [f"status of {status}" for status in statuses]
    left = [e for e in js_errors if not any(s in e for s in expected)]
    assert left == [], "JavaScript errors:\n" + "\n".join(left)


def test_a_lead_places_a_legal_hold_then_lifts_it(pages: BrowserPage, js_errors: list[str]) -> None:
    page = _home(pages, "lead")
    _open_child(page, "DEMO-05")
    section = page.locator("#legal-hold")
    expect(section).to_have_text("Retention and legal hold")
    kept = re.compile(r"^Kept until \d{1,2} \w+ \d{4}: 6 years after their last involvement")
    expect(page.get_by_text(kept)).to_be_visible()
    page.get_by_role("link", name="Place a legal hold").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Place a legal hold")
    _check(page, "legal-hold-form")

    page.get_by_role("button", name="Place the legal hold").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile("^Error: "))
    link = summary.get_by_role("link")
    expect(link).to_have_count(1)
    _check(page, "legal-hold-error")
    link.click()
    reason = page.get_by_label("Reason for the legal hold")
    expect(reason).to_be_focused()
    expect(page.locator("#reason-error")).to_be_visible()

    reason.fill("Insurance claim about the summer trip: the council's solicitor asked.")
    page.get_by_role("button", name="Place the legal hold").click()
    expect(page).to_have_url(re.compile(r"/children/\d+#legal-hold$"))
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("DEMO-05's record is on legal hold")
    held = page.locator("#legal-hold").locator("xpath=following-sibling::*[position() <= 3]")
    expect(held.get_by_text("Legal hold", exact=True)).to_be_visible()
    expect(held.get_by_text("Insurance claim about the summer trip")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Kept until"))).to_have_count(0)
    _check(page, "legal-hold-placed", show=page.locator("#legal-hold"))

    page.get_by_role("link", name=re.compile("^Change the reason")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change the legal hold")
    reason = page.get_by_label("Reason for the legal hold")
    expect(reason).to_have_value(re.compile("^Insurance claim about the summer trip"))
    reason.fill("Insurance claim about the summer trip, and the inquiry after it.")
    page.get_by_role("button", name="Save the reason").click()
    expect(page.get_by_role("alert")).to_contain_text("DEMO-05's record is on legal hold")
    expect(page.get_by_text("and the inquiry after it.")).to_be_visible()

    page.get_by_role("button", name="Lift the legal hold").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "The legal hold on DEMO-05's record has been lifted."
    )
    expect(page.get_by_role("link", name="Place a legal hold")).to_be_visible()
    expect(page.get_by_text("Insurance claim about the summer trip")).to_have_count(0)
    _check(page, "legal-hold-lifted", show=page.locator("#legal-hold"))
    _no_errors(js_errors, 422)


def test_a_lead_prints_everything_held_about_a_child(
    pages: BrowserPage, js_errors: list[str]
) -> None:
    page = _home(pages, "lead")
    _open_child(page, "DEMO-01")
    child_id = re.search(r"/children/(\d+)", page.url).group(1)  # type: ignore[union-attr]
    page.get_by_role("link", name=re.compile("^Everything held, as a page to print")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Everything we hold about DEMO-01")
    for heading in (
        "About the child",
        "Consent",
        "Groups",
        "Group sessions (register entries)",
        "Mentor",
        "Questionnaires",
        "Life events",
        "Change history",
        "Who has looked at the record",
        "What the words mean",
    ):
        expect(page.get_by_role("heading", level=2, name=heading, exact=True)).to_be_visible()
    text = page.locator("main").inner_text()
    assert LONG_DATE.search(text), "dates are written out"
    assert not ISO_DATE.search(text), f"a date as a computer writes it: {ISO_DATE.search(text)}"
    # No database ids: not the child's, nor any "id" column or "#123" reference.
    assert not re.search(rf"\b(id|ID|Id)\b|#\d+|/children/{child_id}\b", text), text[:2000]
    expect(page.get_by_role("button", name="Print this page")).to_be_visible()
    _check(page, "export")
    _shot(page, "export-changes", page.get_by_role("heading", name="Change history"))

    page.emulate_media(media="print")
    for hidden in ("header", "nav[aria-label='Menu']", ".govuk-back-link", "footer"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.get_by_role("button", name="Print this page")).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    _shot(page, "export-print", page.locator("main"))
    page.emulate_media(media="screen")
    expect(page.locator("header")).to_be_visible()
    _no_errors(js_errors)


def test_a_lead_sees_their_own_look(pages: BrowserPage, js_errors: list[str]) -> None:
    page = _home(pages, "lead")
    _open_child(page, "DEMO-07")
    page.get_by_role("link", name=re.compile("^Who looked at this record in the last year")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Who looked at this record in the last year"
    )
    table = page.get_by_role("table")
    first = table.get_by_role("row").nth(1)  # newest first: the page just opened
    expect(first).to_contain_text("Lead")
    expect(first.get_by_role("cell").nth(2)).to_contain_text(LONG_DATE)
    assert not ISO_DATE.search(page.locator("main").inner_text())
    _check(page, "who-looked")
    page.get_by_role("link", name="Back to DEMO-07").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("DEMO-07")
    _no_errors(js_errors)


def test_an_admin_is_refused_a_used_record_and_erases_one_made_in_error(
    pages: BrowserPage, js_errors: list[str]
) -> None:
    page = _home(pages, "admin")
    _open_child(page, "DEMO-01")
    page.get_by_role("link", name=re.compile(r"^Erase this record \(made in error\)")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erase this record (made in error)")
    refused = page.locator("#refused")
    expect(refused).to_contain_text("DEMO-01 cannot be erased: they are on a recorded register")
    expect(refused).to_contain_text("anonymised instead")
    expect(page.get_by_role("button", name=re.compile("^Erase"))).to_have_count(0)
    _check(page, "erase-refused")
    page.get_by_role("link", name="How a used record is anonymised instead").click()
    expect(page).to_have_url(re.compile("#anonymisation$"))
    page.get_by_role("link", name="Back to the record of DEMO-01").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("DEMO-01")

    # The admin's audit of the record: who looked at it, the admin's look included.
    page.get_by_role("link", name=re.compile("^Every change to this record")).click()
    looked = page.locator("#who-looked")
    expect(looked.get_by_role("heading", name="Who looked")).to_be_visible()
    expect(looked.get_by_role("row").nth(1)).to_contain_text("Admin")
    _check(page, "audit-who-looked", show=looked)

    _menu(page, "Children")
    page.get_by_role("button", name="Register a child").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.get_by_label("Reference", exact=True).fill("E2E-TWICE")
    page.get_by_label("First name", exact=True).fill("Robin")
    born = page.get_by_role("group", name="Date of birth")
    born.get_by_label("Day").fill("14")
    born.get_by_label("Month").fill("2")
    born.get_by_label("Year").fill("2016")
    page.get_by_role("group", name="Type of placement").get_by_label("Foster care").check()
    page.get_by_label("Who gave consent").fill("Social worker")
    consent = page.get_by_role("group", name="Date consent was given")
    consent.get_by_label("Day").fill("1")
    consent.get_by_label("Month").fill("3")
    consent.get_by_label("Year").fill("2027")
    page.get_by_role("button", name=re.compile("^(Register|Save)")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("E2E-TWICE")

    page.get_by_role("link", name=re.compile(r"^Erase this record \(made in error\)")).click()
    expect(page.locator("#refused")).to_have_count(0)
    _check(page, "erase-form")
    page.get_by_label("Why the record was made in error").fill(
        "Registered twice: the child's record is DEMO-03."
    )
    page.get_by_role("button", name="Erase the record of E2E-TWICE").click()
    expect(page).to_have_url(re.compile(r"/children$"))
    expect(page.get_by_role("alert")).to_contain_text(
        "The record E2E-TWICE has been erased, with everything held about the child."
    )
    expect(page.get_by_role("link", name="E2E-TWICE")).to_have_count(0)
    _check(page, "erased")
    _no_errors(js_errors)


def test_the_privacy_notice_from_the_footer(pages: BrowserPage, js_errors: list[str]) -> None:
    lead = _home(pages, "lead")
    lead.get_by_role("contentinfo").get_by_role("link", name="Privacy").click()
    expect(lead.get_by_role("heading", level=1)).to_have_text("Privacy notice")
    expect(lead.locator("#no-notice")).to_contain_text("has not written its privacy notice")
    expect(lead.get_by_role("link", name="Write the privacy notice")).to_have_count(0)
    _check(lead, "privacy-none")

    page = _home(pages, "admin")
    _menu(page, "Settings")
    records = page.get_by_role("group", name="Children's records")
    expect(records.get_by_label(re.compile("^Keep a child's record, years after"))).to_have_value(
        "6"
    )
    _check(page, "organisation", show=records)
    page.get_by_role("link", name="Privacy notice").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy notice")
    _check(page, "privacy-form")
    box = page.get_by_label("Your organisation's privacy notice")
    box.fill("x" * 20_001)
    page.get_by_role("button", name="Save the privacy notice").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("20,000 characters or fewer")
    assert_accessible(page)
    summary.get_by_role("link").click()
    expect(box).to_be_focused()
    notice = (
        "Demo Council runs the mentoring programme and decides what Tandem records.\n\n"
        "We keep a child's record for six years after their last session.\n"
        "Ask our data protection officer for a copy."
    )
    box.fill(notice)
    page.get_by_role("button", name="Save the privacy notice").click()
    expect(page.get_by_role("alert")).to_contain_text("Saved. Everyone in your organisation")
    _check(page, "privacy-saved")
    page.get_by_role("link", name="/privacy").click()
    shown = page.locator("#privacy-notice")
    expect(shown.locator("p")).to_have_count(2)
    expect(shown).to_contain_text("We keep a child's record for six years")
    expect(page.get_by_role("link", name="Change the privacy notice")).to_be_visible()
    _check(page, "privacy-notice")

    lead.reload()
    expect(lead.locator("#privacy-notice")).to_contain_text("Demo Council runs the mentoring")

    out = pages.new(TABLET, role=None)
    out.goto("/login")
    out.get_by_role("contentinfo").get_by_role("link", name="Privacy").click()
    expect(out.get_by_role("heading", level=1)).to_have_text("Privacy")
    expect(out.locator("#generic-notice")).to_contain_text("Each organisation decides")
    expect(out.get_by_text("Demo Council runs the mentoring")).to_have_count(0)
    _check(out, "privacy-signed-out")
    out.get_by_role("link", name="sign in", exact=True).click()
    expect(out.get_by_role("heading", level=1)).to_have_text(re.compile("^Sign in"))
    _no_errors(js_errors, 422)


def test_an_anonymised_child(
    pages: BrowserPage, js_errors: list[str], served: tuple[str, Path], clock: Clock
) -> None:
    engine = create_db_engine(f"sqlite:///{served[1]}")
    try:
        with Session(engine) as db:
            child = db.exec(select(Child).where(Child.reference == ANONYMISED)).one()
            assert child.id is not None
            retention.anonymise_children(
                db, org_id=child.org_id, child_ids=[child.id], now=clock.now.astimezone(dt.UTC)
            )
            db.commit()
            reference = db.exec(select(Child.reference).where(Child.id == child.id)).one()
    finally:
        engine.dispose()
    assert reference.startswith("ANON-")

    page = _home(pages, "lead")
    _menu(page, "Children")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=reference))
    expect(row.get_by_text("Anonymised", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=ANONYMISED, exact=True)).to_have_count(0)
    _check(page, "children-anonymised", show=row)
    row.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(reference)
    banner = page.locator("#anonymised")
    expect(banner).to_contain_text(f"This record was anonymised on {clock.today.day} ")
    expect(page.get_by_role("button", name=re.compile("^Change details"))).to_have_count(0)
    expect(page.get_by_role("link", name="Place a legal hold")).to_have_count(0)
    expect(page.get_by_text(re.compile("^Age at their first session"))).to_be_visible()
    _check(page, "child-anonymised")
    _no_errors(js_errors)
