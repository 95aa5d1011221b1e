"""The gettext catalogues: every text a person reads has its Russian translation."""

from zhurnal_gateway.api.problems import _TITLES
from zhurnal_gateway.i18n import catalogue, gettext


def test_every_problem_title_is_translated_into_russian() -> None:
    missing = [title for title in _TITLES.values() if title not in catalogue("ru")]
    assert not missing, missing


def test_english_is_the_text_itself_and_russian_its_translation() -> None:
    assert gettext("en", "Forbidden") == "Forbidden"
    assert gettext("ru", "Forbidden") == "Доступ запрещён"
    # A text without a translation stays readable rather than failing.
    assert gettext("ru", "A text nobody translated") == "A text nobody translated"


def test_no_text_is_translated_two_ways_in_different_catalogues() -> None:
    from babel.messages.pofile import read_po

    from zhurnal_gateway.i18n import LOCALE_DIR

    seen: dict[str, dict[str, str]] = {}
    for path in sorted((LOCALE_DIR / "ru" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as file:
            for message in read_po(file, locale="ru"):
                if isinstance(message.id, str) and message.id and message.string:
                    seen.setdefault(message.id, {})[path.name] = str(message.string)
    conflicts = {k: v for k, v in seen.items() if len(set(v.values())) > 1}
    assert not conflicts, conflicts
