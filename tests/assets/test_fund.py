"""The ETF share class end to end on the session anvil: FundToken (the shares) and FundAdministrator (NAV, dealing
epochs, creation and redemption in creation units, claims), every amount to the wei.

Terms of the fund under test: creation unit 1,000 shares (18 decimals), launch NAV HKD 10, NAV at most a day old,
a move of more than 5% needs a second person, subscription fee 10 bps, redemption fee 20 bps, management fee
100 bps a year. HKD has 6 decimals, so 1 HKD = 10**6 base units.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import FundRoles, FundTerms, FundToken, MissingRole, SpecError
from hktoken.contracts.base import deploy_contract
from hktoken.contracts.fund import FundAdministrator
from hktoken.contracts.kinds import interface_id
from hktoken.models.common import chain_time
from hktoken.testing import nothing_sent, reverts
from tests.assets.conftest import Market
from tests.compliance._helpers import (
    ZERO,
    event_args,
    extra_account,
    fund,
    restricted,
    unchanged,
    unfrozen_shortfall,
    when,
)

SHARE = 10**18
HKD = 10**6
UNIT = 1_000 * SHARE  # one creation unit
DAY = 86_400
YEAR = 365 * DAY
MAX_AGE = DAY


@dataclass
class Fx:
    m: Market
    token: FundToken
    adm: FundAdministrator
    fund_admin: LocalAccount
    confirmer: LocalAccount
    cash: LocalAccount
    fees: str
    ap1: LocalAccount
    ap2: LocalAccount
    ap3: LocalAccount  # verified, but not an authorized participant
    inv: LocalAccount  # a verified investor trading on the secondary market
    mgr: LocalAccount  # the management fee receiver

    def publish(self, nav: str, ago: int = 60) -> Any:
        """Publish a NAV valued ``ago`` seconds before now, an hour after the previous step."""
        self.m.chain.increase_time(3600)
        self.m.chain.mine()
        return self.adm.publish_nav(self.fund_admin, self.adm.nav_strike(nav, when(self.m.chain, -ago)))

    def wallets(self) -> list[str]:
        people = (self.ap1, self.ap2, self.ap3, self.inv, self.mgr, self.cash)
        return [*(p.address for p in people), self.fees, self.adm.address]

    def state(self) -> tuple[Any, ...]:
        """Everything a refusal must leave untouched: balances in both tokens, supply, epochs and the pending NAV."""
        raw = self.adm.raw
        epochs = tuple(raw.epoch_of(n) for n in range(1, raw.open_epoch() + 1))
        requests = tuple(
            (raw.pending_subscription_request(n, a.address), raw.pending_redemption_request(n, a.address))
            for n in range(1, raw.open_epoch() + 1)
            for a in (self.ap1, self.ap2)
        )
        return (
            tuple(self.token.raw_balance_of(w) for w in self.wallets()),
            tuple(self.m.hkd.raw_balance_of(w) for w in self.wallets()),
            self.token.raw.total_supply(),
            raw.open_epoch(),
            raw.closed_epoch(),
            raw.pending_nav(),
            raw.last_nav_per_share(),
            raw.cut_off_at(),
            epochs,
            requests,
        )

    def subscribe(self, ap: LocalAccount, cash: str) -> int:
        receipt = self.adm.request_subscription(ap, Decimal(cash))
        return int(event_args(self.adm, receipt, "SubscriptionRequested")[0]["epoch"])

    def settle(self, nav: str) -> int:
        """Publish a NAV within the bound and strike it: returns the struck epoch."""
        self.publish(nav)
        receipt = self.adm.strike(self.fund_admin)
        return int(event_args(self.adm, receipt, "EpochStruck")[0]["epoch"])


def _terms(m: Market, cash: str, fees: str, mgr: str, **overrides: Any) -> FundTerms:
    values: dict[str, Any] = {
        "payment_token": m.hkd.address,
        "cash_account": cash,
        "fee_receiver": fees,
        "creation_unit": Decimal(1000),
        "initial_nav": Decimal(10),
        "max_nav_age": timedelta(seconds=MAX_AGE),
        "nav_move_bound_bps": 500,
        "subscription_fee_bps": 10,
        "redemption_fee_bps": 20,
        "management_fee_bps": 100,
        "management_fee_receiver": mgr,
    }
    return FundTerms(**{**values, **overrides})


@pytest.fixture(scope="module")
def fx(market: Market) -> Fx:
    m = market
    ap1, ap2, ap3, inv, mgr = m.onboard("AP1", "AP2", "AP3", "INV", "MGR", hkd=100_000)
    fund_admin, confirmer, cash = (extra_account(f"fund:{n}") for n in ("admin", "confirmer", "cash"))
    fund(m.chain, fund_admin, confirmer, cash)
    fees = extra_account("fund:fees").address
    token = FundToken.deploy(
        m.chain, m.admin, name="HK Tracker ETF", symbol="HKTE", decimals=18, registry=m.registry,
        roles=m.roles, admin_module=m.admin_module, terms=_terms(m, cash.address, fees, mgr.address),
        fund_roles=FundRoles(
            fund_admins=[fund_admin.address], nav_confirmers=[confirmer.address],
            participants=[ap1.address, ap2.address],
        ),
    )  # fmt: skip
    adm = token.administrator()
    m.hkd.mint(m.admin, cash.address, Decimal(1_000_000))  # the fund's cash, which pays redemptions
    m.hkd.raw.approve(cash, adm.address, 2**256 - 1)
    return Fx(m, token, adm, fund_admin, confirmer, cash, fees, ap1, ap2, ap3, inv, mgr)


# --------------------------------------------------------------------------------------------- deployment


def test_the_deployment_wires_the_administrator_as_treasury_and_issuer(fx: Fx) -> None:
    token, adm, raw = fx.token, fx.adm, fx.adm.raw
    assert token.treasury() == adm.address
    assert token.has_role("ISSUER_ROLE", adm.address) and token.has_role("ISSUER_ROLE", fx.m.issuer.address)
    assert not token.has_role("ISSUER_ROLE", fx.m.admin.address)  # the named issuer holds the duty
    assert adm.has_role("FUND_ADMIN_ROLE", fx.fund_admin.address)
    assert adm.has_role("NAV_CONFIRMER_ROLE", fx.confirmer.address)
    assert [adm.has_role("AP_ROLE", a.address) for a in (fx.ap1, fx.ap2, fx.ap3)] == [True, True, False]
    assert adm.has_role("DEFAULT_ADMIN_ROLE", fx.m.admin.address)
    assert (raw.share_token(), raw.payment_token(), raw.registry()) == (
        token.address,
        fx.m.hkd.address,
        fx.m.registry.address,
    )
    assert (raw.cash_account(), raw.fee_receiver()) == (fx.cash.address, fx.fees)
    assert raw.creation_unit() == UNIT and adm.creation_unit == Decimal(1000)
    assert (raw.max_nav_age(), raw.nav_move_bound_bps()) == (MAX_AGE, 500)
    assert (raw.subscription_fee_bps(), raw.redemption_fee_bps()) == (10, 20)
    assert raw.last_nav_per_share() == 10 * HKD and adm.last_nav() == Decimal(10)
    assert (adm.open_epoch(), adm.closed_epoch(), adm.pending_nav()) == (1, None, None)
    assert (token.management_fee_bps(), token.management_fee_receiver()) == (100, fx.mgr.address)
    assert token.supports_interface(bytes.fromhex("3edbb4c4"))  # ERC-7943, as RWAToken
    assert token.supports_interface(interface_id(fx.m.chain, "IFundToken"))
    assert not token.supports_interface(interface_id(fx.m.chain, "IFundAdministrator"))
    assert adm.raw.supports_interface(bytes.fromhex("7965db0b"))  # IAccessControl


# --------------------------------------------------------------------------------------------- the lifecycle


def test_the_whole_lifecycle_to_the_wei(fx: Fx) -> None:
    adm, token, hkd = fx.adm, fx.token, fx.m.hkd
    # 1. Two APs subscribe with cash in epoch 1.
    assert fx.subscribe(fx.ap1, "25000") == 1
    assert fx.subscribe(fx.ap2, "30090.06") == 1
    assert hkd.raw_balance_of(adm.address) == 55_090_060_000
    assert adm.pending_subscription(1, fx.ap1.address) == Decimal("25000")
    assert adm.claimable_subscription(1, fx.ap1.address) == 0
    assert adm.epoch(1).subscription_cash == Decimal("55090.06")
    # 2. The fund admin publishes NAV 10.02 (within 5% of the launch price): epoch 1 closes, nothing is filled yet.
    receipt = fx.publish("10.02")
    assert event_args(adm, receipt, "NavPublished")[0]["needsConfirmation"] is False
    assert (adm.open_epoch(), adm.closed_epoch()) == (2, 1)
    assert adm.preview_subscription(1, fx.ap1.address).shares == 0
    # 3. The strike settles epoch 1 at 10.02: a unit costs 10,020 HKD, the fee is 10 bps of the cost.
    receipt = adm.strike(fx.fund_admin)
    struck = event_args(adm, receipt, "EpochStruck")[0]
    assert struck == {
        "epoch": 1, "navPerShare": 10_020_000, "asOf": struck["asOf"], "subscriptionCash": 55_090_060_000,
        "redemptionShares": 0, "redemptionCash": 0,
    }  # fmt: skip
    assert adm.pending_subscription(1, fx.ap1.address) == 0
    assert adm.claimable_subscription(1, fx.ap1.address) == Decimal("25000")
    # 25,000 HKD buy floor(25000 / (10020 * 1.001)) = 2 units: cost 20,040, fee 20.04, refund 4,939.96.
    assert adm.preview_subscription(1, fx.ap1.address).refund == Decimal("4939.96")
    receipt = adm.claim_subscription(fx.ap1, 1)
    assert event_args(adm, receipt, "SubscriptionClaimed") == [
        {"participant": fx.ap1.address, "epoch": 1, "shares": 2 * UNIT, "cost": 20_040 * HKD, "fee": 20_040_000,
         "refund": 4_939_960_000}
    ]  # fmt: skip
    assert event_args(token, receipt, "Transfer") == [{"from": ZERO, "to": fx.ap1.address, "value": 2 * UNIT}]
    # 30,090.06 HKD buy exactly 3 units with their fee: nothing is refunded.
    receipt = adm.claim_subscription(fx.ap2, 1)
    assert event_args(adm, receipt, "SubscriptionClaimed")[0] | {"participant": None} == {
        "participant": None, "epoch": 1, "shares": 3 * UNIT, "cost": 30_060 * HKD, "fee": 30_060_000, "refund": 0
    }  # fmt: skip
    assert token.raw_balance_of(fx.ap1.address) == 2 * UNIT and token.raw_balance_of(fx.ap2.address) == 3 * UNIT
    assert token.raw.total_supply() == 5 * UNIT
    assert hkd.raw_balance_of(fx.ap1.address) == 100_000 * HKD - 25_000 * HKD + 4_939_960_000
    assert hkd.raw_balance_of(fx.ap2.address) == 100_000 * HKD - 30_090_060_000
    assert hkd.raw_balance_of(fx.cash.address) == 1_000_000 * HKD + 50_100 * HKD
    assert hkd.raw_balance_of(fx.fees) == 20_040_000 + 30_060_000
    assert hkd.raw_balance_of(adm.address) == 0
    # 4. Secondary trading between verified investors, as for any RWA token.
    token.transfer(fx.ap1, fx.inv.address, Decimal(500))
    assert token.raw_balance_of(fx.inv.address) == 500 * SHARE
    # 5. AP1 redeems one creation unit in epoch 2: its shares are escrowed in the administrator (the treasury).
    receipt = adm.request_redemption(fx.ap1, Decimal(1000))
    assert event_args(adm, receipt, "RedemptionRequested") == [
        {"participant": fx.ap1.address, "epoch": 2, "shares": UNIT}
    ]
    assert token.raw_balance_of(adm.address) == UNIT and token.raw_balance_of(fx.ap1.address) == 500 * SHARE
    assert token.holder_count() == 3  # AP1, AP2, INV: the treasury escrow is no investor
    assert adm.pending_redemption(2, fx.ap1.address) == Decimal(1000)
    # 6. NAV 10.40 (+3.8%), strike: the management fee since the last strike is minted on the 5 units outstanding
    # (1% a year, rounded down), then the unit is burned and its 10,400 HKD collected from the cash account.
    accrued_from = token.raw.last_management_fee_accrual()
    fx.publish("10.40")
    receipt = adm.strike(fx.fund_admin)
    struck_at = fx.m.chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    fee_shares = 5 * UNIT * 100 * (struck_at - accrued_from) // (10_000 * YEAR)
    assert fee_shares > 0
    assert event_args(adm, receipt, "EpochStruck")[0]["redemptionCash"] == 10_400 * HKD
    assert event_args(token, receipt, "Transfer") == [
        {"from": ZERO, "to": fx.mgr.address, "value": fee_shares},
        {"from": adm.address, "to": ZERO, "value": UNIT},
    ]
    assert token.raw.total_supply() == 4 * UNIT + fee_shares and token.raw_balance_of(adm.address) == 0
    assert token.raw_balance_of(fx.mgr.address) == fee_shares
    assert hkd.raw_balance_of(adm.address) == 10_400 * HKD
    assert adm.claimable_redemption(2, fx.ap1.address) == Decimal(1000)
    # 7. AP1 claims: 10,400 HKD less the 20 bps fee (20.80).
    before = hkd.raw_balance_of(fx.ap1.address)
    receipt = adm.claim_redemption(fx.ap1, 2)
    assert event_args(adm, receipt, "RedemptionClaimed") == [
        {"participant": fx.ap1.address, "epoch": 2, "shares": UNIT, "proceeds": 10_400 * HKD, "fee": 20_800_000,
         "paid": 10_379_200_000}
    ]  # fmt: skip
    assert hkd.raw_balance_of(fx.ap1.address) - before == 10_379_200_000
    assert hkd.raw_balance_of(fx.fees) == 50_100_000 + 20_800_000
    assert hkd.raw_balance_of(adm.address) == 0
    assert hkd.raw_balance_of(fx.cash.address) == 1_000_000 * HKD + 50_100 * HKD - 10_400 * HKD
    assert adm.claimable_redemption(2, fx.ap1.address) == 0
    # 8. Nothing is claimed twice.
    with unchanged(fx.m.chain, fx.ap1, watch=fx.state), reverts("NoRequest", participant=fx.ap1.address, epoch=2):
        adm.claim_redemption(fx.ap1, 2)
    with unchanged(fx.m.chain, fx.ap1, watch=fx.state), reverts("NoRequest", participant=fx.ap1.address, epoch=1):
        adm.claim_subscription(fx.ap1, 1)


def test_a_request_made_after_a_nav_is_filled_only_at_the_next_nav(fx: Fx) -> None:
    adm = fx.adm
    assert fx.subscribe(fx.ap1, "10010") == 1
    fx.publish("10.00")  # closes epoch 1
    assert fx.subscribe(fx.ap2, "10510.5") == 2  # after the NAV: the next epoch
    adm.strike(fx.fund_admin)
    assert adm.claimable_subscription(1, fx.ap2.address) == 0
    assert adm.pending_subscription(2, fx.ap2.address) == Decimal("10510.5")
    assert adm.claimable_subscription(2, fx.ap2.address) == 0
    with unchanged(fx.m.chain, fx.ap2, watch=fx.state), reverts("EpochNotStruck", epoch=2):
        adm.claim_subscription(fx.ap2, 2)
    # Republishing before the strike replaces the NAV but keeps the same closed epoch; AP2 falls in epoch 2 only.
    fx.publish("10.60")  # +6%: needs a confirmation
    fx.publish("10.50")  # replaced: +5% exactly is within the bound
    pending = adm.pending_nav()
    assert pending is not None and (pending.epoch, pending.nav_per_share, pending.needs_confirmation) == (
        2,
        Decimal("10.5"),
        False,
    )
    adm.strike(fx.fund_admin)
    assert adm.epoch(2).nav_per_share == Decimal("10.5")
    receipt = adm.claim_subscription(fx.ap2, 2)  # 10,510.50 = one unit at 10.50 plus its 10.50 fee
    assert event_args(adm, receipt, "SubscriptionClaimed")[0]["shares"] == UNIT
    assert event_args(adm, receipt, "SubscriptionClaimed")[0]["refund"] == 0
    receipt = adm.claim_subscription(fx.ap1, 1)  # epoch 1 at 10.00: 10,010 = one unit plus its fee
    assert event_args(adm, receipt, "SubscriptionClaimed")[0]["cost"] == 10_000 * HKD


# --------------------------------------------------------------------------------------------- NAV guards


def test_a_stale_nav_cannot_be_published_or_struck(fx: Fx) -> None:
    adm, chain = fx.adm, fx.m.chain
    fx.subscribe(fx.ap1, "10010")
    old = chain.timestamp() - MAX_AGE - 1
    with unchanged(chain, fx.fund_admin, watch=fx.state), reverts("NavStale", asOf=old, maxAge=MAX_AGE):
        adm.raw.publish_nav(fx.fund_admin, 10 * HKD, old)
    fx.publish("10.00", ago=60)
    chain.increase_time(MAX_AGE)  # now the published NAV is a day and a minute old
    chain.mine()
    pending = adm.pending_nav()
    assert pending is not None
    as_of = int(pending.as_of.timestamp())
    with unchanged(chain, fx.fund_admin, watch=fx.state), reverts("NavStale", asOf=as_of, maxAge=MAX_AGE):
        adm.strike(fx.fund_admin)
    # A fresh NAV replaces it, for the same closed epoch, and strikes.
    fx.publish("10.00")
    assert adm.pending_nav() is not None and adm.closed_epoch() == 1
    adm.strike(fx.fund_admin)
    assert adm.epoch(1).struck


def test_a_nav_at_the_age_limit_still_strikes(fx: Fx) -> None:
    fx.subscribe(fx.ap1, "10010")
    fx.publish("10.00", ago=0)
    pending = fx.adm.pending_nav()
    assert pending is not None
    fx.m.chain.set_next_block_timestamp(int(pending.as_of.timestamp()) + MAX_AGE)
    fx.adm.strike(fx.fund_admin)
    assert fx.adm.epoch(1).nav_per_share == Decimal(10)


def test_a_nav_that_moved_beyond_the_bound_needs_a_second_person(fx: Fx) -> None:
    adm, chain = fx.adm, fx.m.chain
    fx.subscribe(fx.ap1, "10510.5")
    receipt = fx.publish("10.500001")  # just over +5%
    assert event_args(adm, receipt, "NavPublished")[0]["needsConfirmation"] is True
    with (
        unchanged(chain, fx.fund_admin, watch=fx.state),
        reverts("NavNotConfirmed", navPerShare=10_500_001, lastNavPerShare=10 * HKD),
    ):
        adm.strike(fx.fund_admin)
    # The publisher cannot confirm its own NAV, even holding the confirmer role.
    adm.grant_role(fx.m.admin, "NAV_CONFIRMER_ROLE", fx.fund_admin.address)
    with (
        unchanged(chain, fx.fund_admin, watch=fx.state),
        reverts("ConfirmerIsPublisher", account=fx.fund_admin.address),
    ):
        adm.confirm_nav(fx.fund_admin, Decimal("10.500001"))
    # The confirmer must confirm the value pending, not another.
    with (
        unchanged(chain, fx.confirmer, watch=fx.state),
        reverts("NavMismatch", navPerShare=10_600_000, pendingNavPerShare=10_500_001),
    ):
        adm.confirm_nav(fx.confirmer, Decimal("10.6"))
    receipt = adm.confirm_nav(fx.confirmer, Decimal("10.500001"))
    assert event_args(adm, receipt, "NavConfirmed") == [
        {"epoch": 1, "navPerShare": 10_500_001, "confirmer": fx.confirmer.address}
    ]
    adm.strike(fx.fund_admin)
    assert adm.last_nav() == Decimal("10.500001")


def test_republishing_resets_the_confirmation(fx: Fx) -> None:
    adm = fx.adm
    fx.publish("12")
    adm.confirm_nav(fx.confirmer, Decimal(12))
    fx.publish("12.5")  # another value: the confirmation was for 12
    with unchanged(fx.m.chain, fx.fund_admin, watch=fx.state), reverts("NavNotConfirmed", navPerShare=12_500_000):
        adm.strike(fx.fund_admin)


def test_a_move_down_counts_as_a_move(fx: Fx) -> None:
    receipt = fx.publish("9.5")  # -5% exactly: within
    assert event_args(fx.adm, receipt, "NavPublished")[0]["needsConfirmation"] is False
    receipt = fx.publish("9.499999")  # just beyond
    assert event_args(fx.adm, receipt, "NavPublished")[0]["needsConfirmation"] is True


def test_bad_navs_are_refused_on_chain_and_before_sending(fx: Fx) -> None:
    adm, chain, signer = fx.adm, fx.m.chain, fx.fund_admin
    now = chain.timestamp()
    with unchanged(chain, signer, watch=fx.state), reverts("InvalidNav", navPerShare=0):
        adm.raw.publish_nav(signer, 0, now)
    future = now + 3600
    with unchanged(chain, signer, watch=fx.state), reverts("NavFromTheFuture", asOf=future):
        adm.raw.publish_nav(signer, 10 * HKD, future)
    fx.settle("10")
    last = adm.raw.last_nav_as_of()
    with unchanged(chain, signer, watch=fx.state), reverts("NavNotNewer", asOf=last, lastAsOf=last):
        adm.raw.publish_nav(signer, 10 * HKD, last)
    with unchanged(chain, signer, watch=fx.state), reverts("NoNavPending"):
        adm.strike(signer)
    with unchanged(chain, fx.confirmer, watch=fx.state), reverts("NoNavPending"):
        adm.confirm_nav(fx.confirmer, Decimal(10))
    # The wrapper refuses before sending: a future time (by the chain's clock), too many decimals, not positive.
    for nav, as_of, field in (
        ("10", when(chain, 3600), "as_of"),
        ("10.0000001", when(chain, -1), "nav_per_share"),
        ("0", when(chain, -1), "nav_per_share"),
    ):
        with nothing_sent(chain, signer), pytest.raises(SpecError, match=field):
            adm.publish_nav(signer, adm.nav_strike(nav, as_of))


# --------------------------------------------------------------------------------------------- requests and cancels


def test_a_request_cancelled_before_the_nav_returns_everything(fx: Fx) -> None:
    adm, token, hkd = fx.adm, fx.token, fx.m.hkd
    fx.subscribe(fx.ap1, "20020")
    fx.settle("10")
    adm.claim_subscription(fx.ap1, 1)  # AP1 holds 2 units
    start = fx.state()
    fx.subscribe(fx.ap1, "5000.5")
    adm.request_redemption(fx.ap1, Decimal(2000))
    assert adm.epoch(2).subscription_cash == Decimal("5000.5") and adm.epoch(2).redemption_shares == 2000
    receipt = adm.cancel_subscription(fx.ap1, 2)
    assert event_args(adm, receipt, "SubscriptionCancelled") == [
        {"participant": fx.ap1.address, "epoch": 2, "cash": 5_000_500_000}
    ]
    receipt = adm.cancel_redemption(fx.ap1, 2)
    assert event_args(adm, receipt, "RedemptionCancelled") == [
        {"participant": fx.ap1.address, "epoch": 2, "shares": 2 * UNIT}
    ]
    assert event_args(token, receipt, "Transfer") == [{"from": adm.address, "to": fx.ap1.address, "value": 2 * UNIT}]
    assert adm.epoch(2).subscription_cash == 0 and adm.epoch(2).redemption_shares == 0
    assert hkd.raw_balance_of(fx.ap1.address) == start[1][0] and token.raw_balance_of(fx.ap1.address) == 2 * UNIT
    # The strike of the now empty epoch moves nothing but the management fee the time since the last one earned
    # (how much depends on the node's clock: anvil mines a second apart, Hardhat by the wall clock).
    fx.publish("10")
    receipt = adm.strike(fx.fund_admin)
    minted = event_args(token, receipt, "Transfer")
    assert all(e["from"] == ZERO and e["to"] == fx.mgr.address for e in minted)
    fee = sum(int(e["value"]) for e in minted)
    assert token.raw.total_supply() == 2 * UNIT + fee and hkd.raw_balance_of(adm.address) == 0


def test_a_cancel_after_the_nav_or_the_strike_is_refused(fx: Fx) -> None:
    adm, chain = fx.adm, fx.m.chain
    fx.subscribe(fx.ap1, "10010")
    fx.publish("10")  # closes epoch 1: no free option on a NAV already known
    with unchanged(chain, fx.ap1, watch=fx.state), reverts("EpochNotOpen", epoch=1, openEpoch=2):
        adm.cancel_subscription(fx.ap1, 1)
    adm.strike(fx.fund_admin)
    with unchanged(chain, fx.ap1, watch=fx.state), reverts("EpochNotOpen", epoch=1, openEpoch=2):
        adm.cancel_subscription(fx.ap1, 1)
    with unchanged(chain, fx.ap2, watch=fx.state), reverts("NoRequest", participant=fx.ap2.address, epoch=2):
        adm.cancel_subscription(fx.ap2, 2)
    with unchanged(chain, fx.ap2, watch=fx.state), reverts("NoRequest", participant=fx.ap2.address, epoch=2):
        adm.cancel_redemption(fx.ap2, 2)


def test_redemptions_come_in_whole_creation_units(fx: Fx) -> None:
    adm, chain = fx.adm, fx.m.chain
    fx.subscribe(fx.ap1, "20020")
    fx.settle("10")
    adm.claim_subscription(fx.ap1, 1)
    fx.token.approve(fx.ap1, adm.address, Decimal(2000))
    for shares in (1500 * SHARE, UNIT + 1, 999 * SHARE):
        with (
            unchanged(chain, fx.ap1, watch=fx.state),
            reverts("NotCreationUnitMultiple", shares=shares, creationUnit=UNIT),
        ):
            adm.raw.request_redemption(fx.ap1, shares)
    with unchanged(chain, fx.ap1, watch=fx.state), reverts("ZeroAmount"):
        adm.raw.request_redemption(fx.ap1, 0)
    with unchanged(chain, fx.ap1, watch=fx.state), reverts("ZeroAmount"):
        adm.raw.request_subscription(fx.ap1, 0)
    # The wrapper refuses before anything is sent (not even the approval).
    for amount in ("1500", "0", "3000"):  # not a multiple; zero; more than AP1 holds
        with nothing_sent(chain, fx.ap1), pytest.raises(SpecError, match="shares"):
            adm.request_redemption(fx.ap1, Decimal(amount))
    with nothing_sent(chain, fx.ap1), pytest.raises(SpecError, match="cash"):
        adm.request_subscription(fx.ap1, Decimal("1000000"))


def test_cash_short_of_one_unit_is_refunded_whole_at_the_claim(fx: Fx) -> None:
    adm, hkd = fx.adm, fx.m.hkd
    before = hkd.raw_balance_of(fx.ap1.address)
    fx.subscribe(fx.ap1, "10009.999999")  # one unit at 10.00 costs 10,010 with its fee: one wei short
    fx.settle("10")
    receipt = adm.claim_subscription(fx.ap1, 1)
    assert event_args(adm, receipt, "SubscriptionClaimed")[0] | {"participant": None} == {
        "participant": None, "epoch": 1, "shares": 0, "cost": 0, "fee": 0, "refund": 10_009_999_999
    }  # fmt: skip
    assert fx.token.event_names(receipt) == []  # nothing minted
    assert hkd.raw_balance_of(fx.ap1.address) == before


# --------------------------------------------------------------------------------------------- roles


def test_every_role_check(fx: Fx) -> None:
    adm, token, chain = fx.adm, fx.token, fx.m.chain
    stranger = fx.ap3  # verified, holds no role
    fund_admin_role, confirmer_role, ap_role = (
        adm.role(r) for r in ("FUND_ADMIN_ROLE", "NAV_CONFIRMER_ROLE", "AP_ROLE")
    )
    with (
        unchanged(chain, stranger, watch=fx.state),
        reverts("AccessControlUnauthorizedAccount", account=stranger.address, neededRole=fund_admin_role),
    ):
        adm.raw.publish_nav(stranger, 10 * HKD, chain.timestamp())
    fx.publish("11")  # +10%: needs a confirmer
    with (
        unchanged(chain, stranger, watch=fx.state),
        reverts("AccessControlUnauthorizedAccount", account=stranger.address, neededRole=confirmer_role),
    ):
        adm.confirm_nav(stranger, Decimal(11))
    adm.confirm_nav(fx.confirmer, Decimal(11))
    with (
        unchanged(chain, fx.confirmer, watch=fx.state),
        reverts("AccessControlUnauthorizedAccount", account=fx.confirmer.address, neededRole=fund_admin_role),
    ):
        adm.strike(fx.confirmer)  # the confirmer does not strike
    adm.strike(fx.fund_admin)
    fx.m.hkd.raw.approve(stranger, adm.address, 10**12)
    with (
        unchanged(chain, stranger, watch=fx.state),
        reverts("AccessControlUnauthorizedAccount", account=stranger.address, neededRole=ap_role),
    ):
        adm.raw.request_subscription(stranger, 10**10)
    with (
        unchanged(chain, stranger, watch=fx.state),
        reverts("AccessControlUnauthorizedAccount", account=stranger.address, neededRole=ap_role),
    ):
        adm.raw.request_redemption(stranger, UNIT)
    with nothing_sent(chain, stranger), pytest.raises(SpecError, match="not an authorized participant"):
        adm.request_subscription(stranger, Decimal(100))
    # Granting and the administrator's roles are the admin's; the fund admin cannot grant.
    with unchanged(chain, fx.fund_admin, watch=fx.state), pytest.raises(MissingRole):
        adm.grant_role(fx.fund_admin, "AP_ROLE", stranger.address)
    # The token's own duties stay separate: the fund admin cannot mint shares directly.
    with (
        unchanged(chain, fx.fund_admin, watch=fx.state),
        reverts("AccessControlUnauthorizedAccount", account=fx.fund_admin.address),
    ):
        token.raw.mint(fx.fund_admin, fx.ap1.address, UNIT)
    with (
        unchanged(chain, stranger, watch=fx.state),
        reverts("AccessControlUnauthorizedAccount", account=stranger.address, neededRole=bytes(32)),
    ):
        token.set_management_fee_receiver(stranger, stranger.address)


def test_the_ap_role_goes_only_to_verified_wallets_and_is_checked_again_at_each_request(fx: Fx) -> None:
    adm, chain, admin = fx.adm, fx.m.chain, fx.m.admin
    outsider = extra_account("fund:outsider")
    with unchanged(chain, admin, watch=fx.state), reverts("ParticipantNotVerified", account=outsider.address):
        adm.grant_role(admin, "AP_ROLE", outsider.address)
    assert not adm.has_role("AP_ROLE", outsider.address)
    # An AP whose investor is revoked can no longer request, though it keeps the role.
    fx.m.registry.revoke(admin, "AP1")
    assert adm.has_role("AP_ROLE", fx.ap1.address)
    fx.m.hkd.raw.approve(fx.ap1, adm.address, 10**12)
    with unchanged(chain, fx.ap1, watch=fx.state), reverts("ParticipantNotVerified", account=fx.ap1.address):
        adm.raw.request_subscription(fx.ap1, 10**10)
    with nothing_sent(chain, fx.ap1), pytest.raises(SpecError, match="not verified"):
        adm.request_subscription(fx.ap1, Decimal(100))
    fx.m.registry.reinstate(admin, "AP1")
    assert fx.subscribe(fx.ap1, "100") == 1


# --------------------------------------------------------------------------------------------- compliance at claim


def test_a_subscription_mints_only_to_an_ap_still_eligible(fx: Fx) -> None:
    adm, token, chain = fx.adm, fx.token, fx.m.chain
    fx.subscribe(fx.ap1, "10010")
    fx.settle("10")
    token.set_address_frozen(fx.m.agent, fx.ap1.address, True)
    with unchanged(chain, fx.ap1, watch=fx.state), restricted(5, ZERO, fx.ap1.address, UNIT):
        adm.claim_subscription(fx.ap1, 1)
    token.set_address_frozen(fx.m.agent, fx.ap1.address, False)
    token.pause(fx.m.pauser)
    with unchanged(chain, fx.ap1, watch=fx.state), restricted(1, ZERO, fx.ap1.address, UNIT):
        adm.claim_subscription(fx.ap1, 1)
    token.unpause(fx.m.pauser)
    adm.claim_subscription(fx.ap1, 1)
    assert token.raw_balance_of(fx.ap1.address) == UNIT


def test_a_subscription_the_token_will_not_mint_is_refunded_in_full(fx: Fx) -> None:
    """The reviewer's case: AP1's KYC is revoked after the strike. The claim's mint is refused (code 3), the cancel
    window is closed, and without the refund 10,010 HKD would stay in the administrator for good."""
    adm, token, hkd, chain = fx.adm, fx.token, fx.m.hkd, fx.m.chain
    start = hkd.raw_balance_of(fx.ap1.address)
    cash0, fees0, supply0 = hkd.raw_balance_of(fx.cash.address), hkd.raw_balance_of(fx.fees), token.raw.total_supply()
    fx.subscribe(fx.ap1, "10010")
    fx.settle("10")
    fx.m.registry.revoke(fx.m.admin, "AP1")
    with unchanged(chain, fx.ap1, watch=fx.state), restricted(3, ZERO, fx.ap1.address, UNIT):
        adm.claim_subscription(fx.ap1, 1)
    with unchanged(chain, fx.ap1, watch=fx.state), reverts("EpochNotOpen", epoch=1, openEpoch=2):
        adm.cancel_subscription(fx.ap1, 1)
    assert hkd.raw_balance_of(adm.address) == 10_010 * HKD
    receipt = adm.refund_subscription(fx.ap1, 1)
    assert event_args(adm, receipt, "SubscriptionRefunded") == [
        {"participant": fx.ap1.address, "epoch": 1, "shares": UNIT, "code": 3, "cash": 10_010 * HKD,
         "by": fx.ap1.address}
    ]  # fmt: skip
    assert event_args(hkd, receipt, "Transfer") == [{"from": adm.address, "to": fx.ap1.address, "value": 10_010 * HKD}]
    assert token.event_names(receipt) == []  # nothing minted
    # The AP has exactly what it escrowed back (the fee too: no share was issued); the fund and its fee receiver
    # got nothing, the administrator keeps nothing, and the epoch's record of what the strike saw is unchanged.
    assert hkd.raw_balance_of(fx.ap1.address) == start
    assert (hkd.raw_balance_of(fx.cash.address), hkd.raw_balance_of(fx.fees)) == (cash0, fees0)
    assert hkd.raw_balance_of(adm.address) == 0 and token.raw.total_supply() == supply0
    assert adm.claimable_subscription(1, fx.ap1.address) == 0 and adm.pending_subscription(1, fx.ap1.address) == 0
    assert adm.preview_subscription(1, fx.ap1.address) == adm.preview_subscription(1, fx.ap3.address)  # all zero
    assert adm.epoch(1).subscription_cash == Decimal(10_010)
    # Closed: neither a second refund nor a claim once the AP is eligible again.
    with unchanged(chain, fx.ap1, watch=fx.state), reverts("NoRequest", participant=fx.ap1.address, epoch=1):
        adm.refund_subscription(fx.ap1, 1)
    fx.m.registry.reinstate(fx.m.admin, "AP1")
    with unchanged(chain, fx.ap1, watch=fx.state), reverts("NoRequest", participant=fx.ap1.address, epoch=1):
        adm.claim_subscription(fx.ap1, 1)
    with unchanged(chain, fx.fund_admin, watch=fx.state), reverts("NoRequest", participant=fx.ap1.address, epoch=1):
        adm.refund_subscription(fx.fund_admin, 1, fx.ap1.address)


def test_settle_claims_settles_each_ap_exactly_as_its_own_claim_would(fx: Fx) -> None:
    """``settleClaims`` (FUND_ADMIN_ROLE) for a list of APs: subscriptions filled (shares, cost, fee, refund),
    redemptions paid, an AP with nothing to claim or whose shares the token refuses skipped with ClaimSkipped (and
    still refundable); a second settle finds nothing; refused before the strike and without the role."""
    adm, token, hkd, chain = fx.adm, fx.token, fx.m.hkd, fx.m.chain
    fx.subscribe(fx.ap1, "10010")  # one creation unit at NAV 10 plus the 10 bps fee
    fx.subscribe(fx.ap2, "20025")  # two units, HKD 5 refunded
    with unchanged(chain, fx.fund_admin, watch=fx.state), reverts("EpochNotStruck", epoch=1):
        adm.settle_claims(fx.fund_admin, 1, [fx.ap1.address])
    epoch = fx.settle("10")
    role = adm.role("FUND_ADMIN_ROLE")
    with (
        unchanged(chain, fx.ap1, watch=fx.state),
        reverts("AccessControlUnauthorizedAccount", account=fx.ap1.address, neededRole=role),
    ):
        adm.settle_claims(fx.ap1, epoch, [fx.ap1.address])
    ap1, ap2, cash0, fees0 = (hkd.raw_balance_of(a) for a in (fx.ap1.address, fx.ap2.address, fx.cash.address,
                                                                fx.fees))  # fmt: skip
    receipt = adm.settle_claims(fx.fund_admin, epoch, [fx.ap1.address, fx.ap3.address, fx.ap2.address])
    assert event_args(adm, receipt, "SubscriptionClaimed") == [
        {"participant": fx.ap1.address, "epoch": epoch, "shares": UNIT, "cost": 10_000 * HKD, "fee": 10 * HKD,
         "refund": 0},
        {"participant": fx.ap2.address, "epoch": epoch, "shares": 2 * UNIT, "cost": 20_000 * HKD, "fee": 20 * HKD,
         "refund": 5 * HKD},
    ]  # fmt: skip
    assert event_args(adm, receipt, "ClaimSkipped") == [{"participant": fx.ap3.address, "epoch": epoch, "code": 0}]
    assert (token.raw_balance_of(fx.ap1.address), token.raw_balance_of(fx.ap2.address)) == (UNIT, 2 * UNIT)
    assert hkd.raw_balance_of(fx.ap1.address) == ap1 and hkd.raw_balance_of(fx.ap2.address) == ap2 + 5 * HKD
    assert hkd.raw_balance_of(fx.cash.address) == cash0 + 30_000 * HKD
    assert hkd.raw_balance_of(fx.fees) == fees0 + 30 * HKD
    assert hkd.raw_balance_of(adm.address) == 0
    again = adm.settle_claims(fx.fund_admin, epoch, [fx.ap1.address, fx.ap2.address])
    assert event_args(adm, again, "ClaimSkipped") == [
        {"participant": fx.ap1.address, "epoch": epoch, "code": 0},
        {"participant": fx.ap2.address, "epoch": epoch, "code": 0},
    ]
    assert token.raw_balance_of(fx.ap1.address) == UNIT  # nothing settled twice

    # A redemption and a subscription the token refuses (AP2's KYC revoked after the strike).
    adm.request_redemption(fx.ap1, Decimal(1000))
    fx.subscribe(fx.ap2, "10010")
    second = fx.settle("10")
    fx.m.registry.revoke(fx.m.admin, "AP2")
    ap1, cash0, fees0 = (hkd.raw_balance_of(a) for a in (fx.ap1.address, fx.cash.address, fx.fees))
    receipt = adm.settle_claims(fx.fund_admin, second, [fx.ap2.address, fx.ap1.address])
    assert event_args(adm, receipt, "ClaimSkipped") == [{"participant": fx.ap2.address, "epoch": second, "code": 3}]
    assert event_args(adm, receipt, "RedemptionClaimed") == [
        {"participant": fx.ap1.address, "epoch": second, "shares": UNIT, "proceeds": 10_000 * HKD, "fee": 20 * HKD,
         "paid": 9_980 * HKD}
    ]  # fmt: skip
    assert hkd.raw_balance_of(fx.ap1.address) == ap1 + 9_980 * HKD
    assert (hkd.raw_balance_of(fx.cash.address), hkd.raw_balance_of(fx.fees)) == (cash0, fees0 + 20 * HKD)
    assert token.raw_balance_of(fx.ap1.address) == 0
    assert adm.claimable_subscription(second, fx.ap2.address) == Decimal(10_010)  # still open: refundable
    adm.refund_subscription(fx.fund_admin, second, fx.ap2.address)
    assert hkd.raw_balance_of(adm.address) == 0
    with pytest.raises(SpecError, match="at least one participant"):
        adm.settle_claims(fx.fund_admin, second, [])


def test_a_refund_is_refused_while_the_claim_would_work(fx: Fx) -> None:
    adm, chain = fx.adm, fx.m.chain
    fx.subscribe(fx.ap1, "10010")
    fx.subscribe(fx.ap2, "10009.999999")  # one wei short of a unit: the claim refunds it all, mints nothing
    with unchanged(chain, fx.ap1, watch=fx.state), reverts("EpochNotStruck", epoch=1):
        adm.refund_subscription(fx.ap1, 1)
    fx.publish("10")
    with unchanged(chain, fx.ap1, watch=fx.state), reverts("EpochNotStruck", epoch=1):
        adm.refund_subscription(fx.ap1, 1)
    adm.strike(fx.fund_admin)
    with (
        unchanged(chain, fx.ap1, watch=fx.state),
        reverts("SubscriptionClaimable", participant=fx.ap1.address, epoch=1, shares=UNIT),
    ):
        adm.refund_subscription(fx.ap1, 1)
    with (
        unchanged(chain, fx.fund_admin, watch=fx.state),
        reverts("SubscriptionClaimable", participant=fx.ap1.address, epoch=1, shares=UNIT),
    ):
        adm.refund_subscription(fx.fund_admin, 1, fx.ap1.address)
    with (
        unchanged(chain, fx.ap2, watch=fx.state),
        reverts("SubscriptionClaimable", participant=fx.ap2.address, epoch=1, shares=0),
    ):
        adm.refund_subscription(fx.ap2, 1)
    with unchanged(chain, fx.ap3, watch=fx.state), reverts("NoRequest", participant=fx.ap3.address, epoch=1):
        adm.refund_subscription(fx.ap3, 1)
    with unchanged(chain, fx.ap1, watch=fx.state), reverts("EpochNotStruck", epoch=2):
        adm.refund_subscription(fx.ap1, 2)  # the open epoch
    with nothing_sent(chain, fx.ap1), pytest.raises(SpecError, match="epoch"):
        adm.refund_subscription(fx.ap1, 0)
    with nothing_sent(chain, fx.fund_admin), pytest.raises(SpecError, match="participant"):
        adm.refund_subscription(fx.fund_admin, 1, "0x1234")
    adm.claim_subscription(fx.ap1, 1)
    assert fx.token.raw_balance_of(fx.ap1.address) == UNIT


def test_only_the_ap_or_a_fund_admin_refunds_and_only_to_the_ap(fx: Fx) -> None:
    """AP1 is frozen after the strike (code 5). Another AP, a NAV confirmer, a stranger and the admin cannot ask for
    its refund; a fund admin can, and the cash still goes to AP1 alone."""
    adm, token, hkd, chain = fx.adm, fx.token, fx.m.hkd, fx.m.chain
    start = hkd.raw_balance_of(fx.ap1.address)
    fx.subscribe(fx.ap1, "25000")  # 2 units at 10: cost 20,000, fee 20, remainder 4,980
    fx.settle("10")
    token.set_address_frozen(fx.m.agent, fx.ap1.address, True)
    fund_admin_role = adm.role("FUND_ADMIN_ROLE")
    for caller in (fx.ap2, fx.confirmer, fx.ap3, fx.m.admin):
        with (
            unchanged(chain, caller, watch=fx.state),
            reverts("AccessControlUnauthorizedAccount", account=caller.address, neededRole=fund_admin_role),
        ):
            adm.refund_subscription(caller, 1, fx.ap1.address)
    admin_before = hkd.raw_balance_of(fx.fund_admin.address)
    receipt = adm.refund_subscription(fx.fund_admin, 1, fx.ap1.address)
    assert event_args(adm, receipt, "SubscriptionRefunded") == [
        {"participant": fx.ap1.address, "epoch": 1, "shares": 2 * UNIT, "code": 5, "cash": 25_000 * HKD,
         "by": fx.fund_admin.address}
    ]  # fmt: skip
    assert hkd.raw_balance_of(fx.ap1.address) == start
    assert hkd.raw_balance_of(fx.fund_admin.address) == admin_before
    assert hkd.raw_balance_of(adm.address) == 0


def test_an_epoch_with_a_claim_and_a_refund_accounts_for_every_wei(fx: Fx) -> None:
    """Two subscriptions and a redemption in one epoch; AP2's 3 units would break the 2,000-share balance limit
    (code 10). The claim, the refund and the redemption together pay out exactly what the epoch escrowed and the
    strike collected: the refund takes nothing of the redemption cash the strike pulled in."""
    adm, token, hkd = fx.adm, fx.token, fx.m.hkd
    fx.subscribe(fx.ap1, "20020")
    fx.settle("10")
    adm.claim_subscription(fx.ap1, 1)  # AP1 holds 2 units
    cash0, fees0 = hkd.raw_balance_of(fx.cash.address), hkd.raw_balance_of(fx.fees)
    ap2_start = hkd.raw_balance_of(fx.ap2.address)
    fx.subscribe(fx.ap1, "10010")
    fx.subscribe(fx.ap2, "30030")
    adm.request_redemption(fx.ap1, Decimal(1000))
    fx.publish("10")
    struck = event_args(adm, adm.strike(fx.fund_admin), "EpochStruck")[0]
    assert (struck["subscriptionCash"], struck["redemptionCash"]) == (40_040 * HKD, 10_000 * HKD)
    assert hkd.raw_balance_of(adm.address) == 50_040 * HKD
    token.raw.set_max_balance_per_investor(fx.m.compliance, 2 * UNIT)
    with unchanged(fx.m.chain, fx.ap2, watch=fx.state), restricted(10, ZERO, fx.ap2.address, 3 * UNIT):
        adm.claim_subscription(fx.ap2, 2)
    refunded = event_args(adm, adm.refund_subscription(fx.ap2, 2), "SubscriptionRefunded")[0]
    assert (refunded["shares"], refunded["code"], refunded["cash"]) == (3 * UNIT, 10, 30_030 * HKD)
    assert hkd.raw_balance_of(adm.address) == 20_010 * HKD  # AP1's subscription and its redemption, untouched
    claimed = event_args(adm, adm.claim_subscription(fx.ap1, 2), "SubscriptionClaimed")[0]
    paid = event_args(adm, adm.claim_redemption(fx.ap1, 2), "RedemptionClaimed")[0]
    assert (claimed["cost"], claimed["fee"], claimed["refund"]) == (10_000 * HKD, 10 * HKD, 0)
    assert (paid["proceeds"], paid["fee"], paid["paid"]) == (10_000 * HKD, 20 * HKD, 9_980 * HKD)
    assert claimed["cost"] + claimed["fee"] + claimed["refund"] + refunded["cash"] == struck["subscriptionCash"]
    assert hkd.raw_balance_of(adm.address) == 0 and token.raw_balance_of(adm.address) == 0
    assert hkd.raw_balance_of(fx.cash.address) - cash0 == claimed["cost"] - paid["proceeds"]
    assert hkd.raw_balance_of(fx.fees) - fees0 == claimed["fee"] + paid["fee"]
    assert hkd.raw_balance_of(fx.ap2.address) == ap2_start
    assert adm.epoch(2).subscription_cash == Decimal(40_040)  # what the strike saw: each request ended one way
    assert token.raw_balance_of(fx.ap1.address) == 2 * UNIT and token.raw_balance_of(fx.ap2.address) == 0


def test_a_redemption_request_the_token_refuses_sends_nothing(fx: Fx) -> None:
    """The wrapper judges the exit to the treasury before the approval: a paused token, a frozen AP or a partial
    freeze raise the token's decoded refusal and send nothing (the allowance stays 0)."""
    adm, token, chain = fx.adm, fx.token, fx.m.chain
    fx.subscribe(fx.ap1, "10010")
    fx.settle("10")
    adm.claim_subscription(fx.ap1, 1)
    assert token.raw.allowance(fx.ap1.address, adm.address) == 0
    token.pause(fx.m.pauser)
    with nothing_sent(chain, fx.ap1), restricted(1, fx.ap1.address, adm.address, UNIT):
        adm.request_redemption(fx.ap1, Decimal(1000))
    token.unpause(fx.m.pauser)
    token.set_address_frozen(fx.m.agent, fx.ap1.address, True)
    with nothing_sent(chain, fx.ap1), restricted(4, fx.ap1.address, adm.address, UNIT):
        adm.request_redemption(fx.ap1, Decimal(1000))
    token.set_address_frozen(fx.m.agent, fx.ap1.address, False)
    token.freeze_partial(fx.m.agent, fx.ap1.address, Decimal(1))
    with nothing_sent(chain, fx.ap1), unfrozen_shortfall(fx.ap1.address, UNIT, UNIT - SHARE):
        adm.request_redemption(fx.ap1, Decimal(1000))
    assert token.raw.allowance(fx.ap1.address, adm.address) == 0
    token.unfreeze_partial(fx.m.agent, fx.ap1.address, Decimal(1))
    adm.request_redemption(fx.ap1, Decimal(1000))  # approves, then requests
    assert token.raw_balance_of(adm.address) == UNIT and token.raw.allowance(fx.ap1.address, adm.address) == 0


