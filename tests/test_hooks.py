"""Hooks: how a later domain answers an earlier one's question (app/hooks.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.children import service as children
from app.clock import ORGANISATIONS
from app.hooks import Hook
from app.sessions import service as sessions


def test_an_unset_hook_fails_loudly_and_a_set_one_answers() -> None:
    hook: Hook[Callable[[int], int]] = Hook("a doubling", "tests.test_hooks")
    with pytest.raises(
        RuntimeError, match=r"a doubling has no rule: is tests\.test_hooks imported"
    ):
        hook()

    @hook.set
    def double(n: int) -> int:
        return n * 2

    assert hook()(21) == 42
    assert double(1) == 2  # set() hands the rule back: usable as a decorator


def test_every_hook_the_app_declares_is_set_once_the_app_is_imported() -> None:
    import app.main  # noqa: F401 - importing the app imports every domain

    for hook in (
        children.SEEN_BY_FACILITATOR,
        children.SEEN_BY_MENTOR,
        sessions.ACTIVE_MENTOR,
        ORGANISATIONS,
    ):
        assert hook() is not None, hook.name
