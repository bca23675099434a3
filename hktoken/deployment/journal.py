"""The deployment journal (the manifest): one JSON file per spec and chain, rewritten atomically at every change.

``deployments/<chain-id>-<genesis-hash-prefix>/<spec-name>.json``. A transaction's entry is written with its
signed raw bytes, hash and nonce BEFORE it is sent, and completed with its block, gas and address once mined, so
that a run killed at any point leaves a journal that says exactly what may have reached the node.

Every write goes to a temporary file in the same folder, is fsynced, and replaces the journal with ``os.replace``
(then the folder is fsynced): a crash leaves the old journal or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from eth_typing import ChecksumAddress

from hktoken.errors import SpecError

FORMAT = "hktoken-deployment/1"
GENESIS_PREFIX_CHARS = 8
Status = Literal["signed", "done", "failed", "void"]
"""signed: journaled before sending (it may or may not have reached the node); done: mined with status 1;
failed: mined with status 0 (its nonce is spent: a new transaction may be signed); void: its nonce was used by
another transaction, so it can never be mined (a new one is signed only when asked, with ``--resign``)."""


def manifest_path(out: Path, chain_id: int, genesis_hash: str, spec_name: str) -> Path:
    """``<out>/deployments/<chain-id>-<first 8 hex digits of the genesis hash>/<spec-name>.json``."""
    prefix = genesis_hash.removeprefix("0x")[:GENESIS_PREFIX_CHARS]
    return out / "deployments" / f"{chain_id}-{prefix}" / f"{spec_name}.json"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Journal:
    """A deployment's manifest on disk and in memory."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data

    # --- opening -----------------------------------------------------------------------------------

    @classmethod
    def open(
        cls, path: Path, *, spec: str, spec_file: str, chain_id: int, genesis_hash: str, deployer: ChecksumAddress
    ) -> Journal:
        """The journal at ``path`` (created empty when absent). SpecError when it belongs to another chain, another
        spec or another deployer."""
        if not path.exists():
            return cls(
                path,
                {
                    "format": FORMAT,
                    "spec": spec,
                    "spec_file": spec_file,
                    "chain_id": chain_id,
                    "genesis_hash": genesis_hash,
                    "deployer": deployer,
                    "created": _now(),
                    "updated": _now(),
                    "contracts": {},
                    "steps": {},
                },
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SpecError(
                f"manifest {path} is unreadable ({exc})",
                fix="restore it from a backup; never delete a manifest of a deployment that sent transactions",
            ) from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise SpecError(f"{path} is not an hktoken deployment manifest ({FORMAT})", fix="pass another --out")
        if data.get("chain_id") != chain_id or str(data.get("genesis_hash", "")).lower() != genesis_hash.lower():
            raise SpecError(
                f"manifest {path} belongs to another chain (chain id {data.get('chain_id')}, genesis "
                f"{data.get('genesis_hash')}), not to this node's (chain id {chain_id}, genesis {genesis_hash})",
                fix="point --rpc-url at the chain the manifest records, or use another --out to deploy afresh",
            )
        if data.get("spec") != spec:
            raise SpecError(
                f"manifest {path} records spec {data.get('spec')!r}, not {spec!r}", fix="pass the right spec"
            )
        if str(data.get("deployer", "")).lower() != deployer.lower():
            raise SpecError(
                f"manifest {path} was deployed by {data.get('deployer')}, not by {deployer}",
                fix="sign with the key that started the deployment",
            )
        return cls(path, data)

    # --- reading -----------------------------------------------------------------------------------

    @property
    def steps(self) -> dict[str, dict[str, Any]]:
        steps: dict[str, dict[str, Any]] = self.data["steps"]
        return steps

    @property
    def contracts(self) -> dict[str, dict[str, Any]]:
        contracts: dict[str, dict[str, Any]] = self.data["contracts"]
        return contracts

    def entry(self, step_id: str) -> dict[str, Any] | None:
        """The journal's entry for a step, or None."""
        return self.steps.get(step_id)

    def addresses(self) -> dict[str, ChecksumAddress]:
        """The address of every contract deployed so far, by key."""
        return {key: ChecksumAddress(c["address"]) for key, c in self.contracts.items()}

    # --- writing -----------------------------------------------------------------------------------

    def record_signed(self, step_id: str, fingerprint: str, *, raw: str, tx_hash: str, nonce: int,
                      expected_address: str | None) -> None:  # fmt: skip
        """The transaction of a step, signed and about to be sent (written before it is)."""
        previous = self.steps.get(step_id)
        history = list(previous.get("replaced", [])) if previous else []
        if previous and previous.get("tx_hash"):
            history.append({k: previous.get(k) for k in ("tx_hash", "nonce", "status", "error")})
        entry: dict[str, Any] = {
            "fingerprint": fingerprint,
            "status": "signed",
            "tx_hash": tx_hash,
            "nonce": nonce,
            "raw_tx": raw,
            "signed_at": _now(),
        }
        if expected_address is not None:
            entry["expected_address"] = expected_address
        if history:
            entry["replaced"] = history
        self.steps[step_id] = entry
        self.save()

    def record_mined(self, step_id: str, contract: str | None, artifact: str | None, receipt: Any) -> None:
        """The step's transaction was mined with status 1 (a deployment's address is recorded with it)."""
        entry = self.steps[step_id]
        entry.update(
            status="done",
            block=int(receipt["blockNumber"]),
            block_hash=_hex(receipt["blockHash"]),
            gas_used=int(receipt["gasUsed"]),
            mined_at=_now(),
        )
        entry.pop("error", None)
        address = receipt.get("contractAddress")
        if contract is not None and artifact is not None and address:
            entry["address"] = str(address)
            self.contracts[contract] = {"address": str(address), "artifact": artifact, "step": step_id}
        self.save()

    def record_problem(self, step_id: str, status: Status, error: str) -> None:
        """The step's transaction failed on chain (``failed``) or can never be mined (``void``)."""
        entry = self.steps[step_id]
        entry.update(status=status, error=error)
        self.save()

    def save(self) -> None:
        """Write the journal atomically (:func:`write_atomically`)."""
        self.data["updated"] = _now()
        write_atomically(self.path, json.dumps(self.data, indent=2) + "\n")


def write_atomically(path: Path, text: str) -> None:
    """Temporary file in the same folder, fsync, ``os.replace``, fsync of the folder: a crash leaves the old file
    or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _hex(value: Any) -> str:
    return value.to_0x_hex() if hasattr(value, "to_0x_hex") else str(value)
