"""SEPA Core mandates (issue 9 item 7, R3.4, I10).

One mandate per registration (its debtor: the student, or the company that finances the training) and
academic year, reused for the three instalments. The student signs it on their registration page; a
company's signatory signs through a link sent to the registration's billing email (a signed token,
no account). Signing is an explicit online consent to the standard SEPA Core text, recorded with its
time, address and browser.

The IBAN is checked (schwifty), then stored encrypted (``billing.crypto``); only its country and last
four characters stay in clear, for the masked display. It is never logged, audited or emailed: the
pre-notification and its PDF show the masked form; the full IBAN is read back (``mandate_iban``) only
for the debit files, finance's detail page and the PDF the debtor downloads.

At signature the debtor gets one pre-notification with the three dates and amounts, the mandate
reference and the creditor identifier, at least ``SEPA_PRENOTIFICATION_DAYS`` before the first debit
(I10): the dates listed are the ones ``billing.sepa.collection_date`` gives, which the export uses.
"""

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pycountry
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_variables
from schwifty import BIC, IBAN
from schwifty.exceptions import InvalidChecksumDigits, InvalidCountryCode, SchwiftyException
from stdnum.eu import at_02
from stdnum.exceptions import ValidationError as StdnumError

from audit.services import audit_record
from billing import crypto
from billing.models import Mandate, MandateStatus
from billing.sepa import collection_date
from catalog.models import Institution
from cursus.errors import DomainError
from registration.models import Debtor, Instalment, InstalmentStatus, Registration, RegistrationStatus

log = logging.getLogger(__name__)

LIVE = (MandateStatus.AWAITING, MandateStatus.ACTIVE)
# The company's signing link: salted for this use only, valid 30 days, carrying the mandate's id.
TOKEN_SALT = "billing.mandate.company-sign"  # noqa: S105 — a namespace for signing, not a secret
TOKEN_MAX_AGE = dt.timedelta(days=30)
# The instalments a mandate collects (a cancelled or refunded one is not debited).
COLLECTED = (InstalmentStatus.DUE, InstalmentStatus.RETURNED)

# The standard SEPA Core mandate text (EPC rulebook), with the creditor's name.
CONSENT_TEXT = gettext_lazy(
    "By signing this mandate form, you authorise (A) %(creditor)s to send instructions to your bank to "
    "debit your account and (B) your bank to debit your account in accordance with the instructions "
    "from %(creditor)s. As part of your rights, you are entitled to a refund from your bank under the "
    "terms and conditions of your agreement with your bank. A refund must be claimed within 8 weeks "
    "starting from the date on which your account was debited."
)


def consent_text(creditor: str) -> str:
    return str(CONSENT_TEXT) % {"creditor": creditor}


