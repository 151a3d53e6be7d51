"""``deliberate`` (integers, reasoning on first reading) gives exactly ``deliberate_reference``'s outcome
(the rules read straight, exact Fractions): every field, every Decimal as written, every sentence (I12, I13)."""

import pickle
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studies.deliberation import (
    ABSENT,
    ABSENT_SLOT,
    Curriculum,
    DeliberationError,
    Outcome,
    OutcomeKind,
    ProfessionalKind,
    Promotion,
    ResitPolicy,
    Subject,
    Thresholds,
    Unit,
    deliberate,
    deliberate_reference,
    outcome_to_dict,
)
from studies.reasoning import reasoning_of

D = Decimal
CHECKED = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _split(draw: Any, total: int, parts: int) -> list[Decimal]:
    """``parts`` positive ECTS (halves allowed) summing to ``total``."""
    cuts = sorted(
        draw(st.lists(st.integers(1, 2 * total - 1), min_size=parts - 1, max_size=parts - 1, unique=True))
    )
    bounds = [0, *cuts, 2 * total]
    return [D(b - a) / 2 for a, b in zip(bounds, bounds[1:], strict=False)]


coefficients = st.one_of(
    st.integers(1, 4).map(D),
    st.sampled_from([D("0.5"), D("1.5"), D("0.25"), D("2.0"), D("1.10"), D("3.333")]),
)


@st.composite
def curricula(draw: Any) -> Curriculum:
    n_units = draw(st.integers(1, 4))
    coefficient = draw(st.sampled_from([coefficients, st.just(D(1))]))  # all 1: exact averages come often
    units = []
    for k, ects in enumerate(_split(draw, 45, n_units)):
        n = draw(st.integers(1, 5))
        units.append(
            Unit(
                f"UV{k}",
                f"Unit {k}",
                ects,
                tuple(Subject(f"S{k}-{j}", f"s{j}", draw(coefficient)) for j in range(n)),
            )
        )
    kinds = draw(st.permutations(list(ProfessionalKind)))
    pro = Unit(
        "PRO", "Pro", D(30), tuple(Subject(k.value.upper(), k.value, draw(coefficient), k) for k in kinds)
    )
    return Curriculum(units=tuple(units), professional=pro)


grade_values = st.one_of(
    st.just(ABSENT),
    st.integers(0, 2000).map(lambda n: D(n).scaleb(-2)),  # 12.50, 0.00, 20.00
    st.integers(0, 20).map(D),  # 12
    st.sampled_from(
        [D("4.99"), D("5"), D("5.00"), D("5.01"), D("9.99"), D("10"), D("10.0"), D("10.01"), D("12.500")]
    ),
)
good_values = st.integers(990, 2000).map(lambda n: D(n).scaleb(-2))
# Few values around the thresholds: a UV or the overall average exactly at 10 (or 12, 9.995…) comes often.
edge_values = st.sampled_from(
    [D(10), D("10.00"), D("9.99"), D("10.01"), D(5), D("5.01"), D(12), D(8), D(11), D(9)]
)
thresholds = st.one_of(
    st.just(Thresholds()),
    st.builds(
        Thresholds,
        uv_pass=st.sampled_from([D(10), D("10.00"), D("9.995"), D(12), D("8.5")]),
        overall_pass=st.sampled_from([D(10), D(11), D("10.5"), D("12.25"), D(9)]),
        resit_at_or_below=st.sampled_from([D(5), D("5.00"), D("4.995"), D(6), D(0)]),
    ),
)


@st.composite
def cases(draw: Any) -> dict[str, Any]:
    cur = draw(curricula())
    codes = [s.code for s in cur.subjects()]
    pool = draw(st.sampled_from([grade_values, good_values, edge_values]))
    grades = {code: draw(pool) for code in codes}
    if draw(st.integers(0, 9)) == 0 and len(codes) > 1:  # now and then a grade missing: no verdict
        del grades[draw(st.sampled_from(codes))]
    kwargs: dict[str, Any] = {
        "owed": draw(st.sampled_from([D(0), D("0.01"), D("120.50"), D("0.00")])),
        "thresholds": draw(st.one_of(st.none(), thresholds)),
        "policy": draw(st.sampled_from(list(ResitPolicy))),
    }
    if draw(st.booleans()):
        required = [
            r.subject for r in deliberate_reference(cur, grades, thresholds=kwargs["thresholds"]).resits
        ]
        resits = {code: draw(pool) for code in required if draw(st.integers(0, 12))}  # sometimes one missing
        for code in draw(st.lists(st.sampled_from(codes), max_size=2)):  # sometimes one not required: ignored
            resits[code] = draw(grade_values)
        kwargs["resits"] = resits
    return {"curriculum": cur, "grades": grades, **kwargs}


