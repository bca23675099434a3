"""The ETF share class end to end on the session anvil: FundToken (the shares) and FundAdministrator (NAV, dealing
epochs, creation and redemption in creation units, claims), every amount to the wei.

Terms of the fund under test: creation unit 1,000 shares (18 decimals), launch NAV HKD 10, NAV at most a day old,
a move of more than 5% needs a second person, subscription fee 10 bps, redemption fee 20 bps, management fee
100 bps a year. HKD has 6 decimals, so 1 HKD = 10**6 base units.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import FundRoles, FundTerms, FundToken, MissingRole, SpecError
from hktoken.contracts.fund import FundAdministrator
from hktoken.testing import nothing_sent, reverts
from tests.assets.conftest import Market
from tests.compliance._helpers import ZERO, event_args, extra_account, fund, restricted, unchanged, when

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
        token.address, fx.m.hkd.address, fx.m.registry.address
    )
    assert (raw.cash_account(), raw.fee_receiver()) == (fx.cash.address, fx.fees)
    assert raw.creation_unit() == UNIT and adm.creation_unit == Decimal(1000)
    assert (raw.max_nav_age(), raw.nav_move_bound_bps()) == (MAX_AGE, 500)
    assert (raw.subscription_fee_bps(), raw.redemption_fee_bps()) == (10, 20)
    assert raw.last_nav_per_share() == 10 * HKD and adm.last_nav() == Decimal(10)
    assert (adm.open_epoch(), adm.closed_epoch(), adm.pending_nav()) == (1, None, None)
    assert (token.management_fee_bps(), token.management_fee_receiver()) == (100, fx.mgr.address)
    assert token.supports_interface(bytes.fromhex("3edbb4c4"))  # ERC-7943, as RWAToken


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
    assert adm.pending_redemption(2, fx.ap1.address) == Decimal(1000)
    # 6. NAV 10.40 (+3.8%), strike: the unit is burned and its 10,400 HKD collected from the cash account.
    fx.publish("10.40")
    receipt = adm.strike(fx.fund_admin)
    assert event_args(adm, receipt, "EpochStruck")[0]["redemptionCash"] == 10_400 * HKD
    assert event_args(token, receipt, "Transfer") == [{"from": adm.address, "to": ZERO, "value": UNIT}]
    assert token.raw.total_supply() == 4 * UNIT and token.raw_balance_of(adm.address) == 0
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
        2, Decimal("10.5"), False
    )
    adm.strike(fx.fund_admin)
    assert adm.epoch(2).nav_per_share == Decimal("10.5")
    receipt = adm.claim_subscription(fx.ap2, 2)  # 10,510.50 = one unit at 10.50 plus its 10.50 fee
    assert event_args(adm, receipt, "SubscriptionClaimed")[0]["shares"] == UNIT
    assert event_args(adm, receipt, "SubscriptionClaimed")[0]["refund"] == 0
    receipt = adm.claim_subscription(fx.ap1, 1)  # epoch 1 at 10.00: 10,010 = one unit plus its fee
    assert event_args(adm, receipt, "SubscriptionClaimed")[0]["cost"] == 10_000 * HKD
