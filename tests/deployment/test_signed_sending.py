"""The sender's journaled path: ``sign`` sends nothing; ``send_signed`` sends exactly those bytes, any number of
times, as one transaction; it never re-signs."""

from __future__ import annotations

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from hktoken.chain.connection import Chain
from hktoken.contracts.base import deploy_contract
from hktoken.errors import ChainError, TransactionReverted


def test_sign_simulates_and_signs_without_sending(chain: Chain, accounts: list[LocalAccount]) -> None:
    signer = accounts[0]
    block, nonce = chain.w3.eth.block_number, chain.w3.eth.get_transaction_count(signer.address)
    signed = chain.sender.sign(signer, accounts[1].address, "0x", value=1)
    assert signed.nonce == nonce and signed.sender == signer.address
    assert signed.tx_hash == "0x" + keccak(bytes.fromhex(signed.raw[2:])).hex()
    assert signed.gas >= 21_000 + 20_000  # the estimate plus the margin
    assert chain.w3.eth.block_number == block
    assert chain.rpc("eth_getTransactionByHash", [signed.tx_hash]) is None


def test_a_revert_in_the_simulation_raises_before_a_nonce_is_taken(chain: Chain, accounts: list[LocalAccount]) -> None:
    coin = deploy_contract(chain, accounts[0], "HKDStablecoin", accounts[0].address)
    mint = coin.encode_abi("mint", [accounts[1].address, 1])
    with pytest.raises(TransactionReverted) as refused:
        chain.sender.sign(accounts[1], coin.address, mint)  # accounts[1] has no ISSUER_ROLE
    assert refused.value.error == "AccessControlUnauthorizedAccount" and refused.value.tx_hash is None
    nonce = chain.w3.eth.get_transaction_count(accounts[1].address)
    assert chain.sender.sign(accounts[1], accounts[2].address, "0x").nonce == nonce


def test_the_same_signed_bytes_sent_again_are_the_same_transaction(chain: Chain, accounts: list[LocalAccount]) -> None:
    signer = accounts[0]
    nonce = chain.w3.eth.get_transaction_count(signer.address)
    signed = chain.sender.sign(signer, accounts[1].address, "0x", value=5)
    first = chain.sender.send_signed(signer, signed)
    again = chain.sender.send_signed(signer, signed)  # a re-broadcast after a crash: mined once
    assert first["transactionHash"] == again["transactionHash"] and again["status"] == 1
    assert chain.w3.eth.get_transaction_count(signer.address) == nonce + 1
    assert chain.sender.send(signer, accounts[1].address, "0x")["status"] == 1  # tracked nonces stay right


def test_a_signed_transaction_whose_nonce_another_used_is_refused_not_resigned(
    chain: Chain, accounts: list[LocalAccount]
) -> None:
    signer = accounts[0]
    signed = chain.sender.sign(signer, accounts[1].address, "0x", value=7)
    chain.sender.reset_nonces()
    chain.sender.send(signer, accounts[2].address, "0x")  # takes the same nonce
    nonce = chain.w3.eth.get_transaction_count(signer.address)
    with pytest.raises(ChainError) as refused:
        chain.sender.send_signed(signer, signed)
    assert str(refused.value).startswith(f"the node refused transaction {signed.tx_hash} (nonce {signed.nonce}): ")
    assert "nonce too low" in str(refused.value).lower()
    assert chain.w3.eth.get_transaction_count(signer.address) == nonce  # nothing else was sent
