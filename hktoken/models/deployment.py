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
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from hktoken.errors import SpecError
from hktoken.models.bond import BondTerms
from hktoken.models.common import Address, Model
from hktoken.models.fund import FundTerms
from hktoken.models.gold import GoldBar
from hktoken.models.investor import Investor
from hktoken.models.rules import ComplianceRules

DEFAULT_BATCH_SIZE = 50
MAX_BATCH_SIZE = 500
_SPEC_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_SYMBOL = re.compile(r"[A-Za-z0-9]{1,11}")
_CONTRACT_ID = re.compile(r"[a-z][a-z0-9_]{0,31}")
_RESERVED_IDS = frozenset({"registry", "stablecoin", "admin_module", "token"})
_PLACEHOLDER = "0x000000000000000000000000000000000000dEaD"  # the stablecoin's address, unknown until deployed
STABLECOIN_DECIMALS = 6


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


# --- the asset kinds ----------------------------------------------------------------------------------------


def _terms_error(spec: Model, message: str) -> ValueError:
    """An asset model's ``field: problem`` as a problem located at that field of the spec's table (when the table
    has that field), so the error names its line."""
    field, _, rest = message.partition(": ")
    if rest and field in type(spec).model_fields:
        return _located((field,), rest)
    return ValueError(message)


class BondTermsSpec(_Entry):
    """A fixed-rate bond's terms (:class:`hktoken.models.bond.BondTerms`), paid in the spec's stablecoin. Money in
    HKD units; dates with a time zone."""

    isin: str
    currency: str = "HKD"
    denomination: Decimal = Field(gt=0, description="Face value of one whole token, in HKD.")
    coupon_rate_bps: int
    coupon_frequency: int
    issue_date: datetime
    maturity_date: datetime
    coupon_dates: list[datetime]
    min_call_notice_days: int = Field(default=30, ge=0, le=49_710)

    @model_validator(mode="after")
    def _valid_terms(self) -> BondTermsSpec:
        self.bond_terms(_PLACEHOLDER)
        return self

    def bond_terms(self, payment_token: str) -> BondTerms:
        """The terms as the bond model has them, paid in ``payment_token`` (6-decimal HKD)."""
        try:
            return BondTerms.model_validate(
                {
                    "isin": self.isin, "currency": self.currency, "payment_token": payment_token,
                    "payment_decimals": STABLECOIN_DECIMALS, "denomination": self.denomination,
                    "coupon_rate_bps": self.coupon_rate_bps, "coupon_frequency": self.coupon_frequency,
                    "issue_date": self.issue_date, "maturity_date": self.maturity_date,
                    "coupon_dates": tuple(self.coupon_dates),
                    "min_call_notice": timedelta(days=self.min_call_notice_days),
                }
            )  # fmt: skip
        except SpecError as exc:
            raise _terms_error(self, exc.message.removeprefix("invalid BondTerms: ")) from None


class BondRolesSpec(_Entry):
    """The bond's own duties (each defaults to the deployer): CALLER_ROLE on the token, FUNDER_ROLE and PAYER_ROLE
    on its paying agent."""

    callers: list[Address] = Field(default_factory=list)
    funders: list[Address] = Field(default_factory=list)
    payers: list[Address] = Field(default_factory=list)


class BondTokenSpec(TokenSpecBase):
    """A ``BondToken`` with its paying agent (created by the token's constructor), paid in the spec's stablecoin."""

    kind: Literal["bond"] = "bond"
    terms: BondTermsSpec
    bond_roles: BondRolesSpec = Field(default_factory=BondRolesSpec)


class GoldCustodianSpec(_Entry):
    """The ``GoldCustodian`` a gold token is bound to, its duties and settings and the bars it lists at deployment
    (``addBars``, by the deployer, which must then hold CUSTODIAN_ROLE)."""

    custodians: list[Address] = Field(default_factory=list, description="CUSTODIAN_ROLE (default: the deployer).")
    auditors: list[Address] = Field(default_factory=list, description="AUDITOR_ROLE (default: the deployer).")
    minimum_redemption: Decimal | None = Field(default=None, gt=0, description="Fine ounces (token units).")
    max_attestation_age_days: int | None = Field(default=None, ge=1, le=49_710)
    bars: list[GoldBar] = Field(default_factory=list)

    @model_validator(mode="after")
    def _distinct_bars(self) -> GoldCustodianSpec:
        seen: set[str] = set()
        for index, bar in enumerate(self.bars):
            if bar.serial in seen:
                raise _located(("bars", index, "serial"), f"bar serial {bar.serial!r} is listed twice")
            seen.add(bar.serial)
        return self


class GoldTokenSpec(TokenSpecBase):
    """A ``GoldToken`` (18 decimals: one token is one fine troy ounce) bound to its custodian, which is its
    treasury."""

    kind: Literal["gold"] = "gold"
    custodian: GoldCustodianSpec = Field(default_factory=GoldCustodianSpec)

    @field_validator("decimals")
    @classmethod
    def _eighteen(cls, value: int) -> int:
        if value != 18:
            raise ValueError("gold counts fine troy ounces to 18 decimals: decimals must be 18")
        return value

    @field_validator("treasury")
    @classmethod
    def _no_treasury(cls, value: str | None) -> str | None:
        if value is not None:
            raise ValueError("a gold token's treasury is its custodian: leave treasury unset")
        return value


