"""What kind of contract sits at an address: checked when a wrapper is bound with ``Wrapper.at``, so a registry's
address handed to ``RWAToken.at`` fails at once, naming what is there, instead of every later call reverting without
a reason.

A token (any contract on ``RWATokenBase``) answers ERC-165 for ERC-7943, the registry for ``IInvestorRegistry``;
the stablecoin has no interface of its own, so its runtime code must hold every selector of its ABI (the dispatcher
compares against each one).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce

import requests
from eth_typing import ChecksumAddress, HexStr
from web3.exceptions import Web3Exception
from web3.types import TxParams

from hktoken.abi import functions, selector
from hktoken.chain.connection import Chain
from hktoken.errors import SpecError, node_unreachable

ERC7943_INTERFACE_ID = bytes.fromhex("3edbb4c4")
_SUPPORTS_INTERFACE = bytes.fromhex("01ffc9a7")  # supportsInterface(bytes4)
_PROBE_GAS = 30_000  # ERC-165 allows a supportsInterface call at most 30,000 gas


def interface_id(chain: Chain, interface: str) -> bytes:
    """Solidity's ``type(I).interfaceId``: the XOR of the interface's own function selectors."""
    selectors = [selector(item) for item in functions(chain.artifacts.get(interface).abi)]
    value = reduce(lambda acc, s: acc ^ int.from_bytes(s, "big"), selectors, 0)
    return value.to_bytes(4, "big")


def supports_interface(chain: Chain, address: ChecksumAddress, interface: bytes) -> bool:
    """ERC-165, as the standard says to ask: False for a contract that reverts or answers anything but true."""
    data = _SUPPORTS_INTERFACE + interface.ljust(32, b"\0")
    try:
        call: TxParams = {"to": address, "data": HexStr("0x" + data.hex()), "gas": _PROBE_GAS}
        answer = bytes(chain.w3.eth.call(call, "latest"))
    except requests.RequestException as exc:
        raise node_unreachable(chain.rpc_url, exc) from exc
    except (Web3Exception, ValueError):
        return False
    return answer == (1).to_bytes(32, "big")


def _is_token(chain: Chain, address: ChecksumAddress, code: bytes) -> bool:
    return supports_interface(chain, address, ERC7943_INTERFACE_ID)


def _is_registry(chain: Chain, address: ChecksumAddress, code: bytes) -> bool:
    return supports_interface(chain, address, interface_id(chain, "IInvestorRegistry"))


def _is_stablecoin(chain: Chain, address: ChecksumAddress, code: bytes) -> bool:
    # A selector with a leading zero byte is pushed as 3 bytes by the optimizer: look for the 4-byte ones.
    wanted = [selector(item) for item in functions(chain.artifacts.get("HKDStablecoin").abi)]
    return all(s in code for s in wanted if s[0] != 0)


Check = Callable[[Chain, ChecksumAddress, bytes], bool]
KINDS: dict[str, tuple[str, Check]] = {
    "RWAToken": ("an RWAToken (ERC-7943 security token)", _is_token),
    "InvestorRegistry": ("an InvestorRegistry", _is_registry),
    "HKDStablecoin": ("an HKDStablecoin", _is_stablecoin),
}


def check_kind(chain: Chain, expected: str, address: ChecksumAddress, code: bytes) -> None:
    """SpecError naming what is at ``address`` when it is not a contract of kind ``expected`` (kinds in KINDS;
    any other artifact name is not checked)."""
    if expected not in KINDS:
        return
    wanted, is_expected = KINDS[expected]
    if is_expected(chain, address, code):
        return
    found = next(
        (text for name, (text, check) in KINDS.items() if name != expected and check(chain, address, code)),
        "a contract of another kind",
    )
    raise SpecError(
        f"{address} on chain {chain.chain_id} holds {found}, not {wanted}",
        fix=f"pass the address of {wanted}",
    )
