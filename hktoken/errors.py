"""One exception tree for everything hktoken raises.

Every error a user can cause derives from :class:`HKTokenError`. Its ``str()`` is a single line that
names the cause and, where there is one, the fix; the CLI prints exactly that line and exits non-zero.

A node failure (:class:`ChainError`) and a contract's refusal (:class:`TransactionReverted`) are siblings,
so catching one never swallows the other.
"""

from __future__ import annotations

from typing import Any


class HKTokenError(Exception):
    """Root of every error hktoken raises on purpose."""

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        self.message = message
        self.fix = fix
        super().__init__(f"{message}: {fix}" if fix else message)


class ToolchainError(HKTokenError):
    """Node, npm, solc, anvil or OpenZeppelin is missing, unusable or the wrong version."""


class CompileError(HKTokenError):
    """The Solidity sources did not compile, or the shipped artifacts are stale."""


class ChainError(HKTokenError):
    """A node could not be started or reached, or it is not the node we expected."""


class TransactionStuck(ChainError):
    """A pipelined transaction stayed unmined past the deadline; ``nonce`` and ``tx_hash`` name the first one."""

    def __init__(self, message: str, *, nonce: int, tx_hash: str, fix: str | None = None) -> None:
        super().__init__(message, fix=fix)
        self.nonce = nonce
        self.tx_hash = tx_hash


class SignerError(HKTokenError):
    """A signing key could not be loaded (missing variable, unreadable keystore, wrong password)."""


class SpecError(HKTokenError, ValueError):
    """Input from a user (spec file, CLI argument, Python argument) is invalid; nothing was sent.

    Also a ``ValueError``, so code that validates with ``except ValueError`` treats it as bad input. The public
    models (``Investor``, ``ComplianceRules``...) raise it too, built directly or from a dict or JSON: one line,
    ``invalid <Model>: <field>: <problem>: correct <field>``, never pydantic's multi-line ``ValidationError``
    (which stays available as ``__cause__``)."""


class UnknownContractError(SpecError):
    """No compiled artifact exists for the requested contract name."""


class TransactionReverted(HKTokenError):
    """A call or transaction reverted: the contract refused it. Carries the decoded custom error, never a raw
    hex blob. Not a :class:`ChainError`: the node worked, the contract said no.

    ``error`` is the Solidity error name (``"AccessControlUnauthorizedAccount"``), ``args`` its decoded
    arguments by name, ``data`` the raw revert data for the record.
    """

    def __init__(
        self,
        error: str,
        args: dict[str, Any] | None = None,
        *,
        data: str | None = None,
        tx_hash: str | None = None,
        message: str | None = None,
    ) -> None:
        self.error = error
        self.args_by_name: dict[str, Any] = dict(args or {})
        self.data = data
        self.tx_hash = tx_hash
        shown = ", ".join(f"{k}={_short(v)}" for k, v in self.args_by_name.items())
        super().__init__(message or f"reverted with {error}({shown})")

    @property
    def arguments(self) -> dict[str, Any]:
        """The decoded error arguments, by parameter name."""
        return self.args_by_name


class TransferRestricted(TransactionReverted):
    """The token refused a balance change under its compliance rules (ERC-1404 code and message)."""

    def __init__(
        self,
        code: int,
        reason: str,
        *,
        error: str = "TransferRestricted",
        args: dict[str, Any] | None = None,
        data: str | None = None,
        tx_hash: str | None = None,
    ) -> None:
        self.code = code
        self.reason = reason
        super().__init__(
            error,
            args,
            data=data,
            tx_hash=tx_hash,
            message=f"TransferRestricted(code={code}, reason={reason!r})",
        )


def connection_failure(exc: Exception) -> str:
    """``ConnectionError`` -> ``"connection error"``, ``ReadTimeout`` -> ``"readtimeout"``: the kind, not the dump."""
    return type(exc).__name__.replace("Error", " error").strip().lower()


def node_unreachable(rpc_url: str, exc: Exception) -> ChainError:
    """The error for a node that stopped answering mid-way."""
    return ChainError(
        f"the JSON-RPC node at {rpc_url} did not answer ({connection_failure(exc)})",
        fix="check that the node is running and reachable, then retry",
    )


def rpc_error_message(exc: Exception) -> str:
    """The node's own error text from a web3 RPC error (web3 8 puts the whole error dict in ``message``)."""
    response = getattr(exc, "rpc_response", None) or {}
    error = response.get("error") if isinstance(response, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return str(getattr(exc, "message", None) or exc)


def _short(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value) if isinstance(value, str) else str(value)


class MissingRole(TransactionReverted):
    """The signer lacks the AccessControl role the function requires (``AccessControlUnauthorizedAccount``)."""

    def __init__(
        self,
        account: str,
        role: str,
        *,
        args: dict[str, Any] | None = None,
        data: str | None = None,
        tx_hash: str | None = None,
    ) -> None:
        self.account = account
        self.role = role
        super().__init__(
            "AccessControlUnauthorizedAccount",
            args,
            data=data,
            tx_hash=tx_hash,
            message=f"{account} lacks {role}: grant it with grantRole, or sign with an account that has it",
        )
