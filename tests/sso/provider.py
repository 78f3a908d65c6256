"""A real OpenID provider for the tests: tests/sso/provider/provider.js (panva's
oidc-provider) on a free port, and a person signing in on it, driven through its own forms
with httpx2 as a browser would."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.support.served import free_port

HERE = Path(__file__).resolve().parent / "provider"
CLIENT_ID = "tandem-tests"
CLIENT_SECRET = "provider-client-secret-for-tests"  # the test provider's own
REDIRECT_URI = "http://testserver/login/sso/callback"

# The provider's people, by `sub` (what its login form takes).
ACCOUNTS: list[dict[str, Any]] = [
    {"sub": "lead", "email": "lead@org-a.example.org", "email_verified": True},
    {"sub": "admin", "email": "Admin@Org-A.example.org", "email_verified": True},
    {"sub": "unverified", "email": "mentor@org-a.example.org", "email_verified": False},
    {"sub": "stranger", "email": "nobody@org-a.example.org", "email_verified": True},
    {"sub": "inactive", "email": "facilitator@org-a.example.org", "email_verified": True},
    {"sub": "visitor", "email": "visitor@org-a.example.org", "email_verified": True},
    {"sub": "outsider", "email": "lead@org-b.example.org", "email_verified": True},
]


class Provider:
    """`node provider.js` on a free port of 127.0.0.1, at the test's clock."""

    def __init__(
        self,
        redirect_uri: str = REDIRECT_URI,
        accounts: list[dict[str, Any]] | None = None,
        *,
        email_in_id_token: bool = False,
    ) -> None:
        self.email_in_id_token = email_in_id_token
        self.accounts = ACCOUNTS if accounts is None else accounts
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.redirect_uri = redirect_uri
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20) -> None:
        node = shutil.which("node")
        if node is None or not (HERE / "node_modules" / "oidc-provider").is_dir():
            pytest.fail("the test OpenID provider is not installed: run `make sso-provider`")
        env = {
            **os.environ,
            "PORT": str(self.port),
            "CLIENT_ID": CLIENT_ID,
            "CLIENT_SECRET": CLIENT_SECRET,
            "REDIRECT_URI": self.redirect_uri,
            "ACCOUNTS": json.dumps(self.accounts),
            "NOW_MS": str(int(time.time() * 1000)),
            "EMAIL_IN_ID_TOKEN": "1" if self.email_in_id_token else "0",
        }
        self.proc = subprocess.Popen(
            [node, "provider.js"],
            cwd=HERE,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"the test OpenID provider exited with {self.proc.returncode}")
            try:
                found = httpx2.get(f"{self.issuer}/.well-known/openid-configuration", timeout=2)
                if found.status_code == 200:
                    return
            except httpx2.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail("the test OpenID provider did not answer its discovery address")

    def set_clock(self) -> None:
        """Move the provider's clock to the test's (time-machine's) now."""
        response = httpx2.put(f"{self.issuer}/__clock?now={int(time.time() * 1000)}", timeout=5)
        assert response.status_code == 204

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def sign_in_at_provider(authorize_url: str, sub: str, *, stop_at: str) -> str:
    """Follow the provider's pages from Tandem's redirect as a person would: its login form
    (oidc-provider's development form: the login is the account's `sub`, any password), until
    it sends the browser to an address starting with `stop_at`; that address."""
    with httpx2.Client(follow_redirects=False, timeout=10) as browser:
        response = browser.get(authorize_url)
        for _ in range(10):
            if response.status_code in (302, 303):
                location = str(response.headers["location"])
                if location.startswith(stop_at):
                    return location
                response = browser.get(httpx2.URL(str(response.url)).join(location))
                continue
            assert response.status_code == 200, response.text[:500]
            match = _ACTION.search(response.text)
            assert match, f"no form on the provider's page:\n{response.text[:500]}"
            action = httpx2.URL(str(response.url)).join(match.group(1).replace("&amp;", "&"))
            fields = dict(_HIDDEN.findall(response.text))
            response = browser.post(action, data={**fields, "login": sub, "password": "anything"})
        raise AssertionError("the provider never sent the browser back")


def query(url: str) -> dict[str, str]:
    return dict(httpx2.URL(url).params)
