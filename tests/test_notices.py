"""The success banner after a redirect: shown once, on the next full page, escaped."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient

from app.web import NOTICE_COOKIE, redirect, render


def test_a_notice_is_shown_once_on_the_next_page_and_escaped() -> None:
    app = FastAPI()

    @app.post("/save")
    def save(request: Request) -> Response:
        return redirect(request, "/page", notice="Cohort <b>Tuesday</b> created")

    @app.get("/page")
    def page(request: Request) -> Response:
        return render(request, "errors/error.html", {"title": "T", "detail": "D", "status": 200})

    client = TestClient(app)
    after = client.post("/save")
    assert after.status_code == 200
    assert after.url.path == "/page"
    assert "Cohort &lt;b&gt;Tuesday&lt;/b&gt; created" in after.text
    assert 'role="alert"' in after.text
    assert NOTICE_COOKIE not in client.cookies
    again = client.get("/page")
    assert "Tuesday" not in again.text


def test_htmx_saves_carry_the_notice_to_the_page_they_redirect_to() -> None:
    app = FastAPI()

    @app.post("/save")
    def save(request: Request) -> Response:
        return redirect(request, "/page", notice="Saved")

    response = TestClient(app).post("/save", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/page"
    assert NOTICE_COOKIE in response.headers["set-cookie"]
