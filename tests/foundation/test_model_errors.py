"""Bad data given to a model, however it is built (constructor, dict, JSON), raises one-line SpecError naming the
field: the public API never lets pydantic's multi-line ValidationError out (it stays the error's __cause__)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from hktoken import ComplianceRules, HKTokenError, Investor, SpecError

WALLET = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
GOOD: dict[str, Any] = {
    "id": "HK-A",
    "wallets": [WALLET],
    "country": 344,
    "investor_class": 2,
    "kyc_expiry": datetime(2030, 1, 1, tzinfo=UTC),
}

CASES: list[tuple[str, Callable[[], object], str]] = [
    ("investor-country", lambda: Investor(**{**GOOD, "country": 1000}),
     "invalid Investor: country: Input should be less than or equal to 999: correct country"),
    ("investor-dict-missing", lambda: Investor.model_validate({"id": "HK-A"}),
     "invalid Investor: wallets: Field required (+3 more): correct wallets"),
    ("investor-json", lambda: Investor.model_validate_json('{"id": "", "wallets": []}'),
     "invalid Investor: id: investor id '' must be 1 to 32 bytes of text (+4 more): correct id"),
    ("investor-wallet", lambda: Investor(**{**GOOD, "wallets": ["0x1234"]}),
     "invalid Investor: wallets.0: address '0x1234' is not a valid Ethereum address: correct wallets.0"),
    ("investor-naive-expiry", lambda: Investor(**{**GOOD, "kyc_expiry": datetime(2030, 1, 1)}),
     "invalid Investor: kyc_expiry: kyc_expiry must be timezone-aware (for example 2027-01-01T00:00:00Z): "
     "correct kyc_expiry"),
    ("rules-overlap", lambda: ComplianceRules(allowed_countries=frozenset({344}), blocked_countries=frozenset({344})),
     "invalid ComplianceRules: countries [344] are both allowed and blocked: correct the values"),
    ("rules-dict", lambda: ComplianceRules.model_validate({"max_holders": 0}),
     "invalid ComplianceRules: max_holders: Input should be greater than or equal to 1: correct max_holders"),
    ("rules-unknown-field", lambda: ComplianceRules.model_validate({"max_holder": 5}),
     "invalid ComplianceRules: max_holder: Extra inputs are not permitted: correct max_holder"),
]  # fmt: skip


@pytest.mark.parametrize(("build", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_model_data_is_one_line_spec_error(build: Callable[[], object], expected: str) -> None:
    with pytest.raises(SpecError) as info:
        build()
    assert str(info.value) == expected
    assert "\n" not in str(info.value)
    assert isinstance(info.value, HKTokenError) and not isinstance(info.value, ValidationError)
    assert isinstance(info.value.__cause__, ValidationError)  # every problem, for whoever wants them


def test_good_data_still_builds() -> None:
    assert Investor(**GOOD).id_bytes == b"HK-A".ljust(32, b"\0")
    assert Investor.model_validate(GOOD) == Investor(**GOOD)
    assert ComplianceRules.model_validate({"allowed_countries": [344]}).allowed_countries == frozenset({344})
