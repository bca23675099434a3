"""A custodian's integration tests: transfers into and out of an omnibus account, freezes, isolation between
tests, and KYC expiry by time travel. Exact outcomes: the custom error and its arguments, balances to the unit."""

from __future__ import annotations

from decimal import Decimal

from conftest import Custody

from hktoken import Chain, Restriction, TransferRestricted
from hktoken.testing import nothing_sent, reverts


def test_a_client_moves_bonds_into_the_brokers_omnibus_account(custody: Custody) -> None:
    custody.token.transfer(custody.alice, custody.omnibus.address, Decimal("2500.50"))
    assert custody.token.balance_of(custody.omnibus.address) == Decimal("2500.50")
    assert custody.token.balance_of(custody.alice.address) == Decimal("7499.50")
    assert custody.registry.profile(custody.omnibus.address).omnibus


def test_the_omnibus_account_cannot_pay_out_to_a_wallet_without_kyc(chain: Chain, custody: Custody) -> None:
    custody.token.transfer(custody.alice, custody.omnibus.address, Decimal(1000))
    with nothing_sent(chain, custody.omnibus), reverts("TransferRestricted", code=3) as refusal:
        custody.token.transfer(custody.omnibus, custody.outsider.address, Decimal(100))
    assert isinstance(refusal.value, TransferRestricted)
    assert refusal.value.reason == "recipient not verified"
    assert custody.token.balance_of(custody.omnibus.address) == Decimal(1000)


def test_a_frozen_wallet_can_neither_send_nor_receive(chain: Chain, custody: Custody) -> None:
    custody.token.set_address_frozen(custody.issuer, custody.alice.address, True)
    with nothing_sent(chain, custody.alice), reverts("TransferRestricted", code=Restriction.SENDER_FROZEN):
        custody.token.transfer(custody.alice, custody.bob.address, Decimal(1))
    with nothing_sent(chain, custody.bob), reverts("TransferRestricted", code=Restriction.RECIPIENT_FROZEN):
        custody.token.transfer(custody.bob, custody.alice.address, Decimal(0))
    assert custody.token.balance_of(custody.alice.address) == Decimal(10_000)


def test_a_test_changes_the_chain(custody: Custody) -> None:
    custody.token.mint(custody.issuer, custody.bob.address, Decimal(5000))
    assert custody.token.total_supply() == Decimal(15_000)


def test_the_next_test_starts_from_the_modules_deployment(custody: Custody) -> None:
    assert custody.token.total_supply() == Decimal(10_000)  # the mint above was reverted with its snapshot
    assert custody.token.balance_of(custody.bob.address) == 0
    assert not custody.token.is_frozen(custody.alice.address)


def test_an_expired_kyc_stops_transfers_until_it_is_renewed(chain: Chain, custody: Custody) -> None:
    chain.set_next_block_timestamp(int(custody.kyc_expiry.timestamp()) + 1)
    chain.mine()
    assert not custody.registry.is_verified(custody.alice.address)
    check = custody.token.check_transfer(custody.alice.address, custody.omnibus.address, Decimal(1))
    assert (check.code, check.reason) == (Restriction.SENDER_KYC_EXPIRED, "sender KYC expired")
    with nothing_sent(chain, custody.alice), reverts("TransferRestricted", code=Restriction.SENDER_KYC_EXPIRED):
        custody.token.transfer(custody.alice, custody.omnibus.address, Decimal(1))
    custody.registry.renew_kyc(
        custody.issuer, "HK-PI-0001", custody.kyc_expiry.replace(year=custody.kyc_expiry.year + 1)
    )
    custody.token.transfer(custody.alice, custody.omnibus.address, Decimal(1))
    assert custody.token.balance_of(custody.omnibus.address) == Decimal(1)
