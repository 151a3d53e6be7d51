"""Application rules that need no database: eligibility, the international flag, costs,
payment channels and references. Pure functions over plain values."""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# EU member states, the other EEA states and Switzerland (I2): their nationals need no visa.
EU_EEA_CH = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO CH".split()
)
MIN_EXPERIENCE_YEARS_PATH_D = Decimal(3)


class EligibilityPath(models.TextChoices):
    """R1.3: the six ways in, and 'none of these' so the system can say so plainly."""

    ENGINEER = "a", _("(a) Engineering degree conferring the master's grade (CTI)")
    BUSINESS = "b", _("(b) Business-school degree conferring the master's grade (CEFDG)")
    MASTER = "c", _("(c) National master, DEA, DESS or other BAC+5 professional diploma")
    M1_EXPERIENCE = "d", _("(d) M1-level diploma and at least 3 years of related experience")
    RNCP7 = "e", _("(e) RNCP level 7 title")
    FOREIGN = "f", _("(f) Foreign diploma equivalent to one of the above")
    NONE = "none", _("None of these")


class Financing(models.TextChoices):
    PERSONAL = "personal", pgettext_lazy("financing", "Personal financing")
    JOB_SEEKER = "job_seeker", pgettext_lazy("financing", "Job seeker")
    COMPANY = "company", pgettext_lazy("financing", "Company financing")


class PaymentChannel(models.TextChoices):
    TRANSFER = "transfer", pgettext_lazy("payment", "Bank transfer")
    CARD = "card", pgettext_lazy("payment", "Bank card (on request)")
    FLYWIRE = "flywire", pgettext_lazy("payment", "Flywire (international candidates)")


@dataclass(frozen=True)
class Eligibility:
    eligible: bool | None  # None: not enough information yet
    message: str
    conditional: bool = False  # R1.2: admitted on condition until the BAC+5 is proved


def eligibility(path: str, *, experience_years: Decimal | None, bac5_in_progress: bool) -> Eligibility:
    """R1.2, R1.3: is the candidate eligible on the path they chose?"""
    if not path:
        return Eligibility(None, str(_("Choose the path that makes you eligible.")))
    if path == EligibilityPath.NONE:
        return Eligibility(
            False,
            str(
                _(
                    "You are not eligible: a Mastère Spécialisé requires one of the diplomas "
                    "listed (R1.3). Please do not pay the application fee."
                )
            ),
        )
    if path == EligibilityPath.M1_EXPERIENCE:
        if experience_years is None:
            return Eligibility(None, str(_("Enter your years of related professional experience.")))
        if experience_years < MIN_EXPERIENCE_YEARS_PATH_D:
            return Eligibility(
                False,
                str(
                    _(
                        "You are not eligible on path (d): an M1-level diploma needs at least "
                        "3 years of professional experience related to the program (you entered "
                        "%(years)s). Please do not pay the application fee."
                    )
                    % {"years": experience_years.normalize()}
                ),
            )
        return Eligibility(
            True,
            str(
                _(
                    "Eligible on path (d). The school may ask for an equivalence attestation (M1 level, 240 ECTS)."
                )
            ),
        )
    if bac5_in_progress:
        return Eligibility(
            True,
            str(
                _(
                    "Eligible while your BAC+5 is in progress: if admitted, you will be admitted "
                    "on condition until you prove the BAC+5 is validated (R1.2)."
                )
            ),
            conditional=True,
        )
    return Eligibility(True, str(_("Eligible.")))


def is_international(nationalities: Iterable[str]) -> bool | None:
    """I2: international when no nationality is of the EU, the EEA or Switzerland.
    None when no nationality is known yet."""
    codes = [c.strip().upper() for c in nationalities if c and c.strip()]
    if not codes:
        return None
    return not any(code in EU_EEA_CH for code in codes)


@dataclass(frozen=True)
class Quote:
    tuition: Decimal
    cvec: Decimal

    @property
    def total(self) -> Decimal:
        return self.tuition + self.cvec


def cost_quote(
    financing: str, *, tuition_personal: Decimal, tuition_company: Decimal, cvec: Decimal
) -> Quote:
    """R3.1, R3.2, I8: job seekers pay the personal tuition; only personal financing adds the CVEC."""
    if financing == Financing.COMPANY:
        return Quote(tuition_company, Decimal("0.00"))
    if financing == Financing.JOB_SEEKER:
        return Quote(tuition_personal, Decimal("0.00"))
    if financing == Financing.PERSONAL:
        return Quote(tuition_personal, cvec)
    raise ValueError(f"unknown financing mode {financing!r}")


def payment_channels(*, international: bool) -> list[PaymentChannel]:
    """R2.10: Flywire is for international candidates only."""
    channels = [PaymentChannel.TRANSFER, PaymentChannel.CARD]
    if international:
        channels.append(PaymentChannel.FLYWIRE)
    return channels


_NO_DECOMPOSITION = str.maketrans(
    {
        "Ø": "O",
        "ø": "o",
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "ß": "ss",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Þ": "TH",
        "þ": "th",
    }
)


def ascii_fold(text: str) -> str:
    """Élodie → Elodie, Søren → Soren, Łukasz → Lukasz."""
    folded = unicodedata.normalize("NFKD", text.translate(_NO_DECOMPOSITION))
    return folded.encode("ascii", "ignore").decode("ascii")


def _ascii_upper(text: str) -> str:
    plain = ascii_fold(text)
    return re.sub(r"[^A-Z0-9+]+", " ", plain.upper()).strip()


def payment_reference(*, surname: str, program_code: str, dossier_number: str) -> str:
    """R2.10: the transfer quotes the surname and the program; the dossier number makes it unique.
    Only characters every bank accepts (SEPA Latin set)."""
    surname_part = _ascii_upper(surname).replace(" ", "-")[:20] or "CANDIDAT"
    code = _ascii_upper(program_code).replace(" ", "")
    return f"{surname_part} MS {code} {dossier_number}"


DEFAULT_PHONE_REGION = "FR"


def phone_e164(raw: str, *, region: str | None = DEFAULT_PHONE_REGION) -> str:
    """A phone number as E.164 (`+33612345678`), read in `region` when it has no `+` country code.
    ValueError when it is not a number that can be called (issue 6 item 5): it also goes into `.ics`
    invitations, so nothing but `+` and digits is ever stored."""
    import phonenumbers  # the metadata is large: loaded when a number is first read

    try:
        number = phonenumbers.parse(raw, (region or DEFAULT_PHONE_REGION).upper())
    except phonenumbers.NumberParseException as exc:
        raise ValueError(str(exc)) from exc
    if number.extension:
        raise ValueError("extension")
    if not phonenumbers.is_valid_number(number):
        raise ValueError("invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
