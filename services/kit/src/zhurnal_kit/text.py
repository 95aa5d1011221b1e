"""Text rules shared by services: lesson topics are written in Russian (R-5)."""

from __future__ import annotations

import re
import unicodedata

_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


def tidy_topic(text: str) -> str:
    """NFC, trimmed, runs of spaces and line breaks as one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def in_russian(text: str) -> bool:
    """The text has at least one Cyrillic letter (R-5: topics are written in Russian)."""
    return bool(_CYRILLIC.search(text))
