"""The gateway's languages: Russian by default, English on request (Accept-Language).

Texts a person reads are written in English in the code and translated in gettext catalogues
(locale/<language>/LC_MESSAGES/messages.po), read straight from the .po files with Babel the
first time a language is used: nothing is compiled at build time and nothing read at import.
English needs no catalogue: its texts are the message ids.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

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


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The translations of ``lang`` (message id -> text); empty for English."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as file:
        messages = read_po(file, locale=lang)
    return {
        str(message.id): str(message.string)
        for message in messages
        if message.id and message.string and not message.fuzzy
    }


def gettext(lang: str, text: str) -> str:
    """``text`` in ``lang`` (the English text itself when no translation exists)."""
    return catalogue(lang).get(text, text)
