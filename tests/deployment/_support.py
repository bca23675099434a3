"""Shared by the deployment tests: a small spec, the state a deployment leaves, the CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from hktoken.chain.connection import Chain
from hktoken.contracts.registry import InvestorRegistry
from hktoken.contracts.stablecoin import HKDStablecoin
from hktoken.contracts.token import RWAToken
from hktoken.deployment import deploy_spec
from hktoken.deployment.builders import compile_plan
from hktoken.models.common import to_address
from hktoken.models.deployment import parse_spec

REPO = Path(__file__).resolve().parents[2]
GREEN_BOND = REPO / "deploy" / "hk-green-bond.toml"
DEPLOYER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # anvil dev account 0
WALLETS = [
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
]
COMPLIANCE_OFFICER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"  # dev account 5
DEPLOYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # dev account 0

SMALL_SPEC = f"""
name = "small"
batch_size = 2

[[tokens]]
kind = "rwa"
name = "Small Test Note"
symbol = "STN"
decimals = 2

[tokens.roles]
compliance_admins = ["{COMPLIANCE_OFFICER}"]

[tokens.rules]
allowed_countries = [344]
max_holders = 10

[[investors]]
id = "INV-A"
wallets = ["{WALLETS[0]}"]
country = 344
investor_class = 2
kyc_expiry = 2099-01-01T00:00:00Z

[[investors]]
id = "INV-B"
wallets = ["{WALLETS[1]}", "{WALLETS[2]}"]
country = 344
investor_class = 3
kyc_expiry = 2099-01-01T00:00:00Z
omnibus = true

[[investors]]
id = "INV-C"
wallets = ["{WALLETS[3]}"]
country = 344
investor_class = 1
kyc_expiry = 2099-01-01T00:00:00Z

[[issuance.mints]]
token = "STN"
to = "{WALLETS[0]}"
amount = "100.25"

[[issuance.mints]]
token = "STN"
to = "{WALLETS[2]}"
amount = "50"

[[issuance.mints]]
token = "STN"
to = "{WALLETS[3]}"
amount = "7"
"""


def _step_ids(text: str, name: str) -> list[str]:
    plan = compile_plan(parse_spec(text, Path(name)), to_address(DEPLOYER), now=0)
    return [step.id for step in plan.steps]


SMALL_STEPS = _step_ids(SMALL_SPEC, "small.toml")
GREEN_STEPS = _step_ids(GREEN_BOND.read_text(), GREEN_BOND.name)


def write_small_spec(folder: Path) -> Path:
    path = folder / "small.toml"
    path.write_text(SMALL_SPEC)
    return path


def manifest_of(out: Path) -> Path:
    (path,) = sorted((out / "deployments").glob("*/*.json"))
    return path


def state_of(chain: Chain, manifest: Path) -> dict[str, Any]:
    """What a deployment made, read from the chain (not addresses: those depend on nonces)."""
    contracts = json.loads(manifest.read_text())["contracts"]
    registry = InvestorRegistry.at(chain, contracts["registry"]["address"])
    holders = [*WALLETS, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", COMPLIANCE_OFFICER]
    state: dict[str, Any] = {
        "registry": {
            w: (registry.investor_of(w), registry.is_verified(w), registry.profile(w).omnibus) for w in holders
        },
        "registrars": [registry.has_role("REGISTRAR_ROLE", w) for w in holders],
        "contracts": sorted(contracts),
    }
    for key, entry in contracts.items():
        if key.startswith("token.") and key.count(".") == 1:  # a token (not its custodian or administrator)
            token = RWAToken.at(chain, entry["address"])
            state[key] = {
                "supply": token.total_supply(),
                "balances": [token.balance_of(w) for w in holders],
                "holders": token.holder_count(),
                "rules": token.rules().model_dump(),
                "roles": {r: [token.has_role(r, w) for w in holders] for r in token.roles},
                "treasury": token.treasury(),
            }
        if key == "stablecoin":
            coin = HKDStablecoin.at(chain, entry["address"])
            state[key] = {
                "balances": [coin.balance_of(w) for w in holders],
                "roles": {r: [coin.has_role(r, w) for w in holders] for r in coin.roles},
            }
    return state


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``hktoken`` in a subprocess (no HKTOKEN_* from the outside except what ``env`` sets)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("HKTOKEN_")}
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", "from hktoken.cli import main; main()", *args],
        capture_output=True, text=True, timeout=timeout, env=full, stdin=subprocess.DEVNULL,
    )  # fmt: skip


class Crash(Exception):
    """The injected stop."""


def reference_state(chain: Chain, signer: LocalAccount, spec: Path, out: Path) -> dict[str, Any]:
    snapshot = chain.snapshot()
    try:
        deploy_spec(chain, signer, spec, out=out)
        return state_of(chain, manifest_of(out))
    finally:
        chain.revert(snapshot)


def assert_nothing_twice(chain: Chain, signer: str, nonce_before: int, manifest: Path, steps: int) -> None:
    journal = json.loads(manifest.read_text())
    assert chain.w3.eth.get_transaction_count(signer) - nonce_before == steps  # one transaction per step
    entries = journal["steps"].values()
    assert len(journal["steps"]) == steps and all(e["status"] == "done" for e in entries)
    assert sorted(e["nonce"] for e in entries) == list(range(nonce_before, nonce_before + steps))
    for entry in entries:  # every recorded transaction is on chain, with status 1
        assert chain.w3.eth.get_transaction_receipt(entry["tx_hash"])["status"] == 1
    deploys = [e for e in entries if "address" in e]
    assert len(deploys) == len(journal["contracts"]) and all(chain.code_at(e["address"]) != "0x" for e in deploys)
