"""Onboarding at scale: a CSV of investors (and what to issue to each), validated whole, then registered, linked
and issued to in node-sized batches, journaled and resumable.

1. **Read** (:func:`read_onboarding_csv`): every row is parsed and checked before anything is sent; every bad row is
   reported (:class:`ImportRejected`, one :class:`RowProblem` per line and field).
2. **Plan** (:func:`plan_onboarding`): the register and the balances are read in JSON-RPC batches. A row already on
   chain in the same state is skipped; a row on chain in another state is a problem (nothing is ever changed
   silently: ``hktoken investor update`` does that).
3. **Run** (:func:`onboard`): journaled phases ``register`` (``batchRegisterInvestors``, first wallet of each),
   ``wallets`` (``batchAddWallets``, further wallets) and ``mint`` (``batchMint`` of ``amount`` to the first wallet).
   A rerun of the same input settles what the journal left in flight first (:mod:`hktoken.bulk.journal`), then
   plans again: a run killed at row 6,000 continues at 6,001 and nothing is issued twice.

Issuance is "issue ``amount`` to a new holder": a row whose wallet already holds at least ``amount``, or whose mint
this run's journal records, is done; a wallet holding less than ``amount`` (but not nothing) is a problem.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_account.signers.local import LocalAccount
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hktoken.bulk.journal import BulkJournal, JournaledRun, SendHook, input_digest
from hktoken.chain.bulk import BulkSender, Progress
from hktoken.contracts.bulk import (
    add_wallet_calls,
    balances_of,
    mint_calls,
    owners_of,
    register_calls,
    registry_records,
    wallets_of_many,
)
from hktoken.errors import MissingRole, SpecError
from hktoken.models.common import Address, spec_error
from hktoken.models.investor import Investor, InvestorClass, investor_id_text
from hktoken.models.restrictions import Restriction, message_for
from hktoken.units import from_base_units, to_base_units

if TYPE_CHECKING:
    from hktoken.chain.connection import Chain
    from hktoken.contracts.base import ContractWrapper
    from hktoken.contracts.registry import InvestorRegistry
    from hktoken.contracts.token import SecurityToken

MAX_WALLETS = 4  # InvestorRegistry.MAX_WALLETS_PER_INVESTOR
IMPORT_COLUMNS = ("id", "wallet", "wallets", "country", "class", "kyc_expiry", "kyc_days", "omnibus", "amount")
REQUIRED = ("id", "country", "class")
PROBLEMS_SHOWN = 5
MAX_KYC_DAYS = 36_500  # a hundred years: anything longer is a typo
MAX_UNITS = 2**128 - 1  # the token's supply and balances are 128-bit
_SEPARATORS = re.compile(r"[;\s|]+")


class RowProblem(BaseModel):
    """One bad row: its line in the file, the column, what is wrong and how to fix it."""

    model_config = ConfigDict(frozen=True)

    line: int
    field: str
    message: str
    fix: str

    def text(self, source: str) -> str:
        return f"{source}:{self.line}: {self.field}: {self.message}"


class ImportRejected(SpecError):
    """The input has bad rows (all of them in ``problems``); nothing was sent."""

    def __init__(self, source: str, problems: Sequence[RowProblem]) -> None:
        self.source = source
        self.problems = list(problems)
        if len(self.problems) == 1:
            only = self.problems[0]
            super().__init__(only.text(source), fix=only.fix)
            return
        shown = "; ".join(p.text(source) for p in self.problems[:PROBLEMS_SHOWN])
        more = len(self.problems) - PROBLEMS_SHOWN
        super().__init__(
            f"{source}: {len(self.problems)} bad rows, nothing sent: {shown}" + (f"; and {more} more" if more > 0
                                                                                   else ""),
            fix="correct every row listed (--json lists them all) and run again",
        )  # fmt: skip


def parse_class(text: str) -> InvestorClass:
    """``professional``, ``PRO`` or ``2`` -> InvestorClass.PROFESSIONAL."""
    value = text.strip().upper()
    for klass in InvestorClass:
        if value in (klass.name, str(int(klass))) or (len(value) >= 3 and klass.name.startswith(value)):
            return klass
    known = ", ".join(f"{c.name.lower()} ({int(c)})" for c in InvestorClass)
    raise SpecError(f"investor class {text!r} is not one of {known}", fix="pass e.g. --class professional")


def parse_expiry(text: str) -> datetime:
    """``2027-06-30`` (midnight UTC) or an ISO date-time (UTC unless it says otherwise)."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            day = date.fromisoformat(text.strip())
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise SpecError(f"KYC expiry {text!r} is not a date", fix="write it as YYYY-MM-DD, e.g. 2027-06-30") from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _parsed_text(parse: Callable[[str], Any], value: Any) -> Any:
    """A CSV cell given as text, parsed (a SpecError becomes the ValueError pydantic reports with the field)."""
    if not isinstance(value, str):
        return value
    try:
        return parse(value)
    except SpecError as exc:
        raise ValueError(exc.message) from exc