def test_a_subscription_request_the_stablecoin_refuses_sends_nothing(fx: Fx) -> None:
    adm, hkd, chain, admin = fx.adm, fx.m.hkd, fx.m.chain, fx.m.admin
    assert hkd.raw.allowance(fx.ap1.address, adm.address) == 0
    hkd.raw.pause(admin)
    with nothing_sent(chain, fx.ap1), reverts("EnforcedPause"):
        adm.request_subscription(fx.ap1, Decimal(10_010))
    hkd.raw.unpause(admin)
    for blocked in (fx.ap1.address, adm.address):
        hkd.block(admin, blocked)
        with nothing_sent(chain, fx.ap1), reverts("AccountIsBlocked", account=blocked):
            adm.request_subscription(fx.ap1, Decimal(10_010))
        hkd.unblock(admin, blocked)
    assert hkd.raw.allowance(fx.ap1.address, adm.address) == 0
    assert fx.subscribe(fx.ap1, "10010") == 1 and hkd.raw_balance_of(adm.address) == 10_010 * HKD


def test_redemption_escrow_meets_the_token_rules(fx: Fx) -> None:
    adm, token, chain = fx.adm, fx.token, fx.m.chain
    fx.subscribe(fx.ap1, "10010")
    fx.settle("10")
    adm.claim_subscription(fx.ap1, 1)
    token.approve(fx.ap1, adm.address, Decimal(1000))
    token.freeze_partial(fx.m.agent, fx.ap1.address, Decimal(1))
    with (
        unchanged(chain, fx.ap1, watch=fx.state),
        reverts("ERC7943InsufficientUnfrozenBalance", account=fx.ap1.address, amount=UNIT, unfrozen=UNIT - SHARE),
    ):
        adm.raw.request_redemption(fx.ap1, UNIT)
    token.unfreeze_partial(fx.m.agent, fx.ap1.address, Decimal(1))
    token.set_address_frozen(fx.m.agent, fx.ap1.address, True)
    with unchanged(chain, fx.ap1, watch=fx.state), restricted(4, fx.ap1.address, adm.address, UNIT):
        adm.raw.request_redemption(fx.ap1, UNIT)
    token.set_address_frozen(fx.m.agent, fx.ap1.address, False)
    adm.raw.request_redemption(fx.ap1, UNIT)
    assert token.raw_balance_of(adm.address) == UNIT


