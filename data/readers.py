"""Read the input files (XLSX workbook, folder of CSVs, or uploaded files) and write workbooks.

`load_company(source)` is the public entry point: it reads, validates everything at once and
returns `(CompanyData | None, issues)`; the data is None when any issue is an error.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from data.schema import DEFAULT_HORIZON, TABLES, TEXT, Issue
from planning.model import ADJUSTMENT_COLUMNS, CompanyData

Source = str | os.PathLike | Mapping[str, bytes | str]

WORKBOOK_EXTENSIONS = (".xlsx", ".xlsm")


def max_upload_bytes() -> int:
    """The most an upload (all its files) or an input folder may hold: SOP_MAX_UPLOAD_MB, default 20 MB."""
    try:
        mb = float(os.environ.get("SOP_MAX_UPLOAD_MB") or 20)
    except ValueError:
        mb = 20.0
    return int((mb if mb > 0 else 20.0) * 1048576)


def _too_large(where: str, size: int) -> list[Issue]:
    limit = max_upload_bytes()
    if size <= limit:
        return []
    return [Issue(where, None, None, f"the input is {size / 1048576:.3g} MB; at most {limit / 1048576:.3g} MB is "
                                     "read (split the history or leave out old years). Nothing was read.")]


@dataclass
class RawTable:
    """A table as found in the file: the header cells and the data cells, untouched.

    `body` has positional columns 0..n-1 and is indexed by the row number the user sees
    (header = 1); fully blank rows are already removed.
    """

    name: str
    header: list[object]
    body: pd.DataFrame
    kind: str  # 'csv' | 'xlsx'


def load_company(source: Source, *, horizon: int = DEFAULT_HORIZON) -> tuple[CompanyData | None, list[Issue]]:
    """Read and validate a company's planning inputs; data is None when any error exists."""
    from data.validate import build_company

    tables, issues = read_source(source)
    if any(i.is_error for i in issues):
        return None, issues
    data, more = build_company(tables, horizon=horizon)
    issues = issues + more
    return (None if any(i.is_error for i in issues) else data), issues


# ---------------------------------------------------------------------------- reading


def read_source(source: Source) -> tuple[dict[str, RawTable], list[Issue]]:
    """The raw tables of a workbook path, a CSV folder path or a {filename: bytes} mapping."""
    if isinstance(source, Mapping):
        big = _too_large("upload", sum(len(b) for b in source.values()))
        return ({}, big) if big else _read_uploads(source)
    path = Path(source)
    if path.is_dir():
        files = {p.name: p for p in sorted(path.iterdir()) if p.is_file()}
        wanted = [p for name, p in files.items() if name.lower().endswith((".csv", *WORKBOOK_EXTENSIONS))]
        big = _too_large(path.name, sum(p.stat().st_size for p in wanted))
        if big:
            return {}, big
        csvs = {name: p for name, p in files.items() if name.lower().endswith(".csv")}
        books = [p for name, p in files.items() if name.lower().endswith(WORKBOOK_EXTENSIONS)]
        if not csvs and len(books) == 1:
            return _read_workbook(books[0], books[0].name)
        return _read_csv_files({name: p for name, p in csvs.items()})
    if not path.exists():
        return {}, [Issue(path.name, None, None, f"the file or folder {str(path)!r} does not exist.")]
    big = _too_large(path.name, path.stat().st_size)
    if big:
        return {}, big
    if path.suffix.lower() in WORKBOOK_EXTENSIONS:
        return _read_workbook(path, path.name)
    if path.suffix.lower() == ".csv":
        return _read_csv_files({path.name: path})
    return {}, [Issue(path.name, None, None, "unsupported file type (expected .xlsx or .csv).")]


