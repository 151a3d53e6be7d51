"""Issue 6 item 5 (convention 23): every CSV and XLSX goes through `cursus.exports`, and a
formula-looking value comes out neutralised in every export, in both formats."""

import ast
import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

import cursus.urls  # noqa: F401  (imports every view module, so every @export_view is registered)
from applications.models import Dossier
from cursus.exports import (
    DANGEROUS_FIRST,
    EXPORT_VIEWS,
    Column,
    export_response,
    neutralise,
    render_csv,
    render_xlsx,
    safe_filename,
)
from tests.conftest import PASSWORD, make_user, offering

HOSTILE_SURNAME = '=HYPERLINK("http://evil","x")'
HOSTILE_FIRST_NAMES = ["+cmd", "-2+3", "@SUM(A1)", "\tX", "\rY"]
HOSTILE = [HOSTILE_SURNAME, *HOSTILE_FIRST_NAMES]
LEGITIMATE = ["Jean-Pierre", "O'Brien", "Łukasz", "Anne-Marie d'Arc", "Zoë 2+2"]


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 BOM"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))


def read_xlsx(content: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row), "a formula cell"
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def text_cells(rows: list[list[Any]]) -> list[str]:
    return [v for row in rows for v in row if isinstance(v, str)]


CSV_NUMBER = re.compile(r"-?[0-9]+(,[0-9]+)?")


def assert_no_formula(rows: list[list[Any]]) -> None:
    """No text cell may start a formula; in a CSV a negative number (`-1234,50`) is a number."""
    bad = [v for v in text_cells(rows) if v.startswith(DANGEROUS_FIRST) and not CSV_NUMBER.fullmatch(v)]
    assert not bad, bad


# ---- the helper alone --------------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE)
def test_item5_neutralise_prefixes_a_quote_to_a_formula_start(value: str) -> None:
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", LEGITIMATE)
def test_item5_neutralise_leaves_ordinary_text_alone(value: str) -> None:
    assert neutralise(value) == value


def test_item5_neutralise_judges_the_first_character_after_control_characters_go() -> None:
    # A NUL that XLSX would drop must not hide a formula behind it.
    assert neutralise("\x00=1+1") == "'=1+1"
    assert neutralise("a\x07b") == "ab"


@given(st.text())
def test_item5_neutralised_text_never_starts_with_a_dangerous_character(value: str) -> None:
    out = neutralise(value)
    assert not out.startswith(DANGEROUS_FIRST)
    kept = "".join(c for c in value if c in "\t\n\r" or not (ord(c) < 32 or ord(c) == 127))
    assert out in {kept, "'" + kept}  # nothing but a quote added, nothing but controls removed


ROW_COLUMNS: list[Column[dict[str, Any]]] = [
    Column("name", lambda r: r["name"]),
    Column("amount", lambda r: r["amount"]),
    Column("count", lambda r: r["count"]),
    Column("on", lambda r: r["on"]),
    Column("at", lambda r: r["at"]),
    Column("flag", lambda r: r["flag"]),
    Column("nothing", lambda r: None),
]


def _row(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "amount": Decimal("-1234.50"),
        "count": -3,
        "on": dt.date(2026, 2, 28),
        "at": dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.UTC),  # 09:30 in Paris
        "flag": True,
    }


@given(st.lists(st.text(), min_size=1, max_size=5))
def test_item5_no_exported_text_cell_starts_with_a_dangerous_character(names: list[str]) -> None:
    rows = [_row(n) for n in names]
    for parsed in (read_csv(render_csv(rows, ROW_COLUMNS)), read_xlsx(render_xlsx(rows, ROW_COLUMNS))):
        assert_no_formula(parsed)
        assert len(parsed) == len(names) + 1


def test_item5_numbers_stay_numbers_and_dates_are_formatted() -> None:
    rows = [_row("Jean-Pierre")]
    header, line = read_csv(render_csv(rows, ROW_COLUMNS))
    assert header == ["name", "amount", "count", "on", "at", "flag", "nothing"]
    # A negative amount is a number, not a formula: no quote; French Excel's decimal comma.
    assert line == ["Jean-Pierre", "-1234,50", "-3", "2026-02-28", "2026-03-01 09:30", "oui", ""]

    sheet = load_workbook(io.BytesIO(render_xlsx(rows, ROW_COLUMNS))).worksheets[0]
    name, amount, count, on, at, flag, nothing = next(sheet.iter_rows(min_row=2))
    assert name.value == "Jean-Pierre"
    assert amount.data_type == "n" and amount.value == pytest.approx(-1234.5)
    assert amount.number_format == "#,##0.00"  # I14: money reads with its two decimals
    assert count.data_type == "n" and count.value == -3
    assert on.is_date and on.value.date() == dt.date(2026, 2, 28)
    assert at.is_date and at.value == dt.datetime(2026, 3, 1, 9, 30)  # Paris time, XLSX has no zones
    assert flag.value == "oui" and nothing.value is None


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_item5_export_response_is_a_never_cached_attachment_with_a_safe_name(fmt: Any) -> None:
    response = export_response([_row("x")], ROW_COLUMNS, filename='../../etc/pass"wd; x=1\r\n', fmt=fmt)
    disposition = response["Content-Disposition"]
    assert disposition == f'attachment; filename="etc-pass-wd-x-1.{fmt}"'
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"].startswith("text/csv" if fmt == "csv" else "application/vnd.openxml")


