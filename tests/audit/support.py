"""Reading the audit pages as people do: the text, tags and spacing left out."""

from __future__ import annotations

import re
from html import unescape


def text_of(html: str) -> str:
    """The page's words, one space between them (visually hidden words included, as a
    screen reader reads them)."""
    without_tags = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", unescape(without_tags)).strip()