def _read_uploads(files: Mapping[str, bytes | str]) -> tuple[dict[str, RawTable], list[Issue]]:
    issues: list[Issue] = []
    books = {n: b for n, b in files.items() if n.lower().endswith(WORKBOOK_EXTENSIONS)}
    csvs = {n: b for n, b in files.items() if n.lower().endswith(".csv")}
    for name in files:
        if name not in books and name not in csvs:
            hint = (
                " (old .xls workbooks are not supported: save as .xlsx)"
                if name.lower().endswith(".xls")
                else ""
            )
            issues.append(
                Issue(name, None, None, f"unsupported file type{hint}; expected one .xlsx or .csv files.")
            )
    if len(books) > 1 or (books and csvs):
        issues.append(
            Issue(
                "upload",
                None,
                None,
                "upload either one .xlsx workbook or several .csv files, not both or several workbooks.",
            )
        )
    if not files:
        issues.append(Issue("upload", None, None, "no file was uploaded."))
    if issues:
        return {}, issues
    if books:
        name, content = next(iter(books.items()))
        return _read_workbook(io.BytesIO(_as_bytes(content)), name)
    return _read_csv_files({n: io.BytesIO(_as_bytes(b)) for n, b in csvs.items()})


def _as_bytes(content: bytes | str) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else bytes(content)


