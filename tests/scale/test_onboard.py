"""Bulk registration and issuance of a few hundred investors, run twice: nothing doubled, nothing lost."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from eth_account import Account
from eth_account.signers.local import LocalAccount

from hktoken.chain.connection import Chain
from hktoken.contracts.bulk import issue_bulk, register_investors_bulk, registered_ids
from hktoken.contracts.registry import InvestorRegistry
from hktoken.contracts.token import RWAToken
from hktoken.models.investor import Investor

ROWS = 300


def test_bulk_onboarding_then_a_rerun_registers_nothing_twice(
    chain: Chain,
    accounts: list[LocalAccount],
    investor_registry: InvestorRegistry,
    rwa_token_factory: Callable[..., RWAToken],
) -> None:
    token = rwa_token_factory()
    expiry = datetime.fromtimestamp(chain.timestamp(), tz=UTC) + timedelta(days=365)
    investors = [
        Investor(
            id=f"BULK-{n:05d}", wallets=[Account.create().address], country=344, investor_class=1, kyc_expiry=expiry
        )
        for n in range(ROWS)
    ]
    first = register_investors_bulk(chain, accounts[0], investor_registry, investors[:100])
    assert len(registered_ids(chain, investor_registry, investors)) == 100
    second = register_investors_bulk(chain, accounts[0], investor_registry, investors)  # the resumed run
    assert len(registered_ids(chain, investor_registry, investors)) == ROWS
    assert len(first.sent) >= 1 and len(second.sent) >= 1
    again = register_investors_bulk(chain, accounts[0], investor_registry, investors)
    assert again.sent == ()
    issue_bulk(chain, accounts[0], token, [(i.wallets[0], 10**18 + n) for n, i in enumerate(investors)])
    assert [token.raw.balance_of(i.wallets[0]) for i in investors] == [10**18 + n for n in range(ROWS)]