class MandateInvalid(DomainError):
    """What was typed cannot make a mandate: one message per field (the form shows each beside it)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()), code="invalid")
        self.errors = errors


# ---- checks (pure) --------------------------------------------------------------------------------


def creditor_identifier(institution: Institution) -> str:
    """The institution's SEPA creditor identifier, checked (ISO 7064 mod 97-10, ``stdnum.eu.at_02``).
    Missing or invalid: a clear refusal for finance to fix in the back office, never a crash."""
    value = (institution.sepa_creditor_id or "").strip()
    if not value:
        raise DomainError(
            _(
                "The institution has no SEPA creditor identifier: finance must enter it in the back "
                "office (institution settings) before mandates can be signed."
            ),
            code="creditor_id",
        )
    try:
        return str(at_02.validate(value))
    except StdnumError:
        raise DomainError(
            _(
                "The institution's SEPA creditor identifier “%(value)s” is not valid: finance must "
                "correct it in the back office (institution settings)."
            )
            % {"value": value},
            code="creditor_id",
        ) from None


@sensitive_variables("value", "compact", "iban")
def iban_check(value: str) -> IBAN:
    """A SEPA IBAN, or a DomainError saying what is wrong (its message never repeats the IBAN)."""
    compact = crypto.compact(value or "")
    if not compact:
        raise DomainError(_("Enter the IBAN of the account to debit."), code="iban")
    try:
        iban = IBAN(compact)
    except InvalidChecksumDigits:
        raise DomainError(
            _("This IBAN is not valid: its check digits do not match (a character is probably mistyped)."),
            code="iban",
        ) from None
    except InvalidCountryCode:
        raise DomainError(_("This IBAN is not valid: its country code is unknown."), code="iban") from None
    except SchwiftyException:
        raise DomainError(
            _("This IBAN is not valid: check its length and characters against your bank details."),
            code="iban",
        ) from None
    if not iban.in_sepa_zone:
        raise DomainError(
            _(
                "This account is in a country outside the SEPA zone: it cannot be debited by SEPA direct "
                "debit. Give the IBAN of an account in the SEPA zone."
            ),
            code="iban",
        )
    return iban


def bic_check(value: str, iban: IBAN) -> str:
    """The BIC given (checked, and matched with the IBAN's bank when schwifty knows the bank), or the
    one schwifty derives from the IBAN when none is given; "" when neither (the BIC is optional in
    SEPA for a debtor of the EEA)."""
    compact = "".join((value or "").split()).upper()
    if not compact:
        derived = iban.bic
        return str(derived) if derived else ""
    try:
        bic = BIC(compact)
    except SchwiftyException:
        raise DomainError(
            _("This BIC is not valid: it has 8 or 11 letters and digits (e.g. AGRIFRPP)."), code="bic"
        ) from None
    try:
        candidates = [str(c) for c in BIC.candidates_from_bank_code(iban.country_code, iban.bank_code)]
    except SchwiftyException:
        candidates = []
    if candidates and not any(c[:6] == str(bic)[:6] for c in candidates):
        raise DomainError(
            _(
                "This BIC is not that of the IBAN's bank (%(expected)s is expected). Check both, or leave the "
                "BIC empty."
            )
            % {"expected": candidates[0]},
            code="bic",
        )
    return str(bic)


def _countries() -> set[str]:
    return {c.alpha_2 for c in pycountry.countries}


def _field_errors(
    *,
    debtor_name: str,
    street: str,
    postcode: str,
    town: str,
    country: str,
    consent: bool,
    company: bool,
    signatory_name: str,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not debtor_name.strip():
        errors["debtor_name"] = _("Enter the name of the account holder.")
    elif len(debtor_name.strip()) > 70:
        errors["debtor_name"] = _("The account holder's name has at most 70 characters.")
    if len(street.strip()) > 70:
        errors["street"] = _("The street has at most 70 characters.")
    if len(postcode.strip()) > 16:
        errors["postcode"] = _("The postcode has at most 16 characters.")
    if not town.strip():
        errors["town"] = _("Enter the town of the account holder's address.")
    elif len(town.strip()) > 35:
        errors["town"] = _("The town has at most 35 characters.")
    if (country or "").upper() not in _countries():
        errors["country"] = _("Choose the country of the account holder's address.")
    if company and not signatory_name.strip():
        errors["signatory_name"] = _("Enter the name of the person who signs for the company.")
    if not consent:
        errors["consent"] = _("Tick the box to give your consent: without it the mandate is not signed.")
    return errors


# ---- reads ----------------------------------------------------------------------------------------


def academic_year(registration: Registration) -> str:
    student = getattr(registration, "student", None)
    if student is not None:
        return str(student.academic_year)
    return str(registration.dossier.offering.session.teaching_calendar().academic_year)


def live_mandate(registration: Registration) -> Mandate | None:
    """The registration's awaiting or signed mandate (of any year: a registration has one year)."""
    return (
        Mandate.objects.filter(registration=registration, status__in=LIVE)
        .select_related("institution")
        .order_by("-created_at", "-pk")
        .first()
    )


def latest_mandate(registration: Registration) -> Mandate | None:
    """The live mandate, else the last one (revoked or lapsed), for the pages that say so."""
    return live_mandate(registration) or (
        Mandate.objects.filter(registration=registration)
        .select_related("institution")
        .order_by("-created_at", "-pk")
        .first()
    )


def masked_iban(mandate: Mandate) -> str:
    return crypto.mask(mandate.iban_country, mandate.iban_last4)


@sensitive_variables()
def mandate_iban(mandate: Mandate) -> str:
    """The full IBAN (decrypted): for the debit export, finance's detail page and the debtor's PDF only."""
    return crypto.decrypt(mandate.iban_encrypted) if mandate.iban_encrypted else ""


def iban_spaced(iban: str) -> str:
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def mandate_for_instalment(instalment: Instalment) -> Mandate | None:
    """The signed mandate that collects this instalment: its registration's, of the same debtor."""
    return (
        Mandate.objects.filter(
            registration_id=instalment.registration_id,
            debtor_kind=instalment.debtor,
            status=MandateStatus.ACTIVE,
        )
        .order_by("-signed_at", "-pk")
        .first()
    )


def mandate_instalments(mandate: Mandate) -> list[Instalment]:
    return list(
        Instalment.objects.filter(
            registration_id=mandate.registration_id, debtor=mandate.debtor_kind, status__in=COLLECTED
        ).order_by("number")
    )


def collection_dates(mandate: Mandate, *, today: dt.date | None = None) -> list[tuple[Instalment, dt.date]]:
    """Each instalment the mandate collects with the date it will be debited: never sooner than the
    pre-notification plus SEPA_PRENOTIFICATION_DAYS (I10), a TARGET2 business day."""
    today = today or timezone.localdate()
    prenotified_on = timezone.localdate(mandate.prenotified_at) if mandate.prenotified_at else today
    notice = settings.SEPA_PRENOTIFICATION_DAYS
    return [
        (i, collection_date(i.due_on, prenotified_on, today, notice)) for i in mandate_instalments(mandate)
    ]


# ---- the reference --------------------------------------------------------------------------------


def mandate_reference(registration: Registration) -> str:
    """``CURSUS-<year>-<registration>-<n>``: at most 35 characters of [A-Z0-9-] (the SEPA set), unique,
    n counting the registration's mandates (a revoked one is replaced by the next n)."""
    year = academic_year(registration)[:4]
    n = Mandate.objects.filter(registration=registration).count() + 1
    while True:
        reference = f"CURSUS-{year}-{registration.pk:06d}-{n}"
        if not Mandate.objects.filter(reference=reference).exists():
            return reference
        n += 1


# ---- start ----------------------------------------------------------------------------------------


def debtor_kind_of(registration: Registration) -> str:
    debtor = (
        Instalment.objects.filter(registration=registration)
        .order_by("number")
        .values_list("debtor", flat=True)
        .first()
    )
    if debtor:
        return str(debtor)
    return Debtor.COMPANY if registration.financing == "company" else Debtor.STUDENT


def mandate_start(*, registration: Registration, by: Any) -> Mandate:
    """The live mandate of the registration's year, made if missing (I10): its debtor follows the
    instalments (the student, or the company), its creditor identifier the institution's. A company's
    mandate waits for its signatory, who is emailed a signing link. Safe twice."""
    with transaction.atomic():
        registration = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("dossier__candidate", "dossier__offering__session__institution")
            .get(pk=registration.pk)
        )
        year = academic_year(registration)
        existing = Mandate.objects.filter(
            registration=registration, academic_year=year, status__in=LIVE
        ).first()
        if existing is not None:
            return existing
        if registration.status != RegistrationStatus.COMPLETED:
            raise DomainError(
                _("The direct-debit mandate comes once the registration is complete."), code="state"
            )
        dossier = registration.dossier
        institution = dossier.offering.session.institution
        creditor_id = creditor_identifier(institution)
        kind = debtor_kind_of(registration)
        if kind == Debtor.COMPANY:
            if not registration.company_billing_email:
                raise DomainError(
                    _(
                        "The registration has no billing email for the company: the signing link cannot be sent."
                    ),
                    code="company_email",
                )
            name, email, town, country = (
                registration.company_name,
                registration.company_billing_email,
                "",
                "FR",
            )
        else:
            name, email = dossier.full_name, dossier.candidate.email
            town, country = dossier.city, dossier.country or "FR"
        try:
            with transaction.atomic():
                mandate = Mandate.objects.create(
                    institution=institution,
                    registration=registration,
                    academic_year=year,
                    debtor_kind=kind,
                    reference=mandate_reference(registration),
                    creditor_id=creditor_id,
                    debtor_name=name[:70],
                    debtor_email=email,
                    street=(dossier.address if kind == Debtor.STUDENT else "")[:70],
                    postcode=(dossier.postal_code if kind == Debtor.STUDENT else "")[:16],
                    town=(town or "")[:35],
                    country=(country or "")[:2].upper(),
                )
        except IntegrityError:  # made meanwhile (uniq_live_mandate)
            return Mandate.objects.get(registration=registration, academic_year=year, status__in=LIVE)
        audit_record(
            actor=by,
            action="mandate.start",
            obj=mandate,
            to_state=MandateStatus.AWAITING,
            data={"reference": mandate.reference, "debtor": kind, "registration": registration.pk},
        )
        if kind == Debtor.COMPANY:
            mandate_id = mandate.pk
            transaction.on_commit(lambda: mandate_company_link_send(mandate_id=mandate_id))
    return mandate


