"""Country names in the active language (ISO 3166-1 alpha-2), from pycountry's data."""

import gettext
import unicodedata
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
    return sorted(items, key=lambda item: sort_key(item[1]))


def sort_key(name: str) -> str:
    """Accents folded, case ignored: États-Unis among the E, Åland among the A (issue 7 item 7)."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def country_choices() -> list[tuple[str, str]]:
    return _choices((get_language() or "fr")[:2])


def country_name(code: str) -> str:
    if not code:
        return ""
    return dict(country_choices()).get(code.upper(), code)
