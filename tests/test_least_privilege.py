"""Issue 6: least privilege (item 4), files served to staff as to candidates (item 5), and the fixes
found on the way (item 9): a late submission flagged after the international flag changes, a decision
posted for a dossier that left the jury screen."""

import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from admission import services as adm
from applications import services
from applications.models import Dossier, FeePayment
from audit.models import AuditEvent
from catalog.rules import PARIS
from tests.conftest import PASSWORD, PNG_BYTES, fill_dossier, make_complete, make_user, offering

# ---- item 4: what finance and the office see --------------------------------------------------------


def test_issue6_4_finance_identifies_the_payer_but_sees_no_dossier(
    client: Any, complete: Dossier, finance: Any
) -> None:
    payment = FeePayment.objects.get(dossier=complete)
    f = complete.files.first()
    assert f is not None
    client.login(email=finance.email, password=PASSWORD)
    page = client.get(reverse("fee_payments"), {"status": "all"}).content.decode()
    for shown in (payment.reference, complete.last_name, complete.candidate.email, "MS BE+"):
        assert shown in page
    # no link to the dossier, its documents or its opinion from the payments page
    assert reverse("staff_dossier", args=[complete.pk]) not in page
    assert reverse("document_download", args=[complete.pk, f.pk]) not in page
    for url in (
        reverse("dossier_detail", args=[complete.pk]),
        reverse("staff_dossier", args=[complete.pk]),
        reverse("document_download", args=[complete.pk, f.pk]),
        reverse("staff_document_view", args=[complete.pk, f.pk]),
        reverse("decision_letter", args=[complete.pk]),
        reverse("office_queue"),
    ):
        assert client.get(url).status_code == 404, url


def test_issue6_4_office_sees_drafts_only_as_a_count(
    client: Any, draft: Dossier, complete: Any, office: Any, other_candidate: Any, open_session: Any
) -> None:
    """`complete` is the submitted one; a second candidate keeps a draft, a third withdrew hers unsent."""
    other = fill_dossier(
        services.dossier_open(candidate=other_candidate, offering=offering(open_session, "CSE")),
        documents=False,
        fee=False,
    )
    carol = make_user("carol@example.org")
    gone = services.dossier_open(candidate=carol, offering=offering(open_session, "MRPT"))
    services.dossier_withdraw(dossier=gone, by=carol)
    client.login(email=office.email, password=PASSWORD)
    page = client.get(reverse("office_queue"), {"status": "all"}).content.decode()
    assert reverse("staff_dossier", args=[complete.pk]) in page
    for hidden in (other, gone):
        assert reverse("staff_dossier", args=[hidden.pk]) not in page
        assert client.get(reverse("staff_dossier", args=[hidden.pk])).status_code == 404
    # the draft count is in the status filter: the other candidate's draft and the withdrawn one
    # French puts a non-breaking space before the colon (issue 7 item 8); either space passes here
    assert "Brouillons\u00a0: 2" in page or "Brouillons : 2" in page or "Drafts: 2" in page
    assert client.get(reverse("office_queue"), {"status": "draft"}).context["page"].paginator.count == 0


def test_issue6_4_a_submitted_then_withdrawn_dossier_stays_visible_to_the_office(
    client: Any, ready: Dossier, office: Any
) -> None:
    services.dossier_submit(dossier=ready, by=ready.candidate)
    services.dossier_withdraw(dossier=ready, by=ready.candidate)
    client.login(email=office.email, password=PASSWORD)
    assert client.get(reverse("staff_dossier", args=[ready.pk])).status_code == 200


# ---- item 5: the same file response for candidates and staff ----------------------------------------


def _assert_file_headers(response: Any, *, disposition: str, name: str) -> None:
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(disposition)
    assert f'filename="{name}"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp


@pytest.fixture
def with_image(ready: Dossier, office: Any, finance: Any) -> Any:
    """One document uploaded as a PNG under a misleading name (it is served as .png), the rest PDF;
    then checked complete, so that staff read it."""
    first = ready.files.first()
    assert first is not None
    f = services.document_upload(
        dossier=ready,
        by=ready.candidate,
        document_type=first.document_type,
        fileobj=io.BytesIO(PNG_BYTES),
        name="photo.html",
        size=len(PNG_BYTES),
    )
    make_complete(ready, office, finance)
    return f


