"""Naming a deployed contract as ``SPEC-NAME.CONTRACT`` (``hk-green-bond.HKGB``) from the chain's manifest, for
commands that take a contract by address or by name."""

from __future__ import annotations

import json
from pathlib import Path

from eth_typing import ChecksumAddress

from hktoken.chain.connection import Chain
from hktoken.deployment.journal import manifest_path
from hktoken.deployment.session import genesis_hash
from hktoken.errors import SpecError
from hktoken.models.common import to_address


def contract_address(chain: Chain, reference: str, *, out: Path | None = None) -> ChecksumAddress:
    """``reference`` as an address: a 0x address as given, or ``SPEC-NAME.CONTRACT`` looked up in this chain's
    manifest under ``out`` (default: the current folder). CONTRACT is a manifest key (``registry``, ``stablecoin``,
    ``admin_module``, ``token.HKGB``) or a token's symbol (``HKGB``)."""
    if reference.startswith("0x"):
        return to_address(reference)
    return lookup(reference, out or Path.cwd(), chain.chain_id, genesis_hash(chain))


def lookup(reference: str, out: Path, chain_id: int, genesis: str) -> ChecksumAddress:
    """:func:`contract_address` for a known chain (no node needed)."""
    cuts = [index for index, char in enumerate(reference) if char == "."]
    for cut in cuts:  # a spec name may contain dots: the first split with a manifest wins
        spec, key = reference[:cut], reference[cut + 1 :]
        path = manifest_path(out, chain_id, genesis, spec)
        if not path.is_file():
            continue
        contracts: dict[str, dict[str, str]] = json.loads(path.read_text())["contracts"]
        for candidate in (key, f"token.{key}"):
            if candidate in contracts:
                return to_address(contracts[candidate]["address"])
        known = ", ".join(sorted(contracts)) or "none yet"
        raise SpecError(f"deployment {spec} has no contract {key!r} (it has: {known})", fix="use one of those names")
    if not cuts:
        raise SpecError(
            f"{reference!r} is neither an address nor SPEC-NAME.CONTRACT", fix="pass 0x… or e.g. hk-green-bond.HKGB"
        )
    raise SpecError(
        f"no deployment manifest for {reference!r} on chain {chain_id} (genesis {genesis[:10]}…) under "
        f"{out / 'deployments'}",
        fix="run `hktoken deploy SPEC` on this chain first, or pass --out where its deployments/ folder is",
    )
