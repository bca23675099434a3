"""``hktoken settle``: a DvP trade signed by the seller to a file, countersigned by the buyer, submitted by a third
party, end to end on anvil: the exact lines, the file, both legs settled; a file missing a signature, a signer who
is no party, incomplete terms and a refused settlement as one line with nothing sent."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import InvestorRegistry, RWAToken
from hktoken.chain import Chain
from hktoken.contracts.dvp import DvPSettlement
from hktoken.contracts.stablecoin import HKDStablecoin

from .conftest import World, investor, ok, one_line_error


class DvPWorld(World):
    dvp: DvPSettlement
    hkd: HKDStablecoin


@pytest.fixture(scope="module")
def dw(chain: Chain, accounts: Sequence[LocalAccount]) -> DvPWorld:
    """ALICE ([6]) holds 100 HKGB and sells; BOB ([7]) holds HKD 50,000 and buys; both approved the DvP contract."""
    admin = accounts[0]
    registry = InvestorRegistry.deploy(chain, admin)
    token = RWAToken.deploy(chain, admin, name="HK Green Bond", symbol="HKGB", decimals=2, registry=registry)
    hkd = HKDStablecoin.deploy(chain, admin)
    dvp = DvPSettlement.deploy(chain, admin)
    registry.register(admin, [investor("ALICE", accounts[6]), investor("BOB", accounts[7])])
    token.mint(admin, accounts[6].address, Decimal(100))
    hkd.mint(admin, accounts[7].address, Decimal(50_000))
    token.approve(accounts[6], dvp.address, Decimal(100))
    hkd.approve(accounts[7], dvp.address, Decimal(50_000))
    world = DvPWorld(chain, registry, token, accounts)  # type: ignore[arg-type]
    world.dvp, world.hkd = dvp, hkd
    return world


def terms(w: DvPWorld, amount: str = "40", price: str = "40050.5") -> list[str]:
    expiry = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    return ["--dvp", w.dvp.address, "--seller", w.alice.address, "--buyer", w.bob.address, "--asset",
            w.token.address, "--amount", amount, "--payment", w.hkd.address, "--price", price,
            "--expiry", expiry.isoformat()]  # fmt: skip


def test_sign_countersign_and_submit(dw: DvPWorld, tmp_path: Path) -> None:
    w = dw
    file = tmp_path / "trade.json"
    summary = f"40 HKGB from {w.alice.address} to {w.bob.address} for 40050.5 HKDS"
    assert ok(w.run("settle", "sign", str(file), *terms(w), signer=w.alice)) == [
        f"signed as the seller: {summary} -> {file} (waiting for the buyer)"
    ]
    data = json.loads(file.read_text())
    assert data["format"] == "hktoken-dvp-trade/1" and data["dvp"] == w.dvp.address and data["chain_id"] == 31337
    assert sorted(data["signatures"]) == ["seller"] and data["trade"]["asset_amount"] == "40"
    one_line_error(
        w.run("settle", "submit", str(file)),
        f"trade file {file} lacks the buyer's signature: have that party run `hktoken settle sign FILE`",
    )
    assert ok(w.run("settle", "sign", str(file), signer=w.bob)) == [
        f"signed as the buyer: {summary} -> {file} (both parties signed)"
    ]
    assert ok(w.run("settle", "submit", str(file))) == [f"settled {summary}: {w.last_tx()}"]
    assert w.token.balance_of(w.alice.address) == Decimal(60) and w.token.balance_of(w.bob.address) == Decimal(40)
    assert w.hkd.balance_of(w.alice.address) == Decimal("40050.5")
    assert w.hkd.balance_of(w.bob.address) == Decimal(50_000) - Decimal("40050.5")


def test_bad_input_is_one_line_and_sends_nothing(dw: DvPWorld, tmp_path: Path) -> None:
    w = dw
    before = w.nonces()
    file = tmp_path / "trade.json"
    one_line_error(
        w.run("settle", "sign", str(file), "--dvp", w.dvp.address, signer=w.alice),
        "a new trade needs --seller, --buyer, --asset, --amount, --payment, --price, --expiry too: give every term, "
        "or none to countersign FILE",
    )
    one_line_error(
        w.run("settle", "sign", str(file), *terms(w), signer=w.broker1),
        f"{w.broker1.address} is neither the seller {w.alice.address} nor the buyer {w.bob.address} of the trade: "
        "sign with the seller's or the buyer's key",
    )
    one_line_error(
        w.run("settle", "sign", str(file), *terms(w, amount="1.001"), signer=w.alice),
        "invalid Trade: asset_amount: asset_amount 1.001 has more than 2 decimal places: correct asset_amount",
    )
    assert not file.exists()
    one_line_error(
        w.run("settle", "sign", str(file), signer=w.bob),
        f"cannot read trade file {file} (No such file or directory): check the path",
    )
    ok(w.run("settle", "sign", str(file), *terms(w, amount="100", price="60000"), signer=w.alice))
    ok(w.run("settle", "sign", str(file), signer=w.bob))
    before = w.nonces()
    result = w.run("settle", "submit", str(file))
    assert result.exit_code == 1 and result.stdout == "" and result.stderr.count("\n") == 1
    assert result.stderr == (
        f"error: reverted with ERC20InsufficientAllowance(spender='{w.dvp.address}', allowance=50000000000, "
        "needed=60000000000)\n"
    )  # the buyer approved HK$50,000, the trade asks HK$60,000: both legs or neither
    assert w.nonces() == before
    assert w.token.balance_of(w.alice.address) == Decimal(100)
