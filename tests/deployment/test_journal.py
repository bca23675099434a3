"""The journal on disk, without a chain: its path, atomic writes, and the manifests it refuses."""

from __future__ import annotations

import fcntl
import json
import os
import re
from pathlib import Path

import pytest

from hktoken.deployment.journal import FORMAT, Journal, manifest_path
from hktoken.deployment.lookup import lookup
from hktoken.deployment.session import exclusive
from hktoken.errors import SpecError

GENESIS = "0x" + "ab" * 32
DEPLOYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def open_journal(path: Path, **changes: object) -> Journal:
    arguments: dict[str, object] = {"spec": "s", "spec_file": "s.toml", "chain_id": 31337, "genesis_hash": GENESIS,
                                    "deployer": DEPLOYER}  # fmt: skip
    arguments.update(changes)
    return Journal.open(path, **arguments)  # type: ignore[arg-type]


def test_the_manifest_path_names_the_chain_id_and_the_genesis_hash(tmp_path: Path) -> None:
    assert manifest_path(tmp_path, 31337, GENESIS, "hk-green-bond") == (
        tmp_path / "deployments" / "31337-abababab" / "hk-green-bond.json"
    )


def test_each_write_replaces_the_whole_file_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "deployments" / "31337-abababab" / "s.json"
    journal = open_journal(path)
    assert not path.exists()  # nothing is written before the first step
    journal.record_signed("a.deploy", "f1", raw="0x02", tx_hash="0x" + "11" * 32, nonce=4, expected_address=None)
    on_disk = json.loads(path.read_text())
    assert on_disk["format"] == FORMAT and on_disk["genesis_hash"] == GENESIS
    assert on_disk["steps"] == {"a.deploy": {"fingerprint": "f1", "status": "signed", "tx_hash": "0x" + "11" * 32,
                                             "nonce": 4, "raw_tx": "0x02",
                                             "signed_at": on_disk["steps"]["a.deploy"]["signed_at"]}}  # fmt: skip
    journal.record_problem("a.deploy", "failed", "Reverted")
    journal.record_signed("a.deploy", "f1", raw="0x03", tx_hash="0x" + "22" * 32, nonce=5, expected_address="0xA")
    entry = json.loads(path.read_text())["steps"]["a.deploy"]
    assert (entry["status"], entry["nonce"], entry["expected_address"]) == ("signed", 5, "0xA")
    assert entry["replaced"] == [{"tx_hash": "0x" + "11" * 32, "nonce": 4, "status": "failed", "error": "Reverted"}]
    assert sorted(p.name for p in path.parent.iterdir()) == ["s.json"]
    assert open_journal(path).steps == json.loads(path.read_text())["steps"]  # read back as written


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"genesis_hash": "0x" + "cd" * 32}, "belongs to another chain (chain id 31337, genesis 0xabab"),
        ({"chain_id": 1}, "belongs to another chain (chain id 31337, genesis 0xabab"),
        ({"spec": "other"}, "records spec 's', not 'other'"),
        ({"deployer": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"}, f"was deployed by {DEPLOYER}, not by 0x7099"),
    ],
)
def test_a_manifest_of_another_chain_spec_or_deployer_is_refused(
    tmp_path: Path, changes: dict[str, object], expected: str
) -> None:
    path = tmp_path / "s.json"
    open_journal(path).save()
    with pytest.raises(SpecError, match="^" + re.escape(f"manifest {path} {expected}")):
        open_journal(path, **changes)


def test_an_unreadable_or_foreign_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text("{not json")
    with pytest.raises(SpecError, match=r"^manifest .* is unreadable .*: restore it from a backup"):
        open_journal(path)
    path.write_text('{"format": "something else"}')
    with pytest.raises(SpecError, match=r"is not an hktoken deployment manifest \(hktoken-deployment/1\)"):
        open_journal(path)


def test_a_second_run_on_a_manifest_in_use_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deployments" / "31337-abababab" / "s.json"
    with exclusive(path):
        with (
            pytest.raises(
                SpecError, match=rf"^another run is using manifest {re.escape(str(path))} \(it holds s\.json\.lock\)"
            ),
            exclusive(path),
        ):
            pass  # pragma: no cover
        handle = os.open(path.with_name("s.json.lock"), os.O_RDWR)
        with pytest.raises(BlockingIOError):  # another process sees the same lock
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.close(handle)
    with exclusive(path):  # released: usable again
        pass


def test_a_contract_is_named_spec_name_dot_contract_from_the_chains_manifest(tmp_path: Path) -> None:
    path = manifest_path(tmp_path, 31337, GENESIS, "hk.green")
    journal = open_journal(path, spec="hk.green")
    journal.contracts["token.HKGB"] = {"address": DEPLOYER.lower(), "artifact": "RWAToken", "step": "token.HKGB.deploy"}
    journal.contracts["registry"] = {"address": DEPLOYER, "artifact": "InvestorRegistry", "step": "registry.deploy"}
    journal.save()
    assert lookup("hk.green.HKGB", tmp_path, 31337, GENESIS) == DEPLOYER  # a dotted spec name, a token symbol
    assert lookup("hk.green.token.HKGB", tmp_path, 31337, GENESIS) == DEPLOYER
    assert lookup("hk.green.registry", tmp_path, 31337, GENESIS) == DEPLOYER
    with pytest.raises(
        SpecError, match=r"^deployment hk\.green has no contract 'XX' \(it has: registry, token\.HKGB\)"
    ):
        lookup("hk.green.XX", tmp_path, 31337, GENESIS)
    with pytest.raises(SpecError, match=r"^no deployment manifest for 'hk\.green\.HKGB' on chain 31337"):
        lookup("hk.green.HKGB", tmp_path, 31337, "0x" + "cd" * 32)  # another chain: its own folder
    with pytest.raises(SpecError, match=r"^'HKGB' is neither an address nor SPEC-NAME\.CONTRACT"):
        lookup("HKGB", tmp_path, 31337, GENESIS)
