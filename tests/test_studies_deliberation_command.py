"""`manage.py deliberate` on a case given in files (issue 10 §5), without the database (I12, I13)."""

import json
import os
import random
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from studies.casefiles import CaseFileError, parse_curriculum, parse_grades

BASE = Path(__file__).resolve().parent.parent

CURRICULUM = {
    "program": "BE+",
    "year": "2025-2026",
    "resit_policy": "replace",
    "units": [
        {
            "code": "UV1",
            "name": "Management",
            "ects": 20,
            "subjects": [
                {"code": "FIN", "name": "Finance", "coefficient": 2},
                {"code": "MKT", "name": "Marketing", "coefficient": "1"},
            ],
        },
        {
            "code": "UV2",
            "name": "Data",
            "ects": 25,
            "subjects": [
                {"code": "STA", "name": "Statistics", "coefficient": 1},
                {"code": "PRG", "name": "Programming", "coefficient": 1},
            ],
        },
    ],
    "professional": {
        "code": "PRO",
        "name": "Mission, thesis and defence",
        "ects": 30,
        "components": [
            {"code": "MIS", "kind": "mission", "name": "Mission", "coefficient": 1},
            {"code": "THE", "kind": "thesis", "name": "Thesis", "coefficient": 2},
            {"code": "DEF", "kind": "defence", "name": "Defence", "coefficient": 1},
        ],
    },
}

GRADES = """student,subject,grade
alice,FIN,12
alice,MKT,7.5
alice,STA,9.99
alice,PRG,10
alice,MIS,14
alice,THE,12
alice,DEF,ABS
bob,FIN,15
bob,MKT,16
bob,STA,11
bob,PRG,12
bob,MIS,14
bob,THE,12
bob,DEF,13
"""

RESITS = """student,subject,grade
alice,STA,12
alice,DEF,11
"""


@pytest.fixture
def case(tmp_path):
    (tmp_path / "curriculum.json").write_text(json.dumps(CURRICULUM))
    (tmp_path / "grades.csv").write_text(GRADES)
    (tmp_path / "resits.csv").write_text(RESITS)
    return tmp_path


def run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("deliberate", *args, stdout=out)
    return out.getvalue()


def test_I13_command_prints_one_outcome_per_student_as_json(case):
    """No `db` fixture: any query would fail the test (pytest-django blocks the database)."""
    data = json.loads(
        run(
            "--curriculum",
            str(case / "curriculum.json"),
            "--grades",
            str(case / "grades.csv"),
            "--format",
            "json",
        )
    )
    assert data["program"] == "BE+" and data["policy"] == "replace" and data["after_resits"] is False
    alice, bob = data["outcomes"]
    assert (alice["student"], alice["outcome"]) == ("alice", "resits")
    assert alice["units"][1]["average"] == {"shown": "9.99", "exact": "9.995", "fraction": "1999/200"}
    assert [r["subject"] for r in alice["resits"]] == ["STA", "DEF"]
    assert alice["resits"][1]["triggers"] == ["absent", "unit_below"]
    assert alice["units"][0]["subjects"][1]["compensated_by"] == ["FIN"]
    assert (bob["student"], bob["outcome"], bob["ects_obtained"]) == ("bob", "degree", "75")
    assert any(r["code"] == "degree" for r in bob["reasons"])


def test_R1_8_I12_command_after_resits_with_one_cent_owed(case):
    data = json.loads(
        run(
            "--curriculum", str(case / "curriculum.json"),
            "--grades", str(case / "grades.csv"),
            "--resits", str(case / "resits.csv"),
            "--owed", "0.01",
            "--policy", "cap",
            "--format", "json",
            "--language", "en",
        )
    )  # fmt: skip
    alice = data["outcomes"][0]
    assert data["policy"] == "cap" and data["after_resits"] is True
    assert alice["outcome"] == "fees_owed" and alice["owed"] == "0.01"
    assert alice["professional"]["subjects"][2] == {
        "code": "DEF",
        "name": "Defence",
        "coefficient": "1",
        "grade": "ABS",
        "resit": "11",
        "counts": "10",  # capped at 10
        "resit_triggers": ["absent", "unit_below"],
        "compensated_by": [],
    }
    assert any("0.01 €" in r["text"] for r in alice["reasons"])


def test_I13_command_text_output_in_french(case):
    text = run(
        "--curriculum",
        str(case / "curriculum.json"),
        "--grades",
        str(case / "grades.csv"),
        "--language",
        "fr",
    )
    assert text.startswith("alice: ")
    assert "UV2 (25 ECTS) 9,995" in text


def test_I12_command_refuses_every_bad_line_and_names_it(case):
    (case / "bad.csv").write_text(
        "student,subject,grade\n"
        "alice,FIN,12\n"
        "alice,XYZ,12\n"  # line 3: unknown subject
        "alice,MKT,21\n"  # line 4: above 20
        "alice,STA,12,5\n"  # line 5: comma decimal, unquoted
        'alice,PRG,"9,5"\n'  # line 6: comma decimal, quoted
        "alice,MIS,bien\n"  # line 7: text
        "alice,FIN,13\n"  # line 8: duplicate of line 2
        "alice,THE,-1\n"  # line 9: below 0
        "alice,DEF,12.345\n"  # line 10: three decimals
    )
    with pytest.raises(CommandError) as exc:
        run("--curriculum", str(case / "curriculum.json"), "--grades", str(case / "bad.csv"))
    message = str(exc.value)
    assert "8 problems" in message
    for expected in (
        "line 3: unknown subject 'XYZ'",
        "line 4: 21 is above 20",
        "line 5: '12,5' has a comma",
        "line 6: '9,5' has a comma",
        "line 7: 'bien' is not a grade",
        "line 8: alice / FIN is already given on line 2",
        "line 9: -1 is below 0",
        "line 10: 12.345 has more than two decimals",
    ):
        assert expected in message


