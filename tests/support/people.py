"""The people every test may need: organisation A with one user of each role, organisation B
with its own lead and admin, and test clients signed in as any of them."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth import service as auth_service
from app.auth.deps import SESSION_COOKIE
from app.auth.models import Organisation, Role, User

PASSWORD = "correct horse battery staple"


class People:
    """Organisation A with one user of each role, and organisation B with its own lead."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self.org, _ = auth_service.get_or_create_organisation(db, "Org A")
        self.other_org, _ = auth_service.get_or_create_organisation(db, "Org B")
        self.admin = self.add(Role.admin)
        self.lead = self.add(Role.lead)
        self.facilitator = self.add(Role.facilitator)
        self.mentor = self.add(Role.mentor)
        self.other_lead = self.add(Role.lead, org=self.other_org, email="lead@org-b.example.org")
        self.other_admin = self.add(Role.admin, org=self.other_org, email="admin@org-b.example.org")
        db.commit()

    def add(
        self,
        role: Role,
        *,
        org: Organisation | None = None,
        email: str | None = None,
        name: str | None = None,
    ) -> User:
        org = org or self.org
        return auth_service.create_user(
            self.db,
            actor=None,
            org_id=org.id or 0,
            email=email or f"{role.value}@org-a.example.org",
            name=name or f"{role.value.capitalize()} of {org.name}",
            role=role,
            password=PASSWORD,
        )

    def by_role(self, name: str) -> User:
        return {
            "admin": self.admin,
            "lead": self.lead,
            "facilitator": self.facilitator,
            "mentor": self.mentor,
            "other_org": self.other_lead,
        }[name]


class PageClient(TestClient):
    """A browser signed in by session cookie (redirects shown, not followed), with the
    session's CSRF token for the forms it posts."""

    def __init__(self, app: FastAPI, *, session_cookie: str, csrf_token: str) -> None:
        super().__init__(app, follow_redirects=False)
        self.cookies.set(SESSION_COOKIE, session_cookie)
        self.csrf_token = csrf_token


class Signed:
    """Test clients signed in as someone: by bearer token (API) or session cookie (pages)."""

    def __init__(self, app: FastAPI, db: Session) -> None:
        self.app = app
        self.db = db
        self.clients: list[TestClient] = []

    def api(self, user: User) -> TestClient:
        raw, _ = auth_service.issue_token(self.db, user=user)
        self.db.commit()
        client = TestClient(self.app, headers={"Authorization": f"Bearer {raw}"})
        self.clients.append(client)
        return client

    def pages(self, user: User) -> PageClient:
        raw, session = auth_service.start_session(self.db, user=user)
        self.db.commit()
        client = PageClient(self.app, session_cookie=raw, csrf_token=session.csrf_token)
        self.clients.append(client)
        return client

    def close(self) -> None:
        for client in self.clients:
            client.close()
