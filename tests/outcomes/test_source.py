"""Measure files: the repo's two are valid and say what the sources say; every rule of the
loader, with the file, line and key of each problem; versions on load; the commands."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest
from sqlmodel import Session, col, func, select
from typer.testing import CliRunner

from app.cli import app as cli
from app.config import get_settings
from app.db import create_db_engine
from app.outcomes.measures.service import load_path
from app.outcomes.measures.source import MeasureError, content_hash, read_all, read_measure
from app.outcomes.models import Measure
from app.outcomes.schemas import MeasureFile
from app.outcomes.service import get_measure, measures
from tests.support.databases import OUTCOMES, DatabaseFactory
from tests.support.files import edit


@pytest.fixture
def outcomes_copy(tmp_path: Path) -> Path:
    target = tmp_path / "outcomes"
    shutil.copytree(OUTCOMES, target)
    return target


def problems_of(path: Path) -> list[str]:
    with pytest.raises(MeasureError) as caught:
        read_all(path)
    return [str(p) for p in caught.value.problems]


def by_key(path: Path = OUTCOMES) -> dict[str, MeasureFile]:
    return {m.key: m for m in read_all(path)}


# The repo's files ------------------------------------------------------------------------


def test_the_sdq_is_scores_only_with_its_scales_and_informants() -> None:
    sdq = by_key()["sdq"]
    assert sdq.entry == "scores"
    assert sdq.licence.item_text_allowed is False
    assert sdq.items == []
    assert sdq.item_scale is None
    assert list(sdq.informants) == ["carer", "teacher", "self"]
    scales = {s.key: s for s in sdq.scales}
    for key in ("emotional", "conduct", "hyperactivity", "peer"):
        assert (scales[key].min, scales[key].max, scales[key].higher_is) == (0, 10, "worse")
    assert (scales["prosocial"].max, scales["prosocial"].higher_is) == (10, "better")
    total = scales["total_difficulties"]
    assert total.derived == "sum_of_scales"
    assert total.from_scales == ["emotional", "conduct", "hyperactivity", "peer"]
    assert (total.min, total.max, total.higher_is) == (0, 40, "worse")


@pytest.mark.parametrize(
    ("informant", "scale", "sd", "alpha", "high_from"),
    [
        # Meltzer et al. 2000 British norms (SD); Goodman 2001 (alpha); sdqinfo four bands.
        ("carer", "total_difficulties", 5.8, 0.82, 17),
        ("carer", "emotional", 2.0, 0.67, 5),
        ("carer", "hyperactivity", 2.6, 0.77, 8),
        ("teacher", "total_difficulties", 6.0, 0.87, 16),
        ("teacher", "hyperactivity", 2.8, 0.88, 8),
        ("teacher", "peer", 1.8, 0.70, 5),
        ("self", "total_difficulties", 5.2, 0.80, 18),
        ("self", "peer", 1.4, 0.41, 4),
        ("self", "conduct", 1.7, 0.60, 5),
    ],
)
def test_sdq_norms_and_bands_are_the_published_figures(
    informant: str, scale: str, sd: float, alpha: float, high_from: int
) -> None:
    (found,) = [s for s in by_key()["sdq"].scales if s.key == scale]
    norms = found.norms[informant]
    assert (norms.sd, norms.reliability) == (sd, alpha)
    assert "Goodman R (2001)" in norms.source.citation
    assert "Meltzer" in norms.source.citation
    names = [b.name for b in norms.bands]
    assert names == ["Close to average", "Slightly raised", "High", "Very high"]
    assert min(b.min for b in norms.bands if b.high) == high_from
    assert [b.high for b in norms.bands] == [False, False, True, True]
    # The bands cover the whole range without a gap.
    edges = sorted((b.min, b.max) for b in norms.bands)
    assert edges[0][0] == found.min
    assert edges[-1][1] == found.max
    assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(edges))


def test_sdq_prosocial_bands_run_downwards() -> None:
    (prosocial,) = [s for s in by_key()["sdq"].scales if s.key == "prosocial"]
    bands = prosocial.norms["carer"].bands
    assert [(b.name, b.min, b.max, b.high) for b in bands] == [
        ("Close to average", 8, 10, False),
        ("Slightly lowered", 7, 7, False),
        ("Low", 6, 6, True),
        ("Very low", 0, 5, True),
    ]


def test_the_who5_is_entered_item_by_item_and_scored_to_100() -> None:
    who5 = by_key()["who5"]
    assert who5.entry == "items"
    assert who5.licence.item_text_allowed is True
    assert "CC BY-NC-SA 3.0 IGO" in who5.licence.name
    assert len(who5.items) == 5
    assert who5.item_scale is not None
    assert (who5.item_scale.min, who5.item_scale.max) == (0, 5)
    assert set(who5.item_scale.labels) == set(range(6))
    (scale,) = who5.scales
    assert (scale.derived, scale.multiplier, scale.min, scale.max) == ("sum_of_items", 4, 0, 100)
    norms = scale.norms["self"]
    assert norms.sd is None  # no citable adolescent SD: no reliable change (see the file)
    assert norms.reliability == 0.80
    assert [(b.max, b.high) for b in norms.bands if b.high] == [(50, True)]


# The rules -------------------------------------------------------------------------------


def test_a_problem_names_file_line_and_key(outcomes_copy: Path) -> None:
    edit(outcomes_copy / "sdq.yaml", "    higher_is: worse\n", "    higher_is: worst\n")
    (problem,) = problems_of(outcomes_copy)
    assert problem.startswith(f"{outcomes_copy / 'sdq.yaml'}:31: scales[0].higher_is: ")


def test_a_file_with_bad_yaml_says_where(outcomes_copy: Path) -> None:
    (outcomes_copy / "who5.yaml").write_text("key: who5\nname: [unclosed\n", encoding="utf-8")
    (problem,) = problems_of(outcomes_copy)
    assert "who5.yaml:" in problem
    assert "not valid YAML" in problem


def test_a_key_given_twice_is_refused(outcomes_copy: Path) -> None:
    edit(outcomes_copy / "who5.yaml", "version: 1\n", "version: 1\nversion: 2\n")
    (problem,) = problems_of(outcomes_copy)
    assert "duplicate key 'version'" in problem


def test_unknown_fields_and_missing_ones_are_named(outcomes_copy: Path) -> None:
    edit(outcomes_copy / "who5.yaml", "entry: items\n", "entri: items\n")
    found = problems_of(outcomes_copy)
    assert any("entry: missing field" in p for p in found)
    assert any("entri: unknown field" in p for p in found)


def test_a_derived_scale_must_name_existing_entered_scales(outcomes_copy: Path) -> None:
    edit(outcomes_copy / "sdq.yaml", "from_scales: [emotional,", "from_scales: [emotionl,")
    found = problems_of(outcomes_copy)
    assert any("scales[5].from_scales[0]: no scale 'emotionl'" in p for p in found)


def test_a_derived_range_must_match_its_derivation(outcomes_copy: Path) -> None:
    edit(outcomes_copy / "sdq.yaml", "    max: 40\n", "    max: 50\n")
    found = problems_of(outcomes_copy)
    assert any("scales[5].max: the sum of its scales runs from 0 to 40" in p for p in found)
    # Bands beyond the (wrong) range are not the complaint: only the derivation is.


def test_an_item_total_range_must_match_items_times_multiplier(outcomes_copy: Path) -> None:
    edit(outcomes_copy / "who5.yaml", "    multiplier: 4\n", "    multiplier: 5\n")
    found = problems_of(outcomes_copy)
    assert any("5 items x multiplier run from 0 to 125" in p for p in found)


def test_norms_only_for_the_measures_informants(outcomes_copy: Path) -> None:
    edit(outcomes_copy / "who5.yaml", "  self: Young person (self-report)\n", "  child: Child\n")
    found = problems_of(outcomes_copy)
    assert any("norms.self: 'self' is not one of this measure's informants" in p for p in found)


def test_items_need_a_licence_that_allows_their_wording(outcomes_copy: Path) -> None:
    edit(outcomes_copy / "who5.yaml", "item_text_allowed: true", "item_text_allowed: false")
    found = problems_of(outcomes_copy)
    assert any('licence.item_text_allowed: entry "items" shows the items' in p for p in found)


def test_items_entry_needs_items_and_an_item_scale(tmp_path: Path, outcomes_copy: Path) -> None:
    text = (outcomes_copy / "who5.yaml").read_text(encoding="utf-8")
    start, end = text.index("items:\n  - {key: cheerful"), text.index("scales:\n")
    (outcomes_copy / "who5.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    found = problems_of(outcomes_copy / "who5.yaml")
    assert any('items: entry "items" needs the items' in p for p in found)
    assert any('entry: entry "items" needs an item_scale' in p for p in found)


def test_a_scores_measure_may_not_hold_items(outcomes_copy: Path) -> None:
    edit(
        outcomes_copy / "sdq.yaml",
        "entry: scores\n",
        "entry: scores\nitems:\n  - {key: one, text: An item}\n",
    )
    found = problems_of(outcomes_copy)
    assert any('items are only for entry "items"' in p for p in found)
    assert any("the licence does not allow the items' wording" in p for p in found)


def test_overlapping_bands_and_bands_outside_the_range(outcomes_copy: Path) -> None:
    edit(
        outcomes_copy / "sdq.yaml",
        "{name: Slightly raised, min: 4, max: 4}",
        "{name: Slightly raised, min: 3, max: 11}",
    )
    found = problems_of(outcomes_copy)
    assert any("'Slightly raised' lies outside the scale's range" in p for p in found)
    assert any("bands 'Close to average' and 'Slightly raised' overlap" in p for p in found)


def test_the_key_must_be_the_files_name(outcomes_copy: Path) -> None:
    shutil.copy(outcomes_copy / "who5.yaml", outcomes_copy / "wellbeing.yaml")
    found = problems_of(outcomes_copy)
    assert any("wellbeing.yaml:4: key: the key must be the file's name" in p for p in found)


def test_every_bad_file_is_reported_at_once(outcomes_copy: Path) -> None:
    edit(outcomes_copy / "sdq.yaml", "key: sdq", "key: SDQ")
    edit(outcomes_copy / "who5.yaml", "version: 1", "version: 0")
    found = problems_of(outcomes_copy)
    assert any("sdq.yaml" in p and "lowercase letters, digits and underscores" in p for p in found)
    assert any("who5.yaml" in p and "version" in p for p in found)


def test_no_files_and_no_folder_are_problems(tmp_path: Path) -> None:
    assert problems_of(tmp_path) == [f"{tmp_path}: no measure files (*.yaml) here"]
    assert problems_of(tmp_path / "missing") == [f"{tmp_path / 'missing'}: no such file or folder"]


def test_one_file_can_be_read_alone() -> None:
    assert read_measure(OUTCOMES / "who5.yaml").key == "who5"


def test_the_hash_follows_content_not_layout(outcomes_copy: Path) -> None:
    before = content_hash(read_measure(outcomes_copy / "sdq.yaml"))
    edit(outcomes_copy / "sdq.yaml", "key: sdq\n", "# a comment\nkey:   sdq\n")
    assert content_hash(read_measure(outcomes_copy / "sdq.yaml")) == before
    edit(outcomes_copy / "sdq.yaml", "sd: 5.8", "sd: 5.9")
    assert content_hash(read_measure(outcomes_copy / "sdq.yaml")) != before


# Loading ---------------------------------------------------------------------------------


def count(db: Session) -> int:
    return db.exec(select(func.count()).select_from(Measure)).one()


def test_the_suite_database_holds_version_1_of_each(db: Session) -> None:
    assert [(row.key, row.version) for row, _ in measures(db)] == [("sdq", 1), ("who5", 1)]


def test_unchanged_content_is_a_no_op(db: Session) -> None:
    before = count(db)
    results = load_path(db, OUTCOMES)
    assert [(r.key, r.version, r.created) for r in results] == [
        ("sdq", 1, False),
        ("who5", 1, False),
    ]
    assert count(db) == before


def test_changed_content_is_a_new_version_and_the_old_one_stays(
    db: Session, outcomes_copy: Path
) -> None:
    edit(outcomes_copy / "sdq.yaml", "sd: 5.8", "sd: 5.9")
    results = load_path(db, outcomes_copy)
    assert [(r.key, r.version, r.created) for r in results] == [
        ("sdq", 2, True),
        ("who5", 1, False),
    ]
    row, definition = get_measure(db, "sdq")
    assert (row.version, definition.version) == (2, 2)
    (total,) = [s for s in definition.scales if s.key == "total_difficulties"]
    assert total.norms["carer"].sd == 5.9
    old = db.exec(select(Measure).where(Measure.key == "sdq", col(Measure.version) == 1)).one()
    assert old.definition["scales"][5]["norms"]["carer"]["sd"] == 5.8


def test_a_bad_file_loads_nothing(db: Session, outcomes_copy: Path) -> None:
    edit(outcomes_copy / "sdq.yaml", "sd: 5.8", "sd: 5.9")
    edit(outcomes_copy / "who5.yaml", "max: 100", "max: 99")
    before = count(db)
    with pytest.raises(MeasureError):
        load_path(db, outcomes_copy)
    assert count(db) == before


# The commands ----------------------------------------------------------------------------


def test_validate_says_valid() -> None:
    result = CliRunner().invoke(cli, ["outcomes", "validate", str(OUTCOMES)])
    assert result.exit_code == 0, result.output
    assert "sdq: 6 scales, valid" in result.output
    assert "who5: 1 scales, valid" in result.output


def test_validate_prints_every_problem_and_fails(outcomes_copy: Path) -> None:
    edit(outcomes_copy / "who5.yaml", "multiplier: 4", "multiplier: 5")
    result = CliRunner().invoke(cli, ["outcomes", "validate", str(outcomes_copy)])
    assert result.exit_code == 1
    assert "who5.yaml:" in result.output
    assert "1 problem; nothing was loaded." in result.output


def test_load_loads_once_then_is_unchanged(
    databases: DatabaseFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = databases.migrated("outcomes_cli", curriculum=False)
    monkeypatch.setenv("TANDEM_DATABASE_URL", url)
    get_settings.cache_clear()  # the migration read the settings before the URL was set
    monkeypatch.chdir(OUTCOMES.parent)  # the default folder is outcomes/, as `make run` runs it
    first = CliRunner().invoke(cli, ["outcomes", "load"])
    assert first.exit_code == 0, first.output
    assert "sdq: loaded as version 1" in first.output
    assert "who5: loaded as version 1" in first.output
    again = CliRunner().invoke(cli, ["outcomes", "load"])
    assert again.exit_code == 0, again.output
    assert "sdq: unchanged, still version 1" in again.output


def test_load_of_a_bad_folder_fails_and_loads_nothing(
    databases: DatabaseFactory, monkeypatch: pytest.MonkeyPatch, outcomes_copy: Path
) -> None:
    url = databases.migrated("outcomes_bad", curriculum=False)
    monkeypatch.setenv("TANDEM_DATABASE_URL", url)
    get_settings.cache_clear()
    edit(outcomes_copy / "sdq.yaml", "entry: scores", "entry: answers")
    result = CliRunner().invoke(cli, ["outcomes", "load", str(outcomes_copy)])
    assert result.exit_code == 1
    assert "sdq.yaml:" in result.output
    assert "nothing was loaded" in result.output
    engine = create_db_engine(url)
    with Session(engine) as db:
        assert count(db) == 0
    engine.dispose()
