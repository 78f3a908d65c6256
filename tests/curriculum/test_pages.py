from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_curriculum_page_lists_30_weeks_by_unit(lead_pages: TestClient, curriculum_id: int) -> None:
    response = lead_pages.get("/curriculum")
    assert response.status_code == 200
    html = response.text
    links = re.findall(rf'href="/curriculum/{curriculum_id}/weeks/(\d+)"', html)
    assert sorted(map(int, links)) == list(range(1, 31))
    assert "Recognising feelings" in html
    assert "Looking ahead" in html
    assert '<a href="#main-content" class="govuk-skip-link"' in html
    assert 'aria-current="page"' in html


def test_week_page_shows_activities_and_practice(
    lead_pages: TestClient, curriculum_id: int
) -> None:
    weeks = lead_pages.get(f"/api/v1/curricula/{curriculum_id}/weeks").json()
    week = weeks[2]
    response = lead_pages.get(f"/curriculum/{curriculum_id}/weeks/3")
    assert response.status_code == 200
    html = response.text
    assert week["title"] in html
    for activity in week["activities"]:
        assert activity["title"] in html
    for task in week["practice_tasks"]:
        assert task["title"] in html
    assert "Core" in html
    assert f'href="/curriculum/{curriculum_id}/weeks/2"' in html
    assert f'href="/curriculum/{curriculum_id}/weeks/4"' in html


def test_unknown_week_is_a_404_page(lead_pages: TestClient, curriculum_id: int) -> None:
    for path in (f"/curriculum/{curriculum_id}/weeks/31", "/curriculum/999999/weeks/1"):
        response = lead_pages.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "Page not found" in response.text


def test_bad_week_number_is_a_clear_error_page(lead_pages: TestClient, curriculum_id: int) -> None:
    response = lead_pages.get(f"/curriculum/{curriculum_id}/weeks/three")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1" in response.text


def test_htmx_request_gets_only_the_fragment(lead_pages: TestClient) -> None:
    response = lead_pages.get("/no-such-page", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert "<html" not in response.text
    assert "Page not found" in response.text
    boosted = lead_pages.get("/no-such-page", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.text


def test_home_page(lead_pages: TestClient) -> None:
    response = lead_pages.get("/")
    assert response.status_code == 200
    assert "Tandem skills group" in response.text