def test_a_strike_the_cash_account_cannot_fund_changes_nothing(fx: Fx) -> None:
    adm, chain = fx.adm, fx.m.chain
    fx.subscribe(fx.ap1, "10010")
    fx.settle("10")
    adm.claim_subscription(fx.ap1, 1)
    adm.request_redemption(fx.ap1, Decimal(1000))
    fx.publish("10")
    fx.m.hkd.raw.approve(fx.cash, adm.address, 10_000 * HKD - 1)
    with (
        unchanged(chain, fx.fund_admin, watch=fx.state),
        reverts("ERC20InsufficientAllowance", spender=adm.address, allowance=10_000 * HKD - 1, needed=10_000 * HKD),
    ):
        adm.strike(fx.fund_admin)


# --------------------------------------------------------------------------------------------- secondary market


def test_shares_trade_between_verified_investors_only(fx: Fx) -> None:
    adm, token, chain = fx.adm, fx.token, fx.m.chain
    fx.subscribe(fx.ap1, "10010")
    fx.settle("10")
    adm.claim_subscription(fx.ap1, 1)
    token.transfer(fx.ap1, fx.inv.address, Decimal(250))
    outsider = extra_account("fund:outsider").address
    assert token.check_transfer(fx.ap1.address, outsider, Decimal(1)).code == 3
    with unchanged(chain, fx.ap1, watch=fx.state), restricted(3, fx.ap1.address, outsider, SHARE):
        token.transfer(fx.ap1, outsider, Decimal(1))
    token.forced_transfer(fx.m.agent, fx.inv.address, fx.ap2.address, Decimal(50))
    assert [token.raw_balance_of(a.address) for a in (fx.ap1, fx.inv, fx.ap2)] == [750 * SHARE, 200 * SHARE, 50 * SHARE]
    # An investor who is not an AP may always sell back to the treasury, which is the administrator; those shares
    # are not a redemption request and are never paid.
    assert token.can_transfer(fx.inv.address, adm.address, Decimal(1))


