"""Journaled bulk runs: onboarding a few hundred investors from a CSV file, stopped at each point a crash can
stop it and run again; the import's bad-row report; a coupon push to every holder, stopped and resumed.

Each stop is the state a killed process leaves: the journal holds signed transactions that were sent, sent in part,
or never sent; or another transaction took a journaled nonce. Every resumed run must end with every row applied
exactly once (balances to the wei, one registration each) and the journal saying so.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from eth_typing import HexStr

from hktoken.bulk import ImportRejected, onboard, read_onboarding_csv
from hktoken.chain.bulk import BulkSender
from hktoken.chain.connection import Chain
from hktoken.chain.sender import SignedTransaction
from hktoken.contracts.bulk import balances_of, registry_records
from hktoken.contracts.registry import InvestorRegistry
from hktoken.contracts.token import RWAToken
from hktoken.errors import SpecError
from tests.compliance._helpers import extra_account, fund
from tests.foundation._support import cli_argv

ROWS = 240
MAX_ROWS = 50  # 5 register and 5 mint transactions for 240 rows


class Crash(Exception):
    """Stands for the process being killed at that point."""


def _wallet(n: int) -> str:
    from eth_utils import to_checksum_address

    return to_checksum_address(bytes.fromhex(f"{0xC0FFEE00 + n:040x}"))


def _csv(path: Path, rows: int, *, offset: int = 0) -> Path:
    lines = ["id,wallet,country,class,kyc_days,omnibus,amount"]
    for n in range(offset, offset + rows):
        lines.append(f"SCALE-{n:05d},{_wallet(n)},HK,{'professional' if n % 3 else 'retail'},365,"
                     f"{'yes' if n % 50 == 0 else 'no'},{n + 1}.{n % 100:02d}")  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _expected_units(n: int) -> int:
    return (n + 1) * 10**18 + (n % 100) * 10**16


def _now(chain: Chain) -> datetime:
    return datetime.fromtimestamp(chain.timestamp(), tz=UTC)


def _assert_all_applied_once(chain: Chain, registry: InvestorRegistry, token: RWAToken, rows: int) -> None:
    wallets = [_wallet(n) for n in range(rows)]
    assert balances_of(chain, token, wallets) == [_expected_units(n) for n in range(rows)]
    assert token.raw.total_supply() == sum(_expected_units(n) for n in range(rows))
    records = registry_records(chain, registry, [f"SCALE-{n:05d}".encode().ljust(32, b"\0") for n in range(rows)])
    assert all(r[0] != 0 for r in records)
    assert len({r[0] for r in records}) == rows  # one registration (one key) each


@pytest.fixture
def onboarding(
    chain: Chain,
    accounts: list[LocalAccount],
    investor_registry: InvestorRegistry,
    rwa_token_factory: Callable[..., RWAToken],
    tmp_path: Path,
) -> tuple[Chain, LocalAccount, InvestorRegistry, RWAToken, Path]:
    return chain, accounts[0], investor_registry, rwa_token_factory(), tmp_path


def _run(world: tuple[Chain, LocalAccount, InvestorRegistry, RWAToken, Path], csv_file: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    chain, signer, registry, token, out = world
    rows = read_onboarding_csv(csv_file, _now(chain), decimals=token.decimals)
    return onboard(chain, signer, registry, rows, out=out, token=token, source=str(csv_file), max_rows=MAX_ROWS,
                   **kwargs)  # type: ignore[arg-type]  # fmt: skip


def _crash_at(phase: str, *, send_first: int = 0) -> Callable[[str, Sequence[SignedTransaction]], None]:
    """A hook that stops the run once ``phase`` is journaled, after sending its first ``send_first`` transactions."""

    def hook(current: str, signed: Sequence[SignedTransaction]) -> None:
        if current == phase:
            if send_first:
                BulkSender(chain_of[0]).submit_and_gather(signed[:send_first])  # sent and mined
            raise Crash(phase)

    return hook


chain_of: list[Chain] = []


@pytest.mark.parametrize(("phase", "send_first"), [("register", 0), ("register", 2), ("mint", 0), ("mint", 3)])
def test_an_import_stopped_mid_run_resumes_and_applies_every_row_once(
    onboarding: tuple[Chain, LocalAccount, InvestorRegistry, RWAToken, Path], phase: str, send_first: int
) -> None:
    chain, _signer, registry, token, out = onboarding
    chain_of[:] = [chain]
    csv_file = _csv(out / "investors.csv", ROWS)
    with pytest.raises(Crash):
        _run(onboarding, csv_file, on_signed=_crash_at(phase, send_first=send_first))
    journal = next((out / "deployments").rglob("import-*.json"))
    entries = json.loads(journal.read_text())["transactions"]
    assert {e["status"] for e in entries if e["phase"] == phase} == {"signed"}  # journaled before any was sent

    resumed = _run(onboarding, csv_file)
    _assert_all_applied_once(chain, registry, token, ROWS)
    # The stopped phase's journaled transactions not mined before the stop: the same bytes, sent now.
    assert resumed.resent == 5 - send_first
    assert resumed.voided == 0
    entries = json.loads(journal.read_text())["transactions"]
    assert len(entries) == 10 and {e["status"] for e in entries} == {"done"}
    assert sorted(line for e in entries if e["phase"] == "mint" for line in e["rows"]) == list(range(2, ROWS + 2))

    again = _run(onboarding, csv_file)  # the same file a third time: nothing left to do
    assert (again.registered, again.issued, again.transactions) == (0, 0, [])
    assert (again.already_registered, again.already_issued) == (ROWS, ROWS)
    _assert_all_applied_once(chain, registry, token, ROWS)


def test_a_journaled_transaction_whose_nonce_another_took_is_void_and_its_rows_are_redone(
    onboarding: tuple[Chain, LocalAccount, InvestorRegistry, RWAToken, Path],
) -> None:
    chain, signer, registry, token, out = onboarding
    csv_file = _csv(out / "investors.csv", ROWS)
    with pytest.raises(Crash):
        _run(onboarding, csv_file, on_signed=_crash_at("mint"))
    # Before the rerun the issuer sends something else: it takes the first journaled mint's nonce.
    registry.raw.grant_role(signer, registry.raw.registrar_role(), signer.address)
    resumed = _run(onboarding, csv_file)
    # The first journaled mint can never be mined; the four after it are sent as journaled (their nonces now follow
    # the grant's), and only the void one's 50 rows are signed anew.
    assert (resumed.voided, resumed.resent, resumed.issued) == (1, 4, MAX_ROWS)
    _assert_all_applied_once(chain, registry, token, ROWS)


def test_the_import_reports_every_bad_row_by_line_and_field_and_sends_nothing(
    onboarding: tuple[Chain, LocalAccount, InvestorRegistry, RWAToken, Path],
) -> None:
    chain, signer, _registry, _token, out = onboarding
    good = _csv(out / "good.csv", 3).read_text().splitlines()
    bad = out / "bad.csv"
    bad.write_text("\n".join([
        good[0], good[1],
        "SCALE-00009,0xnope,HK,retail,365,no,1",
        f"SCALE-00010,{_wallet(10)},XX,retail,365,no,1",
        good[2].replace(",365,", ",,"),
        f"SCALE-00011,{_wallet(11)},HK,retail,365,no,1.0000000000000000001",
        f"SCALE-00000,{_wallet(12)},HK,retail,365,no,1",
        f"SCALE-00013,{_wallet(0)},HK,retail,365,no,-4",
        f"SCALE-00014,{_wallet(14)},HK,retail,99999999999,no,1",
        f"SCALE-00015,{_wallet(15)},HK,retail,365,no,1e30",
    ]) + "\n")  # fmt: skip
    nonce = chain.w3.eth.get_transaction_count(signer.address)
    with pytest.raises(ImportRejected) as caught:
        read_onboarding_csv(bad, _now(chain), decimals=18)
    assert [(p.line, p.field) for p in caught.value.problems] == [
        (3, "wallets.0"), (4, "country"), (5, "kyc_expiry"), (6, "amount"), (7, "id"), (8, "amount"),
        (9, "kyc_days"), (10, "amount"),
    ]  # fmt: skip
    problems = caught.value.problems
    assert problems[3].message == "amount 1.0000000000000000001 has more than 18 decimal places"
    assert problems[4].message == "investor SCALE-00000 is also on line 2"
    assert (
        problems[7].message
        == "1E+30 is more than the token can hold (340282366920938463463374607431768211455 base units)"
    )
    assert str(caught.value).startswith(f"{bad}: 8 bad rows, nothing sent: {bad}:3: wallets.0: address '0xnope'")
    assert str(caught.value).endswith("; and 3 more: correct every row listed (--json lists them all) and run again")
    assert chain.w3.eth.get_transaction_count(signer.address) == nonce


def test_a_row_on_chain_in_another_state_is_refused_before_anything_is_sent(
    onboarding: tuple[Chain, LocalAccount, InvestorRegistry, RWAToken, Path],
) -> None:
    chain, signer, registry, _token, out = onboarding
    _run(onboarding, _csv(out / "first.csv", 3))
    changed = out / "changed.csv"
    lines = _csv(out / "changed.csv", 4).read_text().splitlines()
    lines[2] = lines[2].replace(",HK,", ",SG,")  # SCALE-00001, registered in HK
    changed.write_text("\n".join(lines) + "\n")
    nonce = chain.w3.eth.get_transaction_count(signer.address)
    with pytest.raises(ImportRejected) as caught:
        _run(onboarding, changed)
    assert [(p.line, p.field, p.message) for p in caught.value.problems] == [
        (3, "country", "investor SCALE-00001 is registered with country 344, the file says 702")
    ]
    assert chain.w3.eth.get_transaction_count(signer.address) == nonce
    assert registry_records(chain, registry, [b"SCALE-00003".ljust(32, b"\0")])[0][0] == 0


def test_batches_under_the_tx_cap_share_one_gas_limit(tmp_path: Path) -> None:
    """Under EIP-7825's cap every batch of a run carries the same gas limit, so a block builder that skips a full
    one never finds a smaller one behind it (the shape anvil 1.7.1 drops from its pool)."""
    from hktoken.chain.anvil import Anvil
    from hktoken.chain.signers import dev_accounts
    from hktoken.contracts.bulk import register_calls
    from hktoken.models.investor import Investor

    with Anvil(extra_args=("--enable-tx-gas-limit",)) as node:
        signer = dev_accounts(1)[0]
        registry = InvestorRegistry.deploy(node, signer)
        expiry = _now(node).replace(year=_now(node).year + 1)
        investors = [Investor(id=f"DROP-{n:05d}", wallets=[_wallet(50_000 + n)], country=344, investor_class=1,
                              kyc_expiry=expiry) for n in range(900)]  # fmt: skip
        calls = register_calls(node, signer, registry, investors, tx_gas_cap=2**24)
        assert len(calls) >= 3 and len({c.gas for c in calls}) == 1
        assert calls[0].gas <= 2**24 and calls[-1].row_count < calls[0].row_count
        result = BulkSender(node).send_all(signer, calls)
        assert len(result.gas_used) == len(calls)
        assert sum(1 for r in registry_records(node, registry, [i.id_bytes for i in investors]) if r[0]) == 900


def test_a_transaction_the_node_forgot_is_sent_again_byte_for_byte(chain: Chain, accounts: list[LocalAccount]) -> None:
    """What anvil does when it drops a pooled transaction, made deterministic: of eight signed transfers the third
    never reaches the node, so the five behind it wait on its nonce. The sender notices the stall, finds the node
    does not know the third, sends those same bytes again, and all eight are mined once."""
    from hktoken.chain.bulk import BulkCall

    signer = extra_account("scale:forgotten")  # its own account: no other test's pooled transaction in the way
    fund(chain, signer)
    recipients = [_wallet(70_000 + n) for n in range(8)]
    calls = [BulkCall(to=r, data=HexStr("0x"), gas=21_000, value=11) for r in recipients]  # type: ignore[arg-type]
    sender = BulkSender(chain)
    signed = sender.sign_all(signer, calls)
    sender.submit([tx for n, tx in enumerate(signed) if n != 2])
    receipts = sender.gather(signed)
    assert sender.resubmitted == 1
    assert [int(r["status"], 16) for r in receipts] == [1] * 8
    assert [chain.w3.eth.get_balance(r) for r in recipients] == [11] * 8  # type: ignore[arg-type]
    assert chain.w3.eth.get_transaction_count(signer.address) == signed[-1].nonce + 1


def test_an_import_killed_with_sigkill_mid_run_resumes_with_every_row_once(
    onboarding: tuple[Chain, LocalAccount, InvestorRegistry, RWAToken, Path],
) -> None:
    """The real thing: ``hktoken investor import`` in its own process, killed (SIGKILL, no cleanup) as soon as its
    journal holds a signed transaction, then run again to the end. Wherever the kill landed, every row ends up
    registered and issued exactly once."""
    chain, signer, registry, token, out = onboarding
    csv_file = _csv(out / "investors.csv", ROWS)
    argv = [*cli_argv("investor", "import", str(csv_file), "--registry", registry.address, "--token", token.address,
                      "--batch-size", str(MAX_ROWS), "--out", str(out), "--rpc-url", chain.rpc_url)]  # fmt: skip
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("HKTOKEN_")}, "HKTOKEN_PRIVATE_KEY":
           signer.key.hex()}  # fmt: skip
    process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 60
    journals: list[Path] = []
    while not journals and process.poll() is None and time.monotonic() < deadline:
        journals = list((out / "deployments").rglob("import-*.json")) if (out / "deployments").exists() else []
        time.sleep(0.005)
    process.kill()
    process.communicate(timeout=30)
    chain.sender.reset_nonces()
    assert journals, "the import never wrote its journal"
    assert process.returncode == -signal.SIGKILL  # killed mid-run, not finished
    assert "signed" in {e["status"] for e in json.loads(journals[0].read_text())["transactions"]}
    resumed = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    chain.sender.reset_nonces()
    _assert_all_applied_once(chain, registry, token, ROWS)
    entries = json.loads(journals[0].read_text())["transactions"]
    assert {e["status"] for e in entries} <= {"done", "void"}
    done_rows = [line for e in entries if e["status"] == "done" and e["phase"] == "mint" for line in e["rows"]]
    assert sorted(done_rows) == list(range(2, ROWS + 2))  # every line issued by exactly one mined batch


def test_an_edited_file_run_after_a_stop_settles_the_earlier_run_first(
    onboarding: tuple[Chain, LocalAccount, InvestorRegistry, RWAToken, Path],
) -> None:
    """A stop in the mint phase, then the file gains a row (so a new digest, a new journal): the earlier run's
    journaled mints are settled before anything is planned, so none is issued a second time."""
    chain, _signer, registry, token, out = onboarding
    csv_file = _csv(out / "investors.csv", ROWS)
    with pytest.raises(Crash):
        _run(onboarding, csv_file, on_signed=_crash_at("mint"))
    edited = _csv(out / "investors.csv", ROWS + 1)
    resumed = _run(onboarding, edited)
    assert resumed.resent == 5  # the first run's five journaled mints, from its own journal
    assert (resumed.registered, resumed.issued) == (1, 1)  # only the new row
    assert (resumed.already_registered, resumed.already_issued) == (ROWS, ROWS)
    _assert_all_applied_once(chain, registry, token, ROWS + 1)
    journals = sorted((out / "deployments").rglob("import-*.json"))
    assert len(journals) == 2
    for journal in journals:
        assert {e["status"] for e in json.loads(journal.read_text())["transactions"]} == {"done"}


def test_mints_the_token_would_refuse_are_reported_before_any_registration(
    onboarding: tuple[Chain, LocalAccount, InvestorRegistry, RWAToken, Path],
) -> None:
    """The registrations go first, so a mint the token refuses must be found before them: rows in a blocked country,
    of a class the token does not take, or above the balance limit are bad rows; a paused token stops the run.
    Nothing is sent either way."""
    from hktoken.models.rules import ComplianceRules

    chain, signer, registry, token, out = onboarding
    token.apply_rules(signer, ComplianceRules(blocked_countries=frozenset({702}), required_classes=frozenset({1, 2}),
                                              max_balance_per_investor=Decimal(100)))  # fmt: skip
    bad = out / "rules.csv"
    bad.write_text(
        "id,wallet,country,class,kyc_days,amount\n"
        f"RULE-1,{_wallet(201)},HK,retail,30,50\n"
        f"RULE-2,{_wallet(202)},SG,retail,30,50\n"
        f"RULE-3,{_wallet(203)},HK,institutional,30,50\n"
        f"RULE-4,{_wallet(204)},HK,professional,30,100.5\n"
    )
    nonce = chain.w3.eth.get_transaction_count(signer.address)
    with pytest.raises(ImportRejected) as caught:
        _run(onboarding, bad)
    assert [(p.line, p.field, p.message) for p in caught.value.problems] == [
        (3, "country", "the token would refuse this mint: restriction code 7 (recipient country not allowed)"),
        (4, "class", "the token would refuse this mint: restriction code 8 (recipient investor class not allowed)"),
        (5, "amount", "the token would refuse this mint: restriction code 10 (investor balance limit exceeded)"),
    ]
    token.raw.pause(signer)
    good = out / "good.csv"
    good.write_text(f"id,wallet,country,class,kyc_days,amount\nRULE-1,{_wallet(201)},HK,retail,30,50\n")
    with pytest.raises(SpecError, match="is paused, so nothing can be issued: unpause it first"):
        _run(onboarding, good)
    assert chain.w3.eth.get_transaction_count(signer.address) == nonce + 1  # the pause only
    assert registry_records(chain, registry, [b"RULE-1".ljust(32, b"\0")])[0][0] == 0