def test_I12_command_refuses_bad_curriculum_owed_and_resits(case):
    bad = dict(CURRICULUM, units=CURRICULUM["units"][:1])
    (case / "bad.json").write_text(json.dumps(bad))
    with pytest.raises(CommandError, match="must be worth 45"):
        run("--curriculum", str(case / "bad.json"), "--grades", str(case / "grades.csv"))
    with pytest.raises(CommandError, match="--owed"):
        run(
            "--curriculum",
            str(case / "curriculum.json"),
            "--grades",
            str(case / "grades.csv"),
            "--owed",
            "12,50",
        )
    (case / "stranger.csv").write_text("student,subject,grade\nzoé,FIN,12\n")
    with pytest.raises(CommandError, match="zoé"):
        run(
            "--curriculum", str(case / "curriculum.json"),
            "--grades", str(case / "grades.csv"),
            "--resits", str(case / "stranger.csv"),
        )  # fmt: skip


def test_command_refuses_the_database_and_files_at_once(case):
    # The database mode itself is tested in tests/test_studies_jury.py.
    with pytest.raises(CommandError, match="not both"):
        run("--program", "BE+", "--year", "2025-2026", "--grades", str(case / "grades.csv"))


def test_command_runs_without_any_database(case):
    """The database is a PostgreSQL server that is not there (port 1): the command still deliberates."""
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": "postgres://nobody@127.0.0.1:1/nothing"}
    result = subprocess.run(
        [sys.executable, "manage.py", "deliberate", "--curriculum", str(case / "curriculum.json"),
         "--grades", str(case / "grades.csv"), "--format", "json"],
        cwd=BASE, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert [o["outcome"] for o in json.loads(result.stdout)["outcomes"]] == ["resits", "degree"]


def test_I12_shuffled_grade_lines_give_the_same_outcomes():
    case = parse_curriculum(json.dumps(CURRICULUM))
    header, *lines = GRADES.strip().splitlines()
    expected = parse_grades(GRADES, case.curriculum)
    for seed in range(5):
        random.Random(seed).shuffle(lines)
        assert parse_grades("\n".join([header, *lines]), case.curriculum) == expected


def test_casefile_curriculum_numbers_are_exact_decimals():
    case = parse_curriculum(json.dumps(CURRICULUM).replace('"coefficient": 2', '"coefficient": 1.1'))
    assert case.curriculum.units[0].subjects[0].coefficient == Decimal("1.1")
    with pytest.raises(CaseFileError, match="kind"):
        parse_curriculum(json.dumps(CURRICULUM).replace('"thesis"', '"memoir"'))


def test_I12_I13_readme_worked_example_is_true(tmp_path):
    readme = (BASE / "README.md").read_text()
    section = readme.split("## Deliberation (studies)", 1)[1].split("\n## ", 1)[0]
    curriculum = section.split("```json\n", 1)[1].split("```", 1)[0]
    grades = section.split("```\nstudent,subject,grade", 1)[1].split("```", 1)[0]
    (tmp_path / "c.json").write_text(curriculum)
    (tmp_path / "g.csv").write_text("student,subject,grade" + grades)
    (tmp_path / "r.csv").write_text("student,subject,grade\nalice,STA,12\nalice,DEF,11\n")
    args = ["--curriculum", str(tmp_path / "c.json"), "--grades", str(tmp_path / "g.csv"), "--format", "json"]
    first = json.loads(run(*args))["outcomes"][0]
    assert [u["average"]["exact"] for u in first["units"]] == ["10.50", "9.995"]
    assert first["professional"]["average"]["exact"] == "9.50"
    assert first["overall_average"]["exact"] == "10.219…"
    assert (first["outcome"], first["ects_obtained"]) == ("resits", "20")
    assert [r["subject"] for r in first["resits"]] == ["STA", "DEF"]
    after = json.loads(run(*args, "--resits", str(tmp_path / "r.csv")))["outcomes"][0]
    assert [u["average"]["exact"] for u in after["units"]] == ["10.50", "11.00"]
    assert after["professional"]["average"]["exact"] == "12.25"
    assert after["overall_average"]["exact"] == "10.777…"
    assert (after["outcome"], after["ects_obtained"]) == ("degree", "75")
    owed = json.loads(run(*args, "--resits", str(tmp_path / "r.csv"), "--owed", "0.01"))["outcomes"][0]
    assert owed["outcome"] == "fees_owed"
    capped = json.loads(run(*args, "--resits", str(tmp_path / "r.csv"), "--policy", "cap"))["outcomes"][0]
    assert capped["professional"]["average"]["exact"] == "12.00" and capped["outcome"] == "degree"
