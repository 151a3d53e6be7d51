"""A deliberation case read from files: the curriculum (JSON) and grades (CSV), checked line by line.

Formats (documented in README.md, "Deliberation (studies)"):

* curriculum JSON: ``{"program": "BE+", "year": "2025-2026", "resit_policy": "replace",
  "thresholds": {"uv_pass": "10", "overall_pass": "10", "resit_at_or_below": "5"},
  "units": [{"code": "UV1", "name": "…", "ects": 15, "subjects": [{"code": "FIN", "name": "…",
  "coefficient": "2"}]}], "professional": {"code": "PRO", "name": "…", "ects": 30, "components":
  [{"code": "MIS", "kind": "mission", "name": "…", "coefficient": "1"}, … thesis, defence]}}``.
  ``program``, ``year``, ``resit_policy`` and ``thresholds`` are optional. Numbers may be written as
  JSON numbers or strings; they are read as exact decimals, never floats.
* grades CSV (and resit grades alike): UTF-8 (a BOM is fine), comma-separated, header
  ``student,subject,grade``; a grade is written with a dot (``12.5``), at most two decimals, 0 to 20,
  or ``ABS`` for an absence; one line per student and subject; several students per file.

Nothing here touches the database. Every problem is collected, so one run reports every bad line.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from studies.deliberation import (
    ABSENT,
    Curriculum,
    DeliberationError,
    Grade,
    ProfessionalKind,
    ResitPolicy,
    Subject,
    Thresholds,
    Unit,
)

HEADER = ("student", "subject", "grade")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_COMMA_NUMBER = re.compile(r"^-?\d+,\d+$")
_AMOUNT = re.compile(r"^\d+(\.\d{1,2})?$")


@dataclass(frozen=True)
class Problem:
    where: str  # "line 4", or a place in the JSON: "units[1].subjects[0].coefficient"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class CaseFileError(Exception):
    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        count = len(problems)
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(
            f"{source}: {count} problem{'s' if count > 1 else ''}, nothing deliberated:\n{lines}"
        )


@dataclass(frozen=True)
class CurriculumFile:
    curriculum: Curriculum
    thresholds: Thresholds
    policy: ResitPolicy | None
    program: str | None
    year: str | None


# --- curriculum -------------------------------------------------------------------------------------------


def _decimal(value: Any, where: str, problems: list[Problem]) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        problems.append(Problem(where, f"expected a number, found {value!r}"))
        return Decimal(1)
    text = str(value).strip()
    if not _NUMBER.match(text):
        problems.append(Problem(where, f"not a number written with a dot: {value!r}"))
        return Decimal(1)
    return Decimal(text)


def _text(
    data: dict[str, Any], key: str, where: str, problems: list[Problem], *, required: bool = True
) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(f"{where}.{key}", "missing (a non-empty text)"))
        return ""
    return value.strip()


def _subjects(items: Any, where: str, problems: list[Problem], *, professional: bool) -> tuple[Subject, ...]:
    if not isinstance(items, list) or not items:
        problems.append(Problem(where, "expected a non-empty list"))
        return ()
    subjects = []
    for i, item in enumerate(items):
        here = f"{where}[{i}]"
        if not isinstance(item, dict):
            problems.append(Problem(here, "expected an object"))
            continue
        code = _text(item, "code", here, problems)
        name = _text(item, "name", here, problems, required=False) or code
        coefficient = _decimal(item.get("coefficient", 1), f"{here}.coefficient", problems)
        if coefficient <= 0:
            problems.append(Problem(f"{here}.coefficient", "must be above 0"))
            coefficient = Decimal(1)
        kind = None
        if professional:
            try:
                kind = ProfessionalKind(str(item.get("kind")))
            except ValueError:
                problems.append(Problem(f"{here}.kind", "expected mission, thesis or defence"))
        subjects.append(Subject(code=code, name=name, coefficient=coefficient, kind=kind))
    return tuple(subjects)


def _unit(data: Any, where: str, problems: list[Problem], *, professional: bool) -> Unit | None:
    if not isinstance(data, dict):
        problems.append(Problem(where, "expected an object"))
        return None
    code = _text(data, "code", where, problems)
    name = _text(data, "name", where, problems, required=False) or code
    ects = _decimal(data.get("ects"), f"{where}.ects", problems)
    key = "components" if professional else "subjects"
    subjects = _subjects(data.get(key), f"{where}.{key}", problems, professional=professional)
    if not subjects or ects <= 0:
        if ects <= 0:
            problems.append(Problem(f"{where}.ects", "must be above 0"))
        return None
    return Unit(code=code, name=name, ects=ects, subjects=subjects)


def parse_curriculum(text: str, source: str = "curriculum") -> CurriculumFile:
    problems: list[Problem] = []
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise CaseFileError(source, [Problem(f"line {exc.lineno}", f"not JSON: {exc.msg}")]) from exc
    if not isinstance(data, dict):
        raise CaseFileError(source, [Problem("top", "expected a JSON object")])
    raw_units = data.get("units")
    units: list[Unit] = []
    if not isinstance(raw_units, list) or not raw_units:
        problems.append(Problem("units", "expected a non-empty list of teaching units"))
    else:
        units = [
            u
            for i, raw in enumerate(raw_units)
            if (u := _unit(raw, f"units[{i}]", problems, professional=False))
        ]
    professional = _unit(data.get("professional"), "professional", problems, professional=True)
    policy = None
    if data.get("resit_policy") is not None:
        try:
            policy = ResitPolicy(data["resit_policy"])
        except ValueError:
            problems.append(Problem("resit_policy", "expected replace, best or cap"))
    raw_th = data.get("thresholds") or {}
    if not isinstance(raw_th, dict):
        problems.append(Problem("thresholds", "expected an object"))
        raw_th = {}
    unknown = sorted(set(raw_th) - {"uv_pass", "overall_pass", "resit_at_or_below"})
    if unknown:
        problems.append(Problem("thresholds", f"unknown settings: {', '.join(unknown)}"))
    values = {k: _decimal(v, f"thresholds.{k}", problems) for k, v in raw_th.items() if k not in unknown}
    if problems:
        raise CaseFileError(source, problems)
    if professional is None:  # pragma: no cover — _unit records a problem whenever it returns None
        raise CaseFileError(source, [Problem("professional", "missing")])
    try:
        curriculum = Curriculum(units=tuple(units), professional=professional)
    except DeliberationError as exc:
        raise CaseFileError(source, [Problem("curriculum", str(exc))]) from exc
    year = data.get("year")
    program = data.get("program")
    return CurriculumFile(
        curriculum=curriculum,
        thresholds=Thresholds(**values),
        policy=policy,
        program=program if isinstance(program, str) else None,
        year=year if isinstance(year, str) else None,
    )


def load_curriculum(path: Path) -> CurriculumFile:
    return parse_curriculum(_read(path), str(path))


# --- grades -----------------------------------------------------------------------------------------------


def parse_grade(raw: str) -> Grade:
    """One cell: ``12.5``, ``20``, ``0.25`` or ``ABS``. Raises ValueError with a message for the report."""
    text = raw.strip()
    if not text:
        raise ValueError("no grade (write ABS for an absence)")
    if text.upper() == "ABS":
        return ABSENT
    if _COMMA_NUMBER.match(text):
        raise ValueError(f"{text!r} has a comma: write the decimal with a dot ({text.replace(',', '.')})")
    if not _NUMBER.match(text):
        raise ValueError(f"{text!r} is not a grade (a number from 0 to 20 with a dot, or ABS)")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover — the pattern already checked it
        raise ValueError(f"{text!r} is not a grade") from exc
    if value < 0:
        raise ValueError(f"{text} is below 0")
    if value > 20:
        raise ValueError(f"{text} is above 20")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"{text} has more than two decimals")
    return value


def parse_grades(text: str, curriculum: Curriculum, source: str = "grades") -> dict[str, dict[str, Grade]]:
    """student -> subject code -> grade. Every bad line is reported; one bad line and nothing is returned."""
    known = {s.code for s in curriculum.subjects()}
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    out: dict[str, dict[str, Grade]] = {}
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or tuple(c.strip().lower() for c in header) != HEADER:
        found = ",".join(header) if header else "nothing"
        raise CaseFileError(
            source, [Problem("line 1", f"the header must be student,subject,grade (found {found})")]
        )
    for row in reader:
        where = f"line {reader.line_num}"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 3:
            if len(row) == 4 and row[2].strip().isdigit() and row[3].strip().isdigit():
                problems.append(
                    Problem(
                        where,
                        f"'{row[2]},{row[3]}' has a comma: write the decimal with a dot ({row[2]}.{row[3]})",
                    )
                )
            else:
                problems.append(
                    Problem(where, f"expected 3 columns (student,subject,grade), found {len(row)}")
                )
            continue
        student, subject, cell = (c.strip() for c in row)
        if not student:
            problems.append(Problem(where, "no student"))
        if subject not in known:
            problems.append(Problem(where, f"unknown subject {subject!r} (not in the curriculum)"))
        try:
            grade = parse_grade(cell)
        except ValueError as exc:
            problems.append(Problem(where, str(exc)))
            continue
        if not student or subject not in known:
            continue
        first_line = seen.get((student, subject))
        if first_line is not None:
            problems.append(Problem(where, f"{student} / {subject} is already given on line {first_line}"))
            continue
        seen[(student, subject)] = reader.line_num
        out.setdefault(student, {})[subject] = grade
    if problems:
        raise CaseFileError(source, problems)
    return out


def load_grades(path: Path, curriculum: Curriculum) -> dict[str, dict[str, Grade]]:
    return parse_grades(_read(path), curriculum, str(path))


def parse_amount(text: str) -> Decimal:
    """An amount in euros with a dot and at most two decimals (``120.50``); raises ValueError."""
    value = text.strip()
    if not _AMOUNT.match(value):
        raise ValueError(f"{text!r} is not an amount in euros (digits, a dot, at most two decimals: 120.50)")
    return Decimal(value)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise CaseFileError(str(path), [Problem("file", "no such file")]) from exc
    except UnicodeDecodeError as exc:
        raise CaseFileError(str(path), [Problem("file", "not UTF-8 text")]) from exc
