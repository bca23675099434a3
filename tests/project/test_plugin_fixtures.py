"""The compliance fixtures the plugin gives a custodian's own suite, exercised in a separate pytest run."""

from __future__ import annotations

import pytest

CUSTODIAN_SUITE = """
from decimal import Decimal

import pytest

from hktoken import ComplianceRules, TransferRestricted


@pytest.fixture(scope="module")
def bond(rwa_token_factory, kyc, accounts):
    token = rwa_token_factory(decimals=2, rules=ComplianceRules(allowed_countries={344}))
    kyc(accounts[1].address)
    kyc(accounts[2].address, country=702)
    token.mint(accounts[0], accounts[1].address, Decimal(100))
    return token


def test_custodian_moves_a_position(bond, accounts):
    bond.transfer(accounts[1], accounts[0].address, Decimal("25.50"))
    assert bond.raw_balance_of(accounts[1].address) == 7450


def test_isolated_from_the_previous_test(bond, accounts):
    assert bond.raw_balance_of(accounts[1].address) == 10000


def test_refusal_is_typed(bond, accounts):
    with pytest.raises(TransferRestricted) as info:
        bond.transfer(accounts[1], accounts[2].address, Decimal(1))
    assert (info.value.code, info.value.reason) == (7, "recipient country not allowed")


def test_stablecoin_is_not_kyc_gated(hkd_stablecoin, accounts):
    hkd_stablecoin.mint(accounts[0], accounts[5].address, Decimal("10.25"))
    hkd_stablecoin.transfer(accounts[5], accounts[6].address, Decimal("0.25"))
    assert hkd_stablecoin.balance_of(accounts[6].address) == Decimal("0.25")
"""


def test_custodian_suite_gets_a_ready_compliance_stack(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_custodian=CUSTODIAN_SUITE)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