# --------------------------------------------------------------------------------------------- management fee


def test_the_management_fee_accrues_by_time_in_new_shares(fx: Fx) -> None:
    token, chain = fx.token, fx.m.chain
    start = token.raw.last_management_fee_accrual()
    chain.increase_time(10)
    token.accrue_management_fee(fx.ap3)  # no shares yet: the clock just moves on
    assert token.raw.last_management_fee_accrual() > start
    fx.m.hkd.mint(fx.m.admin, fx.ap1.address, Decimal(100))
    fx.subscribe(fx.ap1, "100100")
    fx.settle("10")
    adm_receipt = fx.adm.claim_subscription(fx.ap1, 1)
    assert event_args(fx.adm, adm_receipt, "SubscriptionClaimed")[0]["shares"] == 10 * UNIT
    # The claim's mint did not accrue: the time since the strike's accrual is charged on the supply found now
    # (the documented approximation; every strike accrues, so it covers only the claims since the last one).
    token.accrue_management_fee(fx.ap3)
    t0 = token.raw.last_management_fee_accrual()
    supply = token.raw.total_supply()
    paid_before = token.raw_balance_of(fx.mgr.address)
    assert supply == 10 * UNIT + paid_before
    chain.set_next_block_timestamp(t0 + YEAR)
    chain.mine()
    assert token.raw.accrued_management_fee() == supply // 100  # 1% of the supply over a year, rounded down
    chain.set_next_block_timestamp(t0 + YEAR + 1)
    expected = supply * 100 * (YEAR + 1) // (10_000 * YEAR)
    receipt = token.accrue_management_fee(fx.ap3)
    assert event_args(token, receipt, "ManagementFeeAccrued") == [
        {"receiver": fx.mgr.address, "shares": expected, "from": t0, "to": t0 + YEAR + 1}
    ]
    assert token.raw_balance_of(fx.mgr.address) == paid_before + expected
    assert token.raw.total_supply() == supply + expected