def _country_code(text: str) -> int:
    from hktoken.cli.countries import country_code  # the ISO 3166-1 table lives with the CLI

    return country_code(text)


class _CsvRow(BaseModel):
    """One CSV row, as written by people: country HK or 344, class by name, wallets separated by ``;``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    wallets: list[Address] = Field(min_length=1, max_length=MAX_WALLETS)
    country: int
    investor_class: InvestorClass = Field(alias="class")
    kyc_expiry: datetime | None = None
    kyc_days: int | None = Field(default=None, ge=1, le=MAX_KYC_DAYS)
    omnibus: bool = False
    amount: Decimal | None = Field(default=None, gt=0, allow_inf_nan=False)

    @field_validator("wallets", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return [w for w in _SEPARATORS.split(value.strip()) if w] if isinstance(value, str) else value

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, value: Any) -> Any:
        return _parsed_text(_country_code, value)

    @field_validator("investor_class", mode="before")
    @classmethod
    def _class(cls, value: Any) -> Any:
        return _parsed_text(parse_class, value)

    @field_validator("kyc_expiry", mode="before")
    @classmethod
    def _expiry(cls, value: Any) -> Any:
        return _parsed_text(parse_expiry, value)


class OnboardingRow(BaseModel):
    """One investor to onboard: where it came from, who it is, and what to issue (token units) if anything."""

    model_config = ConfigDict(frozen=True)

    line: int
    investor: Investor
    amount: Decimal | None = None
    relative_expiry: bool = False
    """The expiry came from ``kyc_days`` (relative to the import): an investor already registered with every other
    field equal is the same investor, whatever its expiry."""


def _problem_of(exc: ValidationError | SpecError, line: int) -> RowProblem:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "row"
        column = "class" if where == "investor_class" else where
        problem = spec_error(exc, "investor")
        message = problem.message.removeprefix("invalid investor: ").removeprefix(f"{where}: ")
        return RowProblem(line=line, field=column, message=message, fix=problem.fix or f"correct {column}")
    return RowProblem(line=line, field="row", message=exc.message, fix=exc.fix or "correct the row")


def read_onboarding_csv(path: Path, now: datetime, *, decimals: int | None = None) -> list[OnboardingRow]:
    """Every row of an onboarding file, checked: types, one of kyc_expiry/kyc_days, expiry after ``now``, ids and
    wallets listed once, amounts exact at ``decimals`` (``amount`` needs a token: ``decimals`` given).
    ImportRejected lists every bad row; SpecError for a file that cannot be read or has a bad header."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SpecError(f"cannot read {path}: {exc.strerror}", fix="check the file path") from exc
    reader = csv.DictReader(text.splitlines())
    columns = [str(c).strip().lower() for c in reader.fieldnames or []]
    unknown = sorted(set(columns) - set(IMPORT_COLUMNS))
    wallet_column = {"wallet", "wallets"} & set(columns)
    if not columns or unknown or not set(REQUIRED) <= set(columns) or len(wallet_column) != 1:
        what = f"unknown column {unknown[0]!r}" if unknown else "the header must name id, wallet, country, class"
        raise SpecError(f"{path}:1: {what}", fix=f"use the columns {', '.join(IMPORT_COLUMNS)}")
    if "amount" in columns and decimals is None:
        raise SpecError(f"{path}:1: the file has an amount column but no token to issue", fix="pass --token")
    rows: list[OnboardingRow] = []
    problems: list[RowProblem] = []
    ids: dict[bytes, int] = {}
    wallets: dict[str, int] = {}
    for raw in reader:
        line = reader.line_num
        if None in raw:
            problems.append(RowProblem(line=line, field="row", message="more fields than columns",
                                       fix="quote a field that holds a comma"))  # fmt: skip
            continue
        values = {str(k).strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
        values = {("wallets" if k == "wallet" else k): v for k, v in values.items() if v != ""}
        try:
            parsed = _CsvRow.model_validate(values)
        except ValidationError as exc:
            problems.append(_problem_of(exc, line))
            continue
        if (parsed.kyc_expiry is None) == (parsed.kyc_days is None):
            problems.append(RowProblem(line=line, field="kyc_expiry", message="give kyc_expiry or kyc_days (one of "
                                       "them)", fix="fill exactly one of the two columns"))  # fmt: skip
            continue
        expiry = parsed.kyc_expiry or now + timedelta(days=parsed.kyc_days or 0)
        if expiry <= now:
            problems.append(RowProblem(line=line, field="kyc_expiry", message=f"KYC expiry {expiry:%Y-%m-%d %H:%M:%S}"
                                       " UTC is not in the future", fix="renew the KYC check first, or correct the "
                                       "date"))  # fmt: skip
            continue
        amount = parsed.amount
        if amount is not None and decimals is not None:
            try:
                units = to_base_units(amount, decimals)
            except SpecError as exc:
                problems.append(RowProblem(line=line, field="amount", message=exc.message,
                                           fix=exc.fix or "correct the amount"))  # fmt: skip
                continue
            if units > MAX_UNITS:
                problems.append(RowProblem(line=line, field="amount", message=f"{amount} is more than the token can "
                                           f"hold ({MAX_UNITS} base units)", fix="correct the amount"))  # fmt: skip
                continue
        try:
            investor = Investor(
                id=parsed.id,
                wallets=parsed.wallets,
                country=parsed.country,
                investor_class=parsed.investor_class,
                kyc_expiry=expiry,
                omnibus=parsed.omnibus,
            )
        except SpecError as exc:  # fmt: skip
            problems.append(RowProblem(line=line, field="id", message=exc.message, fix=exc.fix or "correct id"))
            continue
        if investor.id_bytes in ids:
            problems.append(RowProblem(line=line, field="id", message=f"investor {investor.id} is also on line "
                                       f"{ids[investor.id_bytes]}", fix="list each investor once"))  # fmt: skip
            continue
        ids[investor.id_bytes] = line
        repeated = [w for w in investor.wallets if w in wallets]
        if repeated:
            problems.append(
                RowProblem(
                    line=line,
                    field="wallet",
                    message=f"wallet {repeated[0]} is also on line {wallets[repeated[0]]}",
                    fix="give each wallet to one investor only",
                )
            )
            continue  # fmt: skip
        wallets.update(dict.fromkeys(investor.wallets, line))
        rows.append(OnboardingRow(line=line, investor=investor, amount=amount,
                                  relative_expiry=parsed.kyc_expiry is None))  # fmt: skip
    if problems:
        raise ImportRejected(source, problems)
    if not rows:
        raise SpecError(f"{path}: no investors after the header", fix="add one row per investor")
    return rows


@dataclass
class OnboardingPlan:
    """What a run still has to send, after reading the chain (indices into the rows)."""

    register: list[int] = field(default_factory=list)
    wallets: list[tuple[int, str]] = field(default_factory=list)
    mint: list[tuple[int, int]] = field(default_factory=list)
    """(row index, base units)"""
    already_registered: int = 0
    already_issued: int = 0


def plan_onboarding(
    chain: Chain,
    registry: InvestorRegistry,
    rows: Sequence[OnboardingRow],
    *,
    source: str,
    token: SecurityToken[Any] | None = None,
    registered_by_run: set[int] | None = None,
    issued_by_run: set[int] | None = None,
    issuer: str | None = None,
) -> OnboardingPlan:
    """Compare ``rows`` with the chain (batched reads); ImportRejected lists every row on chain in another state,
    and every planned mint the token's rules would refuse. ``registered_by_run`` / ``issued_by_run``: lines this
    run's journal records as registered / issued; ``issuer``: whose mint allowance must cover the issuance."""
    plan = OnboardingPlan()
    problems: list[RowProblem] = []
    records = registry_records(chain, registry, [r.investor.id_bytes for r in rows])
    all_wallets = [w for r in rows for w in r.investor.wallets]
    owner_list = owners_of(chain, registry, all_wallets)
    owners = dict(zip(all_wallets, owner_list, strict=True))
    registered = [i for i, record in enumerate(records) if record[0] != 0]
    current = dict(zip(registered, wallets_of_many(chain, registry, [rows[i].investor.id_bytes for i in registered]),
                       strict=True))  # fmt: skip
    for index, (row, record) in enumerate(zip(rows, records, strict=True)):
        investor = row.investor
        foreign = [w for w in investor.wallets if any(owners[w]) and owners[w] != investor.id_bytes]
        if foreign:
            other = investor_id_text(owners[foreign[0]])
            problems.append(RowProblem(line=row.line, field="wallet", message=f"wallet {foreign[0]} belongs to "
                                       f"investor {other}", fix="a wallet belongs to one investor for good: use a "
                                       "new wallet"))  # fmt: skip
            continue
        if record[0] == 0:
            plan.register.append(index)
            plan.wallets.extend((index, w) for w in investor.wallets[1:])
            continue
        _key, expiry, country, klass, revoked, omnibus, _retired, _primary = record
        differences = [
            (name, on_chain, wanted)
            for name, on_chain, wanted in (
                ("country", country, investor.country),
                ("class", klass, int(investor.investor_class)),
                ("omnibus", omnibus, investor.omnibus),
                ("kyc_expiry", expiry, expiry if row.relative_expiry else investor.kyc_expiry_timestamp),
                ("revoked", revoked, False),
            )
            if on_chain != wanted
        ]
        if differences:
            name, on_chain, wanted = differences[0]
            problems.append(
                RowProblem(
                    line=row.line,
                    field=name,
                    message=f"investor {investor.id} is registered with {name} {on_chain}, the file says {wanted}",
                    fix="correct the row, or change the investor with `hktoken investor update`/`renew`/`reinstate`",
                )
            )
            continue  # fmt: skip
        missing = [w for w in investor.wallets if w not in current[index]]
        extra = [w for w in current[index] if w not in investor.wallets]
        if extra or (missing and row.line not in (registered_by_run or set())):
            problems.append(RowProblem(line=row.line, field="wallet", message=f"investor {investor.id} is registered"
                                       f" with wallets {', '.join(current[index])}, the file lists "
                                       f"{', '.join(investor.wallets)}", fix="correct the row, or change the wallets "
                                       "with `hktoken investor add-wallet`/`remove-wallet`"))  # fmt: skip
            continue
        plan.already_registered += 1
        plan.wallets.extend((index, w) for w in missing)
    if token is not None:
        issuing = [i for i, r in enumerate(rows) if r.amount is not None]
        # A wallet never registered holds nothing (only verified wallets, or retired ones, ever receive): only
        # registered ones are read.
        known = [i for i in issuing if any(owners[rows[i].investor.wallets[0]])]
        held = dict(zip(known, balances_of(chain, token, [rows[i].investor.wallets[0] for i in known]), strict=True))
        for index in issuing:
            balance = held.get(index, 0)
            row = rows[index]
            units = to_base_units(row.amount or Decimal(0), token.decimals)
            if row.line in (issued_by_run or set()) or balance >= units:
                plan.already_issued += 1
            elif balance == 0:
                plan.mint.append((index, units))
            else:
                problems.append(RowProblem(
                    line=row.line, field="amount", message=f"wallet {row.investor.wallets[0]} holds "
                    f"{from_base_units(balance, token.decimals)}, less than the {row.amount} to issue",
                    fix="issue the difference with `hktoken token mint`, or remove the amount"))  # fmt: skip
    if token is not None and plan.mint:
        problems += _mint_problems(token, rows, plan, source, issuer)
    if problems:
        raise ImportRejected(source, problems)
    return plan


def _mint_problems(
    token: SecurityToken[Any], rows: Sequence[OnboardingRow], plan: OnboardingPlan, source: str, issuer: str | None
) -> list[RowProblem]:
    """What the token's rules would refuse in the planned mints, judged before anything is sent (the registrations
    would otherwise be mined first): the rows' countries, classes and amounts; SpecError for what no row can fix
    (paused, the issuer's mint allowance, the supply cap, the holder limit)."""
    if token.raw.paused():
        raise SpecError(f"{source}: {token.symbol} is paused, so nothing can be issued", fix="unpause it first")
    total = sum(units for _, units in plan.mint)
    allowance = token.mint_allowance(issuer) if issuer is not None else None
    if allowance is not None and token.to_units(allowance) < total:
        raise SpecError(
            f"{source}: issuing {token.from_units(total)} {token.symbol} needs more than {issuer}'s mint allowance "
            f"of {allowance}",
            fix="wait for the allowance to refill, or import fewer rows at a time",
        )
    rules = token.rules()
    if rules.supply_cap is not None and token.raw.total_supply() + total > token.to_units(rules.supply_cap):
        raise SpecError(f"{source}: issuing {token.from_units(total)} {token.symbol} would pass the supply cap of "
                        f"{rules.supply_cap}", fix="raise the cap, or issue less")  # fmt: skip
    if rules.max_holders is not None and token.holder_count() + len(plan.mint) > rules.max_holders:
        raise SpecError(f"{source}: {len(plan.mint)} new holders would pass the token's limit of {rules.max_holders}",
                        fix="raise the holder limit, or import fewer investors")  # fmt: skip
    limit = token.to_units(rules.max_balance_per_investor) if rules.max_balance_per_investor is not None else None
    minimum = token.to_units(rules.minimum_transfer) if rules.minimum_transfer is not None else None
    step = token.to_units(rules.denomination) if rules.denomination is not None else None
    problems = []
    for index, units in plan.mint:
        row = rows[index]
        country, klass = row.investor.country, row.investor.investor_class
        outside = bool(rules.allowed_countries) and country not in rules.allowed_countries
        refusal = (
            ("country", Restriction.COUNTRY_NOT_ALLOWED)
            if outside or country in rules.blocked_countries
            else ("class", Restriction.INVESTOR_CLASS_NOT_ALLOWED)
            if rules.required_classes and klass not in rules.required_classes
            else ("amount", Restriction.MAX_BALANCE_EXCEEDED) if limit is not None and units > limit
            else ("amount", Restriction.BELOW_MINIMUM_TRANSFER) if minimum is not None and units < minimum
            else ("amount", Restriction.NOT_DENOMINATION_MULTIPLE) if step is not None and units % step
            else None
        )  # fmt: skip
        if refusal is not None:
            column, code = refusal
            problems.append(RowProblem(line=row.line, field=column, message=f"the token would refuse this mint: "
                                       f"restriction code {int(code)} ({message_for(code)})",
                                       fix="correct the row, or leave it out"))  # fmt: skip
    return problems


@dataclass
class OnboardingResult:
    """What a run did (this invocation: rows settled from an earlier run's journal are counted as already done)."""

    journal: Path
    registered: int
    wallets_added: int
    issued: int
    issued_units: int
    already_registered: int
    already_issued: int
    transactions: list[str]
    register_transactions: int
    gas_used: int
    resent: int
    voided: int


def rows_digest(rows: Sequence[OnboardingRow]) -> str:
    """What identifies an input: every row's line, id, wallets, country, class, omnibus, amount (and expiry unless
    relative, so the same file read on another day is the same input)."""
    parts = [
        (r.line, r.investor.id, r.investor.wallets, r.investor.country, int(r.investor.investor_class),
         r.investor.omnibus, str(r.amount), "days" if r.relative_expiry else r.investor.kyc_expiry_timestamp)
        for r in rows
    ]  # fmt: skip
    return input_digest(parts)


def _import_run(
    chain: Chain, signer: LocalAccount, registry: InvestorRegistry, rows: Sequence[OnboardingRow], *, out: Path,
    token: SecurityToken[Any] | None, source: str, sender: BulkSender | None = None,
    on_signed: SendHook | None = None,
) -> JournaledRun:  # fmt: skip
    """The import run of ``rows`` (its journal read, not yet written)."""
    if token is None and any(r.amount is not None for r in rows):
        raise SpecError(f"{source}: rows have amounts but no token was given", fix="pass the token to issue")
    target = {"registry": registry.address, "token": token.address if token is not None else ""}
    return JournaledRun.open(chain, signer, kind="import", out=out, target=target, digest=rows_digest(rows),
                             sender=sender, on_signed=on_signed)  # fmt: skip


def _journaled_plan(
    chain: Chain, signer: LocalAccount, registry: InvestorRegistry, rows: Sequence[OnboardingRow],
    journal: BulkJournal, *, token: SecurityToken[Any] | None, source: str,
) -> OnboardingPlan:  # fmt: skip
    """The plan from chain state, the journal's mined rows counted as this run's."""
    return plan_onboarding(chain, registry, rows, source=source, token=token,
                           registered_by_run=journal.done_rows("register"), issued_by_run=journal.done_rows("mint"),
                           issuer=signer.address)  # fmt: skip


def _check_duties(
    signer: LocalAccount, registry: InvestorRegistry, token: SecurityToken[Any] | None, plan: OnboardingPlan
) -> None:
    """MissingRole for a duty the plan needs (checked before anything new is sent: a missing role must not leave a
    run half-done)."""
    needed: list[tuple[ContractWrapper[Any], str]] = (
        [(registry, "REGISTRAR_ROLE")] if plan.register or plan.wallets else []
    )
    if token is not None and plan.mint:
        needed.append((token, "ISSUER_ROLE"))
    for contract, role in needed:
        if not contract.has_role(role, signer.address):
            raise MissingRole(signer.address, role)


@dataclass
class OnboardingPreview:
    """What ``onboard`` would do now (``--dry-run``), read from the chain and the run's journal; nothing sent."""

    plan: OnboardingPlan
    """What would be sent after settling, the rows of the unsettled batches left out (as if they land)."""
    journal: Path
    unsettled: int
    """Batches an earlier run of this input journaled but never saw mined: a real run settles them first (finds
    them mined or sends them again byte for byte; one found void has its rows planned again)."""
    unsettled_rows: int
    """The rows those batches carry."""
    unsettled_elsewhere: int
    """Batches this signer's runs over other inputs (an edited file, another token) journaled in the same folder
    but never saw mined: a real run settles them first too."""


def preview_onboarding(
    chain: Chain,
    signer: LocalAccount,
    registry: InvestorRegistry,
    rows: Sequence[OnboardingRow],
    *,
    out: Path,
    token: SecurityToken[Any] | None = None,
    source: str = "rows",
) -> OnboardingPreview:
    """``onboard`` without sending or writing anything: the same checks (bad rows, chain conflicts, the token's
    rules, missing duties, a journal of another run) raise the same errors, and the plan counts the journal's
    mined batches as done."""
    run = _import_run(chain, signer, registry, rows, out=out, token=token, source=source)
    plan = _journaled_plan(chain, signer, registry, rows, run.journal, token=token, source=source)
    unsettled = run.journal.entries(status="signed")
    landing = {phase: {line for e in unsettled if e["phase"] == phase for line in e["rows"]}
               for phase in ("register", "wallets", "mint")}  # fmt: skip
    plan.register = [i for i in plan.register if rows[i].line not in landing["register"]]
    plan.wallets = [(i, w) for i, w in plan.wallets if rows[i].line not in landing["wallets"]]
    plan.mint = [(i, units) for i, units in plan.mint if rows[i].line not in landing["mint"]]
    _check_duties(signer, registry, token, plan)  # the duties of what is left to send, as the real run checks them
    elsewhere = sum(len(j.entries(status="signed")) for j in run.in_flight_elsewhere())
    return OnboardingPreview(plan, run.journal.path, len(unsettled), sum(len(e["rows"]) for e in unsettled), elsewhere)


def onboard(
    chain: Chain,
    signer: LocalAccount,
    registry: InvestorRegistry,
    rows: Sequence[OnboardingRow],
    *,
    out: Path,
    token: SecurityToken[Any] | None = None,
    source: str = "rows",
    tx_gas_cap: int | None = None,
    max_rows: int | None = None,
    progress: Progress | None = None,
    on_signed: SendHook | None = None,
    sender: BulkSender | None = None,
) -> OnboardingResult:
    """Register, link and issue ``rows`` (module docstring), journaled under ``out``; resumable by running again."""
    run = _import_run(chain, signer, registry, rows, out=out, token=token, source=source, sender=sender,
                      on_signed=on_signed)  # fmt: skip
    run.settle(progress)
    plan = _journaled_plan(chain, signer, registry, rows, run.journal, token=token, source=source)
    _check_duties(signer, registry, token, plan)
    investors = [rows[i].investor for i in plan.register]
    sent = run.send("register", register_calls(chain, signer, registry, investors, tx_gas_cap=tx_gas_cap,
                                               max_rows=max_rows),
                    [rows[i].line for i in plan.register], progress)  # fmt: skip
    register_count = len(sent)
    links = [(rows[i].investor.id_bytes, w) for i, w in plan.wallets]
    sent += run.send("wallets", add_wallet_calls(chain, signer, registry, links, tx_gas_cap=tx_gas_cap,
                                                 max_rows=max_rows),
                     [rows[i].line for i, _ in plan.wallets], progress)  # fmt: skip
    if token is not None and plan.mint:
        mints = [(rows[i].investor.wallets[0], units) for i, units in plan.mint]
        sent += run.send("mint", mint_calls(chain, signer, token, mints, tx_gas_cap=tx_gas_cap, max_rows=max_rows),
                         [rows[i].line for i, _ in plan.mint], progress)  # fmt: skip
    return OnboardingResult(
        journal=run.journal.path,
        registered=len(plan.register),
        wallets_added=len(plan.wallets),
        issued=len(plan.mint),
        issued_units=sum(units for _, units in plan.mint),
        already_registered=plan.already_registered,
        already_issued=plan.already_issued,
        transactions=[tx.tx_hash for tx in sent],
        register_transactions=register_count,
        gas_used=run.gas_used,
        resent=run.resent,
        voided=run.voided,
    )


__all__ = [
    "IMPORT_COLUMNS",
    "ImportRejected",
    "OnboardingPlan",
    "OnboardingPreview",
    "OnboardingResult",
    "OnboardingRow",
    "RowProblem",
    "onboard",
    "parse_class",
    "parse_expiry",
    "plan_onboarding",
    "preview_onboarding",
    "read_onboarding_csv",
    "rows_digest",
]
