"""``hktoken.abi.Calldata``: the word-by-word encoder of the bulk paths gives exactly ``eth_abi``'s bytes, refuses
what does not fit its type, and hands other signatures to ``eth_abi``."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode

from hktoken.abi import Calldata

ABI = [
    {"type": "function", "name": "batchRegisterInvestors", "inputs": [
        {"name": "ids", "type": "bytes32[]"}, {"name": "wallets", "type": "address[]"},
        {"name": "countries", "type": "uint16[]"}, {"name": "classes", "type": "uint8[]"},
        {"name": "expiries", "type": "uint64[]"}, {"name": "omnibus", "type": "bool[]"}]},
    {"type": "function", "name": "mint", "inputs": [{"name": "to", "type": "address"},
                                                   {"name": "amount", "type": "uint256"}]},
    {"type": "function", "name": "note", "inputs": [{"name": "text", "type": "string"}]},
]  # fmt: skip
WALLETS = ["0x" + f"{n:02x}" * 20 for n in (1, 0xAB, 0xFF)]


def reference(call: Calldata, *args: object) -> str:
    return "0x" + call.selector.hex() + encode(call.types, list(args)).hex()


def test_arrays_of_static_types_encode_exactly_as_eth_abi() -> None:
    call = Calldata(ABI, "batchRegisterInvestors")
    rows = ([bytes([n]) * 32 for n in (1, 2, 3)], WALLETS, [344, 702, 0], [1, 2, 3], [2**64 - 1, 0, 7],
            [True, False, True])  # fmt: skip
    assert call(*rows) == reference(call, *rows)
    assert call([], [], [], [], [], []) == reference(call, [], [], [], [], [], [])
    mint = Calldata(ABI, "mint")
    assert mint(WALLETS[1], 2**256 - 1) == reference(mint, WALLETS[1], 2**256 - 1)


def test_values_that_do_not_fit_are_refused() -> None:
    mint = Calldata(ABI, "mint")
    with pytest.raises(ValueError, match="out of range for uint256"):
        mint(WALLETS[0], 2**256)
    with pytest.raises(ValueError, match="out of range"):
        mint(WALLETS[0], -1)
    with pytest.raises(ValueError, match="is not an address"):
        mint("0x1234", 1)
    with pytest.raises(ValueError, match="is not an address"):
        mint("0x" + "zz" * 20, 1)
    with pytest.raises(ValueError, match="is not an address"):
        mint("0x1_1" + "1" * 37, 1)
    with pytest.raises(ValueError, match="EIP-55 checksum"):
        mint("0x" + "aB" * 20, 1)
    with pytest.raises(ValueError, match="is not an integer"):
        mint(WALLETS[0], True)
    call = Calldata(ABI, "batchRegisterInvestors")
    with pytest.raises(ValueError, match="out of range for uint16"):
        call([bytes(32)], [WALLETS[0]], [65_536], [1], [1], [False])
    with pytest.raises(ValueError, match="is not a bool"):
        call([bytes(32)], [WALLETS[0]], [1], [1], [1], ["false"])
    with pytest.raises(ValueError, match="33 bytes do not fit bytes32"):
        call([bytes(33)], [WALLETS[0]], [1], [1], [1], [False])


def test_other_signatures_go_to_eth_abi_and_names_must_be_unique() -> None:
    note = Calldata(ABI, "note")
    assert note("hello") == reference(note, "hello")
    with pytest.raises(ValueError, match="0 functions named 'burn'"):
        Calldata(ABI, "burn")
