"""Deployment specs (``deploy/*.toml``): what ``hktoken deploy`` builds, validated before anything is sent.

A spec names an investor registry, an optional HKD stablecoin, tokens (each a ``kind`` with its own terms model),
the initial investors and the initial issuance. Tokens are a discriminated union on ``kind``: an asset token plugs
in as one more model here (``kind = "bond"`` with its terms) plus one step builder in
:mod:`hktoken.deployment.builders`.

:func:`load_spec` reads a file with the standard library's ``tomllib``; every error is one line naming the file,
the field path and, when it can be found in the text, the line.
"""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from hktoken.errors import SpecError
from hktoken.models.common import Address, Model
from hktoken.models.investor import Investor
from hktoken.models.rules import ComplianceRules

DEFAULT_BATCH_SIZE = 50
MAX_BATCH_SIZE = 500
_SPEC_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_SYMBOL = re.compile(r"[A-Za-z0-9]{1,11}")


class _Entry(Model):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RegistrySpec(_Entry):
    """The investor registry every token of the spec checks."""

    registrars: list[Address] = Field(
        default_factory=list, description="Who may register investors (default: the deployer)."
    )


class StablecoinSpec(_Entry):
    """The HKD stablecoin used for payment legs (6 decimals; every duty held by the deployer)."""

    symbol: Literal["HKD"] = "HKD"


class TokenRolesSpec(_Entry):
    """Who gets each duty of a token (each defaults to the deployer)."""

    issuers: list[Address] = Field(default_factory=list)
    agents: list[Address] = Field(default_factory=list)
    pausers: list[Address] = Field(default_factory=list)
    compliance_admins: list[Address] = Field(default_factory=list)


class TokenSpecBase(_Entry):
    """What every security token on ``RWATokenBase`` shares (the base's constructor, roles and rules)."""

    name: str = Field(min_length=1, max_length=64)
    symbol: str = Field(description="1-11 letters or digits; also the token's id in the spec and the manifest.")
    decimals: int = Field(default=18, ge=0, le=36)
    treasury: Address | None = Field(default=None, description="The issuer's wallet (default: the deployer).")
    roles: TokenRolesSpec = Field(default_factory=TokenRolesSpec)
    rules: ComplianceRules | None = None

    @field_validator("symbol")
    @classmethod
    def _symbol(cls, value: str) -> str:
        if not _SYMBOL.fullmatch(value):
            raise ValueError("symbol must be 1 to 11 letters or digits")
        return value


class RWATokenSpec(TokenSpecBase):
    """An ``RWAToken``: the security token with no asset lifecycle."""

    kind: Literal["rwa"] = "rwa"


# One member per token kind; an asset token adds its model here (kind = "bond", its terms) and a builder.
TokenSpec = Annotated[RWATokenSpec, Field(discriminator="kind")]


class MintSpec(_Entry):
    """One issuance: ``amount`` token units of ``token`` (a symbol of the spec) to ``to``."""

    token: str
    to: Address
    amount: Decimal = Field(gt=0)


class StablecoinMintSpec(_Entry):
    """HKD issued to ``to`` (e.g. an investor's wallet, to pay for a subscription)."""

    to: Address
    amount: Decimal = Field(gt=0)


class IssuanceSpec(_Entry):
    """The initial issuance, sent in batches of at most ``batch_size``."""

    mints: list[MintSpec] = Field(default_factory=list)
    stablecoin: list[StablecoinMintSpec] = Field(default_factory=list)


class DeploymentSpec(Model):
    """A whole deployment: the registry, the stablecoin, the tokens, the investors and the issuance."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="The deployment's name: the manifest is <name>.json (default: the file's stem).")
    description: str = ""
    batch_size: int = Field(
        default=DEFAULT_BATCH_SIZE,
        ge=1,
        le=MAX_BATCH_SIZE,
        description="Most investors registered or mints issued by one transaction.",
    )
    registry: RegistrySpec = Field(default_factory=RegistrySpec)
    stablecoin: StablecoinSpec | None = None
    tokens: list[TokenSpec] = Field(default_factory=list)
    investors: list[Investor] = Field(default_factory=list)
    issuance: IssuanceSpec = Field(default_factory=IssuanceSpec)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _SPEC_NAME.fullmatch(value):
            raise ValueError("name must be 1-64 letters, digits, '.', '_' or '-' (it names the manifest file)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> DeploymentSpec:
        symbols = [t.symbol for t in self.tokens]
        for index, symbol in enumerate(symbols):
            if symbol in symbols[:index]:
                raise _located(("tokens", index, "symbol"), f"symbol {symbol} is used by two tokens")
        ids: set[str] = set()
        wallets: dict[str, str] = {}
        for index, investor in enumerate(self.investors):
            if investor.id in ids:
                raise _located(("investors", index, "id"), f"investor {investor.id} is listed twice")
            ids.add(investor.id)
            for wallet in investor.wallets:
                if wallet in wallets:
                    raise _located(
                        ("investors", index, "wallets"), f"wallet {wallet} is also a wallet of {wallets[wallet]}"
                    )
                wallets[wallet] = investor.id
        for index, mint in enumerate(self.issuance.mints):
            if mint.token not in symbols:
                known = ", ".join(symbols) or "none"
                raise _located(("issuance", "mints", index, "token"), f"no token {mint.token!r} (tokens: {known})")
        if self.issuance.stablecoin and self.stablecoin is None:
            raise _located(("issuance", "stablecoin"), "stablecoin mints need a [stablecoin] table")
        return self


class _LocatedError(ValueError):
    """A cross-field problem with the field path it concerns (pydantic reports a model validator at the model)."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