def test_issue6_5_candidate_and_staff_get_the_same_file_headers(
    client: Any, ready: Dossier, with_image: Any, office: Any
) -> None:
    complete = ready
    pdf = complete.files.filter(content_type="application/pdf").first()
    assert pdf is not None and with_image.content_type == "image/png"
    pdf_name = pdf.original_name
    client.login(email=complete.candidate.email, password=PASSWORD)
    for f, name in ((pdf, pdf_name), (with_image, "photo.html.png")):
        response = client.get(reverse("document_download", args=[complete.pk, f.pk]))
        _assert_file_headers(response, disposition="attachment", name=name)
        assert "sandbox" in response["Content-Security-Policy"]
    client.logout()
    client.login(email=office.email, password=PASSWORD)
    for f, name in ((pdf, pdf_name), (with_image, "photo.html.png")):
        response = client.get(reverse("document_download", args=[complete.pk, f.pk]))
        _assert_file_headers(response, disposition="attachment", name=name)
        assert "sandbox" in response["Content-Security-Policy"]
    # read in the browser: the image sandboxed; a PDF under the viewer's policy (browsers refuse to
    # run their PDF viewer in a sandbox), where nothing of the file's own loads or runs
    image = client.get(reverse("staff_document_view", args=[complete.pk, with_image.pk]))
    _assert_file_headers(image, disposition="inline", name="photo.html.png")
    assert "sandbox" in image["Content-Security-Policy"]
    assert image["Content-Type"] == "image/png"
    viewed = client.get(reverse("staff_document_view", args=[complete.pk, pdf.pk]))
    _assert_file_headers(viewed, disposition="inline", name=pdf_name)
    assert viewed["Content-Type"] == "application/pdf"


# ---- item 9 (a): a change of the international flag that makes a submission late ---------------------


def _submitted_french_dossier(catalog: Any, candidate: Any, at: dt.datetime) -> Dossier:
    """Session 2025-2026 as the notice gives it: internationals by 12 March 2025 (R2.7)."""
    opened = dt.datetime(2025, 1, 10, 10, tzinfo=PARIS)
    with time_machine.travel(opened, tick=False):
        dossier = services.dossier_open(candidate=candidate, offering=offering(catalog, "BE+"), at=opened)
        fill_dossier(dossier, at=opened)
    with time_machine.travel(at, tick=False):
        return services.dossier_submit(dossier=dossier, by=candidate, at=at)


@pytest.mark.parametrize(
    ("submitted_at", "late"),
    [
        (dt.datetime(2025, 3, 12, 23, 59, 59, tzinfo=PARIS), False),
        (dt.datetime(2025, 3, 13, 0, 0, 0, tzinfo=PARIS), True),
    ],
    ids=["12_march_23h59m59_in_time", "13_march_00h00_late"],
)
def test_issue6_9_R2_7_I2_flag_change_that_makes_the_submission_late_is_flagged(
    client: Any, catalog: Any, candidate: Any, office: Any, submitted_at: dt.datetime, late: bool
) -> None:
    dossier = _submitted_french_dossier(catalog, candidate, submitted_at)
    assert dossier.is_international is False and not dossier.late_after_flag_change
    dossier = adm.dossier_set_international(
        dossier=dossier, by=office, value=True, reason="Visa needed after all"
    )
    assert dossier.late_after_flag_change is late
    events = AuditEvent.objects.filter(action="dossier.late_after_flag_change", object_id=str(dossier.pk))
    assert events.count() == (1 if late else 0)
    client.login(email=office.email, password=PASSWORD)
    page = client.get(reverse("staff_dossier", args=[dossier.pk])).content.decode()
    queue = client.get(reverse("office_queue")).content.decode()
    assert ('id="late-warning"' in page) is late
    assert ('id="late-warning"' in queue) is late
    flagged = client.get(reverse("office_queue"), {"status": "late"}).context["page"].paginator.count
    assert flagged == (1 if late else 0)
    # back to the computed flag: the submission is in time again, and that is recorded too
    dossier = adm.dossier_set_international(dossier=dossier, by=office, value=None, reason="Checked again")
    assert not dossier.late_after_flag_change
    assert events.count() == (2 if late else 0)


# ---- item 9 (b): a decision for a dossier that left the jury screen ----------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
@pytest.mark.parametrize("how", ["withdrawn", "moved"])
def test_issue6_9_decision_for_a_dossier_that_left_the_screen_gets_a_message(
    client: Any, at_jury: Dossier, sitting_member: Any, office: Any, how: str, htmx: bool
) -> None:
    from admission.models import Decision, JurySitting

    sitting = at_jury.sitting
    assert sitting is not None
    if how == "withdrawn":
        services.dossier_withdraw(dossier=at_jury, by=at_jury.candidate)
    else:
        other = JurySitting.objects.filter(session_id=sitting.session_id).exclude(pk=sitting.pk).first()
        assert other is not None
        adm.dossier_move(dossier=at_jury, by=office, sitting=other, reason="Dossier needs the May jury")
    client.raise_request_exception = False
    client.login(email=sitting_member.email, password=PASSWORD)
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(
        reverse("decision_record", args=[sitting.pk, at_jury.pk]),
        {"outcome": "admitted"},
        headers=headers,
        follow=not htmx,
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "retiré ou déplacé" in text or "withdrawn or moved" in text
    assert not Decision.objects.filter(dossier=at_jury).exists()
