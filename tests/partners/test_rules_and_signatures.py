import pytest

from partners.errors import BadSignatureError, StaleSignatureError
from partners.rules import CompanyFacts, normalise_npwp, permit_decision
from partners.signatures import signature_header, signature_verify

NOW = 1_790_000_000
BODY = b'{"channel_ref":"BNI-000123","amount":110400}'


def facts(
    npp: str = "NPP1",
    reported_workforce: int = 10,
    enrolled_active: int = 10,
    arrears_months: int = 0,
) -> CompanyFacts:
    return CompanyFacts(npp, reported_workforce, enrolled_active, arrears_months)


@pytest.mark.parametrize(
    ("company", "decision", "reasons"),
    [
        (facts(), "eligible", ()),
        (facts(enrolled_active=12), "eligible", ()),
        (facts(enrolled_active=9), "not_eligible", ("workforce_not_enrolled",)),
        (facts(arrears_months=3), "not_eligible", ("contribution_arrears",)),
        (facts(arrears_months=2), "eligible", ()),
        (
            facts(enrolled_active=0, arrears_months=5),
            "not_eligible",
            ("workforce_not_enrolled", "contribution_arrears"),
        ),
        (facts(npp=""), "not_registered", ("not_registered",)),
        (None, "not_registered", ("not_registered",)),
    ],
)
def test_each_decision_and_reason(company, decision, reasons):
    result = permit_decision(company, arrears_threshold=3)
    assert (result.decision, result.reasons) == (decision, reasons)


def test_the_arrears_threshold_is_configurable():
    assert permit_decision(facts(arrears_months=2), arrears_threshold=2).decision == "not_eligible"
    assert permit_decision(facts(arrears_months=5), arrears_threshold=6).decision == "eligible"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("01.234.567.8-901.000", "0012345678901000"),
        ("012345678901000", "0012345678901000"),
        ("0012345678901000", "0012345678901000"),
    ],
)
def test_npwp_is_stored_as_16_digits(raw, stored):
    assert normalise_npwp(raw) == stored


@pytest.mark.parametrize("raw", ["12345", "12345678901234567", "abc"])
def test_other_npwps_are_refused(raw):
    with pytest.raises(ValueError, match="15 or 16"):
        normalise_npwp(raw)


def verify(header, body=BODY, secrets=("s3cret",), now=NOW):
    signature_verify(header=header, body=body, secrets=secrets, now=now, tolerance=300)


def test_a_valid_signature_passes():
    verify(signature_header("s3cret", NOW - 10, BODY))


def test_a_tampered_body_fails():
    with pytest.raises(BadSignatureError):
        verify(signature_header("s3cret", NOW, BODY), body=BODY.replace(b"110400", b"1"))


def test_a_wrong_secret_or_missing_header_fails():
    with pytest.raises(BadSignatureError):
        verify(signature_header("other", NOW, BODY))
    for header in (None, "", "t=abc,v1=00", f"t={NOW}", "v1=00"):
        with pytest.raises(BadSignatureError):
            verify(header)


def test_a_stale_timestamp_fails():
    with pytest.raises(StaleSignatureError):
        verify(signature_header("s3cret", NOW - 301, BODY))


def test_a_timestamp_too_far_in_the_future_fails():
    verify(signature_header("s3cret", NOW + 300, BODY))
    with pytest.raises(StaleSignatureError):
        verify(signature_header("s3cret", NOW + 301, BODY))


def test_during_rotation_either_live_secret_is_accepted():
    for secret in ("old-secret", "new-secret"):
        verify(signature_header(secret, NOW, BODY), secrets=("new-secret", "old-secret"))
    with pytest.raises(BadSignatureError):
        verify(signature_header("old-secret", NOW, BODY), secrets=("new-secret",))


def test_several_v1_values_any_may_match():
    header = signature_header("s3cret", NOW, BODY) + ",v1=" + "0" * 64
    verify(header)


def test_the_decision_rules_and_the_model_name_the_same_decisions():
    from partners import models, rules

    assert {decision.value for decision in models.PermitDecision} == {
        rules.ELIGIBLE,
        rules.NOT_ELIGIBLE,
        rules.NOT_REGISTERED,
    }
