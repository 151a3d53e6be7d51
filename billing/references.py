"""Structured payment references with a check character (issue 9 item 2). Pure functions.

A reference is `CU` + 8 characters of an alphabet without look-alikes (no 0/O, 1/I/L, 5/S, 2/Z, 8/B,
U/V) + one check character, shown in groups of four (`CU4K-7MQ9-XW6`). The check makes the weighted
sum of the nine characters' values (weights 2, 3, … 10) a multiple of 23, the size of the alphabet:
as 23 is prime and the weights are neither 0 nor equal for neighbours modulo 23, every typo in one
character and every swap of two adjacent (or once-removed) characters is caught. (Luhn mod N would
not do: over an odd N its doubling is not one-to-one, so some single typos pass.)
Banks pass it through in the remittance text; `find_references` finds it again whatever spaces,
hyphens or line breaks the bank added.
"""

import re
import secrets

ALPHABET = "34679ACDEFGHJKMNPQRTWXY"
PREFIX = "CU"
BODY = 8
_N = len(ALPHABET)
_INDEX = {c: i for i, c in enumerate(ALPHABET)}


def check_char(body: str) -> str:
    """The character that makes sum(weight × value) over body + check a multiple of 23."""
    total = sum((i + 2) * _INDEX[char] for i, char in enumerate(body))
    weight = len(body) + 2
    return ALPHABET[(-total * pow(weight, -1, _N)) % _N]


def is_valid(compact: str) -> bool:
    """``compact``: the reference without separators, upper case."""
    if len(compact) != len(PREFIX) + BODY + 1 or not compact.startswith(PREFIX):
        return False
    body, check = compact[len(PREFIX) : -1], compact[-1]
    if any(c not in _INDEX for c in body + check):
        return False
    return check_char(body) == check


def new_reference() -> str:
    """A fresh random reference, compact form (the caller makes sure it is unique)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY))
    return f"{PREFIX}{body}{check_char(body)}"


def display(compact: str) -> str:
    """`CU4K7MQ9XW6` → `CU4K-7MQ9-XW6`: groups of four for reading aloud and typing."""
    return "-".join(compact[i : i + 4] for i in range(0, len(compact), 4))


_SEPARATORS = re.compile(r"[\s\-_./]+")


def find_references(text: str) -> list[str]:
    """Every valid reference in ``text``, compact, in order: spaces, hyphens and line breaks the bank
    added are ignored, letters are read in upper case."""
    squashed = _SEPARATORS.sub("", text.upper())
    found: list[str] = []
    size = len(PREFIX) + BODY + 1
    start = squashed.find(PREFIX)
    while start != -1:
        candidate = squashed[start : start + size]
        if is_valid(candidate) and candidate not in found:
            found.append(candidate)
        start = squashed.find(PREFIX, start + 1)
    return found
