from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.queries import CountQueries


def test_list_curricula(lead_api: TestClient, curriculum_id: int) -> None:
    response = lead_api.get("/api/v1/curricula")
    assert response.status_code == 200
    (item,) = response.json()
    assert item["id"] == curriculum_id
    assert item["slug"] == "tandem-skills"
    assert item["version"] == 1
    assert item["weeks"] == 30
    assert item["latest"] is True
    assert {"id", "slug", "version", "title", "weeks"} <= item.keys()


def test_weeks_follow_the_contract(lead_api: TestClient, curriculum_id: int) -> None:
    response = lead_api.get(f"/api/v1/curricula/{curriculum_id}/weeks")
    assert response.status_code == 200
    weeks = response.json()
    assert [w["week"] for w in weeks] == list(range(1, 31))
    week = weeks[0]
    assert {"week", "unit", "title", "activities", "practice_tasks"} <= week.keys()
    activity = week["activities"][0]
    assert {"id", "key", "title", "minutes", "core"} <= activity.keys()
    task = week["practice_tasks"][0]
    assert {"id", "key", "title", "description"} <= task.keys()
    assert all(any(a["core"] for a in w["activities"]) for w in weeks)


def test_weeks_of_unknown_curriculum_is_404_problem(lead_api: TestClient) -> None:
    response = lead_api.get("/api/v1/curricula/999999/weeks")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert body["title"] == "Not found"
    assert "999999" in body["detail"]


def test_weeks_with_bad_id_is_422_with_field_errors(lead_api: TestClient) -> None:
    for bad in ("abc", "0", "-1", "99999999999999999999"):
        response = lead_api.get(f"/api/v1/curricula/{bad}/weeks")
        assert response.status_code == 422, bad
        assert response.headers["content-type"] == "application/problem+json"
        (error,) = response.json()["errors"]
        assert error["loc"] == ["path", "curriculum_id"]
        assert error["msg"]


def test_queries_do_not_grow_with_weeks(
    lead_api: TestClient, curriculum_id: int, count_queries: CountQueries
) -> None:
    with count_queries() as counted:
        lead_api.get(f"/api/v1/curricula/{curriculum_id}/weeks")
    # token, curriculum, weeks, activities, practice tasks: whatever the number of weeks.
    assert counted.count == 5, counted.statements
