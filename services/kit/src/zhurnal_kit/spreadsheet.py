"""Reading tables uploaded as CSV or XLSX: bytes to numbered rows of plain cells.

What every import of a spreadsheet needs before it knows what the columns mean: the file's
kind told by its bytes (a workbook uploaded as CSV is still a workbook; old .xls is refused
with a message saying what to do), CSV decoding (UTF-8 with or without a BOM, UTF-16 with a
BOM, Windows-1251) and its delimiter, the first worksheet of a workbook (read-only, with a
limit on its unpacked size), cells as str / int / float / date, and the header row found
among the first rows by the known titles it holds. Problems are ImportProblem (line as a
spreadsheet numbers it, column as written, reason in Russian, for the school's staff); a
file or row that cannot be read raises UnreadableError, possibly in the middle of the rows
(what was read before it stays valid).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

Cell = str | int | float | date
Row = tuple[int, list[Cell]]  # (line as a spreadsheet numbers it, from 1; cells)

# Rows above the header (a title such as «Список сотрудников») are skipped; the header is
# looked for among the first few non-empty rows.
HEADER_SEARCH_ROWS = 10
# A row is the header when it holds at least this many known titles.
HEADER_MIN_KNOWN = 2
DELIMITERS = (";", "\t", ",")

EMPTY = "Файл пуст."
LEGACY_XLS = (
    "Файл в старом формате Excel 97–2003 (.xls). Сохраните его как «Книга Excel (.xlsx)» "
    "или «CSV (разделители — точки с запятой)» и загрузите снова."
)
NOT_XLSX = "Файл не является книгой Excel (.xlsx) или повреждён."
NOT_CSV = (
    "Файл не похож на таблицу CSV. Сохраните таблицу как «CSV (разделители — точки с "
    "запятой)» или «Книга Excel (.xlsx)»."
)
NO_SHEETS = "В книге нет ни одного листа."
TOO_LARGE = "Книга слишком велика: разделите её на несколько файлов."

_ZIP_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with the file: line as a spreadsheet numbers it (header = 1)."""

    line: int
    # The column's header as written in the file; for a missing column its name in Russian;
    # empty when the problem is the whole row or file.
    column: str
    reason: str


