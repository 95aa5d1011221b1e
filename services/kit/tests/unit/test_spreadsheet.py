"""The generic CSV/XLSX reader: encodings, delimiters, workbooks, the header search."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import openpyxl
import pytest

from zhurnal_kit import spreadsheet
from zhurnal_kit.spreadsheet import (
    Column,
    Header,
    ImportProblem,
    UnreadableError,
    aliases_of,
    cell_text,
    cell_value,
    choose_delimiter,
    find_header,
    header_key,
    is_empty,
    read_rows,
    value_key,
)

LIMIT = 1024 * 1024
COLUMNS = {
    column.field: column
    for column in (
        Column("name", "Название", ("название", "name")),
        Column("count", "Количество", ("количество", "кол-во", "count")),
        Column("note", "Примечание", ("примечание",)),
    )
}
KNOWN = aliases_of(COLUMNS.values())


def rows(content: bytes, fmt: str = "csv", **options: object) -> list[tuple[int, list[object]]]:
    return list(read_rows(content, fmt, max_unpacked=LIMIT, **options))  # type: ignore[arg-type]


def workbook(*records: list[object]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for record in records:
        sheet.append(record)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        "Название;Количество\nЯблоко;2\n".encode(),
        "\ufeffНазвание;Количество\nЯблоко;2\n".encode(),
        "Название;Количество\nЯблоко;2\n".encode("utf-16"),
        "Название;Количество\nЯблоко;2\n".encode("cp1251"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16", "cp1251"],
)
def test_csv_encodings(content: bytes) -> None:
    assert rows(content) == [(1, ["Название", "Количество"]), (2, ["Яблоко", "2"])]


def test_control_characters_are_not_csv() -> None:
    with pytest.raises(UnreadableError) as error:
        rows(b"a;b\x00\x01;c\n")
    assert (error.value.line, error.value.reason) == (1, spreadsheet.NOT_CSV)


@pytest.mark.parametrize(("sep"), [";", "\t", ","])
def test_delimiter_is_the_one_that_splits(sep: str) -> None:
    text = f"a{sep}b{sep}c\n1{sep}2{sep}3\n"
    assert choose_delimiter(text) == sep


def test_delimiter_prefers_known_headers_over_commas_in_values() -> None:
    text = "Название;Количество\nМного, очень, очень, много, запятых;2\n"
    assert choose_delimiter(text) == ","  # by cells alone the commas win
    assert choose_delimiter(text, known_headers=KNOWN) == ";"
    assert rows(text.encode(), known_headers=KNOWN)[1] == (
        2,
        ["Много, очень, очень, много, запятых", "2"],
    )


def test_broken_quotes_raise_at_the_row() -> None:
    # An unclosed quote swallows the rest of the file, past the csv module's field limit.
    content = b'a;b\n"x;' + b"y" * 200_000 + b"\n"
    reader = read_rows(content, "csv", max_unpacked=LIMIT)
    assert next(reader) == (1, ["a", "b"])
    with pytest.raises(UnreadableError) as error:
        list(reader)
    assert error.value.line == 2
    assert "проверьте кавычки" in error.value.reason


def test_xlsx_rows_first_sheet_and_cells() -> None:
    content = workbook(
        ["Название", "Количество", None],
        ["Яблоко", 2.0, datetime(2024, 9, 1, 10, 30)],
        [None, 1.5, True],
    )
    assert rows(content, "xlsx") == [
        (1, ["Название", "Количество"]),
        (2, ["Яблоко", 2, date(2024, 9, 1)]),
        (3, ["", 1.5, "True"]),
    ]


def test_bytes_win_over_the_label() -> None:
    content = workbook(["Название"], ["Яблоко"])
    assert rows(content, "csv") == [(1, ["Название"]), (2, ["Яблоко"])]
    with pytest.raises(UnreadableError) as error:
        rows(b"a;b\n", "xlsx")
    assert error.value.reason == spreadsheet.NOT_XLSX


def test_old_xls_is_refused() -> None:
    with pytest.raises(UnreadableError) as error:
        rows(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "xlsx")
    assert error.value.reason == spreadsheet.LEGACY_XLS
    assert ".xls" in error.value.reason


def test_empty_and_damaged_files() -> None:
    with pytest.raises(UnreadableError, match="Файл пуст"):
        rows(b"  \n", "csv")
    with pytest.raises(UnreadableError) as error:
        rows(b"PK\x03\x04 not a zip", "xlsx")
    assert error.value.reason == spreadsheet.NOT_XLSX


def test_unpacked_size_limit() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.xml", b"0" * (LIMIT + 1))
    with pytest.raises(UnreadableError) as error:
        rows(out.getvalue(), "xlsx", too_large="Слишком велика.")
    assert (error.value.line, error.value.reason) == (1, "Слишком велика.")


def test_cells() -> None:
    assert cell_value(None) == ""
    assert cell_value(3.0) == 3
    assert cell_value(False) == "False"
    assert cell_text(" x ") == "x"
    assert cell_text(date(2012, 3, 5)) == "05.03.2012"
    assert is_empty(["", "  "])
    assert not is_empty(["", 0])
    assert header_key("Дата приёма (дд.мм.гггг)*") == "дата приема"
    assert value_key("Зам. Директора") == "зам директора"


def test_header_found_below_a_title() -> None:
    source = [
        (1, ["Список товаров"]),
        (2, ["", ""]),
        (3, ["№", "Название", "Кол-во", "Название", ""]),
        (4, ["1", "Яблоко", "2", "", "лишнее"]),
    ]
    found = Header.find(source, COLUMNS)
    assert found is not None
    header, rest = found
    assert header.line == 3
    assert header.index == {"name": 1, "count": 2}
    assert header.columns == {"name": "Название", "count": "Кол-во"}
    assert header.ignored == ["№"]
    assert header.width == 4
    assert header.problems == [
        ImportProblem(
            3,
            "Название",
            "Столбец «Название» повторяет столбец «Название» (оба — «Название»): оставьте один.",
        )
    ]
    assert list(rest) == [source[3]]
    assert [column for column, _ in header.overflow(source[3][1])] == ["столбец 5"]
    assert header.position("Кол-во") == 2
    assert header.position("столбец 5") == 4
    assert header.position("") == -1


def test_header_falls_back_to_the_first_row() -> None:
    source = [(1, ["a", "b"]), (2, ["c", "d"])]
    found = find_header(source, KNOWN)
    assert found is not None
    line, cells, rest = found
    assert (line, cells, list(rest)) == (1, ["a", "b"], [(2, ["c", "d"])])
    assert find_header([(1, ["", " "])], KNOWN) is None
