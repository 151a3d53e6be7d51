"""Pure rules, no database: deadlines (I1), eligibility (R1.2, R1.3), the international flag (I2),
costs (R3.1, R3.2, I8), money (I14), payment channels and reference (R2.10)."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from applications import rules
from catalog import defaults
from catalog import rules as deadlines
from cursus.money import format_eur

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("deadline", "last_second", "first_late"),
    [
        # R2.1: 4 June 2025 at midnight (summer time, UTC+2)
        (dt.date(2025, 6, 4), paris(2025, 6, 4, 23, 59, 59), paris(2025, 6, 5, 0, 0, 0)),
        # R2.7: 12 March 2025 at midnight (winter time, UTC+1)
        (dt.date(2025, 3, 12), paris(2025, 3, 12, 23, 59, 59), paris(2025, 3, 13, 0, 0, 0)),
    ],
)
def test_I1_R2_1_R2_7_last_second_in_time_next_midnight_late(
    deadline: dt.date, last_second: dt.datetime, first_late: dt.datetime
) -> None:
    assert not deadlines.is_late(deadline, last_second)
    assert not deadlines.is_late(deadline, last_second + dt.timedelta(microseconds=999_999))
    assert deadlines.is_late(deadline, first_late)
    assert deadlines.end_of_day(deadline) == last_second


def test_I1_deadline_is_paris_time_not_utc() -> None:
    # 22:30 UTC on 4 June 2025 is 00:30 Paris on 5 June: late.
    assert deadlines.is_late(dt.date(2025, 6, 4), dt.datetime(2025, 6, 4, 22, 30, tzinfo=UTC))
    # 21:59:59 UTC is 23:59:59 Paris: in time.
    assert not deadlines.is_late(dt.date(2025, 6, 4), dt.datetime(2025, 6, 4, 21, 59, 59, tzinfo=UTC))
    # Winter: 22:59:59 UTC on 12 March is 23:59:59 Paris.
    assert not deadlines.is_late(dt.date(2025, 3, 12), dt.datetime(2025, 3, 12, 22, 59, 59, tzinfo=UTC))
    assert deadlines.is_late(dt.date(2025, 3, 12), dt.datetime(2025, 3, 12, 23, 0, 0, tzinfo=UTC))


def test_I1_opening_is_midnight_paris() -> None:
    opens, closes = dt.date(2024, 9, 25), dt.date(2025, 6, 4)
    assert not deadlines.window_is_open(opens, closes, paris(2024, 9, 24, 23, 59, 59))
    assert deadlines.window_is_open(opens, closes, paris(2024, 9, 25, 0, 0, 0))
    assert deadlines.window_is_open(opens, closes, paris(2025, 6, 4, 23, 59, 59))
    assert not deadlines.window_is_open(opens, closes, paris(2025, 6, 5, 0, 0, 0))


def test_I1_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        deadlines.is_late(dt.date(2025, 6, 4), dt.datetime(2025, 6, 4, 12, 0))  # noqa: DTZ001


def test_I1_time_left_counts_down_to_zero() -> None:
    assert deadlines.time_left(dt.date(2025, 6, 4), paris(2025, 6, 4, 23, 59, 0)) == dt.timedelta(seconds=60)
    assert deadlines.time_left(dt.date(2025, 6, 4), paris(2025, 6, 5, 0, 0, 1)) == dt.timedelta(0)


@pytest.mark.parametrize("path", ["a", "b", "c", "e", "f"])
def test_R1_3_diploma_paths_are_eligible(path: str) -> None:
    result = rules.eligibility(path, experience_years=None, bac5_in_progress=False)
    assert result.eligible is True
    assert not result.conditional


def test_R1_3_path_d_needs_three_years_of_experience() -> None:
    assert rules.eligibility("d", experience_years=Decimal("3"), bac5_in_progress=False).eligible is True
    assert rules.eligibility("d", experience_years=Decimal("2.9"), bac5_in_progress=False).eligible is False
    two = rules.eligibility("d", experience_years=Decimal("2"), bac5_in_progress=False)
    assert two.eligible is False
    assert "3" in two.message and "2" in two.message
    assert rules.eligibility("d", experience_years=None, bac5_in_progress=False).eligible is None


def test_R1_3_none_of_the_paths_is_not_eligible_and_says_so() -> None:
    result = rules.eligibility("none", experience_years=None, bac5_in_progress=False)
    assert result.eligible is False
    assert result.message
    assert rules.eligibility("", experience_years=None, bac5_in_progress=False).eligible is None


def test_R1_2_bac5_in_progress_is_eligible_on_condition() -> None:
    result = rules.eligibility("c", experience_years=None, bac5_in_progress=True)
    assert result.eligible is True
    assert result.conditional is True


def test_I2_international_when_no_nationality_is_eu_eea_or_swiss() -> None:
    assert rules.is_international(["SN"]) is True
    assert rules.is_international(["FR"]) is False
    assert rules.is_international(["CH"]) is False  # Switzerland
    assert rules.is_international(["NO"]) is False  # EEA
    assert rules.is_international(["GB"]) is True  # no longer EU
    assert rules.is_international(["MA", "ES"]) is False  # one European nationality suffices
    assert rules.is_international([]) is None


def test_R3_1_R3_2_I8_cost_by_financing_mode() -> None:
    cvec = Decimal("103.00")
    for code, (_campus, personal, company) in defaults.PROGRAMS.items():
        q = rules.cost_quote("personal", tuition_personal=personal, tuition_company=company, cvec=cvec)
        assert q.tuition == personal and q.cvec == cvec and q.total == personal + cvec, code
        q = rules.cost_quote("job_seeker", tuition_personal=personal, tuition_company=company, cvec=cvec)
        assert q.tuition == personal and q.cvec == 0, code  # job seekers pay no CVEC (I8)
        q = rules.cost_quote("company", tuition_personal=personal, tuition_company=company, cvec=cvec)
        assert q.tuition == company and q.cvec == 0, code
    assert defaults.PROGRAMS["CSE"][1:] == (Decimal("9000.00"), Decimal("14000.00"))
    assert defaults.PROGRAMS["BE+"][1:] == (Decimal("7500.00"), Decimal("12500.00"))
    with pytest.raises(ValueError):
        rules.cost_quote("gift", tuition_personal=Decimal(1), tuition_company=Decimal(1), cvec=Decimal(0))


def test_I14_money_is_shown_in_french_format() -> None:
    assert format_eur(Decimal("7500")) == "7\u202f500,00\u00a0€"
    assert format_eur(Decimal("12500.5")) == "12\u202f500,50\u00a0€"
    assert format_eur(Decimal("103")) == "103,00\u00a0€"
    assert format_eur(Decimal("0.005")) == "0,01\u00a0€"
    assert format_eur(Decimal("1234567.89")) == "1\u202f234\u202f567,89\u00a0€"
    with pytest.raises(TypeError):
        format_eur(7500.0)  # type: ignore[arg-type]


@given(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=2, allow_nan=False))
def test_I14_french_format_round_trips(amount: Decimal) -> None:
    shown = format_eur(amount)
    back = Decimal(shown.replace("\u202f", "").replace("\u00a0€", "").replace(",", "."))
    assert back == amount


def test_R2_10_flywire_for_international_candidates_only() -> None:
    assert rules.PaymentChannel.FLYWIRE in rules.payment_channels(international=True)
    assert rules.PaymentChannel.FLYWIRE not in rules.payment_channels(international=False)
    for intl in (True, False):
        channels = rules.payment_channels(international=intl)
        assert rules.PaymentChannel.TRANSFER in channels and rules.PaymentChannel.CARD in channels


def test_R2_10_payment_reference_quotes_surname_and_program() -> None:
    ref = rules.payment_reference(surname="Dupré-Lenôtre", program_code="BE+", dossier_number="000042")
    assert ref == "DUPRE-LENOTRE MS BE+ 000042"
    assert rules.payment_reference(surname="Nguyễn", program_code="CSE", dossier_number="000007") == (
        "NGUYEN MS CSE 000007"
    )
    assert (
        rules.payment_reference(surname="Østergaard", program_code="PPIB", dossier_number="1")
        == "OSTERGAARD MS PPIB 1"
    )
    assert (
        rules.payment_reference(surname="Wiśniewski", program_code="MRPT", dossier_number="2")
        == "WISNIEWSKI MS MRPT 2"
    )