# ---- the company's signing link -------------------------------------------------------------------


def company_token(mandate: Mandate) -> str:
    return signing.dumps({"m": mandate.pk}, salt=TOKEN_SALT)


def mandate_from_token(token: str) -> Mandate | None:
    """The mandate a signing link names; None when the link is tampered with or older than 30 days."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired included
        return None
    pk = data.get("m") if isinstance(data, dict) else None
    if not isinstance(pk, int):
        return None
    return (
        Mandate.objects.select_related("institution", "registration__dossier__offering__program")
        .filter(pk=pk, debtor_kind=Debtor.COMPANY)
        .first()
    )


def mandate_company_link_send(*, mandate_id: int) -> bool:
    """Email the company's billing address a link to sign (no account needed). The link is a secret:
    the email is sent at once from memory and recorded without its body (convention 22)."""
    from notifications.services import email_send_rendered

    mandate = (
        Mandate.objects.select_related("institution", "registration__dossier__offering__program")
        .filter(pk=mandate_id)
        .first()
    )
    if mandate is None or mandate.status != MandateStatus.AWAITING or mandate.debtor_kind != Debtor.COMPANY:
        return False
    dossier = mandate.registration.dossier
    language = settings.LANGUAGE_CODE
    with translation.override(language):
        ctx = {
            "site_url": settings.SITE_URL,
            "mandate": mandate,
            "dossier": dossier,
            "program": dossier.offering.program,
            "institution": mandate.institution,
            "link": settings.SITE_URL + reverse("mandate_company_sign", args=[company_token(mandate)]),
            "days": TOKEN_MAX_AGE.days,
        }
        subject = render_to_string("emails/mandate_company_link_subject.txt", ctx, using="text")
        body_text = render_to_string("emails/mandate_company_link_body.txt", ctx, using="text")
        body_html = render_to_string("emails/mandate_company_link_body.html", ctx)
    email_send_rendered(
        to=mandate.debtor_email,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        kind="mandate_company_link",
        language=language,
        related=mandate,
        carries_secret=True,
    )
    return True


def mandate_company_link_resend(*, mandate: Mandate, by: Any) -> None:
    """The candidate asks for the link to go again (a lost email, an expired link)."""
    if mandate.debtor_kind != Debtor.COMPANY or mandate.status != MandateStatus.AWAITING:
        raise DomainError(_("This mandate does not wait for the company's signature."), code="state")
    audit_record(actor=by, action="mandate.link_resend", obj=mandate, data={"reference": mandate.reference})
    mandate_id = mandate.pk
    transaction.on_commit(lambda: mandate_company_link_send(mandate_id=mandate_id))


# ---- signature ------------------------------------------------------------------------------------


@sensitive_variables("iban", "checked", "compact")  # never in an error report (convention 22)
def mandate_sign(
    *,
    mandate: Mandate,
    iban: str,
    bic: str,
    debtor_name: str,
    street: str,
    postcode: str,
    town: str,
    country: str,
    consent: bool,
    ip: str | None,
    user_agent: str,
    by: Any = None,
    signatory_name: str = "",
    now: dt.datetime | None = None,
) -> Mandate:
    """Sign by explicit online consent (R3.4, I10): the IBAN checked and stored encrypted, the debtor's
    address structured (town and country at least), the moment, address and browser recorded. Then,
    after commit, the pre-notification with the mandate's PDF."""
    now = now or timezone.now()
    company = mandate.debtor_kind == Debtor.COMPANY
    errors = _field_errors(
        debtor_name=debtor_name,
        street=street,
        postcode=postcode,
        town=town,
        country=country,
        consent=consent,
        company=company,
        signatory_name=signatory_name,
    )
    checked: IBAN | None = None
    try:
        checked = iban_check(iban)
    except DomainError as exc:
        errors["iban"] = exc.message
    the_bic = ""
    if checked is not None:
        try:
            the_bic = bic_check(bic, checked)
        except DomainError as exc:
            errors["bic"] = exc.message
    if errors or checked is None:
        raise MandateInvalid(errors)
    compact = checked.compact
    with transaction.atomic():
        locked = Mandate.objects.select_for_update().get(pk=mandate.pk)
        if locked.status == MandateStatus.ACTIVE:
            raise DomainError(_("This mandate is already signed."), code="signed")
        if locked.status != MandateStatus.AWAITING:
            raise DomainError(_("This mandate can no longer be signed."), code="state")
        locked.iban_encrypted = crypto.encrypt(compact)
        locked.iban_country, locked.iban_last4 = compact[:2], compact[-4:]
        locked.bic = the_bic
        locked.debtor_name = debtor_name.strip()
        locked.street, locked.postcode = street.strip(), postcode.strip()
        locked.town, locked.country = town.strip(), country.strip().upper()
        locked.signatory_name = signatory_name.strip() if company else locked.debtor_name
        locked.signed_at, locked.signed_ip = now, ip or None
        locked.signed_user_agent = (user_agent or "")[:300]
        locked.signed_by = by if getattr(by, "pk", None) else None
        locked.status = MandateStatus.ACTIVE
        locked.save()
        audit_record(
            actor=by,
            action="mandate.sign",
            obj=locked,
            from_state=MandateStatus.AWAITING,
            to_state=MandateStatus.ACTIVE,
            data={
                "reference": locked.reference,
                "iban": masked_iban(locked),  # never the IBAN itself (convention 22)
                "ip": locked.signed_ip or "",
                "signatory": locked.signatory_name,
            },
        )
        mandate_id = locked.pk
        transaction.on_commit(lambda: _enqueue_prenotification(mandate_id))
    return locked