def _located(loc: tuple[str | int, ...], message: str) -> _LocatedError:
    return _LocatedError(loc, message)


# --- loading -------------------------------------------------------------------------------------------------


def load_spec(path: str | Path) -> DeploymentSpec:
    """Read and validate a spec file; SpecError ``<file>:<line>: <field>: <problem>`` on any problem."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read spec {file} ({exc.strerror or exc})", fix="check the path") from exc
    return parse_spec(text, file)


def parse_spec(text: str, file: Path) -> DeploymentSpec:
    """Validate a spec's text (``file`` names it in errors and gives the default name)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{file}: not valid TOML ({exc})", fix="correct the TOML syntax at that line") from exc
    data.setdefault("name", file.stem)
    try:
        # The validator itself, not Model.model_validate: its one-line SpecError would hide the nested path.
        spec: DeploymentSpec = DeploymentSpec.__pydantic_validator__.validate_python(data)
    except ValidationError as exc:
        raise _spec_file_error(exc, text, file) from exc
    return spec


def _spec_file_error(exc: ValidationError, text: str, file: Path) -> SpecError:
    loc, message, count = _innermost(exc)
    loc = _spec_loc(loc)
    where = _dotted(loc)
    line = find_line(text, loc)
    at = f"{file}:{line}" if line else str(file)
    more = f" (+{count - 1} more)" if count > 1 else ""
    field = f" {where}:" if where else ""
    return SpecError(f"{at}:{field} {message}{more}", fix=f"correct {where or 'the spec'} in {file.name}")


def _innermost(exc: ValidationError) -> tuple[tuple[Any, ...], str, int]:
    """The full field path and message of the first problem. pydantic runs a nested ``Model``'s own ``__init__``,
    whose SpecError it wraps at the nested field: follow those wrappers down, joining the paths."""
    loc: tuple[Any, ...] = ()
    message, count = str(exc), 1
    cause: BaseException | None = exc
    seen: set[int] = set()
    while isinstance(cause, ValidationError) and id(cause) not in seen:
        seen.add(id(cause))
        problems = cause.errors()
        count = max(count, len(problems))
        first = problems[0]
        loc = loc + tuple(first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] in ("union_tag_invalid", "union_tag_not_found"):  # a token's kind: point at the key
            loc = (*loc, "kind")
            known = ", ".join(sorted(_TOKEN_KINDS))
            tag = (first.get("ctx") or {}).get("tag")
            message = f"unknown kind {tag!r} (known: {known})" if tag else f"kind is required (one of: {known})"
            break
        inner = (first.get("ctx") or {}).get("error")
        if isinstance(inner, _LocatedError):
            loc = loc + inner.loc
            message = str(inner)
            break
        if not isinstance(inner, SpecError):
            break
        message, cause = inner.message, inner.__cause__
    return loc, message, count


def _spec_loc(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """pydantic's location without the discriminator tag it inserts after a union member's index."""
    parts: list[str | int] = []
    for index, part in enumerate(loc):
        after_token = index >= 2 and loc[index - 2] == "tokens" and isinstance(loc[index - 1], int)
        if after_token and part in _TOKEN_KINDS:
            continue
        parts.append(part if isinstance(part, int) else str(part))
    return tuple(parts)


def _token_kinds() -> frozenset[str]:
    """The ``kind`` of every member of ``TokenSpec`` (read from the union, so a new member needs nothing here)."""
    union = get_args(TokenSpec)[0]
    members = get_args(union) or (union,)
    return frozenset(str(member.model_fields["kind"].default) for member in members)


_TOKEN_KINDS = _token_kinds()


def _dotted(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


# --- finding a field's line: a light scan of the TOML text --------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]+\")\s*=")


def find_line(text: str, loc: tuple[str | int, ...]) -> int | None:
    """The 1-based line that defines the deepest prefix of ``loc`` (table headers ``[a.b]``, arrays of tables
    ``[[a]]`` counted per parent, ``key = value`` lines), or None when nothing matches. Keys inside inline tables
    and multi-line arrays are found at the line of the key that holds them."""
    counters: dict[tuple[str | int, ...], int] = {}
    table: tuple[str | int, ...] = ()
    best: tuple[int, int] | None = None  # (matched length, line)
    in_multiline = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if in_multiline:
            if '"""' in stripped or "'''" in stripped:
                in_multiline = False
            continue
        header = _HEADER.match(line)
        if header and stripped.startswith("["):
            names: tuple[str, ...] = tuple(part.strip().strip("\"'") for part in header.group(2).split("."))
            if header.group(1) == "[[":
                parent = _resolve(names[:-1], counters)
                array = (*parent, names[-1])
                counters[array] = counters.get(array, -1) + 1
                table = (*array, counters[array])
            else:
                table = _resolve(names, counters)
            best = _better(best, table, loc, number)
            continue
        key_match = _KEY.match(line)
        if key_match:
            best = _better(best, (*table, key_match.group(1).strip('"')), loc, number)
            if stripped.count('"""') == 1 or stripped.count("'''") == 1:
                in_multiline = True
    return best[1] if best else None


def _resolve(names: tuple[str, ...], counters: dict[tuple[str | int, ...], int]) -> tuple[str | int, ...]:
    """A dotted header's path, with the current index after each array of tables it passes through."""
    path: tuple[str | int, ...] = ()
    for name in names:
        path = (*path, name)
        if path in counters:
            path = (*path, counters[path])
    return path


def _better(
    best: tuple[int, int] | None, path: tuple[str | int, ...], loc: tuple[str | int, ...], line: int
) -> tuple[int, int] | None:
    if len(path) > len(loc) or loc[: len(path)] != path:
        return best
    if best is None or len(path) > best[0]:
        return (len(path), line)
    return best
