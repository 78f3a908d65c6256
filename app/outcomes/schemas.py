"""What a measure file under outcomes/ says (checked by app/outcomes/source.py when loaded),
and the API's shapes for measures, assessments, life events and the report."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.outcomes.models import Timepoint

Key = str  # lower_snake_case: checked by the pattern below
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Strict):
    """A published source: the citation people can look up."""

    citation: str = Field(min_length=10, max_length=500)
    url: str | None = Field(default=None, max_length=500)


class Licence(Strict):
    name: str = Field(max_length=200)
    url: str | None = Field(default=None, max_length=500)
    # Whether the items' wording may be shown on screen. False (the SDQ): Tandem records the
    # scores worked out on the paper form, never the items.
    item_text_allowed: bool
    notes: str = Field(default="", max_length=2000)


class Band(Strict):
    """A published band of scores, from `min` to `max` inclusive, such as "high"."""

    name: str = Field(max_length=60)
    min: float
    max: float
    high: bool = False  # the band (or bands) "moving out of the high band" counts from


class Norms(Strict):
    """For one informant: the scale's standard deviation and reliability (for the reliable
    change index), and its bands, each from a published source. A figure that is not
    published for this informant is left out (no reliable change without both)."""

    sd: float | None = Field(default=None, gt=0)
    reliability: float | None = Field(default=None, gt=0, lt=1)
    source: Source
    bands: list[Band] = Field(default_factory=list)


class Item(Strict):
    key: Key = Field(pattern=KEY_PATTERN)
    text: str = Field(max_length=500)


class Scale(Strict):
    key: Key = Field(pattern=KEY_PATTERN)
    name: str = Field(max_length=120)
    min: float
    max: float
    higher_is: Literal["better", "worse"]
    # Entered by hand (the SDQ's subscales, from the paper form), or worked out by Tandem:
    # the sum of other scales (the SDQ's total difficulties) or of items (times `multiplier`,
    # as the WHO-5's percentage score).
    derived: Literal["entered", "sum_of_scales", "sum_of_items"] = "entered"
    from_scales: list[Key] = Field(default_factory=list)
    multiplier: float = 1
    norms: dict[str, Norms] = Field(description="By informant")

    @model_validator(mode="after")
    def _range(self) -> Scale:
        if self.min >= self.max:
            raise ValueError(f"scale {self.key}: min must be below max")
        return self


class ItemScale(Strict):
    """Items answered on one response scale (0 to 5 for the WHO-5), with the words of each
    answer where the licence allows them."""

    min: int
    max: int
    labels: dict[int, str] = Field(default_factory=dict)


class MeasureFile(Strict):
    """One file under outcomes/: an instrument, versioned."""

    key: Key = Field(pattern=KEY_PATTERN)
    version: int = Field(ge=1)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    licence: Licence
    informants: dict[Key, str] = Field(description="key: what the page calls them")
    entry: Literal["scores", "items"]
    items: list[Item] = Field(default_factory=list)
    item_scale: ItemScale | None = None
    scales: list[Scale]
    timepoints: list[Timepoint] = Field(default_factory=lambda: list(Timepoint))
    ages: tuple[int, int] | None = None  # the ages it is validated for, if any


class ScalePublic(BaseModel):
    key: str
    name: str
    min: float
    max: float
    higher_is: Literal["better", "worse"]


class MeasurePublic(BaseModel):
    """GET /api/v1/measures (API.md "Outcomes")."""

    key: str
    name: str
    informants: list[str]
    scales: list[ScalePublic]
    timepoints: list[Timepoint]
