"""One deployment run from a spec file: load and validate, compile the plan, open the chain's journal, run."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

from eth_account.signers.local import LocalAccount

from hktoken.chain.connection import Chain
from hktoken.deployment.builders import compile_plan
from hktoken.deployment.journal import Journal, manifest_path
from hktoken.deployment.plan import Step
from hktoken.deployment.runner import Deployer, DeploymentResult, FaultHook, StepResult
from hktoken.errors import SpecError
from hktoken.models.deployment import load_spec


def genesis_hash(chain: Chain) -> str:
    """The hash of block 0: what tells two chains with the same chain id apart (every fresh anvil is 31337)."""
    block = chain.rpc("eth_getBlockByNumber", ["0x0", False])
    return str(block["hash"])


def deploy_spec(
    chain: Chain,
    signer: LocalAccount,
    spec_file: str | Path,
    *,
    out: Path | None = None,
    manifest: Path | None = None,
    confirmations: int = 1,
    resign: Collection[str] = (),
    on_step: Callable[[StepResult], None] | None = None,
    fault: FaultHook | None = None,
) -> DeploymentResult:
    """Deploy (or resume, or verify) the spec in ``spec_file`` on ``chain``, signed by ``signer``; the journal is
    ``manifest`` or ``<out>/deployments/<chain-id>-<genesis>/<spec>.json`` (``out`` defaults to the current
    folder). Everything is validated before the first transaction."""
    path = Path(spec_file)
    spec = load_spec(path)
    genesis = genesis_hash(chain)
    plan = compile_plan(spec, signer.address, now=chain.timestamp())
    journal_path = manifest or manifest_path(out or Path.cwd(), chain.chain_id, genesis, spec.name)
    with exclusive(journal_path):
        journal = Journal.open(
            journal_path, spec=spec.name, spec_file=str(path), chain_id=chain.chain_id, genesis_hash=genesis,
            deployer=signer.address,
        )  # fmt: skip
        runner = Deployer(
            chain, signer, plan, journal, confirmations=confirmations, resign=resign, on_step=on_step, fault=fault
        )
        return runner.run()


def plan_status(
    chain: Chain, signer: LocalAccount, spec_file: str | Path, *, out: Path | None = None, manifest: Path | None = None
) -> list[tuple[Step, str]]:
    """Each step of the spec's plan with what its journal says (``to send``, ``signed``, ``done``, ``failed``,
    ``void``): validates everything and sends nothing (``hktoken deploy --plan``)."""
    path = Path(spec_file)
    spec = load_spec(path)
    genesis = genesis_hash(chain)
    plan = compile_plan(spec, signer.address, now=chain.timestamp())
    journal_path = manifest or manifest_path(out or Path.cwd(), chain.chain_id, genesis, spec.name)
    journal = Journal.open(
        journal_path, spec=spec.name, spec_file=str(path), chain_id=chain.chain_id, genesis_hash=genesis,
        deployer=signer.address,
    )  # fmt: skip
    return [(step, str((journal.entry(step.id) or {}).get("status", "to send"))) for step in plan.steps]


@contextlib.contextmanager
def exclusive(journal_path: Path) -> Iterator[None]:
    """Hold ``<manifest>.lock`` for the run: two runs on one manifest at once could each send a step. The lock is
    the operating system's (``flock``), so a killed run never leaves it held."""
    journal_path.parent.mkdir(parents=True, exist_ok=True)
    lock = journal_path.with_name(journal_path.name + ".lock")
    handle = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise SpecError(
                f"another run is using manifest {journal_path} (it holds {lock.name})",
                fix="wait for it to finish; two runs on one deployment at once could each send a step",
            ) from exc
        yield
    finally:
        os.close(handle)
