"""Template helpers of the admission: what a candidate must fix, read in the current language."""

from typing import Any

from django import template

from admission.services import ToFix, items_to_fix, to_fix_text

register = template.Library()


@register.filter
def to_fix(slots: Any) -> list[ToFix]:
    """``{% with items=slots|to_fix %}``: the refused or absent documents of a dossier's slots."""
    return items_to_fix(list(slots or []))


@register.filter
def fix_text(item: ToFix) -> str:
    return to_fix_text(item)
