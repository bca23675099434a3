"""The transaction sender and revert decoding, on the tiny Probe/Coin build."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi.abi import encode
from eth_typing import HexStr
from eth_utils.abi import function_signature_to_4byte_selector
from web3 import Web3

from hktoken.chain import RevertDecoder
from hktoken.chain.sender import GAS_MARGIN_MIN, GAS_MARGIN_PERCENT
from hktoken.contracts import register_domain_errors
from hktoken.errors import ChainError, HKTokenError, SpecError, TransactionReverted, TransferRestricted
from hktoken.models.restrictions import message_for
from hktoken.testing import nothing_sent, reverts

from ._support import ETH
from .conftest import ProbeEnv

MIXED_CASE = Web3.to_checksum_address("0x" + "ab" * 20)


def _selector(signature: str) -> str:
    return "0x" + function_signature_to_4byte_selector(signature).hex()


def _revert(probe: ProbeEnv, fn: str, *args: object, signer_index: int = 1) -> TransactionReverted:
    """Send Probe.fn(*args), expect a revert in the simulation, and check that nothing was sent."""
    w3 = probe.chain.w3
    signer = probe.accounts[signer_index]
    nonce = w3.eth.get_transaction_count(signer.address, "pending")
    balance = w3.eth.get_balance(signer.address)
    with nothing_sent(probe.chain, signer), pytest.raises(TransactionReverted) as info:
        probe.chain.sender.send(signer, probe.probe.address, probe.data(fn, *args))
    assert info.value.tx_hash is None
    assert w3.eth.get_balance(signer.address) == balance
    # and the sender did not burn a nonce either: the next transaction uses the same one
    receipt = probe.chain.sender.send(signer, probe.probe.address, probe.data("bump"))
    assert w3.eth.get_transaction(receipt["transactionHash"])["nonce"] == nonce
    return info.value


def test_custom_error_is_decoded_with_checksummed_addresses(probe: ProbeEnv) -> None:
    exc = _revert(probe, "failCustom", MIXED_CASE, 5)
    assert type(exc) is TransactionReverted
    assert exc.error == "NotAllowed"
    assert exc.arguments == {"who": "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB", "amount": 5}
    assert str(exc) == "reverted with NotAllowed(who='0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB', amount=5)"
    assert exc.data == _selector("NotAllowed(address,uint256)") + encode(["address", "uint256"], [MIXED_CASE, 5]).hex()


def test_error_string_is_decoded(probe: ProbeEnv) -> None:
    exc = _revert(probe, "failString")
    assert (exc.error, exc.arguments, str(exc)) == ("Error", {"message": "probe says no"}, "reverted: probe says no")


def test_panic_is_decoded(probe: ProbeEnv) -> None:
    exc = _revert(probe, "failPanic", 0)
    assert (exc.error, exc.arguments, str(exc)) == ("Panic", {"code": 0x12}, "reverted with Panic(0x12)")


def test_error_declared_only_in_an_interface_is_decoded(probe: ProbeEnv) -> None:
    assert "DeclaredElsewhere" not in {e["name"] for e in probe.probe.abi if e["type"] == "error"}
    exc = _revert(probe, "failInterfaceError", probe.accounts[2].address, 9)
    assert exc.error == "DeclaredElsewhere"
    assert exc.arguments == {"account": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "id": 9}


def test_openzeppelin_error_bubbled_up_from_another_contract_is_decoded(probe: ProbeEnv) -> None:
    assert "ERC20InsufficientBalance" not in {e["name"] for e in probe.probe.abi if e["type"] == "error"}
    exc = _revert(probe, "callCoin", probe.coin.address, probe.accounts[2].address, 7)
    assert exc.error == "ERC20InsufficientBalance"
    assert exc.arguments == {"sender": probe.probe.address, "balance": 0, "needed": 7}


def test_unknown_selector(probe: ProbeEnv) -> None:
    exc = _revert(probe, "failUnknown")
    assert (exc.error, exc.arguments, exc.data) == ("Unknown(0xdeadbeef)", {}, "0xdeadbeef")
    assert str(exc) == "reverted with an error unknown to this build (selector 0xdeadbeef)"


def test_revert_without_data(probe: ProbeEnv) -> None:
    exc = _revert(probe, "failEmpty")
    assert (exc.error, exc.arguments) == ("Revert", {})


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (3, "recipient not verified"),
        (11, "tokens are locked up"),
        (40, "unknown restriction code"),
        (99, "asset rule 99 (the token's messageForTransferRestriction names it)"),
    ],
)
def test_transfer_restricted_carries_code_and_reason_once_the_domain_registers_it(
    probe: ProbeEnv, code: int, reason: str
) -> None:
    sender, recipient = probe.accounts[2].address, probe.accounts[3].address
    exc = _revert(probe, "failRestricted", sender, recipient, 10 * ETH, code)
    # chain/ knows no domain error: on a chain no wrapper registered them on, it is a plain revert
    assert type(exc) is TransactionReverted
    assert exc.error == "TransferRestricted"
    assert exc.arguments == {"from": sender, "to": recipient, "amount": 10 * ETH, "code": code}

    decoder = RevertDecoder(probe.store.error_abis())
    register_domain_errors(decoder)
    register_domain_errors(decoder)  # idempotent
    typed = decoder.decode(exc.data)
    assert type(typed) is TransferRestricted
    assert isinstance(typed, TransactionReverted) and isinstance(typed, HKTokenError)
    assert not isinstance(typed, ChainError)  # a refusal is not a node failure
    assert (typed.code, typed.reason) == (code, reason)
    assert typed.reason == message_for(code)
    assert typed.error == "TransferRestricted"
    assert typed.arguments == {"from": sender, "to": recipient, "amount": 10 * ETH, "code": code}
    assert str(typed) == f"TransferRestricted(code={code}, reason={reason!r})"


def test_a_different_factory_for_a_registered_error_is_refused() -> None:
    decoder = RevertDecoder([])
    register_domain_errors(decoder)
    assert {"TransferRestricted", "ERC7943InsufficientUnfrozenBalance"} <= decoder.registered()
    with pytest.raises(SpecError, match="revert error TransferRestricted already has a factory"):
        decoder.register("TransferRestricted", lambda decoded: decoded.generic())


def test_a_registered_factory_builds_the_exception(probe: ProbeEnv) -> None:
    class NotAllowedError(TransactionReverted):
        pass

    decoder = RevertDecoder(probe.store.error_abis())
    decoder.register("NotAllowed", lambda d: NotAllowedError(d.error, d.args, data=d.data, tx_hash=d.tx_hash))
    data = _selector("NotAllowed(address,uint256)") + encode(["address", "uint256"], [MIXED_CASE, 5]).hex()
    exc = decoder.decode(data)
    assert type(exc) is NotAllowedError
    assert (exc.error, exc.arguments, exc.data) == ("NotAllowed", {"who": MIXED_CASE, "amount": 5}, data)


def test_simulation_runs_against_the_block_the_transaction_lands_in(probe: ProbeEnv) -> None:
    # failOnChain(n) reverts once block.number > n: true for the next block, not for the latest one.
    signer = probe.accounts[5]
    latest = probe.chain.w3.eth.block_number  # the argument: not a "nothing was sent" check
    with nothing_sent(probe.chain, signer), reverts("OnChainOnly", blockNumber=latest + 1) as info:
        probe.chain.sender.send(signer, probe.probe.address, probe.data("failOnChain", latest))
    assert info.value.tx_hash is None  # caught by the simulation: nothing was sent


def test_mined_failure_is_replayed_to_decode_its_error(probe: ProbeEnv) -> None:
    w3 = probe.chain.w3
    signer = probe.accounts[6]
    nonce = w3.eth.get_transaction_count(signer.address)
    with pytest.raises(TransactionReverted) as info:  # an explicit gas limit skips the simulation
        probe.chain.sender.send(signer, probe.probe.address, probe.data("failCustom", MIXED_CASE, 1), gas=100_000)
    exc = info.value
    assert (exc.error, exc.arguments) == ("NotAllowed", {"who": MIXED_CASE, "amount": 1})
    assert exc.tx_hash is not None
    receipt = w3.eth.get_transaction_receipt(HexStr(exc.tx_hash))
    assert receipt["status"] == 0
    assert w3.eth.get_transaction(HexStr(exc.tx_hash))["gas"] == 100_000
    assert w3.eth.get_transaction_count(signer.address) == nonce + 1


def test_consecutive_sends_track_nonces_locally(probe: ProbeEnv) -> None:
    w3 = probe.chain.w3
    signer = probe.accounts[7]
    nonce = w3.eth.get_transaction_count(signer.address)
    first = probe.chain.sender.send(signer, probe.probe.address, probe.data("bump"))
    second = probe.chain.sender.send(signer, probe.probe.address, probe.data("bump"))
    assert (first["status"], second["status"]) == (1, 1)
    assert [w3.eth.get_transaction(r["transactionHash"])["nonce"] for r in (first, second)] == [nonce, nonce + 1]
    assert second["blockNumber"] == first["blockNumber"] + 1
    # pinned solc, optimizer and prague: the gas is exact. The first bump writes a zero slot (22,100 cold),
    # the second a non-zero one (5,000): they differ by exactly 17,100.
    assert (first["gasUsed"], second["gasUsed"]) == (43_405, 26_305)
    assert first["gasUsed"] - second["gasUsed"] == 22_100 - 5_000
    assert probe.probe.functions.counter().call() == 2


def test_transactions_are_eip1559_with_a_gas_margin(probe: ProbeEnv) -> None:
    w3 = probe.chain.w3
    signer = probe.accounts[8]
    data = probe.data("bump")
    estimate = probe.chain.sender.simulate(signer, probe.probe.address, data)
    base_fee = w3.eth.get_block("latest")["baseFeePerGas"]
    receipt = probe.chain.sender.send(signer, probe.probe.address, data)
    tx = w3.eth.get_transaction(receipt["transactionHash"])
    assert tx["type"] == 2 and receipt["type"] == 2
    assert tx["chainId"] == 31337
    assert tx["gas"] == estimate + max(estimate * GAS_MARGIN_PERCENT // 100, GAS_MARGIN_MIN)
    assert tx["gas"] == estimate + 20_000  # a small transaction gets room for one zero slot written non-zero
    assert tx["maxPriorityFeePerGas"] == w3.eth.max_priority_fee
    assert tx["maxFeePerGas"] == 2 * base_fee + tx["maxPriorityFeePerGas"]
    assert receipt["gasUsed"] > 21_000


def test_ether_transfer_balances_to_the_wei(probe: ProbeEnv) -> None:
    w3 = probe.chain.w3
    payer, payee = probe.accounts[1], probe.accounts[9]
    payer_before, payee_before = w3.eth.get_balance(payer.address), w3.eth.get_balance(payee.address)
    receipt = probe.chain.sender.send(payer, payee.address, HexStr("0x"), value=3 * ETH + 7)
    assert receipt["status"] == 1
    assert receipt["gasUsed"] == 21_000
    fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert w3.eth.get_balance(payee.address) == payee_before + 3 * ETH + 7
    assert w3.eth.get_balance(payer.address) == payer_before - 3 * ETH - 7 - fee


def test_nonce_used_elsewhere_is_re_read_and_retried(probe: ProbeEnv) -> None:
    w3 = probe.chain.w3
    signer, payee = probe.accounts[3], probe.accounts[4].address
    first = probe.chain.sender.send(signer, payee, HexStr("0x"), value=1)
    nonce = w3.eth.get_transaction(first["transactionHash"])["nonce"]
    # another wallet with the same key spends the nonce the sender has tracked as next
    outside: dict[str, Any] = {
        "chainId": 31337, "nonce": nonce + 1, "to": payee, "value": 2, "gas": 21_000,
        "maxFeePerGas": 10 * 10**9, "maxPriorityFeePerGas": 10**9, "type": 2,
    }  # fmt: skip
    w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signer.sign_transaction(outside).raw_transaction))
    third = probe.chain.sender.send(signer, payee, HexStr("0x"), value=3)
    assert third["status"] == 1
    assert w3.eth.get_transaction(third["transactionHash"])["nonce"] == nonce + 2


def test_deployment_runtime_code_matches_the_artifact(probe: ProbeEnv) -> None:
    assert probe.chain.code_at(probe.probe.address) == probe.store.get("Probe").deployed_bytecode
    assert probe.coin.functions.balanceOf(probe.accounts[0].address).call() == 1_000_000 * ETH


# --- the decoder on its own ---------------------------------------------------------------------------------


@pytest.fixture
def decoder(probe: ProbeEnv) -> RevertDecoder:
    return probe.chain.decoder


@pytest.mark.parametrize("data", [None, "", "0x", b"", "0x1234", "not hex"])
def test_too_short_revert_data(decoder: RevertDecoder, data: str | bytes | None) -> None:
    exc = decoder.decode(data)
    assert (exc.error, exc.arguments, str(exc)) == ("Revert", {}, "reverted without a reason")


def test_truncated_arguments_are_reported_as_malformed(decoder: RevertDecoder) -> None:
    selector = _selector("NotAllowed(address,uint256)")
    exc = decoder.decode(selector + "00" * 20)
    assert (exc.error, exc.arguments) == (f"Malformed({selector})", {})


def test_errors_learned_later_are_decoded() -> None:
    decoder = RevertDecoder([])
    data = _selector("Late(uint8,bytes32)") + encode(["uint8", "bytes32"], [4, b"\x01" * 32]).hex()
    assert decoder.decode(data).error == f"Unknown({data[:10]})"
    decoder.add(
        [
            {"type": "function", "name": "ignored", "inputs": []},
            {
                "type": "error",
                "name": "Late",
                "inputs": [{"name": "", "type": "uint8"}, {"name": "tag", "type": "bytes32"}],
            },
        ]
    )
    exc = decoder.decode(data)
    assert (exc.error, exc.arguments) == ("Late", {"arg0": 4, "tag": b"\x01" * 32})
    assert str(exc) == "reverted with Late(arg0=4, tag=0x" + "01" * 32 + ")"
