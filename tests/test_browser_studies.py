"""Studies in a real Chromium (issue 10, "Done when"): a teacher types a subject's grades in the grid
with the keyboard, the program director publishes them, the studies jury confirms and overrides the
proposed outcomes, the director closes it, and the student downloads their transcript (R1.5, R1.9, R1.10).

The teacher and the jury member work in French, the director and the student in English; the student on a
390 px phone."""

import os
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from catalog.models import AdmissionSession
from studies.models import Grade, JuryOutcome, OutcomeKind, Session, Subject
from studies.services import jury as jury_svc
from studies.services.grades import grades_publish
from tests.conftest import make_user
from tests.test_browser import login
from tests.test_studies_jury import make_curriculum, make_students, pdf_text, set_grades
from tests.test_walk import VIEWPORTS, WIDER_THAN_WINDOW

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("STUDIES_SHOTS", "/tmp/studies-shots"))  # noqa: S108  (looked at by hand)
OTHERS = {"B": "12", "C": "12", "D": "12", "MIS": "12", "THE": "12", "DEF": "12"}


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_studies_journey_in_chromium(
    page: Page,
    live_server: Any,
    open_session: AdmissionSession,
    director_be: Any,
    jury: Any,
) -> None:
    base = live_server.url
    director_be.language = "en"
    director_be.save(update_fields=["language"])
    teacher = make_user("prof@example.org", group="Teachers", first_name="Paul", last_name="Professeur")
    cur = make_curriculum()
    finance = Subject.objects.get(curriculum=cur, code="A")  # UV1, coefficient 2
    finance.teachers.add(teacher)
    # Three students; every grade but Finance's is in and published already.
    good, absent, short = make_students(open_session, 3)
    good.user.language = "en"
    good.user.save(update_fields=["language"])
    for s in (good, absent, short):
        set_grades(s, cur, OTHERS)
    for sub in cur.subjects.exclude(pk=finance.pk):
        grades_publish(subject=sub, session=Session.FIRST, by=director_be)
    # The sitting is dated today, so that it can be closed today; the jury member sits on it.
    sitting = jury_svc.jury_open(curriculum=cur, sits_on=timezone.localdate(), by=director_be, members=[jury])
    assert set(sitting.outcomes.values_list("proposed", flat=True)) == {OutcomeKind.INCOMPLETE}

    # 1. The teacher (French) types Finance's grades: Enter goes down the grid, one student is absent.
    login(page, base, teacher.email)
    page.goto(base + "/gestion/notes/")
    page.locator(f"#subject-{finance.pk} a").first.click()
    expect(page.locator("h1")).to_contain_text("Finance")
    page.locator(f"#g-{good.pk}").click()
    page.keyboard.type("14,5")
    page.keyboard.press("Enter")
    expect(page.locator(f"#g-{absent.pk}")).to_be_focused()  # Enter moved down, nothing was sent
    page.keyboard.press("Enter")  # the absent student: no grade…
    expect(page.locator(f"#g-{short.pk}")).to_be_focused()
    page.keyboard.type("8,5")
    page.locator(f"#a-{absent.pk}").check()  # …and "absent" ticked
    _shot(page, "1-teacher-grid-typed")
    page.get_by_role("button", name="Enregistrer la grille").click()
    expect(page.locator(".messages, [role=status]").first).to_contain_text("3")
    expect(page.locator(f"#g-{good.pk}")).to_have_value("14,50")  # as a French reader writes it
    expect(page.locator(f"#a-{absent.pk}")).to_be_checked()
    _shot(page, "2-teacher-grid-saved")
    grades = {g.student_id: g for g in Grade.objects.filter(subject=finance, session=Session.FIRST)}
    assert str(grades[good.pk].value) == "14.50" and grades[absent.pk].absent
    assert str(grades[short.pk].value) == "8.50"
    assert page.get_by_role("button", name="Publier les notes").count() == 0  # only the director publishes

    # 2. The director (English) publishes Finance, then has the jury propose again from the grades.
    login(page, base, director_be.email)
    page.goto(base + f"/gestion/notes/{finance.pk}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Publish the grades").click()
    expect(page.locator("main .badge.ok", has_text="Published")).to_be_visible()
    _shot(page, "3-director-published")
    expect(page.locator(f"#g-{good.pk}")).to_have_value("14.50")
    finance.refresh_from_db()
    assert finance.published_at is not None
    page.goto(base + "/gestion/jurys-etudes/")
    page.get_by_role("link", name="MS BE+").first.click()
    page.get_by_role("button", name="Propose again from the grades").click()
    expect(page.locator(f"#o{_outcome(sitting, good).pk}")).to_contain_text("Degree awarded")
    _shot(page, "4-director-jury-proposed")

    # 3. The jury member (French) confirms two outcomes and overrides the third with a written reason.
    login(page, base, jury.email)
    page.goto(base + "/gestion/jurys-etudes/")
    page.get_by_role("link", name="MS BE+").first.click()
    for student, shown in ((good, "Diplôme délivré"), (absent, "Rattrapages à passer")):
        row = page.locator(f"#o{_outcome(sitting, student).pk}")
        expect(row).to_contain_text(shown)
        row.get_by_role("button", name="Confirmer").click()
        expect(row.locator("strong", has_text=shown)).to_be_visible()  # the row swapped in place
        expect(row.get_by_role("button", name="Confirmer")).to_have_count(0)  # nothing left to confirm
    row = page.locator(f"#o{_outcome(sitting, short).pk}")
    expect(row).to_contain_text("Rattrapages à passer")
    row.get_by_role("button", name="Statuer autrement").click()  # no outcome, no reason: the browser asks
    assert not row.locator("select[name=kind]").evaluate("e => e.validity.valid")
    assert _outcome(sitting, short).outcome == ""
    row.locator("select[name=kind]").select_option(OutcomeKind.DEGREE)
    row.locator("input[name=reason]").fill("Points de jury : mission remarquable")
    row.get_by_role("button", name="Statuer autrement").click()
    expect(row).to_contain_text("Points de jury : mission remarquable")
    expect(row.get_by_role("button", name="Revenir à la proposition")).to_be_visible()
    _shot(page, "5-jury-member-ruled")
    assert _outcome(sitting, short).outcome == OutcomeKind.DEGREE

    # 4. The director closes the jury.
    login(page, base, director_be.email)
    page.goto(base + f"/gestion/jurys-etudes/{sitting.pk}/")
    page.get_by_role("link", name="Close the jury…").click()
    _shot(page, "6-director-close")
    page.locator("#close-jury").click()
    expect(page.locator("h1 .badge")).to_have_text("closed")
    _shot(page, "7-director-closed")
    sitting.refresh_from_db()
    assert sitting.closed_at is not None

    # 5. The student (English, on a phone) sees the outcome and downloads the transcript.
    page.set_viewport_size(VIEWPORTS["phone"])
    login(page, base, good.user.email)
    page.goto(base + "/etudes/")
    expect(page.locator("h1")).to_have_text("My studies")
    section = page.locator(f"section[aria-labelledby=studies-{good.pk}]")
    expect(section).to_contain_text("Degree awarded")
    expect(section).to_contain_text("ECTS obtained: 75 / 75")
    expect(section.get_by_role("row", name="A — Finance")).to_contain_text("14.5")
    assert not page.evaluate(WIDER_THAN_WINDOW)
    _shot(page, "8-student-phone")
    with page.expect_download() as info:
        section.get_by_role("link", name="Download my transcript (PDF)").click()
    path = SHOTS / "transcript.pdf"
    info.value.save_as(path)
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert good.dossier.last_name in text and "14.5" in text, text


def _outcome(sitting: Any, student: Any) -> JuryOutcome:
    return JuryOutcome.objects.get(jury=sitting, student=student)
