"""Reading curriculum files: YAML on disk -> validated models, or precise errors.

A curriculum is a folder holding `curriculum.yaml` (title, programme model, units) and
`weeks/*.yaml`, one file a week. Every problem is reported with its file, line and key;
nothing is loaded unless every file is valid.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

HEADER_FILE = "curriculum.yaml"
WEEKS_DIR = "weeks"

Key = Annotated[
    str, StringConstraints(strict=True, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64)
]
Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1)]
Title = Annotated[
    str, StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=200)
]
PositiveInt = Annotated[int, Field(strict=True, gt=0)]
NonNegativeInt = Annotated[int, Field(strict=True, ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Programme(_Strict):
    """The programme model: the numbers every rule reads instead of literals. `weeks: 0` is
    a curriculum without group weeks (a guide for mentors or befrienders, with no weeks/
    folder): a programme without groups may use it, a cohort never."""

    weeks: NonNegativeInt = 30
    session_minutes: PositiveInt = 90
    skills_minutes: PositiveInt = 60
    cohort_min: PositiveInt = 8
    cohort_max: PositiveInt = 10
    facilitators: PositiveInt = 2
    age_min: PositiveInt = 9
    age_max: PositiveInt = 11
    mentor_max_caseload: PositiveInt = 2
    mentoring_hours_min: PositiveInt = 2
    mentoring_hours_max: PositiveInt = 4


class Unit(_Strict):
    key: Key
    title: Title
    description: str = ""


class Header(_Strict):
    slug: Key
    title: Title
    description: str = ""
    programme: Programme
    units: list[Unit] = Field(min_length=1)


class ActivitySource(_Strict):
    key: Key
    title: Title
    minutes: PositiveInt
    core: bool
    guidance: Text


class PracticeTaskSource(_Strict):
    key: Key
    title: Title
    description: Text


class WeekSource(_Strict):
    week: PositiveInt
    unit: Key
    title: Title
    summary: str = ""
    activities: list[ActivitySource] = Field(min_length=3, max_length=6)
    practice_tasks: list[PracticeTaskSource] = Field(min_length=1, max_length=3)


class CurriculumSource(_Strict):
    slug: str
    title: str
    description: str
    programme: Programme
    units: list[Unit]
    weeks: list[WeekSource]

    def content_hash(self) -> str:
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Problem:
    file: Path
    line: int | None
    key: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class CurriculumError(Exception):
    """One or more problems; nothing may be loaded."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Warning_:
    file: Path
    message: str

    def __str__(self) -> str:
        return f"{self.file}: warning: {self.message}"


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last)."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first given on line {seen[key] + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> tuple[Any, Node | None]:
    text = path.read_text(encoding="utf-8")
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return data, node


