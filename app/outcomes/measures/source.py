"""Reading measure files: outcomes/<key>.yaml -> checked MeasureFile, or precise problems.

Each file is one instrument (app/outcomes/schemas.MeasureFile). Every problem is reported
with its file, line and key; nothing is loaded unless every file is valid. Beyond the
schema: derived scales name existing scales, norms only for listed informants, a measure
entered item by item has items, an item scale and a licence that allows their wording, and
a derived scale's range is the one its derivation gives.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.nodes import Node

from app.curriculum.source import Problem, key_path, line_of, read_yaml
from app.outcomes.schemas import MeasureFile

__all__ = ["MeasureError", "Problem", "content_hash", "find_files", "read_all", "read_measure"]


class MeasureError(Exception):
    """One or more problems; nothing may be loaded."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def content_hash(measure: MeasureFile) -> str:
    """SHA-256 of the measure's content, canonical JSON: the same content, the same hash,
    whatever the file's layout, comments or key order."""
    canonical = json.dumps(measure.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_MESSAGES = {
    "missing": "missing field",
    "extra_forbidden": "unknown field (check the spelling)",
    "string_pattern_mismatch": "use lowercase letters, digits and underscores, e.g. peer",
}


def _parse(path: Path) -> tuple[MeasureFile | None, Node | None, list[Problem]]:
    try:
        data, node = read_yaml(path)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        return None, None, [Problem(path, line, None, f"not valid YAML: {exc.problem}")]
    except (OSError, UnicodeDecodeError) as exc:
        return None, None, [Problem(path, None, None, f"cannot be read: {exc}")]
    if not isinstance(data, dict):
        return None, node, [Problem(path, 1, None, "must be a mapping of fields (key: value)")]
    try:
        return MeasureFile.model_validate(data), node, []
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            message = _MESSAGES.get(err["type"], err["msg"])
            problems.append(Problem(path, line_of(node, loc), key_path(loc) or None, message))
        return None, node, problems


def _check(path: Path, node: Node | None, m: MeasureFile) -> list[Problem]:
    """The cross-checks the schema alone cannot make."""
    problems: list[Problem] = []

    def add(loc: tuple[int | str, ...], message: str) -> None:
        problems.append(Problem(path, line_of(node, loc), key_path(loc), message))

    if path.stem != m.key:
        add(("key",), f"the key must be the file's name ({path.stem!r})")
    if not m.informants:
        add(("informants",), "name at least one informant")
    if not m.scales:
        add(("scales",), "name at least one scale")
    index: dict[str, int] = {}
    for i, scale in enumerate(m.scales):
        if scale.key in index:
            add(("scales", i, "key"), f"scale {scale.key!r} is given twice")
        index.setdefault(scale.key, i)
    item_keys = [item.key for item in m.items]
    for i, key in enumerate(item_keys):
        if key in item_keys[:i]:
            add(("items", i, "key"), f"item {key!r} is given twice")

    if m.entry == "items":
        if not m.items:
            add(("items",), 'entry "items" needs the items')
        if m.item_scale is None:
            add(("entry",), 'entry "items" needs an item_scale (the answers\' range)')
        if not m.licence.item_text_allowed:
            add(
                ("licence", "item_text_allowed"),
                'entry "items" shows the items: the licence must allow their wording',
            )
    else:
        if m.items:
            add(("items",), 'items are only for entry "items" (this measure enters scores)')
        if m.item_scale is not None:
            add(("item_scale",), 'item_scale is only for entry "items"')
    if m.items and not m.licence.item_text_allowed:
        add(("items",), "the licence does not allow the items' wording here")
    if m.item_scale is not None:
        if m.item_scale.min >= m.item_scale.max:
            add(("item_scale", "min"), "min must be below max")
        for answer in m.item_scale.labels:
            if not m.item_scale.min <= answer <= m.item_scale.max:
                add(("item_scale", "labels"), f"label for {answer}, outside the item scale")

    for i, scale in enumerate(m.scales):
        here: tuple[int | str, ...] = ("scales", i)
        if scale.derived == "entered" and m.entry == "items":
            add((*here, "derived"), "a measure entered item by item derives every scale")
        if scale.derived == "sum_of_items" and m.entry != "items":
            add((*here, "derived"), 'sum_of_items needs entry "items"')
        if scale.derived != "sum_of_scales" and scale.from_scales:
            add((*here, "from_scales"), "from_scales is only for derived: sum_of_scales")
        if scale.derived != "sum_of_items" and scale.multiplier != 1:
            add((*here, "multiplier"), "multiplier is only for derived: sum_of_items")
        if scale.derived == "sum_of_scales":
            parts = []
            if not scale.from_scales:
                add((*here, "from_scales"), "name the scales it adds up")
            for j, key in enumerate(scale.from_scales):
                if key not in index:
                    add((*here, "from_scales", j), f"no scale {key!r} in this measure")
                elif index[key] >= i or m.scales[index[key]].derived != "entered":
                    add((*here, "from_scales", j), f"{key!r} must be an entered scale above")
                else:
                    parts.append(m.scales[index[key]])
            if parts and len(parts) == len(scale.from_scales):
                low, high = sum(p.min for p in parts), sum(p.max for p in parts)
                if (scale.min, scale.max) != (low, high):
                    add((*here, "max"), f"the sum of its scales runs from {low:g} to {high:g}")
        if scale.derived == "sum_of_items" and m.item_scale is not None and m.items:
            n = len(m.items)
            low = n * m.item_scale.min * scale.multiplier
            high = n * m.item_scale.max * scale.multiplier
            if (scale.min, scale.max) != (low, high):
                add((*here, "max"), f"{n} items x multiplier run from {low:g} to {high:g}")
        for informant, norms in scale.norms.items():
            at = (*here, "norms", informant)
            if informant not in m.informants:
                add(at, f"{informant!r} is not one of this measure's informants")
            for k, b in enumerate(norms.bands):
                if b.min > b.max:
                    add((*at, "bands", k), f"band {b.name!r}: min is above max")
                if b.min < scale.min or b.max > scale.max:
                    add((*at, "bands", k), f"band {b.name!r} lies outside the scale's range")
            ordered = sorted(norms.bands, key=lambda b: b.min)
            for a, b in itertools.pairwise(ordered):
                if b.min <= a.max:
                    add((*at, "bands"), f"bands {a.name!r} and {b.name!r} overlap")
    return problems


def read_measure(path: Path) -> MeasureFile:
    """Read and check one measure file; MeasureError lists every problem."""
    measure, node, problems = _parse(path)
    if measure is not None:
        problems += _check(path, node, measure)
    if problems:
        raise MeasureError(problems)
    assert measure is not None
    return measure


def find_files(path: Path) -> list[Path]:
    """`path` is one measure file, or a folder of them (like the repo's outcomes/)."""
    if not path.exists():
        raise MeasureError([Problem(path, None, None, "no such file or folder")])
    if path.is_file():
        return [path]
    found = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
    if not found:
        raise MeasureError([Problem(path, None, None, "no measure files (*.yaml) here")])
    return found


def read_all(path: Path) -> list[MeasureFile]:
    """Every measure under `path`, all valid, or a MeasureError listing every problem."""
    measures: list[MeasureFile] = []
    problems: list[Problem] = []
    keys: dict[str, Path] = {}
    for file in find_files(path):
        try:
            measure = read_measure(file)
        except MeasureError as exc:
            problems += exc.problems
            continue
        if measure.key in keys:
            problems.append(Problem(file, None, "key", f"also the key of {keys[measure.key]}"))
            continue
        keys[measure.key] = file
        measures.append(measure)
    if problems:
        raise MeasureError(problems)
    return measures


def as_definition(measure: MeasureFile) -> dict[str, Any]:
    """What the measure table's `definition` column holds."""
    return measure.model_dump(mode="json")
