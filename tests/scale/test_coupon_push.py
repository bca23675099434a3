"""``push_coupons`` to every holder of a bond: holders found from its Transfer events, paid in node-sized batches,
stopped after the journal holds the batches and resumed: everyone paid once, to the wei; a frozen holder skipped."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address

from hktoken import BondRoles, BondTerms, BondToken
from hktoken.bulk.coupons import bond_holders, push_coupons
from hktoken.chain.bulk import BulkSender
from hktoken.chain.connection import Chain
from hktoken.chain.sender import SignedTransaction
from hktoken.contracts.bulk import claimable_of, issue_bulk, register_investors_bulk
from hktoken.models.investor import Investor
from tests.assets.conftest import Market, build_market
from tests.compliance._helpers import DAY

HOLDERS = 150
CPT = 22_500_000  # HKD base units per bond per coupon: 1,000 HKD x 4.50% / 2
HKD = 10**6


class Crash(Exception):
    pass


@dataclass
class Pushed:
    m: Market
    bond: BondToken
    payer: LocalAccount
    wallets: list[str]


def _bond_with_holders(chain: Chain, accounts: Sequence[LocalAccount], holders: int) -> Pushed:
    """A bond held by ``holders`` investors (holder n holds n + 1 bonds), its first record date passed."""
    m = build_market(chain, accounts)
    funder, payer = accounts[6], accounts[7]
    t0 = chain.timestamp()
    dates = [t0 + 30 * DAY, t0 + 60 * DAY]
    terms = BondTerms(
        isin="HK0000098498", currency="HKD", payment_token=m.hkd.address, payment_decimals=6,
        denomination=Decimal(1000), coupon_rate_bps=450, coupon_frequency=2,
        issue_date=datetime.fromtimestamp(t0 - DAY, tz=UTC), maturity_date=datetime.fromtimestamp(dates[-1], tz=UTC),
        coupon_dates=tuple(datetime.fromtimestamp(d, tz=UTC) for d in dates), min_call_notice=timedelta(days=10),
    )  # fmt: skip
    bond = BondToken.deploy(
        chain, m.admin, name="Push Bond", symbol="PB", decimals=18, registry=m.registry,
        treasury=m.treasury.address, roles=m.roles, admin_module=m.admin_module, terms=terms,
        bond_roles=BondRoles(callers=[], funders=[funder.address], payers=[payer.address]),
    )  # fmt: skip
    expiry = datetime.fromtimestamp(t0, tz=UTC) + timedelta(days=365)
    wallets = [to_checksum_address(f"0x{0xB0B0000 + n:040x}") for n in range(holders)]
    register_investors_bulk(chain, m.admin, m.registry, [
        Investor(id=f"PUSH-{n:04d}", wallets=[w], country=344, investor_class=2, kyc_expiry=expiry)
        for n, w in enumerate(wallets)
    ])  # fmt: skip
    issue_bulk(chain, m.issuer, bond, [(w, (n + 1) * 10**18) for n, w in enumerate(wallets)])
    chain.set_next_block_timestamp(dates[0] + 1)
    chain.mine()
    return Pushed(m, bond, payer, wallets)


def _fund_coupon(p: Pushed, accounts: Sequence[LocalAccount]) -> int:
    funder = accounts[6]
    funding = p.bond.paying_agent.raw.coupon_funding(0)
    p.m.hkd.mint(p.m.admin, funder.address, Decimal(funding) / HKD)
    p.m.hkd.raw.approve(funder, p.bond.paying_agent.address, funding)
    p.bond.fund_coupon(funder, 0)
    return funding


def test_a_push_to_every_holder_stopped_mid_run_pays_everyone_once(
    chain: Chain, accounts: Sequence[LocalAccount], tmp_path: Path
) -> None:
    p = _bond_with_holders(chain, accounts, HOLDERS)
    m, bond, payer, wallets = p.m, p.bond, p.payer, p.wallets
    frozen = wallets[7]
    bond.raw.set_address_frozen(m.agent, frozen, True)
    assert _fund_coupon(p, accounts) == sum(range(1, HOLDERS + 1)) * CPT
    assert bond_holders(bond) == wallets

    def crash(phase: str, signed: Sequence[SignedTransaction]) -> None:
        BulkSender(chain).submit_and_gather(signed[:1])  # the first batch is mined, then the process dies
        raise Crash(phase)

    with pytest.raises(Crash):
        push_coupons(chain, payer, bond, out=tmp_path, max_rows=40, on_signed=crash)
    resumed = push_coupons(chain, payer, bond, out=tmp_path, max_rows=40)
    # 149 holders owed (the frozen one cannot claim, so is not owed now) in 4 journaled batches; the first was
    # mined before the crash, the other three are sent again, byte for byte, and nothing new is needed.
    assert (resumed.resent, resumed.pushed, resumed.transactions) == (3, 0, [])
    paid = [m.hkd.raw_balance_of(w) for w in wallets]
    assert paid == [0 if w == frozen else (n + 1) * CPT for n, w in enumerate(wallets)]
    assert claimable_of(chain, bond.paying_agent, wallets) == [0] * HOLDERS
    journal = json.loads(resumed.journal.read_text())
    assert [e["status"] for e in journal["transactions"]] == ["done"] * 4
    assert sorted(row for e in journal["transactions"] for row in e["rows"]) == [
        n for n in range(HOLDERS) if n != 7
    ]  # every owed holder in exactly one batch
    bond.raw.set_address_frozen(m.agent, frozen, False)
    again = push_coupons(chain, payer, bond, out=tmp_path, max_rows=40)
    assert (again.pushed, again.owed_units, again.unpaid, len(again.transactions)) == (1, 8 * CPT, 0, 1)
    assert [m.hkd.raw_balance_of(w) for w in wallets] == [(n + 1) * CPT for n in range(HOLDERS)]
    assert m.hkd.raw_balance_of(bond.paying_agent.address) == 0  # the coupon paid out exactly


def test_a_holder_the_stablecoin_blocks_is_skipped_and_everyone_else_is_paid(
    chain: Chain, accounts: Sequence[LocalAccount], tmp_path: Path
) -> None:
    """The agent pays each holder in its own call (payHolder): the stablecoin's refusal of a blocked holder rolls
    back that holder's collection alone and is emitted as CouponPaymentSkipped; the batch and the others go on."""
    holders = 60
    p = _bond_with_holders(chain, accounts, holders)
    blocked = p.wallets[33]
    p.m.hkd.block(p.m.admin, blocked)
    funding = _fund_coupon(p, accounts)
    result = push_coupons(chain, p.payer, p.bond, out=tmp_path, max_rows=20)
    assert result.refused == []
    assert result.skipped == [(blocked, f"reverted with AccountIsBlocked(account='{blocked}')")]
    assert (result.pushed, result.owed_units, result.unpaid) == (holders, funding - 34 * CPT, 1)
    assert [p.m.hkd.raw_balance_of(w) for w in p.wallets] == [0 if n == 33 else (n + 1) * CPT for n in range(holders)]
    assert claimable_of(chain, p.bond.paying_agent, [blocked]) == [34 * CPT]  # still owed
    assert p.m.hkd.raw_balance_of(p.bond.paying_agent.address) == 34 * CPT  # what the blocked holder is owed stays
    statuses = [e["status"] for e in json.loads(result.journal.read_text())["transactions"]]
    assert statuses == ["done", "done", "done"]  # 3 batches of 20, none reverted