def _read_csv_files(files: Mapping[str, Path | IO[bytes]]) -> tuple[dict[str, RawTable], list[Issue]]:
    tables: dict[str, RawTable] = {}
    issues: list[Issue] = []
    for filename, f in files.items():
        name = Path(filename).stem.strip().lower()
        if name not in TABLES:
            issues.append(
                Issue(
                    filename,
                    None,
                    None,
                    f"unknown table (expected one of: {', '.join(TABLES)}); the file was not read.",
                    "warning",
                )
            )
            continue
        if name in tables:
            issues.append(Issue(name, None, None, f"the table is given twice ({filename})."))
            continue
        raw = f.read_bytes() if isinstance(f, Path) else f.read()
        try:
            grid = _parse_csv(raw)
        except NotText as exc:
            issues.append(Issue(filename, None, None, str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - any parser failure is the user's file, reported as such
            issues.append(Issue(filename, None, None,
                                f"the file could not be read as CSV: {_short(exc)}"))
            continue
        tables[name] = _raw_table(name, grid, "csv")
    return tables, issues


class NotText(ValueError):
    """A file that is not CSV text; the message says what it is not (or what it seems to be)."""


def _short(exc: BaseException, limit: int = 200) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= limit else text[:limit] + "…"


def decode_text(raw: bytes) -> str:
    """The text of a CSV file: UTF-8 (with or without BOM), UTF-16 with a BOM, or Windows-1252; raises
    NotText saying what the file is not (a workbook, binary, another encoding)."""
    if raw[:4] == b"PK\x03\x04":
        raise NotText("the file is not CSV text: it looks like an Excel workbook or another zip archive "
                      "(upload a workbook as .xlsx).")
    if raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise NotText("the file is not CSV text: it looks like an old Excel (.xls) workbook (save it as .xlsx "
                      "or .csv).")
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise NotText("the file is not readable text: it starts like UTF-16 but is not.") from None
    if b"\x00" in raw[:65536]:
        raise NotText("the file is not CSV text: it contains binary data (NUL bytes); save the table as CSV "
                      "(UTF-8).")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise NotText("the file is not text in UTF-8 or Windows-1252: save it as CSV (UTF-8).")


def _parse_csv(raw: bytes) -> pd.DataFrame:
    text = decode_text(raw)
    first = text.split("\n", 1)[0]
    sep = ";" if first.count(";") > first.count(",") else ","
    if not text.strip():
        return pd.DataFrame(dtype=object)
    return pd.read_csv(
        io.StringIO(text),
        header=None,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
        sep=sep,
    )


def _read_workbook(f: Path | IO[bytes], filename: str) -> tuple[dict[str, RawTable], list[Issue]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(f, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any reader failure is the user's file, reported as such
        return {}, [Issue(filename, None, None,
                          f"the file could not be read as an Excel workbook ({_short(exc)}).")]
    tables: dict[str, RawTable] = {}
    issues: list[Issue] = []
    try:
        return _read_sheets(wb, tables, issues)
    except Exception as exc:  # noqa: BLE001 - a damaged sheet is the user's file, reported as such
        return {}, [Issue(filename, None, None,
                          f"the workbook is damaged: a sheet could not be read ({_short(exc)}).")]
    finally:
        wb.close()


def _read_sheets(wb, tables: dict[str, RawTable], issues: list[Issue]) -> tuple[dict[str, RawTable], list[Issue]]:
    for ws in wb.worksheets:
        name = ws.title.strip().lower()
        if name not in TABLES:
            issues.append(
                Issue(
                    ws.title,
                    None,
                    None,
                    f"unknown sheet (expected one of: {', '.join(TABLES)}); it was not read.",
                    "warning",
                )
            )
            continue
        if name in tables:
            issues.append(Issue(name, None, None, f"the sheet is given twice ({ws.title})."))
            continue
        grid = pd.DataFrame(list(ws.iter_rows(values_only=True)), dtype=object)
        tables[name] = _raw_table(name, grid, "xlsx")
    return tables, issues


def _raw_table(name: str, grid: pd.DataFrame, kind: str) -> RawTable:
    """Split a grid of cells into header and body; drop fully blank rows (keeping row numbers)."""
    if grid.empty:
        return RawTable(name, [], pd.DataFrame(dtype=object), kind)
    grid = grid.astype(object)
    grid.columns = range(grid.shape[1])
    grid.index = np.arange(1, len(grid) + 1)
    header = list(grid.iloc[0])
    body = grid.iloc[1:]
    blank = cell_text(body).isna().all(axis=1)
    return RawTable(name, header, body[~blank], kind)


def cell_text(frame: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """Each cell as stripped text (<NA> for empty cells), vectorized."""
    text = frame.astype(TEXT)
    if isinstance(text, pd.Series):
        text = text.str.strip()
        return text.mask(text == "")
    text = text.apply(lambda col: col.str.strip())
    return text.mask(text == "")


# ---------------------------------------------------------------------------- writing

FORMULA_START = re.compile(r"^[=+\-@\t\r]")


def neutralize(values: pd.Series) -> pd.Series:
    """Prefix text that a spreadsheet would run as a formula (= + - @ tab CR) with an apostrophe."""
    text = values.astype(TEXT)
    risky = text.str.match(FORMULA_START.pattern).fillna(False).astype(bool)
    return values.where(~risky, "'" + text)


def neutralize_text_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """`neutralize` on every text cell of a frame (columns of text or mixed objects); numbers, dates and
    booleans stay what they are."""
    out = frame.copy()
    for c in out.columns:
        col = out[c]
        if pd.api.types.is_string_dtype(col.dtype) and not pd.api.types.is_object_dtype(col.dtype):
            out[c] = neutralize(col)
        elif pd.api.types.is_object_dtype(col.dtype):
            is_text = col.map(lambda v: isinstance(v, str)).astype(bool)
            if is_text.any():
                out[c] = col.where(~is_text, neutralize(col.where(is_text, "")))
    return out


def write_workbook(data: CompanyData, path_or_buffer: str | os.PathLike | IO[bytes]) -> None:
    """Write the six tables as sheets of an .xlsx workbook (text neutralized against formulas)."""
    import openpyxl

    adjustments = data.adjustments.sort_values("seq") if len(data.adjustments) else data.adjustments
    frames: dict[str, pd.DataFrame] = {
        "items": data.items,
        "history": data.history,
        "capacity": data.capacity,
        "forecast": data.forecast
        if data.forecast is not None
        else pd.DataFrame(columns=TABLES["forecast"].columns),
        "adjustments": adjustments[[c for c in ADJUSTMENT_COLUMNS if c != "seq"]],
        "budget": data.budget if data.budget is not None else pd.DataFrame(columns=TABLES["budget"].columns),
    }
    for optional in ("production", "inventory_count"):  # written only when uploaded
        frame = getattr(data, optional, None)
        if frame is not None and len(frame):
            frames[optional] = frame
    wb = openpyxl.Workbook(write_only=True)
    for name, frame in frames.items():
        ws = wb.create_sheet(name)
        cols = [c for c in TABLES[name].columns if c in frame.columns]
        ws.append(cols)
        out = frame[cols].copy()
        for c in cols:
            if c == "created_at":
                ts = pd.to_datetime(out[c])
                out[c] = pd.Series(list(ts), index=out.index, dtype=object).where(ts.notna(), None)
            elif c in TABLES[name].text:
                out[c] = neutralize(out[c].astype(object).where(out[c].notna(), None))
            else:
                out[c] = out[c].astype(object).where(out[c].notna(), None)
        for row in out.itertuples(index=False, name=None):
            ws.append(list(row))
    wb.save(path_or_buffer)