def _same(fast: Outcome, ref: Outcome) -> None:
    assert fast == ref
    assert ref == fast
    assert repr(fast) == repr(ref)  # Decimals as written: 12.50 stays 12.50
    for language in ("fr", "en"):
        assert outcome_to_dict(fast, language) == outcome_to_dict(ref, language)


@CHECKED
@given(case=cases())
def test_I12_I13_fast_deliberation_equals_the_reference(case):
    _same(deliberate(**case), deliberate_reference(**case))


def _simple(uv: str = "45") -> Curriculum:
    return Curriculum(
        units=(
            Unit("UV1", "U", D(uv), (Subject("A", "a", D(1)), Subject("B", "b", D(1)))),
            *((Unit("UV2", "V", 45 - D(uv), (Subject("C", "c", D(2)),)),) if uv != "45" else ()),
        ),
        professional=Unit(
            "PRO", "P", D(30), tuple(Subject(k.value, k.value, D(1), k) for k in ProfessionalKind)
        ),
    )


PRO_OK = {"mission": D(12), "thesis": D(12), "defence": D(12)}


@pytest.mark.parametrize(
    ("uv", "grades", "th"),
    [
        ("45", {"A": D(12), "B": D(8)}, None),  # UV exactly 10: B compensated
        ("45", {"A": D("12.00"), "B": D("7.99")}, None),  # 9.995: B resat
        ("45", {"A": D(15), "B": D(5)}, None),  # average 10, a lacune
        ("45", {"A": D(15), "B": D("5.01")}, None),
        (
            "20",
            {"A": D(12), "B": D(10), "C": D(10)},
            Thresholds(overall_pass=D("10.4444")),
        ),  # overall 10.444…
        ("20", {"A": D(12), "B": D(10), "C": D(10)}, Thresholds(overall_pass=D("10.45"))),
        ("20", {"A": D(12), "B": D(8), "C": D(11)}, Thresholds(overall_pass=D("10.5555"))),
        ("20", {"A": D(12), "B": D(8), "C": D(11)}, Thresholds(overall_pass=D(11))),  # OVERALL_BELOW resits
        ("20", {"A": D(12), "B": D("9.99"), "C": D(10)}, Thresholds(uv_pass=D("10.995"))),
    ],
)
@pytest.mark.parametrize("policy", list(ResitPolicy))
def test_fast_deliberation_at_the_edges(uv, grades, th, policy):
    cur = _simple(uv)
    first = {**grades, **PRO_OK}
    _same(deliberate(cur, first, thresholds=th), deliberate_reference(cur, first, thresholds=th))
    required = [r.subject for r in deliberate_reference(cur, first, thresholds=th).resits]
    for resit in (D(10), D("9.99"), D(14), ABSENT):
        resits = dict.fromkeys(required, resit)
        kwargs: dict[str, Any] = {"resits": resits, "thresholds": th, "policy": policy, "owed": D("0.01")}
        _same(deliberate(cur, first, **kwargs), deliberate_reference(cur, first, **kwargs))


@CHECKED
@given(case=cases())
def test_fast_deliberation_decides_before_its_reasoning_is_read(case):
    """The decided fields, read alone (nothing else worked out yet), are the reference's."""
    fast, ref = deliberate(**case), deliberate_reference(**case)
    for name in ("kind", "teaching_validated", "professional_validated", "ects_obtained", "missing"):
        assert getattr(fast, name) == getattr(ref, name)
    assert str(fast.ects_obtained) == str(ref.ects_obtained)
    assert fast.ignored_resits == ref.ignored_resits
    assert fast.rank == ref.rank if ref.kind is not OutcomeKind.INCOMPLETE else True


