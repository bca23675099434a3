"""Bad input raises a typed error and nothing is sent, including for inputs that only fail at ABI encoding,
in multi-transaction operations, or for on-chain values beyond what datetime can hold."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import ComplianceRules, InvestorRegistry, RWAToken, SpecError, TokenRoles
from hktoken.chain import Chain
from hktoken.testing import nothing_sent
from hktoken.testing.plugin import Kyc
from hktoken.units import to_base_units


def _refused_in_python(chain: Chain, signer: LocalAccount, action: Callable[[], object], message: str) -> None:
    with nothing_sent(chain, signer), pytest.raises(SpecError) as info:
        action()
    assert message in str(info.value)


@pytest.fixture(scope="module")
def token(rwa_token_factory: Callable[..., RWAToken], kyc: Kyc, accounts: list[LocalAccount]) -> RWAToken:
    kyc(accounts[1].address, investor_id="V-ALICE")
    token = rwa_token_factory(decimals=2)
    token.mint(accounts[0], accounts[1].address, Decimal(1000))
    return token


def test_amounts_beyond_uint256_are_refused_in_python() -> None:
    with pytest.raises(SpecError, match="too large for a uint256 token amount"):
        to_base_units(Decimal("1e80"), 0)
    with pytest.raises(SpecError, match="too large for a uint256 token amount"):
        to_base_units("1e999999", 18)
    assert to_base_units(2**256 - 1, 0) == 2**256 - 1


def test_oversized_mint_sends_nothing(chain: Chain, accounts: list[LocalAccount], token: RWAToken) -> None:
    _refused_in_python(chain, accounts[0], lambda: token.mint(accounts[0], accounts[1].address, Decimal("1e80")),
                  "too large for a uint256 token amount")  # fmt: skip


def test_wrongly_typed_argument_is_a_spec_error(chain: Chain, accounts: list[LocalAccount], token: RWAToken) -> None:
    _refused_in_python(
        chain, accounts[0], lambda: token.set_address_frozen(accounts[0], accounts[1].address, "no"),  # type: ignore[arg-type]
        "RWAToken.setAddressFrozen(",
    )  # fmt: skip


def test_rate_limit_bounds_are_checked_before_sending(
    chain: Chain, accounts: list[LocalAccount], token: RWAToken
) -> None:
    _refused_in_python(chain, accounts[0], lambda: token.set_mint_rate_limit(accounts[0], accounts[0].address, 10, -1),
                  "period_seconds -1 is invalid")  # fmt: skip
    _refused_in_python(chain, accounts[0],
                  lambda: token.set_mint_rate_limit(accounts[0], accounts[0].address, Decimal("1e40"), 60),
                  "amount_per_period is too large")  # fmt: skip


def test_rules_that_cannot_all_apply_change_nothing(
    chain: Chain, accounts: list[LocalAccount], token: RWAToken
) -> None:
    before = token.rules()
    _refused_in_python(
        chain, accounts[0],
        lambda: token.apply_rules(accounts[0], ComplianceRules(blocked_countries={408}, max_holders=5,
                                                               supply_cap=Decimal(10))),
        "supply_cap 10 is below the current supply 1000.00",
    )  # fmt: skip
    _refused_in_python(
        chain, accounts[0],
        lambda: token.apply_rules(accounts[0], ComplianceRules(allowed_countries={344},
                                                               minimum_transfer=Decimal("1e37"))),
        "minimum_transfer is too large for the token",
    )  # fmt: skip
    assert token.rules() == before


def test_deploy_with_a_bad_role_address_deploys_nothing(
    chain: Chain, accounts: list[LocalAccount], investor_registry: InvestorRegistry
) -> None:
    _refused_in_python(
        chain, accounts[0],
        lambda: RWAToken.deploy(chain, accounts[0], name="X", symbol="X", decimals=0, registry=investor_registry,
                                roles=TokenRoles(agents=["0xnot-an-address"])),
        "agent '0xnot-an-address' is not a valid Ethereum address",
    )  # fmt: skip
    _refused_in_python(chain, accounts[0], lambda: InvestorRegistry.deploy(chain, accounts[0], registrars=["0x123"]),
                  "registrar '0x123' is not a valid Ethereum address")  # fmt: skip


def test_lockup_before_1970_is_refused_by_the_model() -> None:
    with pytest.raises(ValueError, match="lockup_until must not be before 1970"):
        ComplianceRules(lockup_until=datetime(1960, 1, 1, tzinfo=UTC))


def test_a_forever_lockup_reads_back_and_can_be_cleared(accounts: list[LocalAccount], token: RWAToken) -> None:
    token.raw.set_lockup_until(accounts[0], 2**64 - 1)  # "locked until further notice"
    assert token.rules().lockup_until == datetime.max.replace(tzinfo=UTC)
    token.apply_rules(accounts[0], ComplianceRules())
    assert token.rules().lockup_until is None
