"""What every parser produces: the same line whatever the bank's format."""

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal


class StatementError(ValueError):
    """The file is not a statement of this format, or is damaged: the message says where and why."""


@dataclass(frozen=True)
class ParsedLine:
    booked_on: dt.date
    amount: Decimal  # signed: a credit (money received) is positive, a debit negative
    currency: str = "EUR"
    value_on: dt.date | None = None
    entry_reference: str = ""  # the bank's own unique reference of the entry, when it gives one
    payer: str = ""  # the counterparty's name (debtor of a credit)
    remittance: str = ""  # every free text: remittance information, labels, complements, joined by "\n"
    account: str = ""  # the statement's own account (IBAN or RIB) this line was booked on
    raw: str = ""  # the line(s) as the file gave them

    def dedup_key(self) -> str:
        """Importing the same line twice changes nothing: the bank's entry reference, else a hash of
        the normalised line (dates, amount, currency, account, payer and remittance without spacing)."""
        if self.entry_reference:
            return f"ref:{self.entry_reference.strip()}"[:80]
        squash = re.compile(r"\s+")
        parts = [
            self.booked_on.isoformat(),
            self.value_on.isoformat() if self.value_on else "",
            f"{self.amount:.2f}",
            self.currency.upper(),
            squash.sub("", self.account.upper()),
            squash.sub(" ", self.payer.upper()).strip(),
            squash.sub(" ", self.remittance.upper()).strip(),
        ]
        return "sha:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


@dataclass
class ParsedStatement:
    format: str  # "cfonb120" | "camt053" | "csv"
    account: str = ""
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None
    lines: list[ParsedLine] = field(default_factory=list)
