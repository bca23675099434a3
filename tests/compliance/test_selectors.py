"""Selectors, interface ids, event topics and error selectors pinned three ways: computed with keccak from
the literal signature, the hard-coded hex, and what each token's ABI contains (RWAToken and every asset
token). Plus the restriction-code table (contract vs Python) and the storage layout the token's assembly
relies on."""

from __future__ import annotations

from functools import reduce
from typing import Any

import pytest
from eth_utils.crypto import keccak

from hktoken.artifacts import ArtifactStore
from hktoken.models.restrictions import MESSAGES, Restriction, message_for

from ._helpers import World
from ._kinds import ASSET_CODES, ASSET_MESSAGE_KINDS

# Runs on RWAToken and on every asset token (tests/compliance/_kinds.py): the conformance battery.
EVERY_TOKEN = True


def _signature(item: dict[str, Any]) -> str:
    return f"{item['name']}({','.join(str(i['type']) for i in item['inputs'])})"


def abi_signatures(token_kind: str) -> dict[str, set[str]]:
    """The signatures of the token's functions, events and errors, by item type."""
    abi = ArtifactStore().get(token_kind).abi
    return {kind: {_signature(i) for i in abi if i["type"] == kind} for kind in ("function", "event", "error")}


def selector(signature: str) -> str:
    return "0x" + keccak(text=signature)[:4].hex()


def xor(*hexes: str) -> str:
    return (
        "0x"
        + reduce(
            lambda a, b: bytes(x ^ y for x, y in zip(a, b, strict=True)), (bytes.fromhex(h[2:]) for h in hexes)
        ).hex()
    )


ERC7943_FUNCTIONS = {
    "forcedTransfer(address,address,uint256)": "0x9fc1d0e7",
    "setFrozenTokens(address,uint256)": "0xebe45cba",
    "canSend(address)": "0x2bc06a92",
    "canReceive(address)": "0x90d370ba",
    "getFrozenTokens(address)": "0x158b1a57",
    "canTransfer(address,address,uint256)": "0xe46638e6",
}
ERC1404_FUNCTIONS = {
    "detectTransferRestriction(address,address,uint256)": "0xd4ce1415",
    "messageForTransferRestriction(uint8)": "0x7f4ab1dd",
}
ERC3643_FUNCTIONS = {
    "mint(address,uint256)": "0x40c10f19",
    "burn(address,uint256)": "0x9dc29fac",
    "setAddressFrozen(address,bool)": "0xc69c09cf",
    "isFrozen(address)": "0xe5839836",
    "freezePartialTokens(address,uint256)": "0x125c4a33",
    "unfreezePartialTokens(address,uint256)": "0x1fe56f7d",
    "batchTransfer(address[],uint256[])": "0x88d695b2",
    "batchMint(address[],uint256[])": "0x68573107",
    "batchBurn(address[],uint256[])": "0x4a6cc677",
    "pause()": "0x8456cb59",
    "unpause()": "0x3f4ba83a",
}
ERC7943_ERRORS = {
    "ERC7943CannotSend(address)": "0x45bae9e2",
    "ERC7943CannotReceive(address)": "0x705c1eed",
    "ERC7943CannotTransfer(address,address,uint256)": "0x22dda4be",
    "ERC7943InsufficientUnfrozenBalance(address,uint256,uint256)": "0x00384e71",
}
ERC7943_EVENTS = {
    "ForcedTransfer(address,address,uint256)": "0x7b3ce50c216d2ccf9919c6b9f1bfb33f0350a33010f188750b4af38e00448138",
    "Frozen(address,uint256)": "0x68e0d8c112165d0949ce87205b719ed7d98c7401866c34a159f7c67c6f5620e7",
}
ERC7943_ID, ERC1404_ID = "0x3edbb4c4", "0xab84a5c8"


@pytest.mark.parametrize(
    ("signature", "expected"),
    [*ERC7943_FUNCTIONS.items(), *ERC1404_FUNCTIONS.items(), *ERC3643_FUNCTIONS.items()],
)
def test_function_selector_is_pinned_and_in_the_abi(signature: str, expected: str, token_kind: str) -> None:
    assert selector(signature) == expected
    assert signature in abi_signatures(token_kind)["function"]


