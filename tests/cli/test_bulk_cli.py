"""The bulk paths from the command line: ``investor import FILE.csv --token`` (register and issue, every bad row
reported, the same file twice is safe, a missing duty refused before anything is sent) and ``bond push --all``
(every holder paid once, a second push sends nothing)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from hktoken import InvestorRegistry
from hktoken.bulk.onboard import onboard, read_onboarding_csv
from hktoken.chain import Chain
from hktoken.chain.bulk import BulkSender
from hktoken.chain.sender import SignedTransaction
from hktoken.contracts.bond import BondToken
from hktoken.contracts.stablecoin import HKDStablecoin
from hktoken.models.bond import BondTerms

from .conftest import World, ok, one_line_error

DAY = 86_400
ROWS = 30
CPT = 19  # HKD per bond per coupon: HK$1,000 x 3.8% / 2


@dataclass
class BulkWorld(World):
    bond: BondToken
    hkd: HKDStablecoin


@pytest.fixture(scope="module")
def bw(chain: Chain, accounts: Sequence[LocalAccount]) -> BulkWorld:
    """[0] the admin with every duty of a fresh registry, a 0-decimal bond and its paying agent; HKD 1,000,000."""
    admin = accounts[0]
    registry = InvestorRegistry.deploy(chain, admin)
    hkd = HKDStablecoin.deploy(chain, admin)
    issue = datetime.fromtimestamp(chain.timestamp(), tz=UTC).replace(microsecond=0)
    dates = tuple(issue + timedelta(days=30 * n) for n in (1, 2))
    terms = BondTerms(
        isin="HK0000GB2028", currency="HKD", payment_token=hkd.address, payment_decimals=6,
        denomination=Decimal(1000), coupon_rate_bps=380, coupon_frequency=2, issue_date=issue,
        maturity_date=dates[-1], coupon_dates=dates, min_call_notice=timedelta(days=10),
    )  # fmt: skip
    bond = BondToken.deploy(chain, admin, name="HK Green Bond", symbol="HKGB", decimals=0, registry=registry,
                            terms=terms)  # fmt: skip
    hkd.mint(admin, admin.address, Decimal(1_000_000))
    return BulkWorld(chain, registry, bond, accounts, bond, hkd)  # type: ignore[arg-type]


def _wallet(n: int) -> str:
    return to_checksum_address(f"0x{0xFACE0000 + n:040x}")


def _csv(path: Path, rows: int) -> Path:
    lines = ["id,wallet,country,class,kyc_days,omnibus,amount"]
    lines += [f"CLI-{n:03d},{_wallet(n)},HK,professional,365,no,{n + 1}" for n in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def args(w: BulkWorld, out: Path) -> list[str]:
    return ["--registry", w.registry.address, "--token", w.bond.address, "--out", str(out)]


def test_import_registers_and_issues_then_the_same_file_again_sends_nothing(bw: BulkWorld, tmp_path: Path) -> None:
    w = bw
    csv_file = _csv(tmp_path / "book.csv", ROWS)
    (line,) = ok(w.run("investor", "import", str(csv_file), *args(w, tmp_path)))
    assert line == (
        f"imported {ROWS} investors ({ROWS} wallets) from {csv_file} in 1 batch, issued 465 HKGB to {ROWS} holders: "
        f"{w.last_tx(1)}; {w.last_tx()}"
    )  # 1 + 2 + ... + 30 bonds; one registration batch and one mint batch
    assert [w.bond.raw_balance_of(_wallet(n)) for n in range(ROWS)] == list(range(1, ROWS + 1))
    assert w.registry.is_verified(_wallet(ROWS - 1))
    (journal,) = (tmp_path / "deployments").rglob("import-*.json")
    assert [e["status"] for e in json.loads(journal.read_text())["transactions"]] == ["done", "done"]

    before = w.nonces()
    (again,) = ok(w.run("investor", "import", str(csv_file), *args(w, tmp_path)))
    assert again == (
        f"imported {ROWS} investors ({ROWS} wallets) from {csv_file} in 0 batches, issued 0 HKGB to 0 holders "
        f"({ROWS} already registered, {ROWS} already issued: skipped): nothing sent"
    )
    assert w.nonces() == before


def test_import_reports_every_bad_row_and_lists_them_all_with_json(bw: BulkWorld, tmp_path: Path) -> None:
    w = bw
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "id,wallet,country,class,kyc_days,amount\n"
        f"BAD-1,{_wallet(100)},HK,pro,30,5\n"
        f"BAD-2,0xnope,HK,pro,30,5\n"
        f"BAD-1,{_wallet(101)},HK,pro,30,5\n"
        f"BAD-3,{_wallet(102)},HK,pro,30,0.5\n"
    )
    before = w.nonces()
    one_line_error(
        w.run("investor", "import", str(bad), *args(w, tmp_path)),
        f"{bad}: 3 bad rows, nothing sent: {bad}:3: wallets.0: address '0xnope' is not a valid Ethereum address; "
        f"{bad}:4: id: investor BAD-1 is also on line 2; {bad}:5: amount: amount 0.5 has more than 0 decimal places: "
        "correct "
        "every row listed (--json lists them all) and run again",
    )
    result = w.run("investor", "import", str(bad), *args(w, tmp_path), "--json")
    assert result.exit_code == 1 and result.stderr.startswith(f"error: {bad}: 3 bad rows, nothing sent")
    report = json.loads(result.stdout)
    assert report["file"] == str(bad)
    assert [(p["line"], p["field"]) for p in report["problems"]] == [(3, "wallets.0"), (4, "id"), (5, "amount")]
    assert report["problems"][2]["fix"] == "round it to at most 0 decimals (the token's precision)"
    one_line_error(
        w.run("investor", "import", str(bad), "--registry", w.registry.address),
        f"{bad}:1: the file has an amount column but no token to issue: pass --token",
    )
    assert w.nonces() == before


def test_import_without_the_issuer_duty_is_refused_before_anything_is_sent(bw: BulkWorld, tmp_path: Path) -> None:
    w = bw
    registrar = w.accounts[9]
    w.registry.grant_role(w.admin, "REGISTRAR_ROLE", registrar.address)
    csv_file = _csv(tmp_path / "more.csv", ROWS)
    before = w.nonces()
    one_line_error(
        w.run("investor", "import", str(csv_file), *args(w, tmp_path), signer=registrar),
        f"{registrar.address} lacks ISSUER_ROLE: grant it with grantRole, or sign with an account that has it",
    )
    assert w.nonces() == before
    assert not w.registry.contains(_wallet(0))


class Crash(Exception):
    pass


def test_a_dry_run_after_a_stop_counts_the_journaled_batches_and_sends_nothing(bw: BulkWorld, tmp_path: Path) -> None:
    """A run stopped after its first register batch was mined (all three journaled): the dry run reads the
    journal, says the three batches would be settled first and plans only what is left after them (the mints);
    then the real run settles them, and issues, exactly as previewed."""
    w = bw
    csv_file = _csv(tmp_path / "book.csv", ROWS)
    rows = read_onboarding_csv(csv_file, datetime.fromtimestamp(w.chain.timestamp(), tz=UTC), decimals=0)

    def crash(phase: str, signed: Sequence[SignedTransaction]) -> None:
        BulkSender(w.chain).submit_and_gather(signed[:1])
        raise Crash(phase)

    with pytest.raises(Crash):
        onboard(w.chain, w.admin, w.registry, rows, out=tmp_path, token=w.bond, max_rows=10, on_signed=crash)
    (journal,) = (tmp_path / "deployments").rglob("import-*.json")
    before, journaled = w.nonces(), journal.read_bytes()
    (line,) = ok(w.run("investor", "import", str(csv_file), *args(w, tmp_path), "--dry-run"))
    assert line == (
        f"{csv_file}: {ROWS} investors ({ROWS} wallets) valid: nothing sent (--dry-run); would register 0, link 0 "
        f"further wallets and issue to {ROWS} holders (10 already registered, 0 already issued); first, 3 batches "
        f"({ROWS} rows) an earlier run journaled in {journal} would be settled (found mined, or sent again as signed)"
    )
    assert (w.nonces(), journal.read_bytes()) == (before, journaled)  # nothing sent, the journal untouched
    edited = tmp_path / "book-edited.csv"  # the same book with its last row dropped: another input, another journal
    edited.write_text("".join(csv_file.read_text().splitlines(keepends=True)[:-1]))
    (line,) = ok(w.run("investor", "import", str(edited), *args(w, tmp_path), "--dry-run", "--json"))
    report = json.loads(line)
    assert (report["unsettled"], report["unsettled_elsewhere"], report["register"]) == (0, 3, ROWS - 1 - 10)
    assert w.nonces() == before and list((tmp_path / "deployments").rglob("import-*.json")) == [journal]
    (line,) = ok(w.run("investor", "import", str(csv_file), *args(w, tmp_path)))
    assert line.startswith(f"imported {ROWS} investors ({ROWS} wallets) from {csv_file} in 0 batches, issued 465 HKGB")
    assert [w.bond.raw_balance_of(_wallet(n)) for n in range(ROWS)] == list(range(1, ROWS + 1))


def test_a_dry_run_without_the_registrar_duty_is_refused_as_the_real_run_would_be(
    bw: BulkWorld, tmp_path: Path
) -> None:
    w = bw
    stranger = w.accounts[8]
    csv_file = _csv(tmp_path / "book.csv", ROWS)
    one_line_error(
        w.run("investor", "import", str(csv_file), *args(w, tmp_path), "--dry-run", signer=stranger),
        f"{stranger.address} lacks REGISTRAR_ROLE: grant it with grantRole, or sign with an account that has it",
    )
    assert not (tmp_path / "deployments").exists()  # a dry run writes no journal


def _book_with_coupon_funded(w: BulkWorld, tmp_path: Path) -> int:
    """The ROWS-investor book imported and issued, the first coupon recorded and funded by the admin; returns the
    funding in HKD base units."""
    ok(w.run("investor", "import", str(_csv(tmp_path / "book.csv", ROWS)), *args(w, tmp_path)))
    w.chain.increase_time(31 * DAY)
    w.chain.mine()
    funding = w.bond.paying_agent.raw.coupon_funding(0)
    w.hkd.raw.approve(w.admin, w.bond.paying_agent.address, funding)
    w.bond.fund_coupon(w.admin, 0)
    return funding


def test_push_all_pays_every_holder_once(bw: BulkWorld, tmp_path: Path) -> None:
    w = bw
    assert _book_with_coupon_funded(w, tmp_path) == 465 * CPT * 10**6
    (line,) = ok(w.run("bond", "push", "--all", "--token", w.bond.address, "--out", str(tmp_path)))
    assert line == f"pushed 8835 HKD of coupons of HKGB to {ROWS} holders of {ROWS} in 1 transaction: {w.last_tx()}"
    assert [w.hkd.raw_balance_of(_wallet(n)) for n in range(ROWS)] == [(n + 1) * CPT * 10**6 for n in range(ROWS)]
    before = w.nonces()
    (again,) = ok(w.run("bond", "push", "--all", "--token", w.bond.address, "--out", str(tmp_path)))
    assert again == f"pushed 0 HKD of coupons of HKGB to 0 holders of {ROWS} in 0 transactions: nothing sent"
    assert w.nonces() == before
    one_line_error(
        w.run("bond", "push", "--token", w.bond.address),
        "name the holders to pay, or pass --all (not both): e.g. `hktoken bond push --all`",
    )
    one_line_error(
        w.run("bond", "push", _wallet(0), "--all", "--token", w.bond.address),
        "name the holders to pay, or pass --all (not both): e.g. `hktoken bond push --all`",
    )


def test_push_all_reports_a_holder_the_stablecoin_refuses(bw: BulkWorld, tmp_path: Path) -> None:
    w = bw
    _book_with_coupon_funded(w, tmp_path)
    blocked = _wallet(4)
    w.hkd.block(w.admin, blocked)
    (line,) = ok(w.run("bond", "push", "--all", "--token", w.bond.address, "--out", str(tmp_path)))
    assert line.startswith(
        f"pushed 8740 HKD of coupons of HKGB to {ROWS - 1} holders of {ROWS} in 1 transaction; 1 holder could not be "
        f"paid and still owed, first {blocked}: "
    )  # 8835 - 5 x 19: the blocked holder's HK$95 stays owed; the agent skipped it in the one batch
    assert "AccountIsBlocked" in line
    assert w.hkd.raw_balance_of(blocked) == 0
    assert [w.hkd.raw_balance_of(_wallet(n)) for n in range(ROWS) if n != 4] == [
        (n + 1) * CPT * 10**6 for n in range(ROWS) if n != 4
    ]


def test_push_names_a_holder_the_stablecoin_refuses_and_totals_what_was_paid(bw: BulkWorld, tmp_path: Path) -> None:
    w = bw
    _book_with_coupon_funded(w, tmp_path)
    paid, blocked = _wallet(3), _wallet(4)  # 4 bonds (HK$76 owed) and 5 (HK$95)
    w.hkd.block(w.admin, blocked)
    refusal = f"reverted with AccountIsBlocked(account='{blocked}')"
    (line,) = ok(w.run("bond", "push", paid, blocked, "--token", w.bond.address))
    assert line == (
        f"pushed 76 HKD of coupons of HKGB to 1 holder of 2; 1 holder could not be paid and still owed, first "
        f"{blocked}: {refusal}: {w.last_tx()}"
    )
    assert (w.hkd.raw_balance_of(paid), w.hkd.raw_balance_of(blocked)) == (76 * 10**6, 0)
    (out,) = ok(w.run("bond", "push", blocked, "--token", w.bond.address, "--json"))
    report = json.loads(out)
    assert (report["paid"], report["unpaid"]) == ([], [{"holder": blocked, "reason": refusal}])
    assert w.bond.paying_agent.raw.claimable(blocked) == 95 * 10**6  # still owed
    w.hkd.unblock(w.admin, blocked)
    (out,) = ok(w.run("bond", "push", "--all", "--token", w.bond.address, "--out", str(tmp_path), "--json"))
    report = json.loads(out)
    assert (report["holders"], report["pushed"], report["amount"], report["unpaid"]) == (ROWS, ROWS - 1, "8759", [])
    assert [w.hkd.raw_balance_of(_wallet(n)) for n in range(ROWS)] == [(n + 1) * CPT * 10**6 for n in range(ROWS)]
