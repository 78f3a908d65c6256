"""What a measure does not publish is null in the report, never zero: no child counts as
reliably changed on a scale with no published SD and reliability (the WHO-5 today), and no
share leaves a high band the measure does not define."""

from __future__ import annotations

from app.outcomes.report.service import Obs, Published, cell
from app.outcomes.schemas import Band, Norms, Source

SOURCE = Source(citation="A test source")
OBS = [Obs(60.0, 72.0, None, True, True) for _ in range(3)] + [
    Obs(40.0, 44.0, None, False, False) for _ in range(3)
]


def test_no_sd_means_no_reliable_change_figures_but_the_band_still_counts() -> None:
    norms = Norms(source=SOURCE, bands=[Band(name="Low", min=0, max=50, high=True)])
    published = Published.of(norms)
    assert published == Published(reliable_change=False, high_band=True)
    found = cell(OBS, published)
    assert (found.improved, found.no_reliable_change, found.deteriorated) == (None, None, None)
    assert found.high_at_baseline == 3
    assert found.left_high_share is None  # three children in the band: too few to report
    assert found.n_paired == 6
    assert found.mean_change == 8.0


def test_an_sd_without_bands_counts_reliable_change_only() -> None:
    published = Published.of(Norms(sd=4.0, reliability=0.8, source=SOURCE))
    assert published == Published(reliable_change=True, high_band=False)
    found = cell([Obs(20.0, 10.0, "improved", False, False) for _ in range(5)], published)
    assert (found.improved, found.no_reliable_change, found.deteriorated) == (5, 0, 0)
    assert found.high_at_baseline is None
    assert found.left_high_share is None


def test_no_norms_for_the_informant_nothing_is_counted() -> None:
    found = cell(OBS, Published.of(None))
    assert found.improved is None
    assert found.high_at_baseline is None
    assert found.mean_change == 8.0
