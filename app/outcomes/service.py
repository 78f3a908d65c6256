"""Measures (loaded from outcomes/ by app/outcomes/source.py): the latest version of each."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.exceptions import NotFound
from app.outcomes.models import Measure
from app.outcomes.schemas import MeasureFile


def measures(db: Session) -> list[tuple[Measure, MeasureFile]]:
    """The latest version of every measure, by name."""
    rows = db.exec(select(Measure).order_by(col(Measure.key), col(Measure.version).desc())).all()
    latest: dict[str, Measure] = {}
    for row in rows:
        latest.setdefault(row.key, row)
    found = [(row, MeasureFile.model_validate(row.definition)) for row in latest.values()]
    return sorted(found, key=lambda pair: pair[0].name)


def get_measure(db: Session, key: str) -> tuple[Measure, MeasureFile]:
    """The latest version of the measure `key`, or NotFound."""
    row = db.exec(
        select(Measure).where(Measure.key == key).order_by(col(Measure.version).desc())
    ).first()
    if row is None:
        raise NotFound(f"There is no measure {key!r}.")
    return row, MeasureFile.model_validate(row.definition)
