"""Data flows one way: chain/ is generic (nodes, signers, the sender, revert decoding) and names no domain
error, restriction code or role; the domain teaches it through RevertDecoder.register."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_WORDS = re.compile(r"TransferRestricted|ERC7943|[Rr]estriction|[A-Z]+_ROLE\b(?<!DEFAULT_ADMIN_ROLE)")


@pytest.mark.parametrize("path", sorted((ROOT / "hktoken" / "chain").glob("*.py")), ids=lambda p: p.name)
def test_chain_layer_names_no_domain_error_code_or_role(path: Path) -> None:
    assert DOMAIN_WORDS.findall(path.read_text()) == []


def test_no_module_imports_upwards_into_contracts_from_chain() -> None:
    for path in (ROOT / "hktoken" / "chain").glob("*.py"):
        assert "hktoken.contracts" not in path.read_text(), path.name
