"""DvP settles any hktoken asset token against the HKD stablecoin: the same signed trade, settled for a bond, a gold
token and a fund share class as for RWAToken, moves both legs to the wei; and the security leg keeps every
compliance rule of its token (an unverified buyer is refused with the token's own restriction code, nothing moved)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import DvPSettlement, HKDStablecoin, TransferRestricted
from hktoken.chain import Chain
from hktoken.models.restrictions import Restriction
from tests.compliance._helpers import World, build_world, extra_account, fund, investor, restricted, unchanged
from tests.compliance._helpers import when as chain_when
from tests.compliance._kinds import FACTORIES

KINDS = sorted(set(FACTORIES) - {"ExtensionProbeToken"})
UNIT = 10**18


@pytest.fixture(scope="module", params=KINDS)
def desk(request: pytest.FixtureRequest, chain: Chain, accounts: Sequence[LocalAccount]) -> tuple[World, Any]:
    world = build_world(chain, accounts, kind=request.param)
    seller, buyer, stranger = (extra_account(f"dvp-any:{n}") for n in ("seller", "buyer", "stranger"))
    fund(chain, seller, buyer, stranger)
    world.registry.register(world.admin, [investor(chain, "SELLER", [seller]), investor(chain, "BUYER", [buyer])])
    hkd = HKDStablecoin.deploy(chain, world.admin)
    dvp = DvPSettlement.deploy(chain, world.admin)
    world.token.mint(world.issuer, seller.address, Decimal(100))
    hkd.mint(world.admin, buyer.address, Decimal(1_000_000))
    hkd.mint(world.admin, stranger.address, Decimal(1_000_000))
    world.token.approve(seller, dvp.address, Decimal(100))
    hkd.approve(buyer, dvp.address, Decimal(1_000_000))
    hkd.approve(stranger, dvp.address, Decimal(1_000_000))
    world.people = {"seller": seller, "buyer": buyer, "stranger": stranger}
    return world, (hkd, dvp)


def test_a_signed_trade_settles_both_legs_for_every_asset_token(desk: tuple[World, Any]) -> None:
    world, (hkd, dvp) = desk
    seller, buyer = world.people["seller"], world.people["buyer"]
    trade = dvp.trade(
        seller=seller.address, buyer=buyer.address, asset=world.token, asset_amount=Decimal("12.5"), payment=hkd,
        payment_amount=Decimal("13131.25"), expiry=chain_when(world.chain, 3600),
    )  # fmt: skip
    dvp.settle(buyer, trade, dvp.sign(trade, seller), dvp.sign(trade, buyer))
    assert world.token.raw_balance_of(seller.address) == 875 * 10**17
    assert world.token.raw_balance_of(buyer.address) == 125 * 10**17
    assert hkd.raw_balance_of(seller.address) == 13_131_250_000
    assert hkd.raw_balance_of(buyer.address) == 1_000_000 * 10**6 - 13_131_250_000


def test_the_security_leg_keeps_the_token_rules_for_every_asset_token(desk: tuple[World, Any]) -> None:
    world, (hkd, dvp) = desk
    seller, stranger = world.people["seller"], world.people["stranger"]
    trade = dvp.trade(
        seller=seller.address, buyer=stranger.address, asset=world.token, asset_amount=Decimal(1), payment=hkd,
        payment_amount=Decimal(1000), expiry=chain_when(world.chain, 3600),
    )  # fmt: skip
    signatures = dvp.sign(trade, seller), dvp.sign(trade, stranger)
    code = Restriction.RECIPIENT_NOT_VERIFIED

    def watch() -> Any:
        return world.state(stranger.address), hkd.raw_balance_of(stranger.address)

    with unchanged(world.chain, stranger, watch=watch), restricted(code, seller.address, stranger.address, UNIT) as no:
        dvp.raw.settle(stranger, trade.as_struct(), *signatures)
    refused = no
    assert isinstance(refused.value, TransferRestricted)
    assert refused.value.reason == "recipient not verified"