@pytest.mark.parametrize(("signature", "expected"), list(ERC7943_ERRORS.items()))
def test_erc7943_error_selector_is_pinned_and_in_the_abi(signature: str, expected: str, token_kind: str) -> None:
    assert selector(signature) == expected
    assert signature in abi_signatures(token_kind)["error"]


@pytest.mark.parametrize(("signature", "expected"), list(ERC7943_EVENTS.items()))
def test_erc7943_event_topic_is_pinned_and_in_the_abi(signature: str, expected: str, token_kind: str) -> None:
    assert "0x" + keccak(text=signature).hex() == expected
    assert signature in abi_signatures(token_kind)["event"]


def test_erc7943_event_fields_are_indexed_as_the_standard_says(token_kind: str) -> None:
    abi = ArtifactStore().get(token_kind).abi
    events = {i["name"]: [(p["name"], p["indexed"]) for p in i["inputs"]] for i in abi if i["type"] == "event"}
    assert events["ForcedTransfer"] == [("from", True), ("to", True), ("amount", False)]
    assert events["Frozen"] == [("account", True), ("amount", False)]


def test_interface_ids_are_the_xor_of_their_selectors() -> None:
    assert xor(*(selector(s) for s in ERC7943_FUNCTIONS)) == xor(*ERC7943_FUNCTIONS.values()) == ERC7943_ID
    assert xor(*(selector(s) for s in ERC1404_FUNCTIONS)) == xor(*ERC1404_FUNCTIONS.values()) == ERC1404_ID
    # The interface artifacts hold exactly those functions.
    for name, expected in (("IERC7943Fungible", ERC7943_ID), ("IERC1404", ERC1404_ID)):
        abi = ArtifactStore().get(name).abi
        own = [_signature(i) for i in abi if i["type"] == "function" and i["name"] != "supportsInterface"]
        assert xor(*(selector(s) for s in own)) == expected


def test_other_entry_points_are_in_the_abi(token_kind: str) -> None:
    signatures = abi_signatures(token_kind)
    for signature in (
        "recoveryAddress(address,address,bytes32)",
        "batchForcedTransfer(address[],address[],uint256[])",
        "batchSetAddressFrozen(address[],bool[])",
        "batchFreezePartialTokens(address[],uint256[])",
        "batchUnfreezePartialTokens(address[],uint256[])",
        "permit(address,address,uint256,uint256,uint8,bytes32,bytes32)",
        "supportsInterface(bytes4)",
    ):
        assert signature in signatures["function"], signature
    for signature in ("TransferRestricted(address,address,uint256,uint8)", "ForcedTransferToSameAccount(address)"):
        assert signature in signatures["error"], signature


@pytest.mark.parametrize(
    ("interface", "supported"),
    [
        (ERC7943_ID, True),
        (ERC1404_ID, True),
        ("0x7965db0b", True),  # IAccessControl
        ("0x01ffc9a7", True),  # IERC165
        ("0xffffffff", False),
        ("0x36372b07", False),  # IERC20 is not advertised
        ("0x00000000", False),
    ],
)
def test_supports_interface(world: World, interface: str, supported: bool) -> None:
    assert world.token.supports_interface(bytes.fromhex(interface[2:])) is supported


def test_restriction_code_table_matches_the_contract(world: World, token_kind: str) -> None:
    assert sorted(MESSAGES) == list(range(18)) == [int(r) for r in Restriction]
    for code in [*range(19), 63]:
        assert world.token.message_for_restriction(code) == message_for(code)
    assert message_for(18) == message_for(63) == "unknown restriction code"
    # 64 and up are an asset token's own codes: each token names its own and no other asset's.
    own = ASSET_CODES[token_kind]
    for code in sorted({*range(64, 96), 100, 255}):
        assert world.token.message_for_restriction(code) == own.get(code, "unknown restriction code"), code
        if code in own and token_kind in ASSET_MESSAGE_KINDS:
            assert message_for(code) == own[code]
    assert message_for(255).startswith("asset rule 255")