def test_a_fee_that_rounds_to_zero_keeps_the_clock(fx: Fx) -> None:
    token, chain = fx.token, fx.m.chain
    fx.subscribe(fx.ap1, "10010")
    fx.settle("10")
    fx.adm.claim_subscription(fx.ap1, 1)
    token.burn(fx.m.issuer, fx.ap1.address, Decimal(UNIT - 1) / SHARE)  # one base unit left in issue
    t0 = token.raw.last_management_fee_accrual()
    receipt = token.accrue_management_fee(fx.ap3)  # 1 * 1% * elapsed rounds to zero
    assert token.event_names(receipt) == []
    assert token.raw.last_management_fee_accrual() == t0  # frequent calls cannot wipe the accrual out
    assert token.raw.total_supply() == 1
    # Changing the receiver does not accrue: the next accrual pays whoever is the receiver then.
    receipt = token.set_management_fee_receiver(fx.m.admin, fx.inv.address)
    assert event_args(token, receipt, "ManagementFeeReceiverChanged") == [
        {"previous": fx.mgr.address, "receiver": fx.inv.address}
    ]
    assert token.management_fee_receiver() == fx.inv.address
    assert token.raw.last_management_fee_accrual() == t0
    with unchanged(chain, fx.m.admin, watch=fx.state), reverts("ZeroAddress"):
        token.raw.set_management_fee_receiver(fx.m.admin, ZERO)