class UnreadableError(Exception):
    """The file, or its rows from ``line`` on, cannot be read: ``reason`` says why."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line, self.reason = line, reason


# --- files ---------------------------------------------------------------------------------


def read_rows(
    content: bytes,
    fmt: Literal["csv", "xlsx"],
    *,
    max_unpacked: int,
    too_large: str = TOO_LARGE,
    known_headers: Collection[str] = (),
) -> Iterator[Row]:
    """The rows of a CSV or XLSX file, empty rows included (they keep their numbers).

    The bytes win over ``fmt``: a zip is read as a workbook, old .xls is refused. Whole-file
    problems raise UnreadableError here; a row that cannot be read raises it while iterating.
    ``max_unpacked`` and ``too_large``: see xlsx_rows; ``known_headers``: see csv_rows.
    """
    if not content.strip():
        raise UnreadableError(1, EMPTY)
    if content.startswith(_XLS_MAGIC):
        raise UnreadableError(1, LEGACY_XLS)
    if fmt == "xlsx" or content.startswith(_ZIP_MAGIC):
        if not content.startswith(_ZIP_MAGIC):
            raise UnreadableError(1, NOT_XLSX)
        return xlsx_rows(content, max_unpacked=max_unpacked, too_large=too_large)
    return csv_rows(content, known_headers=known_headers)


def decode(content: bytes) -> str:
    """The text of a CSV file: UTF-16 with a BOM, else UTF-8 (BOM or not), else Windows-1251."""
    # UTF-16 with a BOM is Excel's «Unicode text»; Windows-1251 is «CSV (разделители — точки
    # с запятой)» on a Russian Windows; the rest is UTF-8, with or without a BOM.
    try:
        if content.startswith((b"\xff\xfe", b"\xfe\xff")):
            return content.decode("utf-16")
        try:
            return content.decode("utf-8-sig")
        except UnicodeDecodeError:
            return content.decode("cp1251")
    except UnicodeDecodeError:
        raise UnreadableError(1, NOT_CSV) from None


def choose_delimiter(
    text: str, *, known_headers: Collection[str] = (), search_rows: int = HEADER_SEARCH_ROWS
) -> str:
    """';', tab or ',': the one that shows the most known headers, then the most cells.

    Counted over the first ``search_rows`` non-empty lines; ``known_headers`` are header_key
    forms. Values often hold commas, so counting separators alone could take ',' in a ';'
    file; ties go to ';', then tab.
    """
    head = list(islice((line for line in io.StringIO(text) if line.strip()), search_rows))
    best, best_score = DELIMITERS[0], (-1, -1)
    for candidate in DELIMITERS:
        try:
            records = list(csv.reader(head, delimiter=candidate))
        except csv.Error:
            continue
        score = (
            max((count_known(record, known_headers) for record in records), default=0),
            max((len(record) for record in records), default=0),
        )
        if score > best_score:
            best, best_score = candidate, score
    return best


def csv_rows(content: bytes, *, known_headers: Collection[str] = ()) -> Iterator[Row]:
    """The rows of a CSV file (cells are stripped of nothing); see choose_delimiter."""
    text = decode(content)
    if _CONTROL.search(text):
        raise UnreadableError(1, NOT_CSV)
    return _records(text, choose_delimiter(text, known_headers=known_headers))


def _records(text: str, delimiter: str) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            cells: list[Cell] = list(record)
            yield number, cells
    except csv.Error as error:
        raise UnreadableError(
            number + 1, f"Строка не читается как CSV ({error}): проверьте кавычки."
        ) from None


def xlsx_rows(content: bytes, *, max_unpacked: int, too_large: str = TOO_LARGE) -> Iterator[Row]:
    """The rows of the first worksheet of a workbook, values as cell_value makes them.

    A workbook whose parts unpack to more than ``max_unpacked`` bytes is refused with
    ``too_large`` before it is read (a zip bomb is small).
    """
    import openpyxl  # imported here: only workbooks need it

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > max_unpacked:
            raise UnreadableError(1, too_large)
        with warnings.catch_warnings():
            # openpyxl warns about parts it skips (validation, styles): none matter here.
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except UnreadableError:
        raise
    except Exception:  # any of openpyxl's many ways of saying "not a workbook"
        raise UnreadableError(1, NOT_XLSX) from None
    if not book.worksheets:
        book.close()
        raise UnreadableError(1, NO_SHEETS)
    return _sheet_rows(book)


def _sheet_rows(book: Workbook) -> Iterator[Row]:
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    number = 0
    try:
        sheet = book.worksheets[0]
        if isinstance(sheet, ReadOnlyWorksheet):
            # Some programs write wrong dimensions; without them every row is read.
            sheet.reset_dimensions()
        for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            yield number, [cell_value(value) for value in values]
    except Exception:  # a damaged sheet part
        raise UnreadableError(number + 1, NOT_XLSX) from None
    finally:
        book.close()


# --- cells ---------------------------------------------------------------------------------


def cell_value(value: object) -> Cell:
    """A workbook value as a plain cell: "" for none, a date for a date-time, 2.0 as 2."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, date | str | int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    return str(value)


def show_date(value: date) -> str:
    """DD.MM.YYYY, as Russian users write dates."""
    return value.strftime("%d.%m.%Y")


def cell_text(cell: Cell) -> str:
    """A cell as text: stripped; dates as DD.MM.YYYY."""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, date):
        return show_date(cell)
    return str(cell)


def is_empty(cells: Iterable[Cell]) -> bool:
    """No cell holds anything but spaces."""
    return all(not cell_text(cell) for cell in cells)


def header_key(text: str) -> str:
    """'Дата приёма (дд.мм.гггг)*' -> 'дата приема': case, ё, hints and marks ignored."""
    text = unicodedata.normalize("NFC", text).casefold().replace("ё", "е")
    text = re.sub(r"\(.*?\)|\[.*?\]|[*:.]", " ", text)
    return " ".join(text.replace("_", " ").split())


def value_key(text: str) -> str:
    """'Зам. директора' -> 'зам директора': for matching words in cells (case, ё, dots)."""
    return " ".join(text.casefold().replace("ё", "е").replace(".", " ").split())


# --- header --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column an import knows: its field, its name for messages, the titles it goes by."""

    field: str
    label: str  # in Russian, for messages about a missing column
    aliases: tuple[str, ...]


def aliases_of(columns: Iterable[Column]) -> dict[str, str]:
    """header_key of every alias -> its column's field."""
    return {header_key(alias): column.field for column in columns for alias in column.aliases}


