"""A deployment stopped after every single step in turn (at each of its three points) and resumed: the final
state equals an uninterrupted run's, and nothing is sent twice (the deployer's nonce rises by exactly the number of
steps). Some stops are real: the CLI in a subprocess SIGKILLed by ``HKTOKEN_DEPLOY_FAULT``."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from hktoken.chain.anvil import Anvil
from hktoken.chain.connection import Chain
from hktoken.deployment import deploy_spec
from hktoken.deployment.runner import FAULT_ENV, FAULT_POINTS

from ._support import (
    DEPLOYER_KEY,
    GREEN_BOND,
    GREEN_STEPS,
    SMALL_STEPS,
    Crash,
    assert_nothing_twice,
    cli,
    manifest_of,
    reference_state,
    state_of,
    write_small_spec,
)


@pytest.fixture(scope="module")
def small_reference(chain: Chain, accounts: list[LocalAccount], tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("small-reference")
    return reference_state(chain, accounts[0], write_small_spec(folder), folder)


@pytest.fixture(scope="module")
def green_reference(chain: Chain, accounts: list[LocalAccount], tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("green-reference")
    return reference_state(chain, accounts[0], GREEN_BOND, folder)


def stop_and_resume(
    chain: Chain, signer: LocalAccount, spec: Path, out: Path, steps: list[str], step_id: str, point: str
) -> None:
    """Stop a run at ``point`` of ``step_id``, check what the journal says, resume, check nothing was sent twice."""
    nonce = chain.w3.eth.get_transaction_count(signer.address)

    def crash(current: str, at: str) -> None:
        if (current, at) == (step_id, point):
            raise Crash(f"{current}@{at}")

    with pytest.raises(Crash):
        deploy_spec(chain, signer, spec, out=out, fault=crash)
    entry = json.loads(manifest_of(out).read_text())["steps"][step_id]
    known = chain.rpc("eth_getTransactionByHash", [entry["tx_hash"]]) is not None
    # journaled: written, not sent; sent: on chain, not recorded; recorded: done
    assert (entry["status"], known) == {"journaled": ("signed", False), "sent": ("signed", True),
                                        "recorded": ("done", True)}[point]  # fmt: skip
    result = deploy_spec(chain, signer, spec, out=out)
    index = steps.index(step_id)
    outcomes = [r.outcome for r in result.results]
    assert outcomes[:index] == ["skipped"] * index
    assert outcomes[index] == ("skipped" if point == "recorded" else "resumed")
    assert outcomes[index + 1 :] == ["sent"] * (len(steps) - index - 1)
    if point != "recorded":
        expected = "re-broadcast the journaled transaction" if point == "journaled" else "found mined"
        assert result.results[index].note == expected
    assert_nothing_twice(chain, signer.address, nonce, manifest_of(out), len(steps))


@pytest.mark.parametrize("point", FAULT_POINTS)
@pytest.mark.parametrize("step_id", SMALL_STEPS)
def test_stopped_at_any_point_of_any_step_the_resumed_run_ends_like_an_uninterrupted_one(
    chain: Chain, accounts: list[LocalAccount], tmp_path: Path, small_reference: Any, step_id: str, point: str
) -> None:
    stop_and_resume(chain, accounts[0], write_small_spec(tmp_path), tmp_path, SMALL_STEPS, step_id, point)
    assert state_of(chain, manifest_of(tmp_path)) == small_reference


@pytest.mark.parametrize("point", FAULT_POINTS)
@pytest.mark.parametrize("step_id", [s for s in GREEN_STEPS if s.startswith("stablecoin.")])
def test_the_stablecoin_steps_the_small_spec_lacks_resume_alike(
    chain: Chain, accounts: list[LocalAccount], tmp_path: Path, green_reference: Any, step_id: str, point: str
) -> None:
    stop_and_resume(chain, accounts[0], GREEN_BOND, tmp_path, GREEN_STEPS, step_id, point)
    assert state_of(chain, manifest_of(tmp_path)) == green_reference


KILLS = [
    ("admin_module.deploy", "recorded"),
    ("token.HKGB.deploy", "journaled"),  # the bond (its paying agent is created with it)
    ("token.HKGB.paying_agent.grant.FUNDER_ROLE[0]", "sent"),  # a call to the derived paying agent
    ("registry.register[0-2]", "sent"),
    ("token.HKGB.mint[0]", "journaled"),  # the issuance to the treasury: signed, never sent
    ("dvp.deploy", "sent"),  # mined, never recorded
]


@pytest.mark.parametrize(("step_id", "point"), KILLS)
def test_a_deploy_process_killed_outright_resumes_with_nothing_lost_or_doubled(
    chain: Chain,
    accounts: list[LocalAccount],
    hktoken_node: Anvil | None,
    tmp_path: Path,
    green_reference: Any,
    step_id: str,
    point: str,
) -> None:
    if hktoken_node is None:
        pytest.skip("needs the session anvil's URL")
    signer = accounts[0].address
    nonce = chain.w3.eth.get_transaction_count(signer)
    args = ("deploy", str(GREEN_BOND), "--rpc-url", hktoken_node.url, "--out", str(tmp_path))
    killed = cli(*args, env={"HKTOKEN_PRIVATE_KEY": DEPLOYER_KEY, FAULT_ENV: f"{step_id}@{point}"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    index = GREEN_STEPS.index(step_id)
    assert len(killed.stdout.splitlines()) == index  # a line per step finished before the kill
    resumed = cli(*args, "--json", env={"HKTOKEN_PRIVATE_KEY": DEPLOYER_KEY})
    assert resumed.returncode == 0, resumed.stderr
    report = json.loads(resumed.stdout)
    step = report["steps"][index]
    assert step["id"] == step_id and step["outcome"] == ("skipped" if point == "recorded" else "resumed")
    assert report["sent"] == len(GREEN_STEPS) - index - 1
    chain.sender.reset_nonces()
    assert_nothing_twice(chain, signer, nonce, manifest_of(tmp_path), len(GREEN_STEPS))
    assert state_of(chain, manifest_of(tmp_path)) == green_reference
