"""Module-scoped deployment of the compliance battery.

``world`` deploys a registry and an RWAToken whose duties are held by DIFFERENT accounts, once per test
module (the hktoken plugin snapshots every module and every test, so each test starts from the module's
deployment). Modules add their investors and balances in their own module-scoped fixture on top of it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import pytest
from eth_account.signers.local import LocalAccount

from hktoken.chain import Chain

from ._helpers import World, build_world
from ._kinds import FACTORIES


def token_kinds() -> list[str]:
    """The kinds named in ``HKTOKEN_TOKEN_KINDS`` (comma-separated, or ``all``); RWAToken when it is unset. CI runs
    the battery once per asset kind, each in a pytest session (and a node) of its own: several kinds in one
    session slow every test down as the node's state history grows."""
    raw = os.environ.get("HKTOKEN_TOKEN_KINDS", "RWAToken")
    named = list(FACTORIES) if raw.strip() == "all" else [k.strip() for k in raw.split(",") if k.strip()]
    unknown = sorted(set(named) - set(FACTORIES))
    if unknown:
        raise pytest.UsageError(f"HKTOKEN_TOKEN_KINDS names unknown kinds {unknown}: use some of {sorted(FACTORIES)}")
    return named or ["RWAToken"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module with ``EVERY_TOKEN = True`` runs once per token kind (RWAToken and every asset token)."""
    if "token_kind" in metafunc.fixturenames and getattr(metafunc.module, "EVERY_TOKEN", False):
        metafunc.parametrize("token_kind", token_kinds(), scope="module")


@pytest.fixture(scope="module")
def token_kind() -> str:
    """The kind of token ``world`` holds: RWAToken, unless the module runs on every token."""
    return "RWAToken"


@pytest.fixture(scope="module")
def world(chain: Chain, accounts: Sequence[LocalAccount], token_kind: str) -> World:
    """Registry + token (18 decimals) of ``token_kind``: [0] admin/registrar, [1] issuer, [2] agent, [3] pauser,
    [4] compliance, [5] treasury."""
    return build_world(chain, accounts, kind=token_kind)
