"""The one way to write a CSV or an XLSX (convention 23, issue 6 item 5).

An export is a list of `Column`s (a header and a getter) applied to rows; `export_response` writes
them in either format with the same cell rules:

- text that a spreadsheet would read as a formula (first character `=`, `+`, `-`, `@`, tab or CR)
  gets a leading `'` (OWASP "CSV injection"), in both formats, after control characters are removed;
- numbers (`int`, `Decimal`) stay numbers: never neutralised (a negative amount is not a formula),
  native numbers in XLSX; `bool` becomes yes/no; `None` an empty cell;
- dates and datetimes (shown in Paris time) are ISO `YYYY-MM-DD [HH:MM]` in CSV, date cells in XLSX.

CSV is written for Excel as French users open it: UTF-8 with a BOM, `;` between cells (French Excel
splits on `;` because `,` is its decimal mark) and a decimal comma. XLSX is the locale-free choice.

An export view passes its `request` to `export_response`: past `EXPORT_SYNC_MAX_ROWS` rows the file is
written by the worker and the person is sent to its page (issue 11 item 5, `jobs.services`); the rows,
columns and checks stay the view's own, run again by the worker as that person.

Every view that returns an export is decorated with `@export_view("<url name>")`: the registry
`EXPORT_VIEWS` is what `tests/test_exports.py` walks with a formula-looking candidate, so a new
export joins that test (which fails until it is given a scenario).
"""

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence, Sized
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from cursus.dbrouter import replica_reads

Number = int | float | Decimal
Cell = str | Promise | Number | bool | dt.date | dt.datetime | None
Format = Literal["csv", "xlsx"]
FORMATS: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CSV_DELIMITER = ";"
# OWASP: the first characters that make Excel, LibreOffice or Google Sheets evaluate a cell.
DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 (hence XLSX) cannot hold, and that nobody means in a cell; \t \n \r stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._+-]+")


@dataclass(frozen=True)
class Column[R]:
    header: str | Promise
    getter: Callable[[R], Cell]


# url name -> dotted path of the view; filled by @export_view at import time.
EXPORT_VIEWS: dict[str, str] = {}


def export_view[V: Callable[..., HttpResponse]](url_name: str) -> Callable[[V], V]:
    """Register a view that returns an export (so that the neutralisation test walks it); its reads
    may be served by the read replica when there is one (cursus.dbrouter, issue 11 item 4)."""

    def register(view: V) -> V:
        EXPORT_VIEWS[url_name] = f"{view.__module__}.{view.__qualname__}"
        return replica_reads(view)

    return register


def neutralise(value: str) -> str:
    """Text that cannot run as a formula: control characters out, then `'` before a dangerous start."""
    value = _CONTROL.sub("", value)
    if value.startswith(DANGEROUS_FIRST):
        return "'" + value
    return value


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float | Decimal):
        # Plain digits (no exponent) with French Excel's decimal mark; a number is never neutralised.
        if isinstance(value, int):
            return str(value)
        return format(Decimal(repr(value)) if isinstance(value, float) else value, "f").replace(".", ",")
    if isinstance(value, dt.datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    return neutralise(str(value))


def _xlsx_cell(value: Cell) -> str | Number | dt.date | dt.datetime | None:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if value is None or isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, dt.datetime):
        return _local(value).replace(tzinfo=None)  # XLSX has no time zones: Paris time
    if isinstance(value, dt.date):
        return value
    return neutralise(str(value))


def safe_filename(stem: str) -> str:
    """ASCII letters, digits and `._+-` only, no leading dot: nothing a browser or a disk misreads."""
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    return _UNSAFE_FILENAME.sub("-", ascii_stem).strip(".-") or "export"


def render_csv[R](rows: Iterable[R], columns: Sequence[Column[R]]) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")  # Excel reads UTF-8 only with a BOM
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow([neutralise(str(c.header)) for c in columns])
    for row in rows:
        writer.writerow([_csv_cell(c.getter(row)) for c in columns])
    return out.getvalue().encode("utf-8")


def render_xlsx[R](rows: Iterable[R], columns: Sequence[Column[R]], *, title: str = "Export") -> bytes:
    from openpyxl import Workbook  # only when an XLSX is asked for
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=safe_filename(title)[:31])
    sheet.append([neutralise(str(c.header)) for c in columns])
    for row in rows:
        cells = []
        for c in columns:
            value = _xlsx_cell(c.getter(row))
            if isinstance(value, dt.datetime | dt.date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd hh:mm" if isinstance(value, dt.datetime) else "yyyy-mm-dd"
                cells.append(cell)
            elif isinstance(value, Decimal) and value.as_tuple().exponent == -2:
                # Money (Decimal to the cent, I14): shown with two decimals and grouped thousands,
                # in the reader's own separators (Excel and LibreOffice localise the format).
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "#,##0.00"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def requested_format(request: HttpRequest) -> Format:
    """`?format=xlsx` or CSV by default; anything else is a 404, not a guess."""
    fmt = request.GET.get("format", "csv")
    if fmt == "csv":
        return "csv"
    if fmt == "xlsx":
        return "xlsx"
    raise Http404


def _count(rows: Iterable[object]) -> int | None:
    """How many rows, where it costs one COUNT or nothing; None for an iterator (never large here)."""
    if isinstance(rows, QuerySet):
        return rows.count()
    if isinstance(rows, Sized):
        return len(rows)
    return None


def export_response[R](
    rows: Iterable[R],
    columns: Sequence[Column[R]],
    *,
    filename: str,
    fmt: Format = "csv",
    request: HttpRequest | None = None,
) -> HttpResponse:
    """The attachment, never cached: exports hold personal data.

    Given the ``request``, an export of more than ``EXPORT_SYNC_MAX_ROWS`` rows is not written now: it
    becomes a background job and the answer is its page (issue 11 item 5, `jobs.services`). Run by the
    worker for that job, the same call writes the job's file instead of answering."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    from jobs import services as jobs

    stem = safe_filename(filename)
    job = jobs.running_job()
    if job is None and request is not None:
        total = _count(rows)
        if total is not None and total > settings.EXPORT_SYNC_MAX_ROWS:
            job = jobs.export_job_start(
                request=request, total=total, title=_("Export %(name)s") % {"name": f"{stem}.{fmt}"}
            )
            return redirect("job_detail", pk=job.pk)
    if isinstance(rows, QuerySet):
        rows = rows.iterator(chunk_size=500)  # a large export is never held whole in memory

    def render(items: Iterable[R]) -> bytes:
        return render_csv(items, columns) if fmt == "csv" else render_xlsx(items, columns, title=stem)

    if job is not None:
        jobs.export_job_write(job, rows, render, filename=f"{stem}.{fmt}")
        return HttpResponse(status=204)
    response = HttpResponse(render(rows), content_type=FORMATS[fmt])
    response["Content-Disposition"] = content_disposition_header(True, f"{stem}.{fmt}")
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


__all__ = [
    "CSV_DELIMITER",
    "DANGEROUS_FIRST",
    "EXPORT_VIEWS",
    "Cell",
    "Column",
    "Format",
    "export_response",
    "export_view",
    "neutralise",
    "render_csv",
    "render_xlsx",
    "requested_format",
    "safe_filename",
]