# --------------------------------------------------------------------------------------------- deployment checks


def _deploy(fx: Fx, decimals: int = 18, **changes: Any) -> FundToken:
    m = fx.m
    return FundToken.deploy(
        m.chain, m.admin, name="Rounding ETF", symbol="RETF", decimals=decimals, registry=m.registry,
        roles=m.roles, admin_module=m.admin_module,
        terms=_terms(m, fx.cash.address, fx.fees, fx.mgr.address, **changes),
        fund_roles=FundRoles(fund_admins=[fx.fund_admin.address], participants=[fx.ap1.address]),
    )  # fmt: skip


def test_a_bad_deployment_sends_nothing(fx: Fx) -> None:
    m = fx.m
    with nothing_sent(m.chain, m.admin), pytest.raises(SpecError, match="creation_unit"):
        _deploy(fx, decimals=2, creation_unit=Decimal("0.001"))
    with nothing_sent(m.chain, m.admin), pytest.raises(SpecError, match="initial_nav"):
        _deploy(fx, initial_nav=Decimal("10.0000001"))  # HKD has 6 decimals
    with nothing_sent(m.chain, m.admin), pytest.raises(SpecError, match="payment_token"):
        _deploy(fx, payment_token=fx.cash.address)  # no code there
    with nothing_sent(m.chain, m.admin), pytest.raises(SpecError, match="treasury"):
        FundToken.deploy(
            m.chain, m.admin, name="X", symbol="X", decimals=18, registry=m.registry, treasury=m.treasury.address,
            terms=_terms(m, fx.cash.address, fx.fees, fx.mgr.address),
        )  # fmt: skip
    outsider = extra_account("fund:outsider").address
    with nothing_sent(m.chain, m.admin), pytest.raises(SpecError, match="not verified"):
        FundToken.deploy(
            m.chain, m.admin, name="X", symbol="X", decimals=18, registry=m.registry,
            terms=_terms(m, fx.cash.address, fx.fees, fx.mgr.address), fund_roles=FundRoles(participants=[outsider]),
        )  # fmt: skip


