"""``hktoken gold``: every command end to end on anvil (a gold token bound to its custodian, the admin holding every
duty), the exact lines it prints and the chain after it; bad input and missing duties as one line with nothing
sent; the reserve's lines of ``hktoken status``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import InvestorRegistry
from hktoken.chain import Chain
from hktoken.contracts.gold import GoldToken
from hktoken.models.gold import GoldBar, RedemptionStatus

from .conftest import World, investor, ok, one_line_error

BAR = GoldBar(serial="HKAU-0001", refiner="Heraeus Hong Kong", gross_oz=Decimal("400.125"), fineness=9999,
              vault="HK Airport Vault")  # fmt: skip
SPARE = GoldBar(serial="HKAU-0002", refiner="PAMP Hong Kong", gross_oz=Decimal("410"), fineness=9999,
                vault="HK Airport Vault")  # fmt: skip


class GoldWorld(World):
    gold: GoldToken


@pytest.fixture(scope="module")
def gw(chain: Chain, accounts: Sequence[LocalAccount]) -> GoldWorld:
    """[0] admin (every duty); bars HKAU-0001 and HKAU-0002 in custody; ALICE ([6]) holds 400 oz."""
    admin = accounts[0]
    registry = InvestorRegistry.deploy(chain, admin)
    gold = GoldToken.deploy(chain, admin, name="HK Vaulted Gold", symbol="HKAU", registry=registry)
    registry.register(admin, [investor("ALICE", accounts[6])])
    gold.custodian.add_bars(admin, [BAR, SPARE])
    gold.mint(admin, accounts[6].address, Decimal(400))
    world = GoldWorld(chain, registry, gold, accounts)  # type: ignore[arg-type]
    world.gold = gold
    return world


def tok(w: GoldWorld) -> list[str]:
    return ["--token", w.gold.address]


def test_add_bar_bars_and_remove_bar(gw: GoldWorld) -> None:
    w = gw
    args = ["gold", "add-bar", "HKAU-0003", "--refiner", "Valcambi", "--gross-oz", "399.5", "--fineness", "9995",
            "--vault", "HK Airport Vault", *tok(w)]  # fmt: skip
    assert ok(w.run(*args)) == [f"listed bar HKAU-0003 (399.30025 fine oz); reserve 1209.3442375 oz: {w.last_tx()}"]
    assert w.gold.custodian.bar_count() == 3 and w.gold.reserve_oz() == Decimal("1209.3442375")
    lines = ok(w.q("gold", "bars", *tok(w)))
    assert [line.split()[0] for line in lines[-3:]] == ["HKAU-0001", "HKAU-0002", "HKAU-0003"]
    assert lines[-1].split()[-5:] == ["9995", "399.30025", "HK", "Airport", "Vault"]
    assert ok(w.run("gold", "remove-bar", "HKAU-0003", *tok(w))) == [
        f"removed 1 bar; reserve 810.0439875 oz: {w.last_tx()}"
    ]
    assert w.gold.custodian.bar("HKAU-0003") is None


def test_attest_and_reserve(gw: GoldWorld, tmp_path: Path) -> None:
    w = gw
    report = tmp_path / "report.pdf"
    report.write_bytes(b"vault report")
    digest = hashlib.sha256(b"vault report").hexdigest()
    lines = ok(w.run("gold", "attest", "--report", str(report), "--uri", "https://audit.example/r1",
                     "--ounces", "810.0439875", *tok(w)))  # fmt: skip
    latest = w.gold.custodian.latest_attestation()
    assert latest is not None and latest.report_hash.hex() == digest and latest.ounces == Decimal("810.0439875")
    assert lines == [
        f"attested 810.0439875 oz as of {latest.as_of:%Y-%m-%d %H:%M:%S} UTC (sha256 {digest[:16]}…): {w.last_tx()}"
    ]
    pairs = [line.split(None, 1) if not line.startswith("reserve ratio") else ["reserve ratio", line.split()[-1]]
             for line in ok(w.q("gold", "reserve", *tok(w)))]  # fmt: skip
    shown = {k: v.strip() for k, v in pairs}
    assert shown["reserve"] == "810.0439875 oz" and shown["supply"] == "400 oz" and shown["bars"] == "2"
    assert shown["reserve ratio"] == "2.0251" and shown["escrowed"] == "0 oz"
    assert shown["attested"] == f"810.0439875 oz as of {latest.as_of:%Y-%m-%d %H:%M:%S} UTC"


def test_request_redemption_then_fulfil_or_reject(gw: GoldWorld) -> None:
    w = gw
    custodian = w.gold.custodian
    assert ok(w.run("gold", "request-redemption", "400", *tok(w), signer=w.alice)) == [
        f"redemption request 1: 400 oz in escrow: {w.last_tx()}"
    ]
    assert custodian.escrowed_oz() == Decimal(400) and w.gold.balance_of(w.alice.address) == 0
    assert ok(w.run("gold", "reject", "1", "KYC-REVIEW", *tok(w))) == [
        f"rejected request 1 (KYC-REVIEW): {w.last_tx()}"
    ]
    assert custodian.redemption(1).status == RedemptionStatus.REJECTED
    assert w.gold.balance_of(w.alice.address) == Decimal(400)
    ok(w.run("gold", "request-redemption", "400", *tok(w), signer=w.alice))
    assert ok(w.run("gold", "fulfil", "2", "HKAU-0001", *tok(w))) == [f"fulfilled request 2 with 1 bar: {w.last_tx()}"]
    assert custodian.redemption(2).status == RedemptionStatus.FULFILLED
    assert w.gold.total_supply() == 0 and custodian.bar("HKAU-0001") is None


def test_bad_input_and_missing_duties_are_one_line_and_send_nothing(gw: GoldWorld, tmp_path: Path) -> None:
    w = gw
    before = w.nonces()
    bar = ["--refiner", "R", "--gross-oz", "400", "--fineness", "9999", "--vault", "V"]
    for args, signer, expected in [
        (["add-bar", "HKAU-0001", *bar], None, "bar HKAU-0001 is already in custody: list each bar once"),
        (["add-bar", "X", *bar[:5], "9000", *bar[6:]], None,
         "invalid GoldBar: fineness 9000 is outside the Good Delivery range 9950-9999 (pass --not-good-delivery "
         "for another bar): correct the bar's options"),
        (["add-bar", "X", *bar], w.alice,
         f"{w.alice.address} lacks CUSTODIAN_ROLE: grant it with grantRole, or sign with an account that has it"),
        (["remove-bar", "HKAU-0001", "HKAU-0002"], None,
         "removing 2 bars would leave 0 oz for a supply of 400 oz: redeem or burn tokens first, or list other bars"),
        (["remove-bar", "NOPE"], None, "bar NOPE is not in custody: `hktoken gold bars` lists the bars"),
        (["request-redemption", "0.0000000000000000001"], w.alice,
         "amount 0.0000000000000000001 has more than 18 decimal places: round it to at most 18 decimals"),
        (["request-redemption", "500"], w.alice,
         f"amount 500 is more than {w.alice.address} holds (400 oz): request at most the holder's balance"),
        (["fulfil", "9", "HKAU-0001"], None, "redemption request 9 is none, not pending: pass the id of a pending "
                                             "request"),
        (["reject", "1", "X"], w.alice,
         f"{w.alice.address} lacks CUSTODIAN_ROLE: grant it with grantRole, or sign with an account that has it"),
        (["attest", "--report", str(tmp_path / "none.pdf"), "--uri", "u", "--ounces", "1"], None,
         f"cannot read report {tmp_path / 'none.pdf'} (No such file or directory): check the path"),
    ]:  # fmt: skip
        one_line_error(w.run("gold", *args, *tok(w), signer=signer), expected)
    assert w.nonces() == before


def test_status_shows_the_reserve(gw: GoldWorld) -> None:
    w = gw
    text = "\n".join(ok(w.q("status", *tok(w))))
    assert "GoldToken" in text and w.gold.custodian.address in text and "810.0439875 oz" in text, text


def test_reserve_as_json(gw: GoldWorld) -> None:
    w = gw
    data = json.loads(ok(w.q("gold", "reserve", *tok(w), "--json"))[0])
    assert data == {
        "custodian": w.gold.custodian.address, "bars": "2", "reserve": "810.0439875 oz", "supply": "400 oz",
        "reserve ratio": "2.0251", "escrowed": "0 oz", "attested": "never",
    }  # fmt: skip
