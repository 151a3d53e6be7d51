"""The staff tables' rows written as HTML in Python (issue 11 item 2): the office's and the director's
lists (templates/admission/_dossier_table.html) and the jury screen (templates/admission/sitting.html
and _sitting_row.html). At 50 to 500 rows a page, the template engine's lookups, translations and
escaping per cell cost more than the rest of the page, so each row is one string made here, every value
escaped as the template would. The reads are admission.selectors' (facts only, no HTML)."""

from dataclasses import dataclass
from html import escape as html_escape
from typing import Any

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from admission import selectors
from admission.models import JurySitting, Outcome

# A dossier number no row has: reversed once into a URL, then replaced by each row's.
_PLACEHOLDER = 987654321


def _safe(text: str) -> SafeString:
    return mark_safe(text)  # noqa: S308 - made only of escaped values, by this module  # nosec B308 B703


# ---- the office's and the director's lists ------------------------------------------------------


def dossier_rows_html(rows: list[selectors.DossierRow]) -> SafeString:
    """The ``<tr>`` of a staff list's table."""
    e = html_escape
    # The words outside the f-strings: xgettext (makemessages) does not find a gettext() inside one.
    words = {
        "international": gettext("international"),
        "late": gettext("late since the flag changed"),
        "in_progress": gettext("in progress"),
        "favourable": gettext("favourable"),
        "unfavourable": gettext("unfavourable"),
    }
    international = f' <span class="badge">{e(words["international"])}</span>'
    late = f' <span class="badge err">{e(words["late"])}</span>'
    in_progress = f' <span class="small muted">BAC+5 {e(words["in_progress"])}</span>'
    opinions = {
        None: "—",
        True: f'<span class="badge ok">{e(words["favourable"])}</span>',
        False: f'<span class="badge err">{e(words["unfavourable"])}</span>',
    }
    out = []
    for d in rows:
        sitting = (
            "" if d.sitting_name is None else f'<br><span class="small muted">{e(d.sitting_name)}</span>'
        )
        out.append(
            f'<tr id="row-{d.pk}">\n'
            f'    <td><a href="{e(d.url)}">{e(d.name)}</a>{international if d.international else ""}'
            f'{late if d.late else ""}<br><span class="small muted">n° {e(d.number)} · {e(d.email)}</span></td>\n'
            f'    <td>MS {e(d.program_code)} <span class="small">{e(d.program_title)}</span>'
            f'<br><span class="small muted">{e(d.session_name)}</span></td>\n'
            f"    <td>{e(d.path)}{in_progress if d.bac5_in_progress else ''}</td>\n"
            f'    <td><span class="badge">{e(d.status_label)}</span>{sitting}'
            f'<br><span class="small muted">{e(d.fee_label)}</span></td>\n'
            f"    <td>{opinions[d.opinion]}</td>\n"
            f'    <td class="small">{e(d.submitted_at)}</td>\n'
            "  </tr>"
        )
    return _safe("".join(out))


# ---- the jury screen ----------------------------------------------------------------------------


@dataclass(slots=True)
class JuryRow:
    """One dossier before the jury, ready to print: its cells made once, for the screen's 500 rows (one
    string each, no template per row) and for the one row a decision redraws (_sitting_row.html adds the
    decision form around them)."""

    pk: int
    head: SafeString  # the row's opening and its first four cells (candidate, path, opinion, interview)
    decision: SafeString  # the recorded decision, at the start of the last cell
    decide_url: str  # "" when the user may not decide (not a member, or the sitting closed)
    outcome: str
    waitlist_rank: int | None
    comment: str
    html: SafeString  # the whole row without a form: what _sitting_row.html renders without ``editing``
    editing: bool = False  # the row opens with its form (?edit= without JavaScript)