def _enqueue_prenotification(mandate_id: int) -> None:
    from billing.tasks import mandate_prenotify

    mandate_prenotify.enqueue(mandate_id)


# ---- the PDF and the pre-notification -------------------------------------------------------------


@dataclass
class ScheduleLine:
    number: int
    amount: Decimal
    due_on: dt.date
    collected_on: dt.date


def schedule_lines(mandate: Mandate, *, today: dt.date | None = None) -> list[ScheduleLine]:
    return [
        ScheduleLine(number=i.number, amount=i.amount, due_on=i.due_on, collected_on=d)
        for i, d in collection_dates(mandate, today=today)
    ]


def _language(mandate: Mandate) -> str:
    if mandate.debtor_kind == Debtor.STUDENT:
        return str(mandate.registration.dossier.candidate.language or settings.LANGUAGE_CODE)
    return str(settings.LANGUAGE_CODE)


def mandate_pdf(mandate: Mandate, *, full_iban: bool, language: str | None = None) -> bytes:
    """The signed mandate as a PDF. ``full_iban`` only for the copy the debtor downloads; the copy
    attached to the pre-notification carries the masked IBAN (an email is never a place for it)."""
    from admission.documents import render_pdf

    if mandate.status == MandateStatus.AWAITING:
        raise DomainError(_("The mandate is not signed yet."), code="state")
    with translation.override(language or _language(mandate)):
        iban = mandate_iban(mandate) if full_iban else ""
        return render_pdf(
            "billing/pdf/mandate.html",
            {
                "mandate": mandate,
                "institution": mandate.institution,
                "dossier": mandate.registration.dossier,
                "iban": iban_spaced(iban) if iban else masked_iban(mandate),
                "consent": consent_text(mandate.institution.name),
                "schedule": schedule_lines(mandate),
            },
        )