def test_the_contracts_refuse_bad_terms(fx: Fx) -> None:
    m = fx.m
    base = [fx.token.address, m.hkd.address, m.admin.address, fx.cash.address, fx.fees]
    for index, value, term in ((5, 0, "creationUnit"), (6, 0, "maxNavAge"), (7, 10_001, "navMoveBoundBps"),
                               (8, 1001, "subscriptionFeeBps"), (9, 1001, "redemptionFeeBps"),
                               (10, 0, "initialNavPerShare")):  # fmt: skip
        args = [*base, UNIT, MAX_AGE, 500, 10, 20, 10 * HKD]
        args[index] = value
        with reverts("InvalidTerm", term=term):
            deploy_contract(m.chain, m.admin, "FundAdministrator", *args)
    module = m.admin_module
    with reverts("ManagementFeeTooHigh", bps=1001, maxBps=1000):
        deploy_contract(m.chain, m.admin, "FundToken", "X", "X", 18, m.registry.address, m.admin.address,
                        m.admin.address, module, 1001, fx.mgr.address)  # fmt: skip
    with reverts("ZeroAddress"):
        deploy_contract(m.chain, m.admin, "FundToken", "X", "X", 18, m.registry.address, m.admin.address,
                        m.admin.address, module, 100, ZERO)  # fmt: skip


def test_unit_prices_round_in_the_funds_favour_and_fees_down_to_the_wei(fx: Fx) -> None:
    """A creation unit of 0.33 shares (2 decimals) at NAV 10.000001: its value, 3.30000033 HKD, is not a whole
    number of HKD base units. A unit costs 3.300001 (rounded up) and redeems for 3.300000 (rounded down); the fees
    (10 and 20 bps) are rounded down."""
    token = _deploy(fx, decimals=2, creation_unit=Decimal("0.33"), management_fee_bps=0, management_fee_receiver=None)
    adm, hkd = token.administrator(), fx.m.hkd
    hkd.raw.approve(fx.cash, adm.address, 2**256 - 1)
    assert (adm.raw.unit_cost(10_000_001), adm.raw.unit_proceeds(10_000_001)) == (3_300_001, 3_300_000)
    adm.request_subscription(fx.ap1, Decimal("33.033010"))  # exactly 10 units and their (rounded) fee
    adm.publish_nav(fx.fund_admin, adm.nav_strike("10.000001", when(fx.m.chain, -1)))
    adm.strike(fx.fund_admin)
    fill = adm.preview_subscription(1, fx.ap1.address)
    # 10 units cost 33.000010; the fee is floor(33.000010 * 10 bps) = 0.033000; nothing is refunded (the
    # estimate cash / (unit cost * 1.001) says 9.99999...: the claim still fills the 10th unit the cash pays for).
    assert (fill.shares, fill.cost, fill.fee, fill.refund) == (
        3 * Decimal("1.1"),
        Decimal("33.00001"),
        Decimal("0.033"),
        0,
    )
    adm.claim_subscription(fx.ap1, 1)
    assert token.raw_balance_of(fx.ap1.address) == 330
    adm.request_redemption(fx.ap1, Decimal("0.99"))  # 3 units
    fx.m.chain.increase_time(60)
    adm.publish_nav(fx.fund_admin, adm.nav_strike("10.000001", when(fx.m.chain, -1)))
    receipt = adm.strike(fx.fund_admin)
    assert event_args(adm, receipt, "EpochStruck")[0]["redemptionCash"] == 3 * 3_300_000
    before = hkd.raw_balance_of(fx.ap1.address)
    receipt = adm.claim_redemption(fx.ap1, 2)
    # proceeds 9.900000, fee floor(9.9 * 20 bps) = 0.019800, paid 9.880200; the administrator keeps nothing.
    assert event_args(adm, receipt, "RedemptionClaimed")[0]["paid"] == 9_880_200
    assert hkd.raw_balance_of(fx.ap1.address) - before == 9_880_200
    assert hkd.raw_balance_of(adm.address) == 0


