"""Country names in the active language (ISO 3166-1 alpha-2), from pycountry's data."""

import gettext
from functools import cache

import pycountry
from django.utils.translation import get_language


@cache
def _translator(lang: str) -> gettext.NullTranslations:
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
    except OSError:
        return gettext.NullTranslations()


@cache
def _choices(lang: str) -> list[tuple[str, str]]:
    tr = _translator(lang)
    items = [(c.alpha_2, tr.gettext(getattr(c, "common_name", None) or c.name)) for c in pycountry.countries]
    return sorted(items, key=lambda item: item[1].casefold())


def country_choices() -> list[tuple[str, str]]:
    return _choices((get_language() or "fr")[:2])


def country_name(code: str) -> str:
    if not code:
        return ""
    return dict(country_choices()).get(code.upper(), code)
