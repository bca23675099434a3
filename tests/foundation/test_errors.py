"""The exception tree: a contract's refusal and a node failure are siblings; bad input is a ValueError."""

from __future__ import annotations

import pytest

from hktoken.errors import (
    ChainError,
    HKTokenError,
    MissingRole,
    SpecError,
    TransactionReverted,
    TransferRestricted,
    UnknownContractError,
)


def test_a_refusal_is_not_a_node_failure() -> None:
    for refusal in (TransactionReverted, TransferRestricted, MissingRole):
        assert issubclass(refusal, HKTokenError)
        assert not issubclass(refusal, ChainError)
    with pytest.raises(TransferRestricted):  # an `except ChainError` around a send does not swallow it
        try:
            raise TransferRestricted(3, "recipient not verified")
        except ChainError:  # pragma: no cover - the point is that this never matches
            pytest.fail("a refusal was caught as a node failure")


def test_bad_input_is_a_value_error() -> None:
    assert issubclass(SpecError, ValueError) and issubclass(SpecError, HKTokenError)
    assert issubclass(UnknownContractError, ValueError)
    with pytest.raises(ValueError, match=r"^amount -1 must be positive: pass a positive amount$"):
        raise SpecError("amount -1 must be positive", fix="pass a positive amount")