def test_item5_safe_filename_keeps_program_codes_readable() -> None:
    assert safe_filename("dossiers-MS-BE+") == "dossiers-MS-BE+"
    assert safe_filename("dossiers-MS-Génie Él") == "dossiers-MS-Genie-El"
    assert safe_filename("...") == "export"


# ---- every export of the platform --------------------------------------------------------------


def _hostile_dossiers(open_session: Any) -> list[Dossier]:
    """Complete dossiers of BE+ (a director sees them) carrying every formula-looking value."""
    be = offering(open_session, "BE+")
    dossiers = []
    for i, first in enumerate([*HOSTILE_FIRST_NAMES, "Jean-Pierre"]):
        user = make_user(f"hostile{i}@example.org")
        dossiers.append(
            Dossier.objects.create(
                candidate=user,
                offering=be,
                status="complete",
                last_name=HOSTILE_SURNAME,
                first_names=first,
                diploma_title="-1+1" if i == 0 else "Master",
                submitted_at=timezone.now(),
            )
        )
    return dossiers


def _director_export(client: Client, request: Any) -> tuple[str, dict[str, Any]]:
    open_session = request.getfixturevalue("open_session")
    director = request.getfixturevalue("director_be")
    dossiers = _hostile_dossiers(open_session)
    client.login(email=director.email, password=PASSWORD)
    return reverse("director_export", args=[dossiers[0].offering.program_id]), {}


def _registration_export(name: str) -> Callable[[Client, Any], tuple[str, dict[str, Any]]]:
    """Issue 8: the hostile dossiers admitted, registered and made students of BE+, exported by its
    director (registrations and students)."""

    def scenario(client: Client, request: Any) -> tuple[str, dict[str, Any]]:
        from tests.test_registration_staff import registered_rows

        open_session = request.getfixturevalue("open_session")
        director = request.getfixturevalue("director_be")
        dossiers = _hostile_dossiers(open_session)
        registered_rows(dossiers, decided_by=director)
        client.login(email=director.email, password=PASSWORD)
        return reverse(name), {"program": dossiers[0].offering.program_id}

    return scenario


def _ledger_export(client: Client, request: Any) -> tuple[str, dict[str, Any]]:
    """Issue 9: the hostile dossiers' application fees in the ledger, exported by finance."""
    from billing.services.ledger import fee_due

    open_session = request.getfixturevalue("open_session")
    finance = request.getfixturevalue("finance")
    for dossier in _hostile_dossiers(open_session):
        fee_due(dossier)
    client.login(email=finance.email, password=PASSWORD)
    return reverse("ledger_export"), {}


def _refunds_export(client: Client, request: Any) -> tuple[str, dict[str, Any]]:
    """Issue 9 item 9: a refund on each hostile dossier's fee (paid beyond it), exported by finance."""
    from billing.models import Refund
    from billing.services.ledger import fee_due

    open_session = request.getfixturevalue("open_session")
    finance = request.getfixturevalue("finance")
    for dossier in _hostile_dossiers(open_session):
        Refund.objects.create(due=fee_due(dossier), reason="overpayment", amount=Decimal("5.00"))
    client.login(email=finance.email, password=PASSWORD)
    return reverse("refunds_export"), {"status": "all"}


def _degrees_export(client: Client, request: Any) -> tuple[str, dict[str, Any]]:
    """Issue 10 item 5: the hostile dossiers made students of BE+, given the degree by a studies jury,
    exported by its director."""
    import datetime as dt

    from studies.models import JuryOutcome, StudiesJury
    from tests.test_registration_staff import registered_rows
    from tests.test_studies_jury import make_curriculum

    open_session = request.getfixturevalue("open_session")
    director = request.getfixturevalue("director_be")
    students = registered_rows(_hostile_dossiers(open_session), decided_by=director)
    jury = StudiesJury.objects.create(curriculum=make_curriculum(), sits_on=dt.date(2027, 6, 30))
    JuryOutcome.objects.bulk_create(
        [JuryOutcome(jury=jury, student=s, proposed="degree", outcome="degree") for s in students]
    )
    client.login(email=director.email, password=PASSWORD)
    return reverse("studies_degrees_export", args=[jury.pk]), {}


