"""Validated primitive types shared by the models."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Self

from eth_typing import ChecksumAddress
from pydantic import AfterValidator, BaseModel, ValidationError
from web3 import Web3

from hktoken.errors import SpecError

_HEX_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def to_address(value: Any, *, what: str = "address") -> ChecksumAddress:
    """A checksummed address from a str or an account object; SpecError naming a malformed input."""
    text = value if isinstance(value, str) else getattr(value, "address", value)
    if not isinstance(text, str) or not _HEX_ADDRESS.fullmatch(text):
        raise SpecError(f"{what} {value!r} is not a valid Ethereum address", fix="use 0x followed by 40 hex digits")
    body = text[2:]
    if body != body.lower() and body != body.upper() and not Web3.is_checksum_address(text):
        raise SpecError(
            f"{what} {text} has a wrong EIP-55 checksum (a mistyped character?)",
            fix="copy the address again, or write it all in lower case",
        )
    return Web3.to_checksum_address(text)


_LATEST = datetime.max.replace(tzinfo=UTC)


def chain_time(timestamp: int) -> datetime:
    """A block-time value as an aware datetime; sentinels beyond year 9999 (e.g. uint64 max) read as the latest."""
    try:
        return datetime.fromtimestamp(timestamp, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return _LATEST


def spec_error(exc: ValidationError, what: str, *, fix: str | None = None) -> SpecError:
    """One line for the first problem pydantic found: ``invalid <what>: <field>: <message>`` (and how many more)."""
    problems = exc.errors()
    first = problems[0]
    where = ".".join(str(part) for part in first["loc"])
    inner = (first.get("ctx") or {}).get("error")
    if isinstance(inner, SpecError) and not where:  # a Model's own __init__ already said it in one line
        return inner
    message = str(first["msg"]).removeprefix("Value error, ")
    more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
    text = f"invalid {what}: {where}: {message}{more}" if where else f"invalid {what}: {message}{more}"
    return SpecError(text, fix=fix or (f"correct {where}" if where else "correct the values"))


class Model(BaseModel):
    """A pydantic model whose bad input raises :class:`~hktoken.errors.SpecError` (one line naming the field),
    not pydantic's multi-line ``ValidationError``: every model hktoken exports is built on it. The
    ``ValidationError`` with every problem stays available as the error's ``__cause__``."""

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise spec_error(exc, type(self).__name__) from exc

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        """Validate ``obj`` (a dict, usually); SpecError naming the first bad field."""
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            raise spec_error(exc, cls.__name__) from exc

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, *args: Any, **kwargs: Any) -> Self:
        """Validate a JSON document; SpecError naming the first bad field."""
        try:
            return super().model_validate_json(json_data, *args, **kwargs)
        except ValidationError as exc:
            raise spec_error(exc, cls.__name__) from exc


def _validate_address(value: str) -> str:
    try:
        return to_address(value)
    except SpecError as exc:
        raise ValueError(exc.message) from exc


Address = Annotated[str, AfterValidator(_validate_address)]
