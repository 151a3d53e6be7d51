import datetime as dt
from decimal import Decimal
from typing import Any

from django import template
from django.utils import formats, timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from cursus.countries import country_name
from cursus.money import format_eur

register = template.Library()


@register.filter
def euros(value: Decimal | int | str | None) -> str:
    """7 500,00 € (I14)."""
    if value is None or value == "":
        return ""
    return format_eur(value)


@register.filter
def paris(value: dt.datetime | None) -> str:
    """An instant shown in Paris time, saying so (I1)."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    # Seconds only where they mean something: a deadline ends at 23:59:59 (I1); a receipt or an
    # interview is read to the minute (issue 7 item 8).
    pattern = "%H:%M:%S" if (local.hour, local.minute, local.second) == (23, 59, 59) else "%H:%M"
    return _("%(date)s at %(time)s (Paris time)") % {
        "date": formats.date_format(local, "DATE_FORMAT"),
        "time": local.strftime(pattern),
    }


@register.filter
def duration(value: dt.timedelta | None) -> str:
    if value is None:
        return ""
    seconds = int(value.total_seconds())
    if seconds <= 0:
        return _("deadline passed")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return (
            ngettext("%(d)d day", "%(d)d days", days) % {"d": days}
            + " "
            + ngettext("%(h)d hour", "%(h)d hours", hours) % {"h": hours}
        )
    minutes = rest // 60
    return (
        ngettext("%(h)d hour", "%(h)d hours", hours) % {"h": hours}
        + " "
        + ngettext("%(m)d minute", "%(m)d minutes", minutes) % {"m": minutes}
    )


@register.filter
def country(code: str) -> str:
    return country_name(code)


@register.simple_tag
def colon() -> str:
    """A colon after a translated label: French puts a non-breaking space before it (issue 7 item 8)."""
    return "\u00a0:" if (get_language() or "").startswith("fr") else ":"


@register.filter
def plural_count(value: Decimal | int | None) -> int:
    """The count that chooses a plural for a quantity that may have decimals (1 year, 1.5 years)."""
    if value is None:
        return 0
    number = Decimal(value)
    return int(number) if number == number.to_integral_value() else 2


@register.filter
def audit_action(code: str) -> str:
    from audit.labels import action_label

    return action_label(code)


@register.filter
def audit_state(code: str, action: str = "") -> str:
    """A state of the history in words, read in the vocabulary of its action (fee.*, document.*…)."""
    if not code:
        return ""
    from admission.models import InterviewStatus, Outcome, SittingStatus
    from applications.models import DossierStatus, PaymentStatus, Verdict
    from registration.models import FileVerdict, OfferStatus, RegistrationStatus, VisaStatus, WaitlistStatus

    # Action prefix -> its vocabulary; the longest prefix of the action wins.
    kinds: dict[str, Any] = {
        "fee.": PaymentStatus,
        "document.": Verdict,
        "interview.": InterviewStatus,
        "decision.": Outcome,
        "sitting.": SittingStatus,
        "offer.": OfferStatus,
        "waitlist.": WaitlistStatus,
        "registration.": RegistrationStatus,
        "registration.file.": FileVerdict,
        "visa.": VisaStatus,
    }
    prefixes = [p for p in kinds if action.startswith(p)]
    vocabulary = kinds[max(prefixes, key=len)] if prefixes else None
    for choices in (vocabulary, DossierStatus):
        if choices is not None and code in choices.values:
            return str(choices(code).label)
    return code