def count_known(cells: Sequence[Cell], known_headers: Collection[str]) -> int:
    """How many cells are known titles (``known_headers`` are header_key forms)."""
    return sum(1 for cell in cells if header_key(cell_text(cell)) in known_headers)


def find_header(
    rows: Iterable[Row],
    known_headers: Collection[str],
    *,
    search_rows: int = HEADER_SEARCH_ROWS,
    min_known: int = HEADER_MIN_KNOWN,
) -> tuple[int, list[Cell], Iterator[Row]] | None:
    """(line, cells) of the header and the rows after it; None when all rows are empty.

    The header is the first non-empty row with ``min_known`` known titles among the first
    ``search_rows`` non-empty rows, else the first non-empty row.
    """
    rows = iter(rows)
    seen: list[Row] = []
    for line, cells in rows:
        if is_empty(cells):
            continue
        seen.append((line, cells))
        if count_known(cells, known_headers) >= min_known or len(seen) == search_rows:
            break
    if not seen:
        return None
    at = next(
        (i for i, (_, cells) in enumerate(seen) if count_known(cells, known_headers) >= min_known),
        0,
    )
    line, cells = seen[at]
    return line, cells, _chain(seen[at + 1 :], rows)


def _chain(first: list[Row], rest: Iterator[Row]) -> Iterator[Row]:
    yield from first
    yield from rest


@dataclass
class Header:
    """What a header row says: where each known column is, and what is not ours."""

    line: int = 0  # where the header is, as a spreadsheet numbers lines
    index: dict[str, int] = field(default_factory=dict)  # field -> cell index
    columns: dict[str, str] = field(default_factory=dict)  # field -> header as written
    positions: dict[str, int] = field(default_factory=dict)  # header as written -> index
    # Headers that are not ours, and «столбец N» for columns without one.
    ignored: list[str] = field(default_factory=list)
    width: int = 0  # cells up to the last titled one
    problems: list[ImportProblem] = field(default_factory=list)  # columns given twice

    @classmethod
    def read(cls, line: int, cells: Sequence[Cell], columns: Mapping[str, Column]) -> Header:
        """The header of ``columns`` in the row ``cells`` at ``line``."""
        header = cls(line=line)
        aliases = aliases_of(columns.values())
        titles = [cell_text(cell) for cell in cells]
        header.width = max((i + 1 for i, title in enumerate(titles) if title), default=0)
        for i, title in enumerate(titles[: header.width]):
            if not title:
                header.ignored.append(column_name(i))  # no header: not ours either
                continue
            header.positions.setdefault(title, i)
            name = aliases.get(header_key(title))
            if name is None:
                header.ignored.append(title)
            elif name in header.index:
                header.problems.append(
                    ImportProblem(
                        line,
                        title,
                        f"Столбец «{title}» повторяет столбец «{header.columns[name]}» "
                        f"(оба — «{columns[name].label}»): оставьте один.",
                    )
                )
            else:
                header.index[name], header.columns[name] = i, title
        return header

    @classmethod
    def find(
        cls,
        rows: Iterable[Row],
        columns: Mapping[str, Column],
        *,
        search_rows: int = HEADER_SEARCH_ROWS,
        min_known: int = HEADER_MIN_KNOWN,
    ) -> tuple[Header, Iterator[Row]] | None:
        """The header of ``columns`` (see find_header) and the rows after it; None if empty."""
        found = find_header(
            rows, aliases_of(columns.values()), search_rows=search_rows, min_known=min_known
        )
        if found is None:
            return None
        line, cells, rest = found
        return cls.read(line, cells, columns), rest

    def position(self, column: str) -> int:
        """The cell index of a column as problems name it; -1 for the whole row."""
        if column in self.positions:
            return self.positions[column]
        if match := re.fullmatch(r"столбец (\d+)", column):
            return int(match.group(1)) - 1
        return -1

    def overflow(self, cells: Sequence[Cell]) -> list[tuple[str, str]]:
        """(column, reason) of each value past the header's last column.

        Usually a separator inside an unquoted value that shifted the rest of the row.
        """
        return [
            (
                column_name(i),
                f"Значение «{text}» стоит в столбце {i + 1}, у которого нет заголовка: "
                "в строке больше ячеек, чем столбцов в заголовке.",
            )
            for i in range(self.width, len(cells))
            if (text := cell_text(cells[i]))
        ]


def column_name(index: int) -> str:
    """How problems name a column without a header: «столбец N» (N from 1)."""
    return f"столбец {index + 1}"