def jury_rows(
    sitting: JurySitting, *, may_decide: bool, pk: int | None = None, edit: str = ""
) -> list[tuple[int, JuryRow]]:
    """The sitting's dossiers (or the one ``pk``) as (offering id, row), by program code and surname."""
    found, held_notes = selectors.jury_row_facts(sitting, pk=pk)
    if not found:
        return []
    notes: dict[int, list[str]] = {}
    for dossier_id, text in held_notes:
        # As the linebreaksbr filter does: the line ends normalised, escaped, then turned into <br>.
        text = html_escape(text.replace("\r\n", "\n").replace("\r", "\n")).replace("\n", "<br>")
        notes.setdefault(dossier_id, []).append(f"<small>{text}</small>")
    dossier_url = reverse("staff_dossier", args=[_PLACEHOLDER])
    decide_url = reverse("decision_record", args=[sitting.pk, _PLACEHOLDER]) if may_decide else ""
    # Django's escape() is html.escape() behind a lazy-string check that costs more than the escaping.
    words = {
        "international": gettext("international"),
        "in_progress": gettext("in progress"),
        "favourable": gettext("favourable"),
        "unfavourable": gettext("unfavourable"),
        "decide": gettext("Decide"),
    }
    labels: dict[Any, str] = {
        "international": f' <span class="badge">{escape(words["international"])}</span>',
        "in_progress": f'<br><span class="badge warn">BAC+5 {escape(words["in_progress"])}</span>',
        True: f'<span class="badge ok">{escape(words["favourable"])}</span>',
        False: f'<span class="badge err">{escape(words["unfavourable"])}</span>',
    }
    decide_text = escape(words["decide"])
    outcomes = {value: escape(label) for value, label in Outcome.choices}
    placeholder = str(_PLACEHOLDER)
    rows = []
    for d in found:
        key = str(d["pk"])
        facts: Any = selectors.DossierFacts(d)  # the model's own rule (I2), as the staff lists read it
        candidate = (
            f'<a href="{dossier_url.replace(placeholder, key)}">'
            f"{html_escape(d['last_name'])} {html_escape(d['first_names'])}</a>"
            f"{labels['international'] if facts.is_international else ''}"
            f"{f'<br><small>{html_escape(title)}</small>' if (title := d['diploma_title']) else ''}"
        )
        path = html_escape(d["eligibility_path"].upper()) + (
            labels["in_progress"] if d["bac5_in_progress"] else ""
        )
        opinion = ""
        if d["opinion__pk"] is not None:
            opinion = labels[bool(d["opinion__favourable"])]
            if d["opinion__comment"]:
                opinion += f"<br><small>{html_escape(d['opinion__comment'])}</small>"
        decision = ""
        outcome, rank, comment = d["decision__outcome"] or "", d["decision__waitlist_rank"], ""
        if d["decision__pk"] is not None:
            comment = d["decision__comment"] or ""
            decision = f"<strong>{outcomes.get(outcome, html_escape(outcome))}</strong>"
            if rank:
                decision += f" #{rank}"
            if comment:
                decision += f"<br><small>{html_escape(comment)}</small>"
        head = (
            f'<tr id="d{key}">\n<td>{candidate}</td>\n<td>{path}</td>\n<td>{opinion}</td>\n'
            f"<td>{''.join(notes.get(d['pk'], ()))}</td>\n"
        )
        url = decide_url.replace(placeholder, key)
        link = f' <a href="{url}" hx-get="{url}">{decide_text}</a>' if url else ""
        row = JuryRow(
            pk=d["pk"],
            head=_safe(head),
            decision=_safe(decision),
            decide_url=url,
            outcome=outcome,
            waitlist_rank=rank if d["decision__pk"] is not None else None,
            comment=comment,
            html=_safe(f"{head}<td>{decision}\n{link}</td></tr>\n"),
            editing=bool(may_decide and edit == key),
        )
        rows.append((d["offering_id"], row))
    return rows


def jury_screen_groups(
    sitting: JurySitting, *, may_decide: bool, edit: str = ""
) -> list[selectors.ProgramGroup]:
    """The jury screen: the sitting's rows grouped by program, in the order of their codes, with the
    places of each (I6), in three queries whatever the number of dossiers."""
    rows = jury_rows(sitting, may_decide=may_decide, edit=edit)
    groups = selectors.offerings_with_places({offering_id for offering_id, _ in rows})
    shown: dict[int, selectors.ProgramGroup] = {}
    for offering_id, row in rows:
        group = shown.setdefault(offering_id, groups[offering_id])
        group.rows.append(row)
    for group in shown.values():
        run: list[str] = []
        for row in group.rows:
            if row.editing:
                group.parts += [(_safe("".join(run)), None), (_safe(""), row)]
                run = []
            else:
                run.append(row.html)
        group.parts.append((_safe("".join(run)), None))
    return list(shown.values())


def jury_screen_row(sitting: JurySitting, pk: int) -> tuple[selectors.ProgramGroup, JuryRow] | None:
    """One row of the jury screen, for a member, and its program's places (without its other dossiers),
    for the row a decision redraws: a decision at a sitting of 500 dossiers reads one dossier, not 500."""
    rows = jury_rows(sitting, may_decide=not sitting.is_closed, pk=pk)
    if not rows:
        return None
    offering_id, row = rows[0]
    group = selectors.offerings_with_places([offering_id])[offering_id]
    group.rows.append(row)
    return group, row
