"""The cap table, the audit export and the reconciliation, rebuilt from a token's events on a real node.

The cap table must equal ``balanceOf`` for every holder after a random sequence of every kind of balance change
(mint, batch mint, transfer, transferFrom, burn, forced transfer, recovery), at the latest block and at any
earlier record block; the audit export must list every event with its actor and human amounts.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import SpecError
from hktoken.chain import Chain
from hktoken.errors import ChainError
from hktoken.reports import (
    CapTableMismatch,
    Source,
    audit_rows,
    build_cap_table,
    fetch_logs,
    read_ledger,
    reconcile,
    write_audit,
)
from hktoken.reports.captable import TRANSFER_TOPIC
from tests.compliance._helpers import HK, SG, World, build_world, extra_account, fund, investor
from tests.foundation._rpc_proxy import RpcProxy, rpc_error

SEEDS = (1, 2, 3)
STEPS = 40


@pytest.fixture(scope="module")
def w(chain: Chain, accounts: Sequence[LocalAccount]) -> World:
    """A token with six investors: ALICE..ERIN single-wallet, BROKER an omnibus with two wallets, and a spare
    wallet of ERIN for recovery."""
    world = build_world(chain, accounts)
    names = ["alice", "bob", "carol", "dave", "erin", "broker1", "broker2", "erin-new"]
    people = {n: extra_account(f"reports:{n}") for n in names}
    fund(chain, *people.values())
    world.registry.register(
        world.admin,
        [
            investor(chain, "ALICE", [people["alice"]]),
            investor(chain, "BOB", [people["bob"]]),
            investor(chain, "CAROL", [people["carol"]], country=SG),
            investor(chain, "DAVE", [people["dave"]]),
            investor(chain, "ERIN", [people["erin"], people["erin-new"]]),
            investor(chain, "BROKER", [people["broker1"], people["broker2"]], country=HK, omnibus=True),
        ],
    )
    world.people = people
    return world


def _random_history(w: World, seed: int) -> list[int]:
    """A random sequence of balance changes of every kind; returns the block after each step."""
    rng = random.Random(seed)
    people = w.people
    holders = [p for n, p in people.items() if n != "erin-new"]
    token, blocks = w.token, []
    token.batch_mint(w.issuer, [(p.address, Decimal(rng.randint(100, 1000))) for p in holders])
    for _ in range(STEPS):
        kind = rng.choice(["mint", "transfer", "transfer_from", "burn", "forced", "treasury"])
        a, b = rng.sample(holders, 2)
        amount = Decimal(rng.randint(1, 50))
        if token.balance_of(a.address) < amount and kind != "mint":
            kind = "mint"
        if kind == "mint":
            token.mint(w.issuer, a.address, amount)
        elif kind == "transfer":
            token.transfer(a, b.address, amount)
        elif kind == "transfer_from":
            token.approve(a, b.address, amount)
            token.transfer_from(b, a.address, b.address, amount)
        elif kind == "burn":
            token.burn(w.issuer, a.address, amount)
        elif kind == "forced":
            token.forced_transfer(w.agent, a.address, b.address, amount)
        else:
            token.transfer(a, w.treasury.address, amount)  # an exit to the (unregistered) treasury
        blocks.append(w.chain.w3.eth.block_number)
    if token.balance_of(people["erin"].address):
        token.recover(w.agent, people["erin"].address, people["erin-new"].address, "ERIN")
    blocks.append(w.chain.w3.eth.block_number)
    return blocks


def _expected(w: World, block: int) -> dict[str, int]:
    wallets = [*(p.address for p in w.people.values()), w.treasury.address]
    return {a: w.token.contract.functions.balanceOf(a).call(block_identifier=block) for a in wallets}


@pytest.mark.parametrize("seed", SEEDS)
def test_the_cap_table_rebuilt_from_events_equals_balance_of_after_random_operations(w: World, seed: int) -> None:
    blocks = _random_history(w, seed)
    rng = random.Random(seed)
    for block in [blocks[-1], *rng.sample(blocks[:-1], 3)]:
        table = build_cap_table(w.token, at_block=block)
        expected = {a: b for a, b in _expected(w, block).items() if b}
        got = {h.wallet: h.base_units for holder in table.holders for h in holder.wallets}
        assert got == expected
        assert sum(got.values()) == w.token.contract.functions.totalSupply().call(block_identifier=block)
        assert table.block == block
    latest = build_cap_table(w.token)
    assert latest.investor_count == w.token.holder_count()
    by_id = {h.investor_id: h for h in latest.holders}
    if "BROKER" in by_id:
        broker = by_id["BROKER"]
        assert broker.omnibus
        assert {x.wallet for x in broker.wallets} <= {w.people["broker1"].address, w.people["broker2"].address}
        assert broker.base_units == sum(x.base_units for x in broker.wallets)
    assert not any(h.omnibus for h in latest.holders if h.investor_id != "BROKER")
    treasury = [h for h in latest.holders if h.investor_id is None]
    assert [x.wallet for h in treasury for x in h.wallets] in ([], [w.treasury.address])
    assert sum(h.share for h in latest.holders) == pytest.approx(1)


def test_a_record_date_table_ignores_what_happened_after_it(w: World) -> None:
    alice, bob = w.people["alice"], w.people["bob"]
    w.token.mint(w.issuer, alice.address, Decimal(100))
    record = w.chain.w3.eth.block_number
    w.token.transfer(alice, bob.address, Decimal(40))
    then = build_cap_table(w.token, at_block=record)
    now = build_cap_table(w.token)
    assert [(h.investor_id, h.balance) for h in then.holders] == [("ALICE", Decimal(100))]
    assert [(h.investor_id, h.balance) for h in now.holders] == [("ALICE", Decimal(60)), ("BOB", Decimal(40))]
    assert then.as_dict()["holders"][0]["base_units"] == str(100 * 10**18)


def test_a_cap_table_at_a_block_not_yet_mined_is_refused(w: World) -> None:
    with pytest.raises(ChainError, match="is not on chain"):
        build_cap_table(w.token, at_block=w.chain.w3.eth.block_number + 10)


def test_events_that_do_not_explain_the_balances_are_a_mismatch(w: World) -> None:
    alice, bob = w.people["alice"], w.people["bob"]
    w.token.mint(w.issuer, alice.address, Decimal(5))
    start = w.chain.w3.eth.block_number + 1  # replay from after the mint: its Transfer is left out
    w.chain.mine()
    with pytest.raises(CapTableMismatch, match="the Transfer events give a supply of 0 base units, totalSupply gives"):
        build_cap_table(w.token, from_block=start)
    w.token.transfer(alice, bob.address, Decimal(2))
    with pytest.raises(CapTableMismatch, match=f"{alice.address}: the Transfer events give -{2 * 10**18} base units, "
                       f"balanceOf gives {3 * 10**18} at block"):  # fmt: skip
        build_cap_table(w.token, from_block=start)


def test_logs_are_fetched_in_chunks_the_node_accepts(w: World, chain: Chain) -> None:
    """A node that refuses ranges over 3 blocks (as public nodes cap eth_getLogs) still yields every log."""
    alice, bob = w.people["alice"], w.people["bob"]
    w.token.mint(w.issuer, alice.address, Decimal(10))
    first = chain.w3.eth.block_number
    for _ in range(6):
        w.token.transfer(alice, bob.address, Decimal(1))
    last = chain.w3.eth.block_number
    direct = fetch_logs(chain, [w.token.address], first, last, topics=[TRANSFER_TOPIC])
    proxy = RpcProxy(chain.rpc_url).start()
    seen: list[int] = []

    def capped(request: dict[str, Any], forward: Any) -> dict[str, Any]:
        query = request["params"][0]
        width = int(query["toBlock"], 16) - int(query["fromBlock"], 16) + 1
        seen.append(width)
        if width > 3:
            return rpc_error(request, "query exceeds max block range 3")
        return forward(request)

    proxy.hooks["eth_getLogs"] = capped
    try:
        from hktoken.chain import connect

        capped_chain = connect(proxy.url, expected_chain_id=chain.chain_id)
        chunked = fetch_logs(capped_chain, [w.token.address], first, last, topics=[TRANSFER_TOPIC], chunk=100)
        assert [log["transactionHash"] for log in chunked] == [log["transactionHash"] for log in direct]
        assert len(chunked) == 7
        assert max(seen) > 3 and all(width <= 3 for width in seen[seen.index(max(seen)) + 1 :] if width <= 3)

        def broken(request: dict[str, Any], forward: Any) -> dict[str, Any]:
            return rpc_error(request, "internal error: database closed")

        proxy.hooks["eth_getLogs"] = broken
        with pytest.raises(ChainError, match=r"the node refused eth_getLogs for blocks .*database closed"):
            fetch_logs(capped_chain, [w.token.address], first, last)
    finally:
        proxy.stop()


def test_the_audit_export_lists_every_event_with_actor_and_human_amounts(w: World) -> None:
    alice, bob = w.people["alice"], w.people["bob"]
    start = w.chain.w3.eth.block_number + 1
    w.token.mint(w.issuer, alice.address, Decimal("12.5"))
    w.token.transfer(alice, bob.address, Decimal("2.25"))
    w.token.freeze_partial(w.agent, bob.address, Decimal(1))
    w.registry.revoke(w.admin, "CAROL")
    rows = audit_rows(w.chain, [Source.of(w.token, w.token.decimals), Source.of(w.registry)], from_block=start)
    summary = [(r.contract, r.event, r.actor) for r in rows]
    assert summary == [
        ("RWAToken", "Transfer", w.issuer.address),
        ("RWAToken", "Transfer", alice.address),
        ("RWAToken", "TokensFrozen", w.agent.address),
        ("RWAToken", "Frozen", w.agent.address),
        ("InvestorRegistry", "InvestorRevoked", w.admin.address),
    ]
    assert rows[0].args["value"] == Decimal("12.5") and rows[1].args["value"] == Decimal("2.25")
    assert rows[2].args["amount"] == Decimal(1)
    assert rows[4].args["id"] == "CAROL"
    out = io.StringIO()
    write_audit(rows, out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "block,time,transaction,log_index,contract,actor,event,details"
    assert len(lines) == 6 and "value=2.25" in lines[2]
    out = io.StringIO()
    write_audit(rows, out, fmt="json")
    data = json.loads(out.getvalue())
    assert data[1]["args"]["value"] == "2.25" and data[1]["transaction"] == rows[1].transaction
    with pytest.raises(SpecError, match="unknown audit format 'xml'"):
        write_audit(rows, io.StringIO(), fmt="xml")


def test_reconciliation_lists_every_difference_of_the_sub_ledger(w: World, tmp_path: Path) -> None:
    b1, b2 = w.people["broker1"], w.people["broker2"]
    w.token.batch_mint(w.issuer, [(b1.address, Decimal(700)), (b2.address, Decimal(300))])
    good = tmp_path / "good.csv"
    good.write_text(f"client_id,amount,wallet\nC-1,400,{b1.address}\nC-2,300,{b1.address}\nC-3,300,{b2.address}\n")
    result = reconcile(w.token, "BROKER", read_ledger(good, w.token.decimals))
    assert result.matches and result.difference == 0 and result.on_chain_total == Decimal(1000)

    off = tmp_path / "off.csv"
    off.write_text(f"client_id,amount,wallet\nC-1,400,{b1.address}\nC-1,250.5,{b1.address}\nC-3,300,{b2.address}\n")
    result = reconcile(w.token, "BROKER", read_ledger(off, w.token.decimals))
    assert not result.matches
    assert result.difference == Decimal("-49.5")
    assert [(d.wallet, d.difference) for d in result.differences] == [(b1.address, Decimal("-49.5"))]
    assert result.duplicate_clients == ("C-1",)

    totals_only = tmp_path / "totals.csv"
    totals_only.write_text("client_id,amount\nC-1,999\n")
    result = reconcile(w.token, "BROKER", read_ledger(totals_only, w.token.decimals))
    assert result.difference == Decimal(-1) and result.differences == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("client,amount\nC-1,1\n", "the header must name client_id and amount"),
        ("client_id,amount\nC-1,abc\n", r"bad.csv:2: amount 'abc' is not a number"),
        ("client_id,amount\nC-1,1\nC-2,-3\n", r"bad.csv:3: amount -3 must be zero or positive"),
        ("client_id,amount\n,1\n", r"bad.csv:2: client_id is empty"),
        ("client_id,amount,wallet\nC-1,1,0x12\n", r"bad.csv:2: wallet '0x12' is not a valid Ethereum address"),
        ("client_id,amount\nC-1,0.0000000000000000001\n", r"bad.csv:2: amount"),
    ],
)
def test_a_malformed_ledger_is_refused_naming_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(SpecError, match=message):
        read_ledger(path, 18)


def test_a_ledger_naming_a_wallet_of_someone_else_is_refused(w: World, tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    path.write_text(f"client_id,amount,wallet\nC-1,1,{w.people['alice'].address}\n")
    with pytest.raises(SpecError, match="is not a wallet of 'BROKER'"):
        reconcile(w.token, "BROKER", read_ledger(path, 18))
    with pytest.raises(SpecError, match="investor 'NOBODY' is not in the token's registry"):
        reconcile(w.token, "NOBODY", [])
