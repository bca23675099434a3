"""``InvestorRegistry.registrationsOf``, the one-call lookup the bulk paths validate with, answers exactly what
``investor(id)`` and ``investorOf(wallet)`` answer one call at a time: registered, unregistered, revoked, several
wallets, a retired wallet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from hktoken.chain.connection import Chain
from hktoken.contracts import bulk
from hktoken.contracts.registry import InvestorRegistry
from hktoken.models.investor import Investor, investor_id_bytes


def _wallet(n: int) -> str:
    return to_checksum_address(f"0x{0xABC00000 + n:040x}")


def test_registrations_of_answers_as_the_single_reads(
    chain: Chain, accounts: list[LocalAccount], investor_registry: InvestorRegistry
) -> None:
    admin = accounts[0]
    expiry = datetime.fromtimestamp(chain.timestamp(), tz=UTC) + timedelta(days=90)
    investor_registry.register(admin, [
        Investor(id="LOOK-1", wallets=[_wallet(1)], country=344, investor_class=1, kyc_expiry=expiry),
        Investor(id="LOOK-2", wallets=[_wallet(2), _wallet(3), _wallet(4)], country=702, investor_class=3,
                 kyc_expiry=expiry + timedelta(days=1), omnibus=True),
        Investor(id="LOOK-3", wallets=[_wallet(5)], country=156, investor_class=2, kyc_expiry=expiry),
    ])  # fmt: skip
    investor_registry.revoke(admin, "LOOK-3")
    investor_registry.remove_wallet(admin, _wallet(3))
    ids = [investor_id_bytes(i) for i in ("LOOK-1", "LOOK-2", "LOOK-3", "NOBODY")]
    wallets = [_wallet(n) for n in range(1, 7)]
    fast_records = bulk.registry_records(chain, investor_registry, ids)
    fast_owners = bulk.owners_of(chain, investor_registry, wallets)
    assert fast_records == [tuple(investor_registry.raw.investor(i)) for i in ids]
    assert fast_owners == [investor_registry.raw.investor_of(w) for w in wallets]
    assert [r[0] != 0 for r in fast_records] == [True, True, True, False]
    assert fast_records[2][4] is True and fast_records[1][5] is True  # LOOK-3 revoked, LOOK-2 omnibus
    assert fast_owners[2] == investor_id_bytes("LOOK-2") and fast_owners[5] == bytes(32)  # retired still owned
    # The same answers from the one-call-per-row path a registry without registrationsOf gets.
    encode = bulk.Calldata(investor_registry.artifact.abi, "investorOf")
    raws = bulk.read_many(chain, investor_registry.address, [encode(w) for w in wallets])
    assert [r[:32] for r in raws] == fast_owners
