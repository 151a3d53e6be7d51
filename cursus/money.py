"""Money is Decimal euros, shown in French format: 7 500,00 € (I14)."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
NBSP = "\u00a0"
NNBSP = "\u202f"


def to_cents(value: Decimal) -> Decimal:
    if isinstance(value, float):
        raise TypeError("amounts are never floats")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def format_eur(value: Decimal | int | str) -> str:
    """French format with a narrow no-break space between thousands: 7 500,00 €."""
    if isinstance(value, float):
        raise TypeError("amounts are never floats")
    amount = to_cents(Decimal(value))
    sign = "-" if amount < 0 else ""
    units, cents = f"{abs(amount):.2f}".split(".")
    groups: list[str] = []
    while len(units) > 3:
        groups.insert(0, units[-3:])
        units = units[:-3]
    groups.insert(0, units)
    return f"{sign}{NNBSP.join(groups)},{cents}{NBSP}€"
