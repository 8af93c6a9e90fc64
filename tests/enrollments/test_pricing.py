from decimal import Decimal

import pytest

from enrollments.pricing import Contribution, PricingError, Rate, Relief, price_contribution, rupiah

RATES = {
    "JKK": Rate("JKK", percent_of_income=Decimal("1")),
    "JKM": Rate("JKM", flat_amount=6800),
    "JHT": Rate("JHT", percent_of_income=Decimal("2")),
}
PP_50_2025 = Relief(
    "PP 50/2025", frozenset({"JKK", "JKM"}), Decimal("50"), excludes_budget_funded=True
)


def price(income: int, *, jht: bool = False, months: int = 1, **kwargs) -> Contribution:
    return price_contribution(
        declared_income=income, include_jht=jht, period_months=months, rates=RATES, **kwargs
    )


def test_lowest_level_is_16800_a_month():
    contribution = price(1_000_000)
    assert (contribution.jkk, contribution.jkm, contribution.jht) == (10_000, 6_800, 0)
    assert contribution.monthly_total == 16_800


def test_lowest_level_with_jht_is_36800_and_110400_for_three_months():
    contribution = price(1_000_000, jht=True, months=3)
    assert (contribution.jkk, contribution.jkm, contribution.jht) == (10_000, 6_800, 20_000)
    assert contribution.monthly_total == 36_800
    assert contribution.amount_due == 110_400


@pytest.mark.parametrize(
    ("income", "jht", "monthly"),
    [
        (1_500_000, False, 21_800),
        (2_000_000, False, 26_800),
        (2_000_000, True, 66_800),
        (3_000_000, True, 96_800),
    ],
)
def test_higher_levels(income, jht, monthly):
    assert price(income, jht=jht).monthly_total == monthly


@pytest.mark.parametrize("months", [1, 3, 6, 12])
def test_each_payment_period_multiplies_the_monthly_total(months):
    assert price(1_000_000, jht=True, months=months).amount_due == 36_800 * months


@pytest.mark.parametrize("months", [0, 2, 4, 24])
def test_other_periods_are_refused(months):
    with pytest.raises(PricingError):
        price(1_000_000, months=months)


def test_a_relief_halves_jkk_and_jkm_but_not_jht():
    contribution = price(1_000_000, jht=True, reliefs=[PP_50_2025])
    assert (contribution.jkk, contribution.jkm, contribution.jht) == (5_000, 3_400, 20_000)
    assert contribution.reliefs == ("PP 50/2025",)


def test_budget_funded_participants_do_not_get_the_relief():
    contribution = price(1_000_000, reliefs=[PP_50_2025], budget_funded=True)
    assert contribution.monthly_total == 16_800
    assert contribution.reliefs == ()


def test_overlapping_reliefs_do_not_multiply_the_most_favourable_applies():
    deeper = Relief("PP 49/2020", frozenset({"JKM"}), Decimal("1"))
    contribution = price(1_000_000, reliefs=[PP_50_2025, deeper])
    assert (contribution.jkk, contribution.jkm) == (5_000, 68)
    assert contribution.reliefs == ("PP 49/2020", "PP 50/2025")


def test_rounding_is_half_up_per_program():
    assert price(1_050_050).jkk == 10_501  # 10,500.5
    assert price(1_050_049).jkk == 10_500  # 10,500.49
    assert rupiah(Decimal("3400.5")) == 3401


def test_a_missing_rate_is_an_error_not_a_zero():
    with pytest.raises(PricingError) as raised:
        price_contribution(
            declared_income=1_000_000,
            include_jht=True,
            period_months=1,
            rates={"JKK": RATES["JKK"], "JKM": RATES["JKM"]},
        )
    assert raised.value.code == "rate_missing"


def test_the_pure_rules_and_the_models_name_the_same_programs_and_periods():
    """pricing.py is the one definition; the models' choices must not drift from it."""
    from enrollments import models, pricing

    assert {program.value for program in models.Program} == {pricing.JKK, pricing.JKM, pricing.JHT}
    assert set(pricing.MANDATORY) <= {program.value for program in models.Program}
    assert [months for months, _label in models.PAYMENT_PERIOD_CHOICES] == list(
        pricing.PAYMENT_PERIODS
    )


def test_the_coverage_rules_and_the_model_name_the_same_statuses():
    from enrollments import coverage, models

    assert {status.value for status in models.ParticipantStatus} == {
        coverage.AWAITING_PAYMENT,
        coverage.ACTIVE,
        coverage.NON_ACTIVE,
    }
