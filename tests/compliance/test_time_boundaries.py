"""Rules that turn on a time boundary are judged for the block the transaction lands in, so a refusal at the
boundary is raised by the simulation and nothing is sent (no nonce used, mined or pending)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from eth_account.signers.local import LocalAccount

from hktoken import ComplianceRules, InvestorRegistry, RWAToken, TransferRestricted
from hktoken.chain import Chain
from hktoken.testing import nothing_sent, reverts
from hktoken.testing.plugin import Kyc


def test_transfer_landing_on_the_kyc_expiry_second_is_refused_before_sending(
    chain: Chain, accounts: list[LocalAccount], kyc: Kyc, investor_registry: InvestorRegistry,
    rwa_token_factory: Callable[..., RWAToken],
) -> None:  # fmt: skip
    alice, bob = accounts[1], accounts[2]
    kyc(alice.address, investor_id="T-ALICE", days=30)
    kyc(bob.address, investor_id="T-BOB", days=10)
    token = rwa_token_factory(decimals=0)
    token.mint(accounts[0], alice.address, 100)
    expiry = int(investor_registry.profile(bob.address).kyc_expiry.timestamp())

    chain.set_next_block_timestamp(expiry - 1)  # one second before: still verified, and it goes through
    token.transfer(alice, bob.address, 1)
    chain.set_next_block_timestamp(expiry)  # the expiry second: KYC has lapsed for the block it would land in
    with nothing_sent(chain, alice), reverts("TransferRestricted", code=16) as refused:
        token.transfer(alice, bob.address, 1)

    assert type(refused.value) is TransferRestricted
    assert (refused.value.reason, refused.value.tx_hash) == ("recipient KYC expired", None)
    assert (token.raw_balance_of(alice.address), token.raw_balance_of(bob.address)) == (99, 1)


def test_transfer_landing_on_the_lockup_end_goes_through_and_one_second_before_does_not(
    chain: Chain, accounts: list[LocalAccount], kyc: Kyc, rwa_token_factory: Callable[..., RWAToken]
) -> None:
    alice, bob = accounts[3], accounts[4]
    kyc(alice.address, investor_id="T-CAROL")
    kyc(bob.address, investor_id="T-DAVE")
    lockup = chain.timestamp() + 3600
    token = rwa_token_factory(decimals=0, rules=ComplianceRules(lockup_until=datetime.fromtimestamp(lockup, tz=UTC)))
    token.mint(accounts[0], alice.address, Decimal(10))

    chain.set_next_block_timestamp(lockup - 1)
    with nothing_sent(chain, alice), reverts("TransferRestricted", code=11) as refused:
        token.transfer(alice, bob.address, 1)
    assert type(refused.value) is TransferRestricted
    assert (refused.value.reason, refused.value.tx_hash) == ("tokens are locked up", None)
    chain.mine()  # the block at lockup - 1
    chain.set_next_block_timestamp(lockup)
    token.transfer(alice, bob.address, 1)
    assert token.raw_balance_of(bob.address) == 1
    assert token.rules().lockup_until == datetime.fromtimestamp(lockup, tz=UTC)
