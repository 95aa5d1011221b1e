"""The gateway's languages: Russian by default, English on request (Accept-Language).

Texts a person reads are written in English in the code and templates and translated in
gettext catalogues: every ``locale/<language>/LC_MESSAGES/*.po`` (one file per part of the UI,
so parts grow without editing each other's file). Babel reads them the first time a language
is used and turns them into gettext translations in memory: nothing is compiled at build time
and nothing read at import. English needs no catalogue: its texts are the message ids.
"""

from __future__ import annotations

import gettext as gnu
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from fastapi import Request

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("ru", "en")
DEFAULT = "ru"


def language(request: Request) -> str:
    """'en' when the client prefers English to Russian, otherwise Russian (the default)."""
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("en"):
            return "en"
        if tag.startswith("ru"):
            return "ru"
    return DEFAULT


def _catalogues(lang: str) -> list[Catalog]:
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    found = []
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as file:
            found.append(read_po(file, locale=lang))
    return found


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The singular translations of ``lang`` (message id -> text); empty for English."""
    return {
        str(message.id): str(message.string)
        for catalog in _catalogues(lang)
        for message in catalog
        if isinstance(message.id, str) and message.id and message.string and not message.fuzzy
    }


@cache
def translations(lang: str) -> gnu.NullTranslations:
    """``lang``'s translations with its plural rule (ngettext); a null one for English."""
    merged: gnu.NullTranslations = gnu.NullTranslations()
    for catalog in _catalogues(lang):
        buffer = BytesIO()
        write_mo(buffer, catalog)  # leaves fuzzy translations out
        buffer.seek(0)
        part = gnu.GNUTranslations(buffer)
        part.add_fallback(merged)
        merged = part
    return merged


def gettext(lang: str, text: str) -> str:
    """``text`` in ``lang`` (the English text itself when no translation exists)."""
    return translations(lang).gettext(text)


def ngettext(lang: str, singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` for ``n`` in ``lang`` (Russian has three)."""
    return translations(lang).ngettext(singular, plural, n)
