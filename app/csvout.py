"""CSV downloads people open in a spreadsheet: a UTF-8 byte-order mark so Excel reads the
text as UTF-8, and cells that a spreadsheet would run as a formula made inert (OWASP's
advice on CSV injection: a cell starting with =, +, -, @, tab or carriage return gets a
leading apostrophe). Every CSV Tandem serves goes through here."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

BOM = "\ufeff"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value, or for text that a spreadsheet would read as a formula, the text behind an
    apostrophe. Numbers stay numbers: a negative figure is data, not a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """The rows (the first is the header) as CSV with CRLF line ends, after a BOM."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