def test_a_fee_mint_the_token_refuses_does_not_stop_the_strike(fx: Fx) -> None:
    adm, token = fx.adm, fx.token
    fx.subscribe(fx.ap1, "20020")  # two units: one stays in issue after the redemption
    fx.settle("10")
    adm.claim_subscription(fx.ap1, 1)
    adm.request_redemption(fx.ap1, Decimal(1000))
    token.set_address_frozen(fx.m.agent, fx.mgr.address, True)  # the fee receiver cannot receive
    t0 = token.raw.last_management_fee_accrual()
    fx.publish("10")
    assert token.raw.accrued_management_fee() > 0
    receipt = adm.strike(fx.fund_admin)
    assert event_args(token, receipt, "Transfer") == [{"from": adm.address, "to": ZERO, "value": UNIT}]
    assert token.raw.last_management_fee_accrual() == t0  # still owed, paid at the next accrual that succeeds
    token.set_address_frozen(fx.m.agent, fx.mgr.address, False)
    owed = token.raw.accrued_management_fee()
    receipt = token.accrue_management_fee(fx.ap3)
    assert event_args(token, receipt, "ManagementFeeAccrued")[0]["shares"] >= owed > 0
    # Called directly, a refused fee mint reverts with the token's restriction.
    token.set_address_frozen(fx.m.agent, fx.mgr.address, True)
    fx.m.chain.increase_time(3600)
    fx.m.chain.mine()
    with unchanged(fx.m.chain, fx.ap3, watch=fx.state), reverts("TransferRestricted", code=5):
        token.accrue_management_fee(fx.ap3)


def test_the_strike_costs_the_same_whatever_the_number_of_requests(fx: Fx) -> None:
    """No loop over requests: a strike reads and writes the epoch's totals only."""
    adm, chain = fx.adm, fx.m.chain
    adm.grant_role(fx.m.admin, "AP_ROLE", fx.ap3.address)
    fx.m.hkd.mint(fx.m.admin, fx.ap1.address, Decimal(100_000))
    fx.subscribe(fx.ap1, "50050")
    fx.settle("10")
    adm.claim_subscription(fx.ap1, 1)  # AP1 holds 5 units
    for ap in (fx.ap1, fx.ap2, fx.ap3):
        fx.m.hkd.raw.approve(ap, adm.address, 2**256 - 1)
    fx.token.raw.approve(fx.ap1, adm.address, 2**256 - 1)
    used = []
    for subscribers in ([fx.ap1], [fx.ap1, fx.ap2, fx.ap3]):
        snapshot = chain.snapshot()
        adm.raw.request_redemption(fx.ap1, UNIT)
        for ap in subscribers:
            adm.raw.request_subscription(ap, 20_020 * HKD)
        fx.publish("10")
        chain.set_next_block_timestamp(chain.timestamp() + 5)  # the same fee period in both runs
        used.append(int(adm.strike(fx.fund_admin)["gasUsed"]))
        chain.revert(snapshot)
    assert used[0] == used[1]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_wei_is_accounted_for(fx: Fx, seed: int) -> None:
    """Random cash, NAVs and redemptions: after every claim the administrator holds nothing, no HKD is created or
    lost, and the cash account and the fee receiver got exactly the claims' costs, proceeds and fees."""

    rng = random.Random(seed)
    adm, hkd, token = fx.adm, fx.m.hkd, fx.token
    parties = fx.wallets()
    total = sum(hkd.raw_balance_of(w) for w in parties)
    cash0, fees0 = hkd.raw_balance_of(fx.cash.address), hkd.raw_balance_of(fx.fees)
    costs = fees = proceeds = 0
    aps = (fx.ap1, fx.ap2)
    for ap in aps:
        fx.m.hkd.raw.approve(ap, adm.address, 2**256 - 1)
        adm.raw.request_subscription(ap, rng.randrange(30_000 * HKD, 90_000 * HKD))
    nav = rng.randrange(9_600_000, 10_400_000)  # within 5% of the launch price, to the HKD base unit
    fx.publish(f"{Decimal(nav) / HKD}")
    adm.strike(fx.fund_admin)
    for ap in aps:
        claimed = event_args(adm, adm.claim_subscription(ap, 1), "SubscriptionClaimed")[0]
        costs, fees = costs + claimed["cost"], fees + claimed["fee"]
        assert claimed["shares"] % UNIT == 0
    for ap in aps:
        units = token.raw_balance_of(ap.address) // UNIT
        if units:
            token.raw.approve(ap, adm.address, units * UNIT)
            adm.raw.request_redemption(ap, rng.randrange(1, units + 1) * UNIT)
    fx.publish(f"{Decimal(rng.randrange(nav * 96 // 100, nav * 104 // 100)) / HKD}")
    adm.strike(fx.fund_admin)
    for ap in aps:
        if adm.raw.claimable_redemption_request(2, ap.address):
            paid = event_args(adm, adm.claim_redemption(ap, 2), "RedemptionClaimed")[0]
            assert paid["proceeds"] == paid["fee"] + paid["paid"]
            proceeds, fees = proceeds + paid["proceeds"], fees + paid["fee"]
    assert hkd.raw_balance_of(adm.address) == 0 and token.raw_balance_of(adm.address) == 0
    assert sum(hkd.raw_balance_of(w) for w in parties) == total
    assert hkd.raw_balance_of(fx.cash.address) - cash0 == costs - proceeds
    assert hkd.raw_balance_of(fx.fees) - fees0 == fees


def test_an_explicit_cut_off_makes_the_nav_be_valued_after_every_request(fx: Fx) -> None:
    """Forward pricing by valuation time too: once the desk closes the epoch at a cut-off, its NAV must be valued at
    or after it, so no request is priced on market data older than the request."""
    adm, chain = fx.adm, fx.m.chain
    fx.subscribe(fx.ap1, "10010")
    chain.increase_time(3600)
    receipt = adm.close_epoch(fx.fund_admin)
    cut_off = chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert event_args(adm, receipt, "EpochClosed") == [{"epoch": 1, "at": cut_off}]
    assert (adm.open_epoch(), adm.closed_epoch(), adm.cut_off()) == (2, 1, chain_time(cut_off))
    assert fx.subscribe(fx.ap2, "10010") == 2  # after the cut-off: the next epoch
    # Closed, but no NAV is pending yet: the strike and the confirmation say so (not a stale NAV valued in 1970).
    assert adm.pending_nav() is None
    with unchanged(chain, fx.fund_admin, watch=fx.state), reverts("NoNavPending"):
        adm.strike(fx.fund_admin)
    with unchanged(chain, fx.confirmer, watch=fx.state), reverts("NoNavPending"):
        adm.confirm_nav(fx.confirmer, Decimal(0))
    with unchanged(chain, fx.ap1, watch=fx.state), reverts("EpochNotOpen", epoch=1, openEpoch=2):
        adm.cancel_subscription(fx.ap1, 1)
    with unchanged(chain, fx.fund_admin, watch=fx.state), reverts("EpochAlreadyClosed", epoch=1):
        adm.close_epoch(fx.fund_admin)
    with unchanged(chain, fx.fund_admin, watch=fx.state), reverts("NavBeforeCutOff", asOf=cut_off - 1, cutOff=cut_off):
        adm.raw.publish_nav(fx.fund_admin, 10 * HKD, cut_off - 1)
    chain.increase_time(600)
    chain.mine()
    receipt = adm.raw.publish_nav(fx.fund_admin, 10 * HKD, cut_off)  # valued at the cut-off: accepted
    assert event_args(adm, receipt, "NavPublished")[0]["epoch"] == 1
    assert event_args(adm, receipt, "EpochClosed") == []  # already closed
    adm.strike(fx.fund_admin)
    assert (adm.closed_epoch(), adm.cut_off()) == (None, None)
    # Without a cut-off, the publication closes the epoch itself (and says so).
    receipt = fx.publish("10")
    assert event_args(adm, receipt, "EpochClosed")[0]["epoch"] == 2


def test_only_the_fund_admin_closes_an_epoch(fx: Fx) -> None:
    with (
        unchanged(fx.m.chain, fx.ap3, watch=fx.state),
        reverts("AccessControlUnauthorizedAccount", account=fx.ap3.address, neededRole=fx.adm.role("FUND_ADMIN_ROLE")),
    ):
        fx.adm.close_epoch(fx.ap3)
