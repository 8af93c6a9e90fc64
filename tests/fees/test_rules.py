from decimal import Decimal

import pytest

from fees.rules import Scheme, commission_lines, month_fee, override, rate_ppm, share

SCHEME_2018 = Scheme(
    commission_percent=Decimal("7.5"),
    bonus_amount=500_000,
    bonus_min_activations=50,
    override_percent=Decimal("10"),
)


def test_the_2018_worked_example_comes_out_exactly():
    fee = month_fee(contributions=38_902_000, activations=2_227, scheme=SCHEME_2018)
    assert (fee.commission, fee.bonus, fee.total) == (2_917_650, 500_000, 3_417_650)


@pytest.mark.parametrize(
    ("activations", "bonus"), [(49, 0), (50, 500_000), (2_227, 500_000), (0, 0)]
)
def test_the_bonus_needs_fifty_activations(activations, bonus):
    assert month_fee(contributions=0, activations=activations, scheme=SCHEME_2018).bonus == bonus


def test_rates_are_parts_per_million():
    assert rate_ppm(Decimal("7.5")) == 75_000
    assert rate_ppm(Decimal("15")) == 150_000
    assert rate_ppm(Decimal("0.0001")) == 1
    with pytest.raises(ValueError, match="decimals"):
        rate_ppm(Decimal("0.00001"))


def test_rounding_is_half_up_and_symmetric():
    assert share(10, 50_000) == 1  # 0.5 -> 1
    assert share(9, 50_000) == 0  # 0.45 -> 0
    assert share(-10, 50_000) == -1
    assert share(36_800, 75_000) == 2_760


def test_per_payment_commissions_add_up_to_the_month_total():
    rng_amounts = [36_800, 16_800, 110_400, 16_801, 7, 220_800, 13] * 50
    lines = commission_lines(rng_amounts, 75_000)
    assert len(lines) == len(rng_amounts)
    assert sum(lines) == share(sum(rng_amounts), 75_000)
    split = commission_lines(
        [38_902_000 // 3, 38_902_000 // 3, 38_902_000 - 2 * (38_902_000 // 3)], 75_000
    )
    assert sum(split) == 2_917_650


def test_the_override_is_ten_percent_of_a_line():
    assert override(2_917_650, SCHEME_2018) == 291_765
    assert override(-2_760, SCHEME_2018) == -276