def line_of(node: Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the deepest node `loc` reaches in the YAML tree."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, ScalarNode) and key_node.value == str(part):
                    node = value_node
                    line = (
                        key_node.start_mark.line + 1
                        if isinstance(value_node, MappingNode | SequenceNode)
                        else value_node.start_mark.line + 1
                    )
                    break
            else:
                return line
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def key_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_MESSAGES = {
    "missing": "missing field",
    "extra_forbidden": "unknown field (check the spelling)",
    "int_type": "must be a whole number",
    "greater_than": "must be a positive whole number",
    "greater_than_equal": "must be 0 or a positive whole number",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "string_pattern_mismatch": "use lowercase letters, digits and hyphens, e.g. feelings-faces",
}


def _from_validation(path: Path, node: Node | None, exc: ValidationError) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        message = _MESSAGES.get(err["type"], err["msg"])
        if err["type"] in (
            "int_type",
            "greater_than",
            "greater_than_equal",
            "bool_type",
            "string_type",
        ):
            message += f" (got {err['input']!r})"
        if err["type"] in ("too_short", "too_long") and loc:
            message = err["msg"].replace("List", "this list")
        problems.append(Problem(path, line_of(node, loc), key_path(loc) or None, message))
    return problems


def _parse(path: Path, model: type[BaseModel]) -> tuple[Any, Node | None, list[Problem]]:
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
        return model.model_validate(data), node, []
    except ValidationError as exc:
        return None, node, _from_validation(path, node, exc)


def read_curriculum(folder: Path) -> tuple[CurriculumSource, list[Warning_]]:
    """Validate one curriculum folder. Raises CurriculumError listing every problem."""
    header_path = folder / HEADER_FILE
    if not header_path.is_file():
        raise CurriculumError([Problem(folder, None, None, f"no {HEADER_FILE} in this folder")])
    header, _header_node, problems = _parse(header_path, Header)
    warnings: list[Warning_] = []

    week_files = sorted((folder / WEEKS_DIR).glob("*.yaml")) + sorted(
        (folder / WEEKS_DIR).glob("*.yml")
    )
    weeks: list[WeekSource] = []
    week_origin: dict[int, Path] = {}
    unreadable = 0
    activity_keys: dict[str, Path] = {}
    task_keys: dict[str, Path] = {}
    units = {u.key for u in header.units} if isinstance(header, Header) else set()

    for path in week_files:
        week, node, week_problems = _parse(path, WeekSource)
        problems += week_problems
        if not isinstance(week, WeekSource):
            unreadable += 1
            continue
        if week.week in week_origin:
            problems.append(
                Problem(
                    path,
                    line_of(node, ("week",)),
                    "week",
                    f"week {week.week} is also in {week_origin[week.week]}",
                )
            )
            continue
        week_origin[week.week] = path
        if units and week.unit not in units:
            problems.append(
                Problem(
                    path,
                    line_of(node, ("unit",)),
                    "unit",
                    f"unknown unit {week.unit!r}; {HEADER_FILE} declares {sorted(units)}",
                )
            )
        if not any(a.core for a in week.activities):
            problems.append(
                Problem(
                    path,
                    line_of(node, ("activities",)),
                    "activities",
                    "no core activity: mark at least one activity core: true",
                )
            )
        keyed: tuple[tuple[str, list[str], dict[str, Path]], ...] = (
            ("activities", [a.key for a in week.activities], activity_keys),
            ("practice_tasks", [t.key for t in week.practice_tasks], task_keys),
        )
        for kind, keys, seen in keyed:
            for i, key in enumerate(keys):
                if key in seen:
                    other = "earlier in this file" if seen[key] == path else f"in {seen[key]}"
                    problems.append(
                        Problem(
                            path,
                            line_of(node, (kind, i, "key")),
                            f"{kind}[{i}].key",
                            f"duplicate key {key!r}: already used {other}",
                        )
                    )
                seen[key] = path
        total = sum(a.minutes for a in week.activities)
        if isinstance(header, Header):
            target = header.programme.skills_minutes
            if abs(total - target) > target // 4:
                warnings.append(
                    Warning_(path, f"activities add up to {total} minutes; the target is {target}")
                )
        weeks.append(week)

    if isinstance(header, Header):
        expected = header.programme.weeks
        if expected == 0:
            if week_files:
                problems.append(
                    Problem(
                        folder / WEEKS_DIR,
                        None,
                        None,
                        f"programme.weeks is 0 (no group weeks) but there are {len(week_files)} "
                        "week files: give the number of weeks, or remove the weeks folder",
                    )
                )
        elif not week_files:
            problems.append(Problem(folder / WEEKS_DIR, None, None, "no week files (*.yaml)"))
        elif len(week_files) != expected or (
            not unreadable and set(week_origin) != set(range(1, expected + 1))
        ):
            missing = sorted(set(range(1, expected + 1)) - set(week_origin))
            extra = sorted(set(week_origin) - set(range(1, expected + 1)))
            detail = f"expected weeks 1 to {expected}, found {len(week_files)} week files"
            if missing:
                detail += f"; missing {missing}"
            if extra:
                detail += f"; unexpected {extra}"
            problems.append(Problem(folder / WEEKS_DIR, None, None, detail))
    if problems:
        raise CurriculumError(problems)
    assert isinstance(header, Header)
    weeks.sort(key=lambda w: w.week)
    source = CurriculumSource(
        slug=header.slug,
        title=header.title,
        description=header.description,
        programme=header.programme,
        units=header.units,
        weeks=weeks,
    )
    return source, warnings


def find_curricula(path: Path) -> list[Path]:
    """`path` is one curriculum folder, or a folder of them (like the repo's curriculum/)."""
    if not path.exists():
        raise CurriculumError([Problem(path, None, None, "no such file or folder")])
    if path.is_file():
        path = path.parent if path.name == HEADER_FILE else path
        if path.is_file():
            raise CurriculumError(
                [Problem(path, None, None, f"give a curriculum folder (holding {HEADER_FILE})")]
            )
    if (path / HEADER_FILE).is_file():
        return [path]
    found = sorted(p.parent for p in path.glob(f"*/{HEADER_FILE}"))
    if not found:
        raise CurriculumError([Problem(path, None, None, f"no curriculum here (no {HEADER_FILE})")])
    return found


def read_all(path: Path) -> tuple[list[CurriculumSource], list[Warning_]]:
    """Every curriculum under `path`, all valid or a CurriculumError listing every problem."""
    sources: list[CurriculumSource] = []
    warnings: list[Warning_] = []
    problems: list[Problem] = []
    slugs: dict[str, Path] = {}
    for folder in find_curricula(path):
        try:
            source, found = read_curriculum(folder)
        except CurriculumError as exc:
            problems += exc.problems
            continue
        if source.slug in slugs:
            problems.append(
                Problem(
                    folder / HEADER_FILE,
                    None,
                    "slug",
                    f"slug {source.slug!r} is also used by {slugs[source.slug]}",
                )
            )
            continue
        slugs[source.slug] = folder
        sources.append(source)
        warnings += found
    if problems:
        raise CurriculumError(problems)
    return sources, warnings
