"""Loading measures: each file's content becomes a new version of its measure only when it
changed (same content hash as the latest version: nothing to do)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, col, select

from app.outcomes.measures.source import as_definition, content_hash, read_all
from app.outcomes.models import Measure
from app.outcomes.schemas import MeasureFile


@dataclass(frozen=True)
class LoadResult:
    key: str
    version: int
    created: bool  # False: the content was already loaded as this version


def load_measures(db: Session, measures: list[MeasureFile]) -> list[LoadResult]:
    """Store each measure as a new version unless its latest version holds the same content.
    The stored version number is the loaded count (1, 2, ...), whatever the file says."""
    results = []
    for measure in measures:
        digest = content_hash(measure)
        latest = db.exec(
            select(Measure).where(Measure.key == measure.key).order_by(col(Measure.version).desc())
        ).first()
        if latest is not None and latest.content_hash == digest:
            results.append(LoadResult(measure.key, latest.version, created=False))
            continue
        version = latest.version + 1 if latest is not None else 1
        definition = as_definition(measure)
        definition["version"] = version
        db.add(
            Measure(
                key=measure.key,
                version=version,
                name=measure.name,
                content_hash=digest,
                definition=definition,
                loaded_at=datetime.now(UTC),
            )
        )
        db.flush()
        results.append(LoadResult(measure.key, version, created=True))
    return results


def load_path(db: Session, path: Path) -> list[LoadResult]:
    """Check every measure under `path` first; load them only if all are valid."""
    return load_measures(db, read_all(path))
