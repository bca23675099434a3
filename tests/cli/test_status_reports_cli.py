"""``hktoken status``, ``captable``, ``audit`` and ``reconcile`` on anvil: exact tables and lines, the record-date
cap table, the audit export as CSV and JSON, and a reconciliation that exits 1 listing its differences."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from hktoken.cli import status_cmd
from hktoken.cli.status_cmd import StatusSection, register_status_section
from hktoken.contracts.base import deploy_contract
from hktoken.contracts.token import RWAToken
from hktoken.errors import ChainError
from hktoken.reports.captable import deployment_block

from .conftest import World, ok, one_line_error


def tok(world: World) -> list[str]:
    return ["--token", world.token.address]


# --------------------------------------------------------------------------------------------- status


def test_status_shows_terms_supply_rules_roles_and_holders(funded: World) -> None:
    w = funded
    w.token.apply_rules(w.compliance, {"max_holders": 100, "allowed_countries": [344, 702]})
    w.token.grant_role(w.admin, "AGENT_ROLE", w.accounts[6].address)
    w.token.revoke_role(w.admin, "AGENT_ROLE", w.accounts[6].address)
    w.token.grant_role(w.admin, "ISSUER_ROLE", w.admin.address)
    assert ok(w.q("status", *tok(w))) == [
        f"token      HK Green Bond (HKGB) at {w.token.address}",
        "kind       SecurityToken",
        f"block      {w.block()}",
        "decimals   2",
        "supply     1750 HKGB",
        f"treasury   {w.treasury.address}",
        f"registry   {w.registry.address}",
        "paused     no",
        "holders    3 investors",
        "documents  none",
        "rules",
        "  allowed_countries         344 (HK), 702 (SG)",
        "  blocked_countries         off",
        "  required_classes          off",
        "  max_holders               100",
        "  max_balance_per_investor  off",
        "  lockup_until              off",
        "  minimum_transfer          off",
        "  denomination              off",
        "  supply_cap                off",
        "roles (from RoleGranted/RoleRevoked events, confirmed with hasRole)",
        f"  AGENT_ROLE          {w.agent.address}",
        f"  COMPLIANCE_ROLE     {w.compliance.address}",
        f"  DEFAULT_ADMIN_ROLE  {w.admin.address}",
        f"  ISSUER_ROLE         {', '.join(sorted([w.admin.address, w.issuer.address]))}",
        f"  PAUSER_ROLE         {w.pauser.address}",
    ]
    data = json.loads(w.q("status", "--json", *tok(w)).stdout)
    assert (data["supply"], data["holders"], data["paused"], data["kind"]) == ("1750", 3, False, "SecurityToken")
    assert data["roles"]["AGENT_ROLE"] == [w.agent.address]
    assert data["rules"]["max_holders"] == 100


@pytest.fixture
def bond_section() -> Iterator[StatusSection]:
    """A stand-in asset section (what a bond's command module registers), removed afterwards."""
    saved = list(status_cmd.STATUS_SECTIONS)
    section = StatusSection(
        kind="ProbeBond",
        detect=lambda token: token.symbol == "HKGB",
        lines=lambda token: [("coupon", "2.5% semi-annual"), ("maturity", "2029-06-30")],
    )
    register_status_section(section)
    yield section
    status_cmd.STATUS_SECTIONS[:] = saved


def test_an_asset_kind_adds_its_own_status_lines(world: World, bond_section: StatusSection) -> None:
    lines = ok(world.q("status", *tok(world)))
    assert lines[1] == "kind       ProbeBond"
    assert lines[10:12] == ["coupon     2.5% semi-annual", "maturity   2029-06-30"]
    data = json.loads(world.q("status", "--json", *tok(world)).stdout)
    assert data["ProbeBond"] == {"coupon": "2.5% semi-annual", "maturity": "2029-06-30"}
    assert status_cmd.section_for(RWAToken(world.chain, world.token.address)) is bond_section


# --------------------------------------------------------------------------------------------- captable


def test_captable_per_investor_and_wallet_with_omnibus_marked(funded: World) -> None:
    w = funded
    w.token.transfer(w.alice, w.treasury.address, Decimal("0.5"))
    block = w.block()
    stamp = w.chain.w3.eth.get_block(block)["timestamp"]
    when = datetime.fromtimestamp(stamp, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    lines = ok(w.q("captable", *tok(w)))
    assert lines == [
        f"cap table of HKGB ({w.token.address}) at block {block} ({when}): 1750 HKGB held by 3 investors; "
        "5 transfers replayed, every balance checked against balanceOf",
        "",
        "investor                wallet                                         balance    share",
        "─" * 87,
        f"ALICE                   {w.alice.address}       999.5   57.11%",
        "BROKER *                2 wallets                                          500   28.57%",
        f"                          {w.broker1.address}       300",
        f"                          {w.broker2.address}       200",
        f"BOB                     {w.bob.address}         250   14.29%",
        f"(not in the registry)   {w.treasury.address}         0.5    0.03%",
        "* omnibus account (an intermediary's pooled holding for its clients)",
    ]


def test_captable_at_a_record_block_and_as_json(funded: World) -> None:
    w = funded
    record = w.block()
    w.token.transfer(w.alice, w.bob.address, Decimal(100))
    data = json.loads(w.q("captable", "--at-block", str(record), "--json", *tok(w)).stdout)
    assert data["block"] == record
    assert {h["investor_id"]: h["balance"] for h in data["holders"]} == {
        "ALICE": "1000", "BROKER": "500", "BOB": "250",
    }  # fmt: skip
    assert [h["omnibus"] for h in data["holders"]] == [False, True, False]
    now = json.loads(w.q("captable", "--json", *tok(w)).stdout)
    assert {h["investor_id"]: h["balance"] for h in now["holders"]}["BOB"] == "350"
    one_line_error(
        w.q("captable", "--at-block", str(w.block() + 10), *tok(w)),
        f"block {w.block() + 10} is not on chain {w.chain.chain_id} (latest {w.block()}): give a mined block",
    )


# --------------------------------------------------------------------------------------------- audit


def test_audit_as_csv_on_stdout(funded: World) -> None:
    w = funded
    w.token.forced_transfer(w.agent, w.bob.address, w.alice.address, Decimal("12.34"))
    result = w.q("audit", *tok(w), "--from-block", str(w.block()))
    rows = list(csv.reader(io.StringIO(ok(result) and result.stdout)))
    assert rows[0] == ["block", "time", "transaction", "log_index", "contract", "actor", "event", "details"]
    events = [(r[4], r[5], r[6], r[7]) for r in rows[1:]]
    assert events == [
        ("RWAToken", w.agent.address, "Transfer", f"from={w.bob.address}; to={w.alice.address}; value=12.34"),
        ("RWAToken", w.agent.address, "ForcedTransfer",
         f"from={w.bob.address}; to={w.alice.address}; amount=12.34"),
    ]  # fmt: skip
    assert all(int(r[0]) == w.block() for r in rows[1:])


def _serves_old_state(w: World) -> bool:
    """Whether the node still answers for the world's first blocks: anvil keeps only its in-memory history of states
    (hktoken starts it with --max-persisted-states 0), so late in a long session the earliest ones may be gone."""
    try:
        w.chain.w3.eth.get_code(w.registry.address, 1)
    except Exception:
        return False
    return True


def test_audit_as_json_to_a_file_with_the_registry(funded: World, tmp_path: Path) -> None:
    w = funded
    out = tmp_path / "audit.json"
    first = deployment_block(w.chain, w.registry.address, w.block())  # the registry came before the token
    if _serves_old_state(w):
        assert first < deployment_block(w.chain, w.token.address, w.block())
    else:  # anvil dropped these blocks' states (in-memory history only): the audit then scans from block 0
        assert first == 0
    assert ok(w.q("audit", *tok(w), "--registry", w.registry.address, "--format", "json", "--out", str(out))) == [
        f"wrote {len(json.loads(out.read_text()))} events of blocks {first}..{w.block()} to {out} (json)"
    ]
    rows = json.loads(out.read_text())
    names = [(r["contract"], r["event"]) for r in rows]
    assert ("InvestorRegistry", "InvestorRegistered") in names
    assert names.count(("RWAToken", "Transfer")) == 4
    mint = next(r for r in rows if r["event"] == "Transfer" and r["args"]["to"] == w.broker2.address)
    assert mint["args"]["value"] == "200" and mint["actor"] == w.issuer.address
    one_line_error(
        w.q("audit", *tok(w), "--out", str(tmp_path / "no" / "such" / "a.csv")),
        f"--out {tmp_path / 'no' / 'such' / 'a.csv'}: folder {tmp_path / 'no' / 'such'} does not exist: "
        "create it first",
    )
    one_line_error(
        w.q("audit", *tok(w), "--from-block", str(w.block() + 1)),
        f"blocks {w.block() + 1}..{w.block()} are not on chain (latest {w.block()}): "
        "give --from-block <= --to-block <= the latest block",
    )


# --------------------------------------------------------------------------------------------- reconcile


def ledger(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ledger.csv"
    path.write_text(text)
    return path


def test_reconcile_a_matching_sub_ledger(funded: World, tmp_path: Path) -> None:
    w = funded
    path = ledger(tmp_path, f"client_id,amount,wallet\nC-1,250,{w.broker1.address}\nC-2,50,{w.broker1.address}\n"
                            f"C-3,200,{w.broker2.address}\n")  # fmt: skip
    lines = ok(w.q("reconcile", str(path), "--investor", "BROKER", *tok(w)))
    assert lines == [
        f"reconciliation of BROKER's sub-ledger {path} (3 positions) against HKGB at block {w.block()}",
        "  ledger total    500 HKGB",
        "  on-chain total  500 HKGB",
        "  difference      0 HKGB",
        "result: the sub-ledger matches the chain",
    ]


def test_reconcile_differences_exit_1_listing_each(funded: World, tmp_path: Path) -> None:
    w = funded
    path = ledger(tmp_path, f"client_id,amount,wallet\nC-1,250,{w.broker1.address}\nC-2,60.5,{w.broker1.address}\n"
                            f"C-2,200,{w.broker2.address}\n")  # fmt: skip
    result = w.q("reconcile", str(path), "--investor", "BROKER", *tok(w))
    assert result.exit_code == 1 and result.stderr == ""
    assert result.stdout.splitlines() == [
        f"reconciliation of BROKER's sub-ledger {path} (3 positions) against HKGB at block {w.block()}",
        "  ledger total    510.5 HKGB",
        "  on-chain total  500 HKGB",
        "  difference      10.5 HKGB",
        "result: 3 differences",
        "  total: the books show 10.5 HKGB more than the chain holds",
        f"  wallet {w.broker1.address}: ledger 310.5, on chain 300, difference 10.5",
        "  client C-2 is listed more than once",
    ]
    data = json.loads(w.q("reconcile", str(path), "--investor", "BROKER", "--json", *tok(w)).stdout)
    assert (data["matches"], data["difference"]) == (False, "10.5")


def test_reconcile_at_a_record_block_and_bad_ledgers(funded: World, tmp_path: Path) -> None:
    w = funded
    record = w.block()
    w.token.transfer(w.broker1, w.alice.address, Decimal(100))
    path = ledger(tmp_path, "client_id,amount\nC-1,500\n")
    assert ok(w.q("reconcile", str(path), "--investor", "BROKER", "--at-block", str(record), *tok(w)))[-1] == (
        "result: the sub-ledger matches the chain"
    )
    bad = ledger(tmp_path, "client_id,amount\nC-1,1.005\n")
    one_line_error(
        w.q("reconcile", str(bad), "--investor", "BROKER", *tok(w)),
        f"{bad}:2: amount 1.005 has more than 2 decimal places: round it to at most 2 decimals (the token's precision)",
    )
    good = ledger(tmp_path, "client_id,amount\nC-1,5\n")
    one_line_error(
        w.q("reconcile", str(good), "--investor", "NOBODY", *tok(w)),
        "investor 'NOBODY' is not in the token's registry: check the investor id",
    )


def test_status_and_audit_work_on_an_asset_token_and_use_its_kinds_abi(world: World) -> None:
    w = world
    module = RWAToken.deploy_admin_module(w.chain, w.admin)
    closes = w.chain.timestamp() + 100 * 365 * 86_400
    probe = RWAToken(w.chain, deploy_contract(w.chain, w.admin, "ExtensionProbeToken", w.registry.address,
                                              w.admin.address, w.treasury.address, module, closes).address)  # fmt: skip
    probe.grant_roles(w.admin, {"ISSUER_ROLE": [w.issuer.address]})
    probe.mint(w.issuer, w.alice.address, Decimal(7))
    lines = ok(w.q("status", "--token", probe.address))
    assert lines[:2] == [f"token      {probe.name} ({probe.symbol}) at {probe.address}", "kind       SecurityToken"]
    assert lines[4] == f"supply     7 {probe.symbol}"
    assert lines[-5:] == [
        "  AGENT_ROLE          nobody",
        "  COMPLIANCE_ROLE     nobody",
        f"  DEFAULT_ADMIN_ROLE  {w.admin.address}",
        f"  ISSUER_ROLE         {w.issuer.address}",
        "  PAUSER_ROLE         nobody",
    ]
    saved = list(status_cmd.STATUS_SECTIONS)
    try:
        register_status_section(
            StatusSection("ExtensionProbeToken", lambda t: t.address == probe.address, lambda t: [("closes", "later")])
        )
        assert ok(w.q("status", "--token", probe.address))[1] == "kind       ExtensionProbeToken"
        assert ok(w.q("status", "--token", w.token.address))[1] == "kind       SecurityToken"
        result = w.q("audit", "--token", probe.address, "--from-block", str(w.block()))
        rows = list(csv.reader(io.StringIO(ok(result) and result.stdout)))
        assert [(r[4], r[6]) for r in rows[1:]] == [("ExtensionProbeToken", "Transfer")]
    finally:
        status_cmd.STATUS_SECTIONS[:] = saved


def test_status_falls_back_to_has_role_when_the_node_serves_no_logs(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> list[object]:
        raise ChainError("the node refused eth_getLogs for blocks 0..9: method not available")

    monkeypatch.setattr(status_cmd, "fetch_logs", refuse)
    world.token.grant_role(world.admin, "PAUSER_ROLE", world.treasury.address)
    lines = ok(world.q("status", *tok(world)))
    assert lines[-6:] == [
        "roles (from hasRole over the treasury (the node serves no logs))",
        "  AGENT_ROLE          nobody",
        "  COMPLIANCE_ROLE     nobody",
        "  DEFAULT_ADMIN_ROLE  nobody",
        "  ISSUER_ROLE         nobody",
        f"  PAUSER_ROLE         {world.treasury.address}",
    ]