def test_fast_deliberation_keeps_what_it_was_given_at_the_time():
    cur = Curriculum(
        units=(Unit("UV1", "U", D(45), (Subject("A", "a", D(1)), Subject("B", "b", D(2)))),),
        professional=Unit(
            "PRO", "P", D(30), tuple(Subject(k.value, k.value, D(1), k) for k in ProfessionalKind)
        ),
    )
    grades = {"A": D("9.99"), "B": D("10.00"), "mission": D(12), "thesis": D(12), "defence": ABSENT}
    outcome = deliberate(cur, grades)
    grades["A"] = D(20)  # changed after the deliberation: the reasoning still reads the grades deliberated
    _same(outcome, deliberate_reference(cur, {**grades, "A": D("9.99")}))
    assert pickle.loads(pickle.dumps(deliberate(cur, grades))) == deliberate_reference(cur, grades)  # noqa: S301


@pytest.mark.parametrize(
    "bad",
    [{"A": D(21)}, {"A": D("9.999")}, {"A": 12}, {"A": 12.5}, {"A": D("NaN")}, {"A": D("sNaN")}, {"Z": D(1)}],
)
def test_fast_deliberation_refuses_what_the_reference_refuses(bad):
    cur = Curriculum(
        units=(Unit("UV1", "U", D(45), (Subject("A", "a", D(1)), Subject("B", "b", D(2)))),),
        professional=Unit(
            "PRO", "P", D(30), tuple(Subject(k.value, k.value, D(1), k) for k in ProfessionalKind)
        ),
    )
    grades = {"A": D(12), "B": D(12), "mission": D(12), "thesis": D(12), "defence": D(12), **bad}
    with pytest.raises(DeliberationError) as ref:
        deliberate_reference(cur, grades)
    with pytest.raises(DeliberationError) as fast:
        deliberate(cur, grades)
    assert str(fast.value) == str(ref.value)
    with pytest.raises(DeliberationError):
        deliberate(cur, {k: D(12) for k in grades if k != "Z"}, resits=bad)


def _slots(promotion: Promotion, grades: dict[str, Any]) -> list[Any]:
    return [promotion.slot(grades[code]) if code in grades else None for code in promotion.codes]


@CHECKED
@given(case=cases())
def test_I12_I13_a_promotion_deliberates_slots_as_the_reference(case):
    """The jury's path (grades as slots: hundredths, absences, the ungraded, anything unusual as given)
    gives the reference's outcome for the same grades, and the reasoning the jury stores is the same data."""
    cur, grades, resits = case["curriculum"], case["grades"], case.get("resits")
    promotion = Promotion(cur, case["thresholds"], case["policy"])
    fast = promotion.deliberate(
        _slots(promotion, grades),
        None if resits is None else _slots(promotion, resits),
        case["owed"],
    )
    ref = deliberate_reference(**case)
    assert reasoning_of(fast) == reasoning_of(ref)
    _same(fast, ref)
    assert reasoning_of(deliberate(**case)) == reasoning_of(ref)


def test_a_promotion_slot_is_a_grade_written_with_two_decimals():
    assert [Promotion.slot(g) for g in (D("12.50"), D("0.00"), D("20.00"), ABSENT)] == [
        1250,
        0,
        2000,
        ABSENT_SLOT,
    ]
    for unusual in (D("12.5"), D(12), D("-0.00"), D("20.01"), D("NaN"), 12):
        assert Promotion.slot(unusual) is unusual  # handed as given: the reference reads it


def test_a_promotion_hands_the_unusual_to_the_reference():
    cur = _simple()
    promotion = Promotion(cur)
    grades = {"A": D("12.50"), "B": D("7.5"), **PRO_OK}
    outcome = promotion.deliberate(_slots(promotion, grades))
    _same(outcome, deliberate_reference(cur, grades))
    assert outcome.reasons[0].params["grade"] == D("7.5")  # as given, not rewritten 7.50
    missing = promotion.deliberate(_slots(promotion, {"A": D("12.00"), **PRO_OK}))
    assert missing.kind is OutcomeKind.INCOMPLETE and missing.missing == ("B",)
    with pytest.raises(DeliberationError):
        promotion.deliberate(_slots(promotion, {**grades, "A": D(21)}))
