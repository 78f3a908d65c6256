"""Rules a later domain supplies to an earlier one.

The domains import one another only downwards, in the order of their nouns (auth,
curriculum, children, cohorts, sessions, mentoring, fidelity; docs/architecture.md). Where an
earlier domain needs a fact only a later one knows (which children a facilitator may see is
cohorts' knowledge; a child's mentor is mentoring's), the earlier one declares a `Hook` and
the later one sets it where its own rule is defined, when its module is imported (app/main.py
imports every domain). Asking an unset hook fails loudly rather than answering "nobody"."""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Hook(Generic[T]):
    def __init__(self, name: str, owner: str) -> None:
        self.name = name
        self.owner = owner
        self._rule: T | None = None

    def set(self, rule: T) -> T:
        """Supply the rule (usable as a decorator); the later domain's module does this."""
        self._rule = rule
        return rule

    def __call__(self) -> T:
        if self._rule is None:
            raise RuntimeError(f"{self.name} has no rule: is {self.owner} imported?")
        return self._rule
