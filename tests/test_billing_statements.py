"""Bank statement parsers (issue 9 item 3): CFONB 120, camt.053 and CSV files written by the tests
themselves, read back into the same `ParsedLine`s; detection from the content; damaged and hostile files
refused with a clear `StatementError`."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import CsvMapping
from billing.statements import camt, cfonb, csvfile
from billing.statements.base import StatementError
from billing.statements.detect import detect, parse
from billing.statements.writers import StatementEntry, camt053, cfonb120, overpunch

D = Decimal


@pytest.fixture(autouse=True)
def _english() -> Any:
    """The messages are checked in English (their msgids); French comes from the translation catalogue."""
    with translation.override("en"):
        yield


MARCH_2 = dt.date(2026, 3, 2)
MARCH_3 = dt.date(2026, 3, 3)


def entries() -> list[StatementEntry]:
    """A fee by transfer quoting surname and program, a bank charge (debit), a payment quoting a
    reference, one with no payer."""
    return [
        StatementEntry(
            booked_on=MARCH_2,
            amount=D("60.00"),
            remittance="ELEONORE DUPONT LEVEQUE MS CSE",
            payer="Éléonore Dupont-Lévêque",
            value_on=dt.date(2026, 3, 1),
            reference="A1B2C3",
            label="VIR SEPA RECU",
            complements=[("RCN", "E2E-2026-0042")],
        ),
        StatementEntry(
            booked_on=MARCH_3, amount=D("-12.34"), remittance="FRAIS TENUE DE COMPTE", payer="DGFIP"
        ),
        StatementEntry(
            booked_on=MARCH_3,
            amount=D("7500.01"),
            remittance="INSCRIPTION CU4K-7MQ9-\nXW3 SOLDE",
            payer="Entreprise Formation SA",
            reference="9000001",
        ),
        StatementEntry(booked_on=MARCH_3, amount=D("0.09"), remittance="TEST"),
    ]


def mapping(**extra: Any) -> CsvMapping:
    fields: dict[str, Any] = {
        "name": "Banque test",
        "delimiter": ";",
        "decimal_comma": True,
        "date_format": "%d/%m/%Y",
        "skip_rows": 0,
        "booked_on_column": "Date",
        "value_on_column": "Date valeur",
        "amount_column": "Montant",
        "payer_column": "Donneur d'ordre",
        "remittance_columns": "Libellé,Informations",
        "reference_column": "Référence",
    }
    fields.update(extra)
    return CsvMapping(**fields)


CSV_TEXT = (
    "Date;Date valeur;Libellé;Informations;Donneur d'ordre;Montant;Référence\r\n"
    "02/03/2026;01/03/2026;VIR SEPA RECU;ELEONORE DUPONT LEVEQUE MS CSE;Éléonore Dupont-Lévêque;60,00;R-1\r\n"
    "03/03/2026;;FRAIS;;;-12,34;\r\n"
    '03/03/2026;03/03/2026;"INSCRIPTION; CU4K-7MQ9-XW3";;Entreprise Formation SA;7\u00a0500,01;R-3\r\n'
    "\r\n"
    "04/03/2026;;REMISE;;;1 234,56;\r\n"
)


# --- CFONB 120 -------------------------------------------------------------------------------------


def test_I14_cfonb_amounts_dates_payer_remittance() -> None:
    data = cfonb120(entries(), opening=D("1000.00"))
    assert detect(data) == "cfonb120"
    statement = parse(data)
    assert statement.format == "cfonb120"
    assert statement.opening_balance == D("1000.00")
    assert statement.closing_balance == D("1000.00") + D("60.00") - D("12.34") + D("7500.01") + D("0.09")
    assert statement.account == "30001 00794 00001005050"
    fee, charge, tuition, tiny = statement.lines
    assert fee.amount == D("60.00") and isinstance(fee.amount, Decimal)
    assert str(fee.amount) == "60.00"
    assert charge.amount == D("-12.34")
    assert tuition.amount == D("7500.01")
    assert tiny.amount == D("0.09")
    assert fee.booked_on == MARCH_2 and fee.value_on == dt.date(2026, 3, 1)
    assert fee.payer == "ELEONORE DUPONT-LEVEQUE"
    assert charge.payer == "DGFIP"  # the beneficiary of a debit (NBE)
    assert "ELEONORE DUPONT LEVEQUE MS CSE" in fee.remittance.splitlines()
    assert "E2E-2026-0042" in fee.remittance  # every complement, RCN included
    assert "VIR SEPA RECU" in fee.remittance  # the 04 label too
    assert fee.entry_reference == "300010079400001005050:20260302:A1B2C3"
    assert fee.dedup_key() == "ref:300010079400001005050:20260302:A1B2C3"
    assert charge.entry_reference == ""
    assert charge.dedup_key().startswith("sha:")
    assert tuition.currency == "EUR"
    assert fee.raw.splitlines()[0].startswith("04")


def test_I14_cfonb_overpunched_signs() -> None:
    """The last digit carries the sign: { A-I positive 0-9, } J-R negative 0-9."""
    for value, zone in [
        (D("0.00"), "0000000000000{"),
        (D("0.01"), "0000000000000A"),
        (D("60.00"), "0000000000600{"),
        (D("7500.09"), "0000000075000I"),
        (D("-0.10"), "0000000000001}"),
        (D("-12.34"), "0000000000123M"),
        (D("-99.99"), "0000000000999R"),
    ]:
        assert overpunch(value) == zone
        assert cfonb.parse_amount(zone, 2, 1) == value
    assert cfonb.parse_amount("0000000000600{", 0, 1) == D("6000")
    assert cfonb.parse_amount("0000000000600J", 3, 1) == D("-6.001")


def test_cfonb_line_ends_and_no_separators() -> None:
    lines = entries()
    reference = parse(cfonb120(lines)).lines
    for variant in (
        cfonb120(lines, newline="\n"),
        cfonb120(lines, newline="\r\n", final_newline=False),
        cfonb120(lines, newline=""),  # records back to back, 120 characters each
        cfonb120(lines, newline="\n").replace(b" \n", b"\n").replace(b" \n", b"\n"),  # trailing blanks cut
    ):
        assert detect(variant) == "cfonb120"
        assert parse(variant).lines == reference or [
            (x.amount, x.booked_on, x.payer, x.remittance, x.entry_reference) for x in parse(variant).lines
        ] == [(x.amount, x.booked_on, x.payer, x.remittance, x.entry_reference) for x in reference]


def test_cfonb_long_remittance_cut_in_a_word_is_joined() -> None:
    """A 140-character SEPA remittance comes as two LIB complements cut at 70 characters."""
    text = "VIREMENT DE MADAME ELEONORE DUPONT LEVEQUE POUR FRAIS DE DOSSIER MS CSE REFERENCE CU4K-7MQ9-XW3 MERCI"
    assert len(text) > 70 and text[69] != " "
    (line,) = parse(cfonb120([(MARCH_2, D("60"), text, "Dupont")])).lines
    assert text in line.remittance.splitlines()
    assert line.payer == "DUPONT"


def test_cfonb_dedup_keys_stable_and_distinct() -> None:
    same = [
        (MARCH_2, D("60.00"), "DUPONT MS CSE"),
        (MARCH_3, D("60.00"), "DUPONT MS CSE"),
    ]
    first = [x.dedup_key() for x in parse(cfonb120(same)).lines]
    again = [x.dedup_key() for x in parse(cfonb120(same)).lines]
    assert first == again
    assert first[0] != first[1]  # identical-looking lines of different dates
    assert len(set(x.dedup_key() for x in parse(cfonb120(entries())).lines)) == 4


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda recs: recs[:1] + ["09" + recs[1][2:]] + recs[2:], "Line 2: record code '09'"),
        (lambda recs: recs[:1] + [recs[1][:103] + "X" + recs[1][104:]] + recs[2:], "Line 2: the amount"),
        (
            lambda recs: recs[:1] + [recs[1][:34] + "320226" + recs[1][40:]] + recs[2:],
            "Line 2: the booking date",
        ),
        (lambda recs: recs[:1] + [recs[1][:34] + "AB0226" + recs[1][40:]] + recs[2:], "is not a date DDMMYY"),
        (
            lambda recs: recs[:1] + [recs[1][:19] + "X" + recs[1][20:]] + recs[2:],
            "Line 2: the number of decimals",
        ),
        (lambda recs: recs[:1] + [recs[1] + "XX"] + recs[2:], "Line 2: 122 characters"),
        (lambda recs: recs[:1] + recs[2:3] + recs[1:2] + recs[3:], "Line 2: a complement record 05 without"),
        (lambda recs: recs[:1] + [recs[1][:92] + "12a" + recs[1][95:]] + recs[2:], "is not a number"),
    ],
)
def test_cfonb_bad_records_name_the_line(mutate: Any, message: str) -> None:
    recs = cfonb120(entries()).decode("latin-1").split("\r\n")[:-1]
    data = "\r\n".join(mutate(recs)).encode("latin-1")
    with pytest.raises(StatementError, match=message.replace("(", r"\(")):
        cfonb.parse(data)


def test_cfonb_not_a_multiple_of_120() -> None:
    data = cfonb120(entries(), newline="")[:-7]
    with pytest.raises(StatementError, match="not a multiple of 120"):
        cfonb.parse(data)
    with pytest.raises(StatementError, match="empty"):
        cfonb.parse(b"\r\n")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2069, 12, 31)),
            st.integers(min_value=-100_000_000, max_value=100_000_000),
            st.text(alphabet=st.characters(codec="latin-1", exclude_categories=["Cc", "Cs"]), max_size=150),
        ),
        max_size=12,
    ),
    st.integers(min_value=-100_000_000, max_value=100_000_000),
)
def test_I14_cfonb_round_trip_amounts_exactly(items: list[tuple[dt.date, int, str]], opening: int) -> None:
    lines = [(day, D(cents).scaleb(-2), text) for day, cents, text in items]
    statement = cfonb.parse(cfonb120(lines, opening=D(opening).scaleb(-2)))
    assert [x.amount for x in statement.lines] == [amount for _d, amount, _t in lines]
    assert [x.booked_on for x in statement.lines] == [day for day, _a, _t in lines]
    assert statement.opening_balance == D(opening).scaleb(-2)
    assert statement.closing_balance == D(opening).scaleb(-2) + sum((a for _d, a, _t in lines), D("0"))


# --- camt.053 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["001.02", "001.04", "001.08"])
def test_I14_camt_amounts_dates_payer_remittance(version: str) -> None:
    data = camt053(entries(), version, opening=D("-5.00"), booking_datetime=version == "001.08")
    assert detect(data) == "camt053"
    statement = parse(data)
    assert statement.format == "camt053"
    assert statement.account == "FR7630001007941234567890185"
    assert statement.opening_balance == D("-5.00")
    assert statement.closing_balance == D("-5.00") + D("60.00") - D("12.34") + D("7500.01") + D("0.09")
    fee, charge, tuition, tiny = statement.lines
    assert [x.amount for x in statement.lines] == [D("60.00"), D("-12.34"), D("7500.01"), D("0.09")]
    assert fee.booked_on == MARCH_2 and fee.value_on == dt.date(2026, 3, 1)
    assert fee.payer == "Éléonore Dupont-Lévêque"
    assert charge.payer == "DGFIP"  # the creditor of a debit
    assert fee.remittance.splitlines()[0] == "ELEONORE DUPONT LEVEQUE MS CSE"
    assert "VIR SEPA RECU" in fee.remittance  # AddtlNtryInf
    assert tuition.remittance.splitlines() == ["INSCRIPTION CU4K-7MQ9-", "XW3 SOLDE"]
    assert fee.entry_reference == "FR7630001007941234567890185:20260302:A1B2C3"
    assert charge.entry_reference == ""  # NtryRef "2" is a sequence number, not a reference
    assert tiny.payer == ""
    assert fee.currency == "EUR"


@pytest.mark.parametrize("version", ["001.02", "001.08"])
def test_camt_several_details_and_batch(version: str) -> None:
    lines = [
        StatementEntry(
            booked_on=MARCH_2,
            amount=D("0"),
            reference="LOT-2026-0001",
            details=[
                StatementEntry(
                    booked_on=MARCH_2, amount=D("60.00"), remittance="MARTIN MS CSE", payer="Martin"
                ),
                StatementEntry(
                    booked_on=MARCH_2,
                    amount=D("40.50"),
                    remittance="DURAND MS IMM",
                    payer="Durand",
                    reference="TX-2",
                ),
            ],
        ),
        StatementEntry(booked_on=MARCH_3, amount=D("250.00"), with_details=False, label="REMISE GLOBALE"),
    ]
    statement = camt.parse(camt053(lines, version))
    first, second, batch = statement.lines
    assert (first.amount, first.payer, first.remittance) == (D("60.00"), "Martin", "MARTIN MS CSE")
    assert (second.amount, second.payer, second.remittance) == (D("40.50"), "Durand", "DURAND MS IMM")
    assert first.entry_reference.endswith(":20260302:LOT-2026-0001/1")
    assert second.entry_reference.endswith(":20260302:TX-2")
    assert (batch.amount, batch.remittance, batch.booked_on) == (D("250.00"), "REMISE GLOBALE", MARCH_3)
    assert len({x.dedup_key() for x in statement.lines}) == 3


def test_camt_dedup_keys_stable_and_distinct() -> None:
    same = [
        (MARCH_2, D("60.00"), "DUPONT MS CSE", "Dupont"),
        (MARCH_3, D("60.00"), "DUPONT MS CSE", "Dupont"),
    ]
    keys = [x.dedup_key() for x in parse(camt053(same)).lines]
    assert keys == [x.dedup_key() for x in parse(camt053(same)).lines]
    assert keys[0] != keys[1]


def test_camt_pending_entries_are_skipped_and_debit_sign() -> None:
    data = camt053([(MARCH_2, D("-60.00"), "REMBOURSEMENT", "Dupont"), (MARCH_3, D("5"), "X")], "001.08")
    data = data.replace(
        b"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-03-03", b"<Sts><Cd>PDNG</Cd></Sts><BookgDt><Dt>2026-03-03"
    )
    lines = parse(data).lines
    assert [(x.amount, x.payer) for x in lines] == [(D("-60.00"), "Dupont")]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            b'<Amt Ccy="EUR">60.00</Amt><CdtDbtInd>CRDT',
            b'<Amt Ccy="EUR">6O.00</Amt><CdtDbtInd>CRDT',
            "Line 6: the amount '6O.00'",
        ),
        (
            b"<CdtDbtInd>CRDT</CdtDbtInd><Sts>",
            b"<CdtDbtInd>CRED</CdtDbtInd><Sts>",
            "Line 6: the credit/debit indicator",
        ),
        (b"<BookgDt><Dt>2026-03-02</Dt>", b"<BookgDt><Dt>2026-02-30</Dt>", "Line 6: the booking date"),
        (b"</Document>", b"</Documen>", "not well-formed XML"),
    ],
)
def test_camt_bad_documents_name_the_line(old: bytes, new: bytes, message: str) -> None:
    data = camt053(entries(), "001.02")
    assert old in data
    with pytest.raises(StatementError, match=message):
        camt.parse(data.replace(old, new, 1))


def test_camt_xml_bomb_and_external_entity_refused() -> None:
    ns = b"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
            for i in range(1, 10)
        )
        + b']>\n<Document xmlns="'
        + ns
        + b'"><BkToCstmrStmt><Stmt><Id>&lol9;</Id></Stmt></BkToCstmrStmt></Document>'
    )
    external = (
        b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<Document xmlns="'
        + ns
        + b'"><BkToCstmrStmt><Stmt><Id>&xxe;</Id></Stmt></BkToCstmrStmt></Document>'
    )
    for data in (bomb, external, bomb.decode().encode("utf-16")):
        assert detect(data) == "camt053"
        with pytest.raises(StatementError, match="DOCTYPE"):
            parse(data)


def test_camt_other_xml_is_not_a_statement() -> None:
    with pytest.raises(StatementError, match="not a statement this platform reads"):
        detect(b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"/>')
    with pytest.raises(StatementError, match="no statement"):
        camt.parse(
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt/></Document>'
        )


# --- CSV --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_I14_csv_with_mapping(encoding: str) -> None:
    data = CSV_TEXT.encode(encoding)
    assert detect(data) == "csv"
    statement = parse(data, mapping=mapping())
    assert statement.format == "csv"
    fee, charge, tuition, remise = statement.lines
    assert [x.amount for x in statement.lines] == [D("60.00"), D("-12.34"), D("7500.01"), D("1234.56")]
    assert fee.booked_on == MARCH_2 and fee.value_on == dt.date(2026, 3, 1)
    assert charge.value_on is None
    assert fee.payer == "Éléonore Dupont-Lévêque"
    assert fee.remittance == "VIR SEPA RECU\nELEONORE DUPONT LEVEQUE MS CSE"
    assert tuition.remittance == "INSCRIPTION; CU4K-7MQ9-XW3"
    assert fee.entry_reference == "20260302:R-1"
    assert charge.entry_reference == ""
    assert [x.dedup_key() for x in statement.lines] == [
        x.dedup_key() for x in parse(data, mapping=mapping()).lines
    ]


def test_csv_credit_debit_columns_skip_rows_and_dot_decimals() -> None:
    text = (
        "Relevé du compte 00001005050\n"
        "Export du 05/03/2026\n"
        "date,credit,debit,label\n"
        "2026-03-02,60.00,,DUPONT MS CSE\n"
        "2026-03-03,,12.34,FRAIS\n"
        "2026-03-04,,abc,X\n"
    )
    m = mapping(
        delimiter=",",
        decimal_comma=False,
        date_format="%Y-%m-%d",
        skip_rows=2,
        booked_on_column="DATE",
        value_on_column="",
        amount_column="",
        credit_column="Credit",
        debit_column="Debit",
        payer_column="",
        remittance_columns="label",
        reference_column="",
    )
    with pytest.raises(StatementError, match="Line 6: the amount 'abc' in column 'Debit' is not a number"):
        csvfile.parse(text.encode(), m)
    lines = csvfile.parse(text.rsplit("2026-03-04", 1)[0].encode(), m).lines
    assert [(x.booked_on, x.amount, x.remittance) for x in lines] == [
        (MARCH_2, D("60.00"), "DUPONT MS CSE"),
        (MARCH_3, D("-12.34"), "FRAIS"),
    ]


@pytest.mark.parametrize(
    ("text", "decimal_comma", "expected"),
    [
        ("1 234,56", True, D("1234.56")),
        ("1\u202f234,56", True, D("1234.56")),
        ("1.234,56", True, D("1234.56")),
        ("-60,00", True, D("-60.00")),
        ("60.00", True, D("60.00")),
        ("60,00 €", True, D("60.00")),
        ("60,00-", True, D("-60.00")),
        ("1,234.56", False, D("1234.56")),
        ("-0.01", False, D("-0.01")),
        ("", True, None),
    ],
)
def test_I14_csv_amounts(text: str, decimal_comma: bool, expected: Decimal | None) -> None:
    assert csvfile.parse_amount(text, decimal_comma=decimal_comma, number=2, column="Montant") == expected


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("32/03/2026;;X;;;60,00;", "Line 2: the booking date '32/03/2026' does not read as '%d/%m/%Y'"),
        ("02/03/2026;;X;;;soixante;", "Line 2: the amount 'soixante' in column 'Montant' is not a number"),
        ("02/03/2026;;X;;;;", "Line 2: no amount"),
        (";;X;;;60,00;", "Line 2: the booking date is empty"),
    ],
)
def test_csv_bad_rows_name_the_line(row: str, message: str) -> None:
    data = (CSV_TEXT.splitlines()[0] + "\n" + row + "\n").encode()
    with pytest.raises(StatementError, match=message.replace("(", r"\(")):
        csvfile.parse(data, mapping())


def test_csv_mapping_naming_a_missing_column() -> None:
    with pytest.raises(StatementError, match=r"column 'Montant EUR' \(amount\) is not in the file"):
        csvfile.parse(CSV_TEXT.encode(), mapping(amount_column="Montant EUR"))
    with pytest.raises(StatementError, match=r"column 'Motif' \(remittance\)"):
        csvfile.parse(CSV_TEXT.encode(), mapping(remittance_columns="Libellé, Motif"))


def test_csv_column_names_ignore_case_accents_and_spacing() -> None:
    data = CSV_TEXT.replace("Libellé", " LIBELLE ").replace("Date valeur", "date  VALEUR").encode()
    lines = csvfile.parse(data, mapping()).lines
    assert lines[0].remittance == "VIR SEPA RECU\nELEONORE DUPONT LEVEQUE MS CSE"
    assert lines[0].value_on == dt.date(2026, 3, 1)


def test_csv_without_mapping_asks_for_it() -> None:
    with pytest.raises(StatementError, match="mapping"):
        parse(CSV_TEXT.encode())


# --- detection --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nendobj\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        bytes(range(256)) * 4,
        b"",
        b"   \n",
        b"just some words without any delimiter\n",
        b"PK\x03\x04 a zip file",
        b"<html><body>Not a statement</body></html>",
    ],
)
def test_detect_refuses_other_files(data: bytes) -> None:
    with pytest.raises(StatementError, match="not a statement this platform reads"):
        detect(data)


def test_detect_each_format() -> None:
    assert detect(cfonb120(entries())) == "cfonb120"
    assert detect(cfonb120(entries(), newline="")) == "cfonb120"
    assert detect(camt053(entries(), "001.02")) == "camt053"
    assert detect(camt053(entries(), "001.08")) == "camt053"
    assert detect(b"\xef\xbb\xbf" + camt053(entries(), "001.08")) == "camt053"
    assert detect(CSV_TEXT.encode("cp1252")) == "csv"
    assert detect(cfonb120([])) == "cfonb120"
    assert parse(cfonb120([])).lines == []


def test_I14_two_identical_lines_of_one_file_are_two_payments_and_reimport_adds_none() -> None:
    import datetime as dt
    from decimal import Decimal

    from billing.services.statements import occurrence_keys
    from billing.statements.base import ParsedLine

    same = ParsedLine(
        booked_on=dt.date(2025, 3, 3), amount=Decimal("60.00"), payer="DUPONT", remittance="MS CSE"
    )
    other = ParsedLine(
        booked_on=dt.date(2025, 3, 4), amount=Decimal("60.00"), payer="DUPONT", remittance="MS CSE"
    )
    keys = occurrence_keys([same, other, same])
    assert len(set(keys)) == 3
    assert occurrence_keys([same, other, same]) == keys  # the same file again: the same keys
