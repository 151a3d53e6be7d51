"""The jury screen's rows (issue 11 item 2): made once in Python for the 500 rows of the page, and drawn
by templates/admission/_sitting_row.html for the one row htmx redraws; both give the same markup."""

import datetime as dt
import re
from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from admission import rows as jury_rows
from admission.models import Decision, Interview, Outcome
from applications.models import Dossier
from tests.conftest import PASSWORD
from tests.test_queries import add_dossiers


def _busy_sitting(at_jury: Dossier, director_be: Any, jury: Any) -> Any:
    sitting = at_jury.sitting
    assert sitting is not None
    add_dossiers(
        6, session=at_jury.offering.session, sitting=sitting, director=director_be, jury=jury, start=0
    )
    now = timezone.now()
    for days, notes in ((0, 'Motivé <b> & "clair"\r\nà revoir'), (1, "plus ancien")):
        Interview.objects.create(
            dossier=at_jury,
            starts_at=now - dt.timedelta(days=days),
            mode="phone",
            status="held",
            notes=notes,
            proposed_by=director_be,
        )
    Dossier.objects.filter(pk=at_jury.pk).update(diploma_title="Master <IA>", bac5_in_progress=True)
    return sitting


def _row_in(html: str, pk: int) -> str:
    start = html.index(f'<tr id="d{pk}">')
    row = html[start : html.index("</td></tr>", start) + len("</td></tr>")]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", row)  # masked anew at each render


def test_the_screens_rows_are_the_rows_its_template_draws(
    at_jury: Dossier, sitting_member: Any, director_be: Any, jury: Any
) -> None:
    sitting = _busy_sitting(at_jury, director_be, jury)
    Decision.objects.create(
        dossier=at_jury,
        offering=at_jury.offering,
        sitting=sitting,
        outcome="waiting_list",
        waitlist_rank=3,
        comment="Dossier <solide>",
        decided_by=jury,
        decided_at=timezone.now(),
    )
    for language in ("fr", "en"):
        with translation.override(language):
            for may_decide in (True, False):
                groups = jury_rows.jury_screen_groups(sitting, may_decide=may_decide)
                rows = [r for g in groups for r in g.rows]
                assert len(rows) == 7
                for row in rows:
                    drawn = render_to_string(
                        "admission/_sitting_row.html", {"r": row, "outcomes": Outcome.choices}
                    )
                    assert drawn.endswith(row.html), (drawn, row.html)
                    assert ("hx-get=" in row.html) is may_decide
                    assert row.html in "".join(part for g in groups for part, _ in g.parts)
    row = next(
        r
        for g in jury_rows.jury_screen_groups(sitting, may_decide=True)
        for r in g.rows
        if r.pk == at_jury.pk
    )
    assert "Motivé &lt;b&gt; &amp; &quot;clair&quot;<br>à revoir</small><small>plus ancien" in row.html
    assert "Master &lt;IA&gt;" in row.html and "BAC+5" in row.html
    assert "#3<br><small>Dossier &lt;solide&gt;</small>" in row.html


def test_a_decision_redraws_the_row_as_the_screen_draws_it(
    client: Any, at_jury: Dossier, sitting_member: Any, director_be: Any, jury: Any
) -> None:
    sitting = _busy_sitting(at_jury, director_be, jury)
    client.login(email=sitting_member.email, password=PASSWORD)
    screen = reverse("sitting_detail", args=[sitting.pk])
    url = reverse("decision_record", args=[sitting.pk, at_jury.pk])
    # The form opened in the row by htmx is the one ?edit= opens in the page without JavaScript.
    opened = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    page = client.get(screen, {"edit": at_jury.pk}).content.decode()
    assert _row_in(opened, at_jury.pk) == _row_in(page, at_jury.pk)
    assert page.count('name="outcome"') == 1
    fragment = client.post(
        url, {"outcome": "conditional", "comment": "Très bien"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    page = client.get(screen).content.decode()
    assert _row_in(fragment, at_jury.pk) == _row_in(page, at_jury.pk)
    assert "Très bien" in _row_in(page, at_jury.pk) and 'name="outcome"' not in page
    start = fragment.index('<p class="places"')
    places = fragment[start : fragment.index("</p>", start) + 4]
    assert places.replace(' hx-swap-oob="true"', "") in page


def test_R1_3_the_path_legend_names_the_six_ways_in(
    client: Any, at_jury: Dossier, sitting_member: Any, director_be: Any, jury: Any
) -> None:
    sitting = _busy_sitting(at_jury, director_be, jury)
    client.login(email=sitting_member.email, password=PASSWORD)
    with translation.override("fr"):
        page = client.get(reverse("sitting_detail", args=[sitting.pk])).content.decode()
    legend = page[page.index('id="paths"') : page.index("</dl>", page.index('id="paths"'))]
    assert re.findall(r"<strong>(\w+)</strong>", legend) == ["A", "B", "C", "D", "E", "F"]
    assert "NONE" not in legend and "Aucune" not in legend
