"""``settle_fund_claims`` for every AP of a struck epoch: the APs found from the epoch's request events, settled
in node-sized ``settleClaims`` batches, stopped after the first batch and resumed: every claim settled once, to
the wei; an AP the token refuses skipped and left refundable; refused before the strike and without the role."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import FundAdministrator, FundRoles, FundTerms, FundToken, MissingRole, SpecError
from hktoken.bulk.fund import epoch_participants, settle_fund_claims
from hktoken.chain.bulk import BulkSender
from hktoken.chain.connection import Chain
from hktoken.chain.sender import SignedTransaction
from tests.assets.conftest import Market, build_market
from tests.compliance._helpers import extra_account, fund, when

APS = 12
SHARE, HKD = 10**18, 10**6
UNIT = 1_000 * SHARE


class Crash(Exception):
    pass


@dataclass
class Epoch:
    m: Market
    aps: list[LocalAccount]
    token: FundToken
    adm: FundAdministrator
    fund_admin: LocalAccount
    cash: LocalAccount
    fees: str


def _requested(chain: Chain, accounts: Sequence[LocalAccount], label: str) -> Epoch:
    """APS APs, AP n subscribing n + 1 creation units plus HKD n (refunded at the claim) in epoch 1."""
    m = build_market(chain, accounts)
    aps = m.onboard(*(f"AP-{n:02d}" for n in range(APS)), hkd=200_000)
    fund_admin, cash = extra_account(f"{label}:admin"), extra_account(f"{label}:cash")
    fund(chain, fund_admin, cash)
    fees = extra_account(f"{label}:fees").address
    terms = FundTerms(
        payment_token=m.hkd.address, cash_account=cash.address, fee_receiver=fees, creation_unit=Decimal(1000),
        initial_nav=Decimal(10), max_nav_age=timedelta(days=1), nav_move_bound_bps=500, subscription_fee_bps=10,
        redemption_fee_bps=20, management_fee_bps=0, management_fee_receiver=fees,
    )  # fmt: skip
    token = FundToken.deploy(
        chain, m.admin, name="Bulk ETF", symbol="BETF", decimals=18, registry=m.registry, roles=m.roles,
        admin_module=m.admin_module, terms=terms,
        fund_roles=FundRoles(fund_admins=[fund_admin.address], participants=[a.address for a in aps]),
    )  # fmt: skip
    adm = token.administrator()
    for n, ap in enumerate(aps):  # n + 1 creation units each, HKD n refunded
        adm.request_subscription(ap, Decimal(10_010 * (n + 1) + n))
    return Epoch(m, aps, token, adm, fund_admin, cash, fees)


def _strike(chain: Chain, e: Epoch) -> None:
    chain.increase_time(3600)
    chain.mine()
    e.adm.publish_nav(e.fund_admin, e.adm.nav_strike("10", when(chain, -60)))
    e.adm.strike(e.fund_admin)


def test_every_ap_of_a_struck_epoch_is_settled_once_across_a_stop(
    chain: Chain, accounts: Sequence[LocalAccount], tmp_path: Path
) -> None:
    e = _requested(chain, accounts, "bulk-fund")
    m, aps, token, adm, fund_admin, cash, fees = e.m, e.aps, e.token, e.adm, e.fund_admin, e.cash, e.fees
    with pytest.raises(SpecError, match="epoch 1 is not struck"):
        settle_fund_claims(chain, fund_admin, adm, 1, out=tmp_path)
    _strike(chain, e)
    m.registry.revoke(m.admin, "AP-05")  # its shares are refused: skipped, refundable
    with pytest.raises(MissingRole):
        settle_fund_claims(chain, aps[0], adm, 1, out=tmp_path)
    assert epoch_participants(adm, 1) == [a.address for a in aps]

    def crash(phase: str, signed: Sequence[SignedTransaction]) -> None:
        BulkSender(chain).submit_and_gather(signed[:1])  # the first batch is mined, then the process dies
        raise Crash(phase)

    before = [m.hkd.raw_balance_of(a.address) for a in aps]
    with pytest.raises(Crash):
        settle_fund_claims(chain, fund_admin, adm, 1, out=tmp_path, max_rows=5, on_signed=crash)
    resumed = settle_fund_claims(chain, fund_admin, adm, 1, out=tmp_path, max_rows=5)
    # AP-05 is still open after the journaled batches settle, so it is tried again, and skipped again.
    assert (resumed.resent, resumed.settled, resumed.skipped, len(resumed.transactions)) == (2, 1, 1, 1)
    assert [token.raw_balance_of(a.address) for a in aps] == [0 if n == 5 else (n + 1) * UNIT for n in range(APS)]
    assert [m.hkd.raw_balance_of(a.address) - b for a, b in zip(aps, before, strict=True)] == [
        0 if n == 5 else n * HKD for n in range(APS)
    ]  # each refund, to the wei
    units = sum(n + 1 for n in range(APS) if n != 5)
    assert m.hkd.raw_balance_of(cash.address) == units * 10_000 * HKD
    assert m.hkd.raw_balance_of(fees) == units * 10 * HKD
    journal = json.loads(resumed.journal.read_text())
    assert [e["status"] for e in journal["transactions"]] == ["done"] * 4
    assert adm.claimable_subscription(1, aps[5].address) == Decimal(10_010 * 6 + 5)
    adm.refund_subscription(fund_admin, 1, aps[5].address)
    again = settle_fund_claims(chain, fund_admin, adm, 1, out=tmp_path, max_rows=5)
    assert (again.settled, again.transactions) == (0, [])
    assert m.hkd.raw_balance_of(adm.address) == 0


@pytest.mark.parametrize("when_blocked", ["before planning", "after signing"])
def test_an_ap_the_payment_token_refuses_is_left_out_and_every_other_claim_settles(
    chain: Chain, accounts: Sequence[LocalAccount], tmp_path: Path, when_blocked: str
) -> None:
    """A blocked AP's claim pays it its refund, which the stablecoin refuses: settleClaims reverts as a whole for
    it. Blocked before planning, the batch estimates find it and nothing reverts; blocked between signing and
    sending, its batch reverts on chain (journaled ``failed``) and its other rows go again at once. Either way the
    AP is reported with the refusal and left open, and every other claim settles."""
    e = _requested(chain, accounts, f"bulk-fund-{when_blocked}")
    _strike(chain, e)
    blocked = e.aps[7]
    hook = None
    if when_blocked == "before planning":
        e.m.hkd.block(e.m.admin, blocked.address)
    else:

        def hook(phase: str, signed: Sequence[SignedTransaction]) -> None:
            if not e.m.hkd.raw.is_blocked(blocked.address):
                e.m.hkd.block(e.m.admin, blocked.address)

    before = [e.m.hkd.raw_balance_of(a.address) for a in e.aps]
    result = settle_fund_claims(chain, e.fund_admin, e.adm, 1, out=tmp_path, max_rows=5, on_signed=hook)
    assert result.refused == [(blocked.address, f"reverted with AccountIsBlocked(account='{blocked.address}')")]
    assert (result.settled, result.skipped) == (APS, 0)
    assert [e.token.raw_balance_of(a.address) for a in e.aps] == [0 if n == 7 else (n + 1) * UNIT for n in range(APS)]
    assert [e.m.hkd.raw_balance_of(a.address) - b for a, b in zip(e.aps, before, strict=True)] == [
        0 if n == 7 else n * HKD for n in range(APS)
    ]
    assert e.adm.claimable_subscription(1, blocked.address) == Decimal(10_010 * 8 + 7)  # still open
    statuses = [entry["status"] for entry in json.loads(result.journal.read_text())["transactions"]]
    # 3 batches of 5, 5, 2; after signing: the second reverts, then its 4 other APs go again in one
    assert statuses == (["done"] * 3 if when_blocked == "before planning" else ["done", "failed", "done", "done"])
    e.m.hkd.unblock(e.m.admin, blocked.address)
    again = settle_fund_claims(chain, e.fund_admin, e.adm, 1, out=tmp_path, max_rows=5)
    assert (again.settled, again.refused, len(again.transactions)) == (1, [], 1)
    assert e.token.raw_balance_of(blocked.address) == 8 * UNIT
