"""Template filters of the ledger (issue 9)."""

from django import template

from billing.references import display

register = template.Library()


@register.filter
def payref(compact: str | None) -> str:
    """A structured payment reference as people read and type it (`CU4K-7MQ9-XW3`)."""
    return display(compact) if compact else ""
