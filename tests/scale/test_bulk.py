"""The pipelined bulk sender against a real automine anvil: all mined, none lost, nothing sent twice."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from web3 import Web3

from hktoken.chain.bulk import BulkCall, BulkSender
from hktoken.chain.connection import Chain
from hktoken.errors import TransactionStuck

COUNT = 600


def _transfers(count: int, wei: int) -> tuple[list[BulkCall], list[str]]:
    recipients = [Account.create().address for _ in range(count)]
    calls = [BulkCall(to=Web3.to_checksum_address(r), data=HexStr("0x"), gas=21_000, value=wei) for r in recipients]
    return calls, recipients


def test_many_pipelined_transactions_on_automine_are_all_mined_once(chain: Chain, accounts: list[LocalAccount]) -> None:
    calls, recipients = _transfers(COUNT, 7)
    signer = accounts[3]
    nonce_before = chain.w3.eth.get_transaction_count(signer.address)
    seen: list[int] = []
    result = BulkSender(chain).send_all(signer, calls, progress=lambda mined, total: seen.append(mined))

    assert len(result.sent) == COUNT
    assert [tx.nonce for tx in result.sent] == list(range(nonce_before, nonce_before + COUNT))
    assert result.gas_used == (21_000,) * COUNT
    assert seen[-1] == COUNT
    assert chain.w3.eth.get_transaction_count(signer.address) == nonce_before + COUNT
    assert {chain.w3.eth.get_balance(Web3.to_checksum_address(r)) for r in recipients} == {7}


def test_a_resumed_broadcast_sends_nothing_twice(chain: Chain, accounts: list[LocalAccount]) -> None:
    calls, recipients = _transfers(300, 5)
    signer = accounts[4]
    sender = BulkSender(chain)
    journal: list[HexStr] = []

    class Killed(Exception):
        pass

    def record_then_die(signed: object) -> None:
        journal.extend(tx.raw for tx in signed)  # type: ignore[attr-defined]
        raise Killed

    with pytest.raises(Killed):
        sender.send_all(signer, calls, before_send=record_then_die)
    signed = sender.sign_all(signer, calls)
    assert [tx.raw for tx in signed] == journal  # nothing was sent: the same nonces, the same bytes
    sender.broadcast(signed[:120])  # a first run that got as far as 120
    result = sender.broadcast(signed)  # the resumed run: the 120 are looked up, not resent
    assert len(result.gas_used) == 300
    assert chain.w3.eth.get_transaction_count(signer.address) == signed[-1].nonce + 1
    assert {chain.w3.eth.get_balance(Web3.to_checksum_address(r)) for r in recipients} == {5}


def test_a_transaction_that_cannot_be_mined_raises_stuck_naming_its_nonce(
    chain: Chain, accounts: list[LocalAccount]
) -> None:
    signer = accounts[5]
    sender = BulkSender(chain, deadline_seconds=0.5)
    calls, _ = _transfers(2, 1)
    signed = sender.sign_all(signer, calls)
    gap = [signed[1]]  # nonce gap: the node pools it and can never mine it
    with pytest.raises(TransactionStuck) as caught:
        sender.broadcast(gap)
    assert caught.value.nonce == signed[1].nonce
    assert caught.value.tx_hash == signed[1].tx_hash
    chain.rpc("anvil_dropTransaction", [signed[1].tx_hash])