class FundTermsSpec(_Entry):
    """A share class's dealing terms (:class:`hktoken.models.fund.FundTerms`), paid in the spec's stablecoin:
    ``creation_unit`` in shares, ``initial_nav`` in HKD."""

    cash_account: Address
    fee_receiver: Address | None = None
    creation_unit: Decimal = Field(gt=0)
    initial_nav: Decimal = Field(gt=0)
    max_nav_age_hours: int = Field(ge=1, le=1_193_046)
    nav_move_bound_bps: int
    subscription_fee_bps: int = 0
    redemption_fee_bps: int = 0
    management_fee_bps: int = 0
    management_fee_receiver: Address | None = None

    @model_validator(mode="after")
    def _valid_terms(self) -> FundTermsSpec:
        self.fund_terms(_PLACEHOLDER)
        return self

    def fund_terms(self, payment_token: str) -> FundTerms:
        """The terms as the fund model has them, paid in ``payment_token``."""
        data = self.model_dump(exclude={"max_nav_age_hours"})
        data.update(payment_token=payment_token, max_nav_age=timedelta(hours=self.max_nav_age_hours))
        try:
            return FundTerms.model_validate(data)
        except SpecError as exc:
            raise _terms_error(self, exc.message.removeprefix("invalid FundTerms: ")) from None


class FundRolesSpec(_Entry):
    """The dealing duties on the ``FundAdministrator``: FUND_ADMIN_ROLE (default: the deployer),
    NAV_CONFIRMER_ROLE (others than the publisher), AP_ROLE (wallets of the spec's investors, granted once they
    are registered)."""

    fund_admins: list[Address] = Field(default_factory=list)
    nav_confirmers: list[Address] = Field(default_factory=list)
    participants: list[Address] = Field(default_factory=list)


class FundTokenSpec(TokenSpecBase):
    """A ``FundToken`` share class and its ``FundAdministrator``, which becomes its treasury."""

    kind: Literal["fund"] = "fund"
    terms: FundTermsSpec
    fund_roles: FundRolesSpec = Field(default_factory=FundRolesSpec)

    @field_validator("treasury")
    @classmethod
    def _no_treasury(cls, value: str | None) -> str | None:
        if value is not None:
            raise ValueError("a fund's treasury is its FundAdministrator: leave treasury unset")
        return value


# One member per token kind; each has a builder in hktoken.deployment.builders.
TokenSpec = Annotated[RWATokenSpec | BondTokenSpec | GoldTokenSpec | FundTokenSpec, Field(discriminator="kind")]


class DvPSpec(_Entry):
    """The ``DvPSettlement`` contract (EIP-712 signed trades); PAUSER_ROLE to ``pausers`` (default: the deployer)."""

    kind: Literal["dvp"] = "dvp"
    id: str = Field(default="dvp", description="Its key in the manifest (SPEC-NAME.<id>).")
    pausers: list[Address] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _CONTRACT_ID.fullmatch(value) or value in _RESERVED_IDS:
            raise ValueError(f"id must be 1-32 lower-case letters, digits or '_', not one of {sorted(_RESERVED_IDS)}")
        return value


# Contracts that are not tokens: one member per kind, each with a builder (contract_builder).
ContractSpec = Annotated[DvPSpec, Field(discriminator="kind")]


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
    contracts: list[ContractSpec] = Field(default_factory=list)
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
        for index, token in enumerate(self.tokens):
            if token.kind in ("bond", "fund") and self.stablecoin is None:
                raise _located(
                    ("tokens", index, "kind"), f"a {token.kind} token is paid in HKD: add a [stablecoin] table"
                )
        contract_ids = [c.id for c in self.contracts]
        for index, contract_id in enumerate(contract_ids):
            if contract_id in contract_ids[:index]:
                raise _located(("contracts", index, "id"), f"id {contract_id} is used by two contracts")
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
            kinds = _CONTRACT_KINDS if "contracts" in loc else _TOKEN_KINDS
            known = ", ".join(sorted(kinds))
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
        after_entry = index >= 2 and loc[index - 2] in ("tokens", "contracts") and isinstance(loc[index - 1], int)
        if after_entry and part in _TOKEN_KINDS | _CONTRACT_KINDS:
            continue
        parts.append(part if isinstance(part, int) else str(part))
    return tuple(parts)


def _kinds(spec: Any) -> frozenset[str]:
    """The ``kind`` of every member of a union (read from it, so a new member needs nothing here)."""
    union = get_args(spec)[0]
    members = get_args(union) or (union,)
    return frozenset(str(member.model_fields["kind"].default) for member in members)


_TOKEN_KINDS = _kinds(TokenSpec)
_CONTRACT_KINDS = _kinds(ContractSpec)


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
