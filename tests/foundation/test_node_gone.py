"""A node that went away: every call (wrapper transactions and views, ``Chain.timestamp``, ``Chain.code_at``,
``RWAToken.at``, receipts) fails with the same one-line ChainError, never a ``requests`` traceback."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from hktoken import ComplianceRules, InvestorRegistry, RWAToken
from hktoken.chain import Anvil
from hktoken.errors import ChainError
from hktoken.models.investor import Investor, InvestorClass

HONG_KONG = 344


def _investor(investor_id: str, wallet: str, expiry: datetime) -> Investor:
    return Investor(
        id=investor_id, wallets=[wallet], country=HONG_KONG, investor_class=InvestorClass.PROFESSIONAL,
        kyc_expiry=expiry,
    )  # fmt: skip


def test_every_call_to_a_stopped_node_is_one_chain_error_line() -> None:
    node = Anvil()
    chain = node.start()
    try:
        admin, alice, bob = node.accounts[0], node.accounts[1], node.accounts[2]
        expiry = datetime.fromtimestamp(chain.timestamp(), tz=UTC) + timedelta(days=30)
        registry = InvestorRegistry.deploy(chain, admin)
        registry.register(admin, [_investor("HK-A", alice.address, expiry)])
        token = RWAToken.deploy(
            chain, admin, name="Gone", symbol="GONE", decimals=0, registry=registry, rules=ComplianceRules()
        )
        url = node.url
    finally:
        node.stop()

    expected = (
        f"the JSON-RPC node at {url} did not answer (connection error): check that the node is running and "
        "reachable, then retry"
    )
    calls: dict[str, Callable[[], object]] = {
        "Chain.timestamp": chain.timestamp,
        "Chain.code_at": lambda: chain.code_at(token.address),
        "register": lambda: registry.register(admin, [_investor("HK-B", bob.address, expiry)]),
        "renew_kyc": lambda: registry.renew_kyc(admin, "HK-A", expiry + timedelta(days=1)),
        "RWAToken.at": lambda: RWAToken.at(chain, token.address),
        "InvestorRegistry.at": lambda: InvestorRegistry.at(chain, registry.address),
        "is_verified": lambda: registry.is_verified(alice.address),
        "profile": lambda: registry.profile(alice.address),
        "balance_of": lambda: token.balance_of(alice.address),
        "rules": token.rules,
        "mint": lambda: token.mint(admin, alice.address, 1),
        "receipt": lambda: chain.w3.eth.get_transaction_receipt("0x" + "11" * 32),
    }
    for name, call in calls.items():
        with pytest.raises(ChainError) as info:
            call()
        assert str(info.value) == expected, name