def mandate_prenotification_send(*, mandate_id: int, now: dt.datetime | None = None) -> Mandate | None:
    """The one pre-notification of a signed mandate (I10): the three dates and amounts, the mandate
    reference and creditor identifier, the masked IBAN, the mandate PDF attached. Safe twice: sent
    once, ``prenotified_at`` recorded."""
    from notifications.services import email_send

    now = now or timezone.now()
    with transaction.atomic():
        mandate = (
            Mandate.objects.select_for_update(of=("self",))
            .select_related(
                "institution", "registration__dossier__candidate", "registration__dossier__offering__program"
            )
            .filter(pk=mandate_id)
            .first()
        )
        if mandate is None or mandate.status != MandateStatus.ACTIVE or mandate.prenotified_at is not None:
            return mandate
        mandate.prenotified_at = now
        mandate.save(update_fields=["prenotified_at", "updated_at"])
        today = timezone.localdate(now)
        language = _language(mandate)
        pdf = mandate_pdf(mandate, full_iban=False, language=language)
        dossier = mandate.registration.dossier
        schedule = schedule_lines(mandate, today=today)
        email_send(
            template="mandate_prenotification",
            to=mandate.debtor_email,
            language=language,
            context={
                "mandate": mandate,
                "dossier": dossier,
                "program": dossier.offering.program,
                "institution": mandate.institution,
                "iban": masked_iban(mandate),
                "schedule": schedule,
                "company": mandate.debtor_kind == Debtor.COMPANY,
            },
            related=mandate,
            attachments=[(f"mandat-{mandate.reference}.pdf", pdf, "application/pdf")],
        )
        audit_record(
            actor=None,
            action="mandate.prenotify",
            obj=mandate,
            data={
                "reference": mandate.reference,
                "dates": [line.collected_on.isoformat() for line in schedule],
                "amounts": [str(line.amount) for line in schedule],
            },
        )
    return mandate


