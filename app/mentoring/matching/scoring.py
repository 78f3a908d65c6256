"""How well a mentor meets a child's wishes and characteristics: a score in [0, 1] by the
organisation's weights, with the reasons in plain words. No queries: the suggestions and a
new match call it with rows already read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.auth.models import DEFAULT_MATCH_WEIGHTS
from app.children.models import Child


def _fold(values: Any) -> dict[str, str]:
    return {str(v).strip().casefold(): str(v).strip() for v in values or () if str(v).strip()}


@dataclass(frozen=True)
class ChildNeeds:
    """What a child brings to matching, folded once for comparing with many mentors."""

    gender: str | None
    gender_label: str | None
    ethnicity: str | None
    same_ethnicity_asked: bool
    languages: dict[str, str]
    interests: dict[str, str]

    @classmethod
    def of(cls, child: Child) -> ChildNeeds:
        prefs = child.preferences or {}
        wanted = prefs.get("mentor_gender")
        languages = prefs.get("languages") or child.languages
        return cls(
            gender=wanted.strip().casefold() if wanted else None,
            gender_label=wanted.strip() if wanted else None,
            ethnicity=child.ethnicity.strip().casefold() if child.ethnicity else None,
            same_ethnicity_asked=bool(prefs.get("same_ethnicity")),
            languages=_fold(languages),
            interests=_fold(child.interests),
        )


def _keys(values: Any) -> set[str]:
    return {str(v).strip().casefold() for v in values or ()}


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
        if self.gender and gender and gender.strip().casefold() == needs.gender:
            earned += self.gender
            if reasons is not None:
                reasons.append(f"child asked for a {needs.gender_label} mentor")
        if self.ethnicity and ethnicity and ethnicity.strip().casefold() == needs.ethnicity:
            earned += self.ethnicity
            if reasons is not None:
                reasons.append(
                    "child asked for a mentor of the same ethnicity"
                    if needs.same_ethnicity_asked
                    else f"same ethnicity ({ethnicity.strip()})"
                )
        if self.languages and languages:
            theirs = _keys(languages)
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
