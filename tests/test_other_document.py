"""A document outside the session's list, asked for when the office returns a dossier as incomplete
(I3): the office writes what it wants and ticks "it asks for a document"; the session's "on request"
slot then appears, required, in that dossier only; the candidate uploads there and cannot submit again
without it. Without the tick the slot stays hidden and nothing more is required."""

import io
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from admission import services as adm
from applications import services
from applications.demo import tiny_pdf
from applications.models import Dossier, DossierStatus
from applications.selectors import document_slots, dossier_checklist, required_document_types
from catalog.models import DocumentRequirement, DocumentType
from cursus.errors import DomainError
from tests.conftest import PASSWORD

ASKED = "Attestation d'employeur signée (stage de 2023)"


def other_type(dossier: Dossier) -> DocumentType:
    return DocumentType.objects.get(
        session_id=dossier.offering.session_id, requirement=DocumentRequirement.ON_REQUEST
    )


def upload(dossier: Dossier, document_type: DocumentType, name: str) -> None:
    data = tiny_pdf(name)
    services.document_upload(
        dossier=dossier,
        by=dossier.candidate,
        document_type=document_type,
        fileobj=io.BytesIO(data),
        name=f"{name}.pdf",
        size=len(data),
    )


def test_I16_every_session_has_a_slot_on_request_hidden_until_asked(ready: Dossier) -> None:
    other = other_type(ready)
    assert other.code == "other"
    assert other not in required_document_types(ready)
    assert other.pk not in {s.type.pk for s in document_slots(ready)}
    assert dossier_checklist(ready).ready  # nothing more to submit


def test_I3_office_asks_for_a_document_outside_the_list_and_the_candidate_must_upload_it(
    client: Any, ready: Dossier, office: Any, django_capture_on_commit_callbacks: Any
) -> None:
    services.dossier_submit(dossier=ready, by=ready.candidate)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        adm.dossier_mark_incomplete(dossier=ready, by=office, missing=[ASKED], ask_document=True)
    ready.refresh_from_db()
    other = other_type(ready)
    assert ready.status == DossierStatus.INCOMPLETE and ready.other_document_asked
    (slot,) = [s for s in document_slots(ready) if s.type.pk == other.pk]
    assert slot.required and slot.current is None
    # The email says what to upload and where.
    body = str(mail.outbox[0].body)
    assert ASKED in body and other.label_fr in body
    # The candidate's pages: the office's words, where to upload, the slot on the documents page.
    client.login(email=ready.candidate.email, password=PASSWORD)
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert f'id="other-document-{ready.pk}"' in dashboard and "Attestation d&#x27;employeur" in dashboard
    documents = client.get(reverse("dossier_documents", args=[ready.pk])).content.decode()
    assert other.label_fr in documents
    # Not again without it...
    with pytest.raises(DomainError):
        services.dossier_submit(dossier=ready, by=ready.candidate)
    ready.refresh_from_db()
    assert ready.status == DossierStatus.INCOMPLETE
    # ... and again once it is there; the office then sees it to check.
    upload(ready, other, "attestation")
    services.dossier_submit(dossier=ready, by=ready.candidate)
    ready.refresh_from_db()
    assert ready.status == DossierStatus.SUBMITTED
    (slot,) = [s for s in document_slots(ready) if s.type.pk == other.pk]
    assert slot.current is not None and slot.current.original_name == "attestation.pdf"


def test_I3_without_the_tick_nothing_more_is_required(
    ready: Dossier, office: Any, django_capture_on_commit_callbacks: Any
) -> None:
    services.dossier_submit(dossier=ready, by=ready.candidate)
    with django_capture_on_commit_callbacks(execute=True):
        adm.dossier_mark_incomplete(dossier=ready, by=office, missing=["Signez la lettre"])
    ready.refresh_from_db()
    assert not ready.other_document_asked
    assert other_type(ready).pk not in {s.type.pk for s in document_slots(ready)}
    assert "Autre pièce" not in str(mail.outbox[-1].body)
    services.dossier_submit(dossier=ready, by=ready.candidate)
    ready.refresh_from_db()
    assert ready.status == DossierStatus.SUBMITTED


def test_I3_asking_for_a_document_needs_the_office_to_say_which(ready: Dossier, office: Any) -> None:
    services.dossier_submit(dossier=ready, by=ready.candidate)
    with pytest.raises(DomainError) as refused:
        adm.dossier_mark_incomplete(dossier=ready, by=office, missing=["  "], ask_document=True)
    assert refused.value.code == "other_document"
    ready.refresh_from_db()
    assert ready.status == DossierStatus.SUBMITTED and not ready.other_document_asked


def test_I3_a_session_without_the_slot_says_so_and_the_office_loses_nothing_it_typed(
    client: Any, ready: Dossier, office: Any
) -> None:
    services.dossier_submit(dossier=ready, by=ready.candidate)
    other_type(ready).delete()
    client.login(email=office.email, password=PASSWORD)
    page = client.post(
        reverse("dossier_incomplete", args=[ready.pk]), {"missing": ASKED, "ask_document": "on"}
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "emplacement pour une autre pièce" in text  # the French of "no slot for another document"
    assert "Attestation d&#x27;employeur signée" in text and 'id="id_ask_document" checked' in text
    ready.refresh_from_db()
    assert ready.status == DossierStatus.SUBMITTED
    # With the slot back (the catalogue's admin), the same form goes through.
    DocumentType.objects.create(
        session_id=ready.offering.session_id,
        code="autre",
        label_fr="Autre pièce",
        label_en="Other document",
        requirement=DocumentRequirement.ON_REQUEST,
        position=20,
    )
    done = client.post(
        reverse("dossier_incomplete", args=[ready.pk]), {"missing": ASKED, "ask_document": "on"}
    )
    assert done.status_code == 302
    ready.refresh_from_db()
    assert ready.status == DossierStatus.INCOMPLETE and ready.other_document_asked