# url name -> (client, pytest request) -> (url, query): sets up hostile data, logs in the right person.
SCENARIOS: dict[str, Callable[[Client, Any], tuple[str, dict[str, Any]]]] = {
    "director_export": _director_export,
    "registrations_export": _registration_export("registrations_export"),
    "students_export": _registration_export("students_export"),
    "ledger_export": _ledger_export,
    "refunds_export": _refunds_export,
    "studies_degrees_export": _degrees_export,
}


def test_item5_every_registered_export_has_a_hostile_scenario_here() -> None:
    """A new @export_view must be given a scenario in SCENARIOS (and thus pass the tests below)."""
    assert EXPORT_VIEWS, "no export registered: is cursus.urls importing the views?"
    assert set(EXPORT_VIEWS) == set(SCENARIOS)
    for name, dotted in EXPORT_VIEWS.items():
        view = get_resolver().resolve(reverse(name, kwargs=_any_kwargs(name))).func
        assert f"{view.__module__}.{view.__qualname__}" == dotted


def _any_kwargs(name: str) -> dict[str, Any]:
    pattern = get_resolver().reverse_dict.getlist(name)[0][0][0][1]
    return dict.fromkeys(pattern, 1)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_item5_formula_looking_surname_comes_out_neutralised_in_every_export(
    client: Client, request: Any, name: str, fmt: str
) -> None:
    url, query = SCENARIOS[name](client, request)
    response = client.get(url, {**query, "format": fmt})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Disposition"].rstrip('"').endswith(f".{fmt}")
    rows = read_csv(response.content) if fmt == "csv" else read_xlsx(response.content)
    assert_no_formula(rows)
    cells = text_cells(rows)
    for value in HOSTILE:
        assert "'" + value in cells, (value, cells)
    assert "Jean-Pierre" in cells  # a hyphen inside is left alone


def test_item5_unknown_export_format_is_404(client: Client, request: Any) -> None:
    url, query = _director_export(client, request)
    assert client.get(url, {**query, "format": "html"}).status_code == 404


def test_item5_director_list_links_both_formats(client: Client, director_be: Any) -> None:
    from catalog.models import Program

    client.login(email=director_be.email, password=PASSWORD)
    page = client.get(reverse("director_list")).content.decode()
    url = reverse("director_export", args=[Program.objects.get(code="BE+").pk])
    assert f'href="{url}"' in page
    assert f'href="{url}?format=xlsx"' in page


# ---- nothing writes a spreadsheet by hand ------------------------------------------------------

PROJECT = Path(settings.BASE_DIR)
FORBIDDEN = ("import csv", "from csv", "openpyxl", "xlsxwriter", "text/csv", "spreadsheetml")


def _project_sources() -> list[Path]:
    skip = {".venv", "tests", "migrations", "var", "node_modules"}
    return [
        p
        for p in PROJECT.rglob("*.py")
        if not skip.intersection(p.relative_to(PROJECT).parts) and p != PROJECT / "cursus" / "exports.py"
    ]


# Modules that READ a CSV (a bank's statement, issue 9) or an XLSX (grades, issue 10: openpyxl's
# load_workbook) may import csv or openpyxl, never write a file with them.
CSV_READERS = {"billing/statements/csvfile.py", "studies/casefiles.py", "studies/gradefile.py"}
WRITING = (
    "csv.writer",
    "DictWriter",
    "import Workbook",
    "Workbook(",
    "WriteOnlyCell",
    "xlsxwriter",
    "text/csv",
    "spreadsheetml",
)


def test_item5_no_csv_or_xlsx_is_written_outside_the_export_helper() -> None:
    offenders = [
        f"{p.relative_to(PROJECT)}: {word}"
        for p in _project_sources()
        for word in (WRITING if str(p.relative_to(PROJECT)) in CSV_READERS else FORBIDDEN)
        if word in p.read_text(encoding="utf-8")
    ]
    assert not offenders, offenders


def test_item5_every_function_returning_an_export_is_registered() -> None:
    """A view calling export_response without @export_view would escape the hostile-data test."""
    unregistered = []
    for path in _project_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            calls = {
                c.func.id if isinstance(c.func, ast.Name) else getattr(c.func, "attr", "")
                for c in ast.walk(node)
                if isinstance(c, ast.Call)
            }
            decorators = {ast.unparse(d) for d in node.decorator_list}
            if "export_response" in calls and not any(d.startswith("export_view(") for d in decorators):
                unregistered.append(f"{path.relative_to(PROJECT)}:{node.name}")
    assert not unregistered, unregistered
