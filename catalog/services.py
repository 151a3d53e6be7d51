import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from catalog import defaults
from catalog.models import AdmissionSession, Campus, CvecRate, DocumentType, Institution, Offering, Program


@transaction.atomic
def catalog_install_defaults() -> AdmissionSession:
    """I16/I17: a fresh install holds the school and session of `catalog.defaults`. Safe to run twice:
    rows that exist are left as staff edited them."""
    institution, _ = Institution.objects.get_or_create(
        name=defaults.INSTITUTION["name"], defaults=defaults.INSTITUTION
    )
    campuses = {}
    for key, (name, address) in defaults.CAMPUSES.items():
        campuses[key], _ = Campus.objects.get_or_create(
            institution=institution, name=name, defaults={"address": address}
        )
    cvec, _ = CvecRate.objects.get_or_create(
        academic_year=defaults.CVEC[0], defaults={"amount": defaults.CVEC[1]}
    )
    programs = {}
    for code, (campus_key, _p, _c) in defaults.PROGRAMS.items():
        programs[code], _ = Program.objects.get_or_create(
            institution=institution, code=code, defaults={"campus": campuses[campus_key]}
        )
    return catalog_create_session(institution=institution, cvec=cvec, programs=programs, **defaults.SESSION)


def catalog_create_session(
    *,
    institution: Institution,
    cvec: CvecRate,
    programs: dict[str, Program],
    name: str,
    opens_on: dt.date,
    closes_on: dt.date,
    international_closes_on: dt.date,
    application_fee: Decimal = Decimal("60.00"),
    fee_grace_days: int = 10,
    **extra: Any,
) -> AdmissionSession:
    session, created = AdmissionSession.objects.get_or_create(
        institution=institution,
        name=name,
        defaults={
            "opens_on": opens_on,
            "closes_on": closes_on,
            "international_closes_on": international_closes_on,
            "application_fee": application_fee,
            "fee_grace_days": fee_grace_days,
            "cvec": cvec,
            **extra,
        },
    )
    if not created:
        return session
    for code, program in programs.items():
        _campus, personal, company = defaults.PROGRAMS.get(
            code, ("", Decimal("7500.00"), Decimal("12500.00"))
        )
        Offering.objects.create(
            session=session,
            program=program,
            capacity=defaults.DEFAULT_CAPACITY,
            tuition_personal=personal,
            tuition_company=company,
        )
    for position, (code, fr, en, requirement) in enumerate(defaults.DOCUMENTS):
        help_fr, help_en = defaults.DOCUMENT_HELP.get(code, ("", ""))
        DocumentType.objects.create(
            session=session,
            code=code,
            label_fr=fr,
            label_en=en,
            help_fr=help_fr,
            help_en=help_en,
            requirement=requirement,
            position=position,
        )
    return session
