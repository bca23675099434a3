"""Public assertions for tests of your own custody flows (they need no pytest, and read like ``pytest.raises``).

``reverts(error, **args)``: the block raises :class:`~hktoken.errors.TransactionReverted` with that decoded custom
error and (at least) those arguments. ``nothing_sent(chain, *signers)``: none of the signers sent a transaction
in the block. Together::

    with nothing_sent(chain, alice), reverts("TransferRestricted", code=3) as refusal:
        token.transfer(alice, bob.address, 10)
    assert refusal.value.reason == "recipient not verified"
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress

from hktoken.chain.connection import Chain
from hktoken.errors import SpecError, TransactionReverted
from hktoken.models.common import to_address

_MISSING = object()


class RevertInfo:
    """What :func:`reverts` caught; ``value`` is the exception, once the ``with`` block has ended."""

    def __init__(self, expected: str) -> None:
        self.expected = expected
        self._value: TransactionReverted | None = None

    @property
    def value(self) -> TransactionReverted:
        """The TransactionReverted the block raised (its ``.code``, ``.reason``, ``.role``... where it has them)."""
        if self._value is None:
            raise AssertionError(f"reverts({self.expected!r}).value is only set once the with-block has reverted")
        return self._value

    def __repr__(self) -> str:
        return f"<RevertInfo {self._value!r}>" if self._value is not None else f"<RevertInfo {self.expected} pending>"


def _shown(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value)


def _call(error: str, args: Mapping[str, Any]) -> str:
    return f"{error}({', '.join(f'{k}={_shown(v)}' for k, v in args.items())})"


def _address_text(value: Any) -> str | None:
    """The lower-case hex of an address given as text or as an account object, else None."""
    text = getattr(value, "address", value)
    if isinstance(text, str) and len(text) == 42 and text[:2].lower() == "0x":
        try:
            int(text, 16)
        except ValueError:
            return None
        return text.lower()
    return None


def _same(expected: Any, actual: Any) -> bool:
    expected_address, actual_address = _address_text(expected), _address_text(actual)
    if expected_address is not None and actual_address is not None:
        return expected_address == actual_address  # checksummed or not, it is the same account
    return bool(expected == actual)


def _argument(actual: Mapping[str, Any], name: str) -> tuple[str, Any]:
    """``from_`` finds the Solidity argument ``from`` (a Python keyword cannot be a keyword argument)."""
    if name in actual:
        return name, actual[name]
    if name.endswith("_") and name[:-1] in actual:
        return name[:-1], actual[name[:-1]]
    return name, _MISSING


def _mismatches(exc: TransactionReverted, error: str, expected: Mapping[str, Any]) -> list[str]:
    if exc.error != error:
        return [f"error: expected {error}, got {exc.error}"]
    problems = []
    for name, wanted in expected.items():
        key, got = _argument(exc.arguments, name)
        if got is _MISSING:
            problems.append(f"{key}: {error} has no such argument (it has {', '.join(exc.arguments) or 'none'})")
        elif not _same(wanted, got):
            problems.append(f"{key}: expected {_shown(wanted)}, got {_shown(got)}")
    return problems


@contextmanager
def reverts(error: str, /, **expected_args: Any) -> Iterator[RevertInfo]:
    """Assert that the block raises TransactionReverted with custom error ``error`` and these decoded arguments.

    Only the arguments given are compared; addresses match checksummed or not (and an account object matches its
    address); name a Solidity argument that is a Python keyword with a trailing underscore (``from_=...``). Any
    other exception passes through untouched. ``.value`` of the object it yields is the exception::

        with reverts("ERC20InsufficientBalance", sender=alice.address, needed=10**18) as refusal:
            coin.transfer(alice, bob.address, 1)
    """
    __tracebackhide__ = True
    info = RevertInfo(error)
    try:
        yield info
    except TransactionReverted as exc:
        info._value = exc
        problems = _mismatches(exc, error, expected_args)
        if problems:
            raise AssertionError(
                f"reverted with {_call(exc.error, exc.arguments)}, expected {_call(error, expected_args)}\n  "
                + "\n  ".join(problems)
            ) from exc
        return
    raise AssertionError(f"DID NOT REVERT: expected {_call(error, expected_args)}")


def _counts(chain: Chain, addresses: Sequence[ChecksumAddress]) -> list[tuple[int, int]]:
    """(latest, pending) transaction count of each address, in one JSON-RPC batch when the provider can."""
    requests = [("eth_getTransactionCount", [a, tag]) for a in addresses for tag in ("latest", "pending")]
    batch = getattr(chain.w3.provider, "make_batch_request", None)
    responses = batch(requests) if batch is not None else None
    if isinstance(responses, list) and len(responses) == len(requests) and all("result" in r for r in responses):
        counts = [int(str(r["result"]), 16) for r in responses]
    else:
        counts = [chain.w3.eth.get_transaction_count(a, tag) for a in addresses for tag in ("latest", "pending")]
    return [(counts[2 * n], counts[2 * n + 1]) for n in range(len(addresses))]


@contextmanager
def nothing_sent(chain: Chain, *signers: LocalAccount | str) -> Iterator[None]:
    """Assert that no signer's nonce moved in the block: neither its mined (``latest``) nor its ``pending``
    transaction count, so nothing of theirs was sent, let alone included.

    Block numbers are not compared, so it holds on nodes that mine on a timer too. Also checked when the block
    raises (``with pytest.raises(SpecError), nothing_sent(chain, admin): ...``)::

        with nothing_sent(chain, alice), reverts("TransferRestricted", code=7):
            token.transfer(alice, carol.address, 1)
    """
    __tracebackhide__ = True
    if not signers:
        raise SpecError("nothing_sent needs the signers to watch", fix="pass every account the block may sign with")
    addresses = [to_address(s, what="signer") for s in signers]
    before = _counts(chain, addresses)
    try:
        yield
    finally:
        after = _counts(chain, addresses)
        moved = [
            f"{address} (latest {b[0]} -> {a[0]}, pending {b[1]} -> {a[1]})"
            for address, b, a in zip(addresses, before, after, strict=True)
            if a != b
        ]
        if moved:
            raise AssertionError(f"a transaction was sent inside nothing_sent: {'; '.join(moved)}")
