import datetime as dt
from decimal import Decimal

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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
    return _("%(date)s at %(time)s (Paris time)") % {
        "date": formats.date_format(local, "DATE_FORMAT"),
        "time": local.strftime("%H:%M:%S"),
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
