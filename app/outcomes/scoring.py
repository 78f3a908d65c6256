"""Scoring a measure: the scales Tandem works out (a total from subscales, a percentage from
items), checking every score against its range, the published bands, and reliable change
(Jacobson and Truax 1991). Pure functions of a measure's definition (app/outcomes/schemas)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

from app.exceptions import Invalid
from app.outcomes.schemas import Band, MeasureFile, Scale

Change = Literal["improved", "no_reliable_change", "deteriorated"]
RCI_THRESHOLD = 1.96  # two-tailed 95%


def _problem(field: str, message: str) -> dict[str, object]:
    return {"loc": ["body", field], "msg": message, "type": "value_error"}


def _scale(definition: MeasureFile, key: str) -> Scale:
    for scale in definition.scales:
        if scale.key == key:
            return scale
    raise KeyError(key)


def score(
    definition: MeasureFile,
    informant: str,
    *,
    scores: Mapping[str, float] | None = None,
    items: Mapping[str, int] | None = None,
) -> dict[str, float]:
    """Every scale's score ({scale: value}) from what was entered: the entered scales' own
    scores (a measure entered as scores) or the items' answers (one entered item by item),
    then the derived scales. Invalid (422, every problem at once, each naming its field)
    for an unknown informant, scale or item, a missing one, or one out of its range."""
    problems: list[dict[str, object]] = []
    if informant not in definition.informants:
        known = ", ".join(definition.informants)
        problems.append(_problem("informant", f"Choose who answered: {known}"))
    scores = dict(scores or {})
    items = dict(items or {})
    out: dict[str, float] = {}
    if definition.entry == "scores":
        entered = [s for s in definition.scales if s.derived == "entered"]
        known_keys = {s.key for s in entered}
        for key in sorted(set(scores) - known_keys):
            problems.append(_problem(f"scores.{key}", f"{key} is not a scale entered here"))
        for scale in entered:
            value = scores.get(scale.key)
            if value is None:
                problems.append(_problem(f"scores.{scale.key}", f"Enter the {scale.name} score"))
            elif (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(float(value))
            ):
                problems.append(_problem(f"scores.{scale.key}", f"Enter {scale.name} as a number"))
            elif not scale.min <= float(value) <= scale.max:
                problems.append(
                    _problem(
                        f"scores.{scale.key}",
                        f"{scale.name} must be from {scale.min:g} to {scale.max:g}",
                    )
                )
            else:
                out[scale.key] = float(value)
    else:
        scale_range = definition.item_scale
        assert scale_range is not None
        known_items = {item.key for item in definition.items}
        for key in sorted(set(items) - known_items):
            problems.append(_problem(f"items.{key}", f"{key} is not an item of this measure"))
        for number, item in enumerate(definition.items, start=1):
            answer = items.get(item.key)
            if answer is None:
                problems.append(_problem(f"items.{item.key}", f"Answer item {number}"))
            elif (
                isinstance(answer, bool)
                or not isinstance(answer, int)
                or not scale_range.min <= answer <= scale_range.max
            ):
                problems.append(
                    _problem(
                        f"items.{item.key}",
                        f"Item {number} must be a whole number"
                        f" from {scale_range.min} to {scale_range.max}",
                    )
                )
    if problems:
        raise Invalid("; ".join(str(p["msg"]) for p in problems), problems)
    for scale in definition.scales:
        if scale.derived == "sum_of_scales":
            out[scale.key] = sum(out[key] for key in scale.from_scales)
        elif scale.derived == "sum_of_items":
            out[scale.key] = sum(items[item.key] for item in definition.items) * scale.multiplier
    return out


def band(definition: MeasureFile, scale_key: str, informant: str, value: float) -> Band | None:
    """The published band `value` falls in, for this informant, if any."""
    norms = _scale(definition, scale_key).norms.get(informant)
    if norms is None:
        return None
    return next((b for b in norms.bands if b.min <= value <= b.max), None)


def reliable_change(
    definition: MeasureFile, scale_key: str, informant: str, before: float, after: float
) -> Change | None:
    """Jacobson-Truax: the change over its standard error of difference, SD x sqrt(2) x
    sqrt(1 - reliability); beyond 1.96 either way it is reliable, and `higher_is` says
    which way is better. None when the scale has no norms for this informant."""
    scale = _scale(definition, scale_key)
    norms = scale.norms.get(informant)
    if norms is None or norms.sd is None or norms.reliability is None:
        return None
    se_diff = norms.sd * math.sqrt(2) * math.sqrt(1 - norms.reliability)
    rci = (after - before) / se_diff
    if abs(rci) <= RCI_THRESHOLD:
        return "no_reliable_change"
    better = rci > 0 if scale.higher_is == "better" else rci < 0
    return "improved" if better else "deteriorated"