# ---- end of life ----------------------------------------------------------------------------------


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` earlier (the last day of a shorter month: 31 May − 3 months = 28/29 Feb)."""
    from dateutil.relativedelta import relativedelta

    return day - relativedelta(months=months)


def mandates_lapse(*, today: dt.date | None = None) -> int:
    """SEPA rulebook: a mandate unused for 36 months (SEPA_MANDATE_LAPSE_MONTHS) lapses. Its last use
    is its last collection, else its signature. Audited; safe twice and in two processes."""
    today = today or timezone.localdate()
    cutoff = months_before(today, settings.SEPA_MANDATE_LAPSE_MONTHS)
    # Signed on or before the cutoff day, Paris time: before the next day's midnight.
    midnight = timezone.make_aware(dt.datetime.combine(cutoff + dt.timedelta(days=1), dt.time()))
    due = Mandate.objects.filter(status=MandateStatus.ACTIVE).filter(
        Q(last_collected_on__lte=cutoff) | Q(last_collected_on__isnull=True, signed_at__lt=midnight)
    )
    count = 0
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            mandate = Mandate.objects.select_for_update().get(pk=pk)
            last = mandate.last_collected_on or (
                timezone.localdate(mandate.signed_at) if mandate.signed_at else None
            )
            if mandate.status != MandateStatus.ACTIVE or last is None or last > cutoff:
                continue
            mandate.status, mandate.lapsed_at = MandateStatus.LAPSED, timezone.now()
            mandate.save(update_fields=["status", "lapsed_at", "updated_at"])
            audit_record(
                actor=None,
                action="mandate.lapse",
                obj=mandate,
                from_state=MandateStatus.ACTIVE,
                to_state=MandateStatus.LAPSED,
                reason=_("Unused for %(n)d months (last use %(day)s).")
                % {"n": settings.SEPA_MANDATE_LAPSE_MONTHS, "day": last.isoformat()},
                data={"reference": mandate.reference, "last_use": last.isoformat()},
            )
            count += 1
    return count


def mandate_revoke(*, mandate: Mandate, by: Any, reason: str) -> Mandate:
    """Finance revokes a mandate (the debtor withdrew it, an account closed…), with the reason.
    Instalments not yet in a file are no longer debited under it. Safe twice."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the revocation."), code="reason")
    with transaction.atomic():
        locked = Mandate.objects.select_for_update().get(pk=mandate.pk)
        if locked.status == MandateStatus.REVOKED:
            return locked
        if locked.status not in LIVE:
            raise DomainError(_("A lapsed mandate cannot be revoked."), code="state")
        before = locked.status
        locked.status, locked.revoked_at, locked.revoke_reason = (
            MandateStatus.REVOKED,
            timezone.now(),
            reason[:300],
        )
        locked.save(update_fields=["status", "revoked_at", "revoke_reason", "updated_at"])
        audit_record(
            actor=by,
            action="mandate.revoke",
            obj=locked,
            from_state=before,
            to_state=MandateStatus.REVOKED,
            reason=reason[:300],
            data={"reference": locked.reference},
        )
    return locked
