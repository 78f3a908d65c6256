"""How well a mentor meets a child's wishes and characteristics: a score in [0, 1] by the
organisation's weights, with the reasons in plain words. No queries: the suggestions and a
new match call it with rows already read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.auth.models import DEFAULT_MATCH_WEIGHTS
from app.children.lists import (
    ETHNICITY_LABELS,
    LANGUAGE_LABELS,
    MENTOR_GENDER_WORDS,
    OTHER,
    informative,
)
from app.children.models import Child


def _fold(values: Any) -> dict[str, str]:
    return {str(v).strip().casefold(): str(v).strip() for v in values or () if str(v).strip()}


def _comparable(key: str | None) -> str | None:
    """A gender or ethnic group key that can make a match: not blank, not "prefer not to
    say" (no information), not "other" (the words kept beside it say what it is, and two
    people's words are not one group)."""
    known = informative(key)
    return None if known == OTHER else known


@dataclass(frozen=True)
class ChildNeeds:
    """What a child brings to matching, once for comparing with many mentors: the keys of
    the controlled lists (app/children/lists.py), each with the words for the reasons."""

    gender: str | None
    gender_label: str | None
    ethnicity: str | None
    same_ethnicity_asked: bool
    languages: dict[str, str]
    interests: dict[str, str]

    @classmethod
    def of(cls, child: Child) -> ChildNeeds:
        prefs = child.preferences or {}
        wanted = _comparable(prefs.get("mentor_gender"))
        languages = prefs.get("languages") or child.languages
        return cls(
            gender=wanted,
            gender_label=MENTOR_GENDER_WORDS.get(wanted, wanted) if wanted else None,
            ethnicity=_comparable(child.ethnicity),
            same_ethnicity_asked=bool(prefs.get("same_ethnicity")),
            languages={str(k): LANGUAGE_LABELS.get(str(k), str(k)) for k in languages or ()},
            interests=_fold(child.interests),
        )


def _keys(values: Any) -> set[str]:
    return {str(v).strip().casefold() for v in values or ()}


def _listed(values: Any) -> set[str]:
    return {str(v) for v in values or ()}


class Scorer:
    """Scores mentors for one child: what depends only on the child and the weights (which
    characteristics count, and the total) is worked out once, not for every mentor."""

    def __init__(self, needs: ChildNeeds, weights: dict[str, int]) -> None:
        w = {**DEFAULT_MATCH_WEIGHTS, **weights}
        self.needs = needs
        self.gender = w["gender"] if needs.gender is not None else 0
        self.ethnicity = w["ethnicity"] if needs.ethnicity is not None else 0
        self.languages = w["languages"] if needs.languages else 0
        self.interests = w["interests"] if needs.interests else 0
        self.care = w["care_experience"]
        self.total = self.gender + self.ethnicity + self.languages + self.interests + self.care
        self.enough = min(3, len(needs.interests)) or 1

    def __call__(
        self,
        gender: str | None,
        ethnicity: str | None,
        languages: Any,
        interests: Any,
        care_experience: bool,
        reasons: list[str] | None = None,
    ) -> float:
        """The score in [0, 1]; the reasons are added to `reasons` when it is given."""
        if not self.total:
            return 0.0
        needs, earned = self.needs, 0.0
        if self.gender and _comparable(gender) == needs.gender:
            earned += self.gender
            if reasons is not None:
                reasons.append(f"child asked for a {needs.gender_label} mentor")
        if self.ethnicity and _comparable(ethnicity) == needs.ethnicity:
            earned += self.ethnicity
            if reasons is not None:
                reasons.append(
                    "child asked for a mentor of the same ethnicity"
                    if needs.same_ethnicity_asked
                    else f"same ethnicity ({ETHNICITY_LABELS.get(needs.ethnicity or '')})"
                )
        if self.languages and languages:
            theirs = _listed(languages)
            if not theirs.isdisjoint(needs.languages):
                earned += self.languages
                if reasons is not None:
                    spoken = [label for key, label in needs.languages.items() if key in theirs]
                    reasons.append("speaks " + ", ".join(spoken))
        if self.interests and interests:
            theirs = _keys(interests)
            shared = len(theirs.intersection(needs.interests))
            if shared:
                earned += self.interests * min(1.0, shared / self.enough)
                if reasons is not None:
                    labels = [label for key, label in needs.interests.items() if key in theirs]
                    reasons.append("shares interests: " + ", ".join(labels))
        if self.care and care_experience:
            earned += self.care
            if reasons is not None:
                reasons.append("mentor has care experience")
        return round(earned / self.total, 3)


def score(
    needs: ChildNeeds,
    *,
    gender: str | None,
    ethnicity: str | None,
    languages: Any,
    interests: Any,
    care_experience: bool,
    weights: dict[str, int],
) -> tuple[float, list[str]]:
    """A score in [0, 1]: the weighted share of the child's wishes and characteristics the
    mentor meets, over the characteristics the child has (so an unknown one neither helps
    nor harms), with the reasons in plain words."""
    reasons: list[str] = []
    value = Scorer(needs, weights)(
        gender, ethnicity, languages, interests, care_experience, reasons
    )
    return value, reasons
