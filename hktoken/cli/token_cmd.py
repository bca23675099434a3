"""``hktoken token``: a security token's operations, amounts in token units (the token's decimals enforced before
anything is sent). ``transfer`` asks the token's ERC-1404 pre-check first and sends nothing when it refuses."""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click
from eth_typing import ChecksumAddress

from hktoken.bulk.onboard import parse_class, parse_expiry
from hktoken.cli import display
from hktoken.cli.countries import country_code, country_label
from hktoken.cli.investor_cmd import verdict
from hktoken.cli.options import Session, json_option, node_options, pass_session, signer_options
from hktoken.cli.refs import token_at, token_option
from hktoken.contracts.registry import InvestorRegistry
from hktoken.contracts.token import RWAToken, TransferCheck
from hktoken.errors import SpecError, TransferRestricted
from hktoken.models.common import to_address
from hktoken.models.restrictions import Restriction
from hktoken.models.rules import ComplianceRules

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
RULE_FIELDS = tuple(ComplianceRules.model_fields)
_OFF = ("off", "none", "")


def _address(what: str) -> Any:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        return None if value is None else to_address(value, what=what)

    return callback


def _amount_syntax(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """A non-negative number at all (the token's decimals are checked once the token is known)."""
    if value is not None:
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite() or number < 0:
            raise SpecError(f"amount {value!r} is not a non-negative number", fix="write it like 1000 or 12.5")
    return value


def _units(token: RWAToken, amount: str, what: str = "amount") -> Decimal:
    """``amount`` in token units, refused when finer than the token's decimals (nothing has been sent)."""
    token.to_units(amount, what=what)
    return Decimal(amount)


def _holds(token: RWAToken, wallet: ChecksumAddress, value: Decimal, verb: str) -> None:
    """SpecError when ``wallet`` holds less than ``value`` (before the token's own, less readable refusal)."""
    balance = token.balance_of(wallet)
    if value > balance:
        raise SpecError(
            f"{wallet} holds only {display.amount(balance, token.symbol)}",
            fix=f"{verb} at most {display.amount(balance)}",
        )


@contextmanager
def _explained(what: str, sender: str, recipient: str) -> Iterator[None]:
    """A compliance refusal met while simulating (so nothing was sent) as one line with its code, reason and fix."""
    try:
        yield
    except TransferRestricted as exc:
        if exc.tx_hash is not None:  # mined and reverted: something was sent, say so as the sender did
            raise
        raise SpecError(
            f"the token refuses this {what}: restriction code {exc.code} ({exc.reason}); nothing was sent",
            fix=refusal_fix(TransferCheck(exc.code, exc.reason), sender, recipient),
        ) from exc


@click.group("token")
def token_group() -> None:
    """A security token: mint, burn, transfer, check, freezes, forced transfer, recovery, pause, rules, documents."""


def _token_command(name: str, help: str) -> Callable[[Callable[..., None]], click.Command]:
    """A subcommand that sends: ``--token`` plus the shared node, signer and JSON options."""

    def decorate(function: Callable[..., None]) -> click.Command:
        for option in (pass_session, json_option, signer_options, node_options, token_option):
            function = option(function)
        return token_group.command(name, help=help)(function)

    return decorate


@_token_command("mint", "Issue AMOUNT tokens to a verified wallet (ISSUER_ROLE).")
@click.argument("to", callback=_address("recipient"))
@click.argument("amount", callback=_amount_syntax)
def mint_command(session: Session, token_ref: str, to: ChecksumAddress, amount: str) -> None:
    token = token_at(session, token_ref)
    value = _units(token, amount)
    with _explained("mint", ZERO_ADDRESS, to):
        receipt = token.mint(session.signer, to, value)
    display.sent(
        session,
        f"minted {display.amount(value, token.symbol)} to {to}",
        {"action": "mint", "to": to, "amount": display.amount(value)},
        [receipt],
    )


@_token_command("burn", "Cancel AMOUNT tokens of a wallet (ISSUER_ROLE).")
@click.argument("wallet", callback=_address("wallet"))
@click.argument("amount", callback=_amount_syntax)
def burn_command(session: Session, token_ref: str, wallet: ChecksumAddress, amount: str) -> None:
    token = token_at(session, token_ref)
    value = _units(token, amount)
    _holds(token, wallet, value, "burn")
    with _explained("burn", wallet, ZERO_ADDRESS):
        receipt = token.burn(session.signer, wallet, value)
    display.sent(
        session,
        f"burned {display.amount(value, token.symbol)} from {wallet}",
        {"action": "burn", "wallet": wallet, "amount": display.amount(value)},
        [receipt],
    )


_FIXES: dict[int, str] = {
    Restriction.PAUSED: "wait until the token is unpaused (`hktoken token unpause`, PAUSER_ROLE)",
    Restriction.SENDER_NOT_VERIFIED: "`hktoken investor show SENDER` says why",
    Restriction.RECIPIENT_NOT_VERIFIED: "`hktoken investor show RECIPIENT` says why",
    Restriction.SENDER_KYC_EXPIRED: "renew the sender's KYC (`hktoken investor renew`)",
    Restriction.RECIPIENT_KYC_EXPIRED: "renew the recipient's KYC (`hktoken investor renew`)",
    Restriction.SENDER_FROZEN: "an agent must unfreeze the sender (`hktoken token unfreeze`)",
    Restriction.RECIPIENT_FROZEN: "an agent must unfreeze the recipient (`hktoken token unfreeze`)",
    Restriction.INSUFFICIENT_UNFROZEN_BALANCE: "send less, or have an agent unfreeze part of the balance",
}


def refusal_fix(check: TransferCheck, sender: str, recipient: str) -> str:
    """What to do about a refused pre-check."""
    fix = _FIXES.get(check.code, "see the token's rules (`hktoken token rules get`)")
    return fix.replace("SENDER", sender).replace("RECIPIENT", recipient)


@_token_command(
    "transfer",
    "Send AMOUNT tokens from the signer to a wallet; the token's pre-check (ERC-1404) runs first, and a refusal "
    "prints its restriction code and reason, sends nothing and exits 1.",
)
@click.argument("to", callback=_address("recipient"))
@click.argument("amount", callback=_amount_syntax)
def transfer_command(session: Session, token_ref: str, to: ChecksumAddress, amount: str) -> None:
    token = token_at(session, token_ref)
    value = _units(token, amount)
    sender = session.signer.address
    _holds(token, sender, value, "transfer")
    check = token.check_transfer(sender, to, value)
    if not check.allowed:
        raise SpecError(
            f"the token refuses this transfer: restriction code {check.code} ({check.reason}); nothing was sent",
            fix=refusal_fix(check, sender, to),
        )
    with _explained("transfer", sender, to):
        receipt = token.transfer(session.signer, to, value)
    display.sent(
        session,
        f"transferred {display.amount(value, token.symbol)} from {sender} to {to}",
        {"action": "transfer", "from": sender, "to": to, "amount": display.amount(value)},
        [receipt],
    )


_VERIFICATION: dict[int, str] = {
    Restriction.SENDER_NOT_VERIFIED: "sender",
    Restriction.SENDER_KYC_EXPIRED: "sender",
    Restriction.RECIPIENT_NOT_VERIFIED: "recipient",
    Restriction.RECIPIENT_KYC_EXPIRED: "recipient",
}


def _registry_reasons(
    token: RWAToken, check: TransferCheck, sender: ChecksumAddress, recipient: ChecksumAddress
) -> list[tuple[str, ChecksumAddress, str]]:
    """For a refusal about verification, the registry's own reasons (as ``investor show`` gives them)."""
    party = _VERIFICATION.get(check.code)
    if party is None:
        return []
    wallet = sender if party == "sender" else recipient
    registry = InvestorRegistry(token.chain, token.raw.registry())
    found = verdict(registry, wallet, token.chain.timestamp())
    return [(party, wallet, reason) for reason in found.reasons]


@token_group.command("check")
@click.argument("sender", metavar="FROM", callback=_address("sender"))
@click.argument("recipient", metavar="TO", callback=_address("recipient"))
@click.argument("amount", callback=_amount_syntax)
@token_option
@node_options
@json_option
@pass_session
def check_command(
    session: Session, token_ref: str, sender: ChecksumAddress, recipient: ChecksumAddress, amount: str
) -> None:
    """The token's verdict on a transfer of AMOUNT from FROM to TO, without sending it (exit 1 when refused)."""
    token = token_at(session, token_ref)
    value = _units(token, amount)
    check = token.check_transfer(sender, recipient, value)
    verdict = "allowed" if check.allowed else "refused"
    why = _registry_reasons(token, check, sender, recipient)
    session.emit(
        "\n".join([f"{verdict}: code {check.code} ({check.reason})", *(f"  {role} {w}: {r}" for role, w, r in why)]),
        {
            "allowed": check.allowed,
            "code": check.code,
            "reason": check.reason,
            "from": sender,
            "to": recipient,
            "amount": display.amount(value),
            "registry_reasons": [{"party": role, "wallet": w, "reason": r} for role, w, r in why],
        },
    )
    if not check.allowed:
        raise SystemExit(1)


def _freeze_command(name: str, help: str, frozen: bool) -> None:
    @_token_command(name, help)
    @click.argument("wallet", callback=_address("wallet"))
    def command(session: Session, token_ref: str, wallet: ChecksumAddress) -> None:
        token = token_at(session, token_ref)
        if token.is_frozen(wallet) == frozen:
            raise SpecError(f"{wallet} is already {'frozen' if frozen else 'not frozen'}", fix="nothing to do")
        receipt = token.set_address_frozen(session.signer, wallet, frozen)
        display.sent(
            session, f"{'froze' if frozen else 'unfroze'} {wallet}", {"action": name, "wallet": wallet}, [receipt]
        )


_freeze_command("freeze", "Freeze a whole wallet: it can neither send nor receive (AGENT_ROLE).", True)
_freeze_command("unfreeze", "Unfreeze a whole wallet (AGENT_ROLE).", False)


def _partial_command(name: str, help: str, freeze: bool) -> None:
    @_token_command(name, help)
    @click.argument("wallet", callback=_address("wallet"))
    @click.argument("amount", callback=_amount_syntax)
    def command(session: Session, token_ref: str, wallet: ChecksumAddress, amount: str) -> None:
        token = token_at(session, token_ref)
        value = _units(token, amount)
        frozen = token.frozen_tokens(wallet)
        if not freeze and value > frozen:
            raise SpecError(
                f"{wallet} has only {display.amount(frozen, token.symbol)} frozen",
                fix=f"unfreeze at most {display.amount(frozen)}",
            )
        action = token.freeze_partial if freeze else token.unfreeze_partial
        receipt = action(session.signer, wallet, value)
        now = token.frozen_tokens(wallet)
        verb = "froze" if freeze else "unfroze"
        display.sent(
            session,
            f"{verb} {display.amount(value, token.symbol)} of {wallet} (frozen now "
            f"{display.amount(now, token.symbol)})",
            {"action": name, "wallet": wallet, "amount": display.amount(value), "frozen": display.amount(now)},
            [receipt],
        )


_partial_command("freeze-partial", "Freeze AMOUNT more of a wallet's balance (AGENT_ROLE).", True)
_partial_command("unfreeze-partial", "Release AMOUNT of a wallet's frozen tokens (AGENT_ROLE).", False)


@_token_command(
    "force-transfer", "Move AMOUNT from FROM to TO on a court or regulator order, past freezes (AGENT_ROLE)."
)
@click.argument("sender", metavar="FROM", callback=_address("from"))
@click.argument("recipient", metavar="TO", callback=_address("to"))
@click.argument("amount", callback=_amount_syntax)
def force_transfer_command(
    session: Session, token_ref: str, sender: ChecksumAddress, recipient: ChecksumAddress, amount: str
) -> None:
    token = token_at(session, token_ref)
    value = _units(token, amount)
    _holds(token, sender, value, "force-transfer")
    with _explained("forced transfer", sender, recipient):
        receipt = token.forced_transfer(session.signer, sender, recipient, value)
    display.sent(
        session,
        f"force-transferred {display.amount(value, token.symbol)} from {sender} to {recipient}",
        {"action": "force-transfer", "from": sender, "to": recipient, "amount": display.amount(value)},
        [receipt],
    )


@_token_command(
    "recover",
    "Move a lost wallet's balance, frozen amount and freeze flag to the same investor's new wallet (AGENT_ROLE).",
)
@click.argument("lost", metavar="LOST_WALLET", callback=_address("lost wallet"))
@click.argument("new", metavar="NEW_WALLET", callback=_address("new wallet"))
@click.option(
    "--investor", "investor_id", metavar="ID", default=None, help="The investor (default: the lost wallet's)."
)
def recover_command(
    session: Session, token_ref: str, lost: ChecksumAddress, new: ChecksumAddress, investor_id: str | None
) -> None:
    token = token_at(session, token_ref)
    registry = InvestorRegistry(session.chain, token.raw.registry())
    owner = registry.investor_of(lost)
    investor_id = investor_id or owner
    if investor_id is None or owner != investor_id:
        raise SpecError(
            f"{lost} is not a wallet of {'investor ' + investor_id if investor_id else 'any investor'}"
            f" in the token's registry",
            fix="check the lost wallet and --investor",
        )
    if registry.investor_of(new) != investor_id:
        raise SpecError(
            f"{new} is not a wallet of investor {investor_id}",
            fix=f"link it first: `hktoken investor add-wallet {investor_id} {new}`",
        )
    balance = token.balance_of(lost)
    receipt = token.recover(session.signer, lost, new, investor_id)
    display.sent(
        session,
        f"recovered {display.amount(balance, token.symbol)} of investor {investor_id} from {lost} to {new}",
        {"action": "recover", "investor": investor_id, "lost": lost, "new": new, "amount": display.amount(balance)},
        [receipt],
    )


def _pause_command(name: str, help: str, pause: bool) -> None:
    @_token_command(name, help)
    def command(session: Session, token_ref: str) -> None:
        token = token_at(session, token_ref)
        if token.paused() == pause:
            raise SpecError(f"{token.symbol} is already {'paused' if pause else 'running'}", fix="nothing to do")
        receipt = token.pause(session.signer) if pause else token.unpause(session.signer)
        display.sent(
            session, f"{'paused' if pause else 'unpaused'} {token.symbol}", {"action": name, "paused": pause}, [receipt]
        )


_pause_command("pause", "Stop every transfer, mint and burn (PAUSER_ROLE).", True)
_pause_command("unpause", "Resume (PAUSER_ROLE).", False)


# --------------------------------------------------------------------------------------------- rules


def rules_lines(rules: ComplianceRules) -> list[tuple[str, str]]:
    """Each rule as people read it (``off`` when the rule is not set)."""
    return [(name, rule_text(rules, name)) for name in RULE_FIELDS]


def rule_text(rules: ComplianceRules, name: str) -> str:
    value = getattr(rules, name)
    if value is None or value == frozenset():
        return "off"
    if name in ("allowed_countries", "blocked_countries"):
        return ", ".join(country_label(c) for c in sorted(value))
    if name == "required_classes":
        return ", ".join(c.name.lower() for c in sorted(value))
    if isinstance(value, Decimal):
        return display.amount(value)
    if isinstance(value, datetime):
        return display.when(value)
    return str(value)


def rules_data(rules: ComplianceRules) -> dict[str, Any]:
    return json.loads(rules.model_dump_json())  # type: ignore[no-any-return]


@token_group.group("rules")
def rules_group() -> None:
    """The token's compliance rules: get, set."""


@rules_group.command("get")
@token_option
@node_options
@json_option
@pass_session
def rules_get_command(session: Session, token_ref: str) -> None:
    """The rules the token enforces now."""
    rules = token_at(session, token_ref).rules()
    session.emit(display.fields(rules_lines(rules)), rules_data(rules))


def _read_rules_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read {path}: {exc.strerror}", fix="check the file path") from exc
    try:
        loaded = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})", fix="correct the file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML ({exc})", fix="correct the file") from exc
    if not isinstance(loaded, dict):
        raise SpecError(f"{path}: the rules must be a table of name = value", fix="see `hktoken token rules get`")
    rules = loaded.get("rules", loaded)
    if not isinstance(rules, dict):
        raise SpecError(f"{path}: [rules] must be a table", fix="see `hktoken token rules get --json`")
    return {name: _utc(value) for name, value in rules.items()}


def _utc(value: Any) -> Any:
    """A TOML date is midnight UTC, a TOML local date-time is UTC (as on the command line)."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value


def _countries(text: str) -> list[int]:
    return [country_code(c, what="country") for c in text.replace(";", ",").split(",") if c.strip()]


def _flag_rules(flags: dict[str, str | None]) -> dict[str, Any]:
    """The rules named by flags; ``off`` (or ``none``) switches a rule off."""
    out: dict[str, Any] = {}
    for name, raw in flags.items():
        if raw is None:
            continue
        text = raw.strip()
        off = text.lower() in _OFF
        if name in ("allowed_countries", "blocked_countries"):
            out[name] = [] if off else _countries(text)
        elif name == "required_classes":
            out[name] = [] if off else [parse_class(c) for c in text.split(",") if c.strip()]
        elif off:
            out[name] = None
        elif name == "lockup_until":
            out[name] = parse_expiry(text)
        elif name == "max_holders":
            if not text.isdigit():
                raise SpecError(f"--max-holders {text!r} is not a whole number", fix="pass e.g. 100, or off")
            out[name] = int(text)
        else:
            out[name] = text
    return out


@rules_group.command("set")
@click.argument(
    "rules_file", metavar="[FILE.toml|FILE.json]", required=False, type=click.Path(dir_okay=False, path_type=Path)
)
@click.option("--allowed-countries", metavar="CODES", default=None, help="e.g. HK,SG or 344,702 (off: any country).")
@click.option("--blocked-countries", metavar="CODES", default=None, help="e.g. KP,IR (off: none).")
@click.option(
    "--required-classes", metavar="CLASSES", default=None, help="e.g. professional,institutional (off: any class)."
)
@click.option("--max-holders", metavar="N", default=None, help="Most investors holding at once (off: no limit).")
@click.option(
    "--max-balance-per-investor", metavar="AMOUNT", default=None, help="In token units, summed over wallets (off)."
)
@click.option("--lockup-until", metavar="DATE", default=None, help="No holder transfers before YYYY-MM-DD (off).")
@click.option("--minimum-transfer", metavar="AMOUNT", default=None, help="In token units (off).")
@click.option("--denomination", metavar="AMOUNT", default=None, help="Amounts must be multiples of this (off).")
@click.option("--supply-cap", metavar="AMOUNT", default=None, help="In token units (off).")
@token_option
@node_options
@signer_options
@json_option
@pass_session
def rules_set_command(session: Session, /, token_ref: str, rules_file: Path | None, **flags: str | None) -> None:
    """Make the token enforce new rules (COMPLIANCE_ROLE). A FILE gives the complete rule set (a rule it leaves out
    is off); flags change single rules of the current set (or of FILE). Only changed settings are sent."""
    if rules_file is None and all(v is None for v in flags.values()):
        raise SpecError("no rules given", fix="pass a FILE.toml / FILE.json, or flags such as --max-holders 100")
    base = _read_rules_file(rules_file) if rules_file is not None else None
    overrides = _flag_rules(flags)
    token = token_at(session, token_ref)
    current = token.rules()
    wanted_data = {**(base if base is not None else rules_data(current)), **overrides}
    wanted = ComplianceRules.model_validate(wanted_data)
    changes = [
        (name, rule_text(current, name), rule_text(wanted, name))
        for name in RULE_FIELDS
        if getattr(current, name) != getattr(wanted, name)
    ]
    if not changes:
        session.emit("rules unchanged: nothing sent", {"changes": [], "transactions": []})
        return
    receipts = token.apply_rules(session.signer, wanted)
    text = "\n".join(
        [
            display.tx_line(f"changed {len(changes)} rule" + ("s" if len(changes) > 1 else ""), receipts),
            *(f"  {name}: {old} -> {new}" for name, old, new in changes),
        ]
    )
    session.emit(
        text,
        {
            "changes": [{"rule": n, "before": o, "after": a} for n, o, a in changes],
            "rules": rules_data(wanted),
            "transactions": display.tx_data(receipts),
        },
    )


# --------------------------------------------------------------------------------------------- documents


@token_group.group("documents")
def documents_group() -> None:
    """The token's document register (offering circular, prospectus...): list, set, remove."""


@documents_group.command("list")
@token_option
@node_options
@json_option
@pass_session
def documents_list_command(session: Session, token_ref: str) -> None:
    """Every recorded document with its URI, content hash and date."""
    token = token_at(session, token_ref)
    documents = [token.document(name) for name in token.documents()]
    rows = [[d.name, d.uri, "0x" + d.content_hash.hex(), display.when(d.last_modified)] for d in documents]
    count = f"{len(documents)} document" + ("s" if len(documents) != 1 else "")
    text = f"{count} of {token.symbol}" + (
        "\n\n" + display.table(["name", "uri", "sha-256", "modified"], rows) if rows else ""
    )
    session.emit(
        text,
        {
            "documents": [
                {
                    "name": d.name,
                    "uri": d.uri,
                    "hash": "0x" + d.content_hash.hex(),
                    "modified": d.last_modified.isoformat(),
                }
                for d in documents
            ]
        },
    )


def _content_hash(hash_hex: str | None, file: Path | None) -> bytes:
    if (hash_hex is None) == (file is None):
        raise SpecError("give the document's content hash once", fix="pass --file PATH (hashed with SHA-256) or --hash")
    if file is not None:
        try:
            return hashlib.sha256(file.read_bytes()).digest()
        except OSError as exc:
            raise SpecError(f"cannot read {file}: {exc.strerror}", fix="check the file path") from exc
    assert hash_hex is not None
    text = hash_hex.removeprefix("0x")
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise SpecError(f"--hash {hash_hex!r} is not 32 bytes of hex", fix="pass 0x followed by 64 hex digits")
    return raw


@documents_group.command("set")
@click.argument("name")
@click.argument("uri")
@click.option("--file", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Hash this file (SHA-256).")
@click.option("--hash", "hash_hex", metavar="HEX", default=None, help="The content hash: 0x + 64 hex digits.")
@token_option
@node_options
@signer_options
@json_option
@pass_session
def documents_set_command(
    session: Session, token_ref: str, name: str, uri: str, file: Path | None, hash_hex: str | None
) -> None:
    """Record (or replace) document NAME at URI with its content hash (DEFAULT_ADMIN_ROLE)."""
    content_hash = _content_hash(hash_hex, file)
    token = token_at(session, token_ref)
    receipt = token.set_document(session.signer, name, uri, content_hash)
    display.sent(
        session,
        f"recorded document {name} -> {uri} (sha-256 0x{content_hash.hex()})",
        {"name": name, "uri": uri, "hash": "0x" + content_hash.hex()},
        [receipt],
    )


@documents_group.command("remove")
@click.argument("name")
@token_option
@node_options
@signer_options
@json_option
@pass_session
def documents_remove_command(session: Session, token_ref: str, name: str) -> None:
    """Remove document NAME (DEFAULT_ADMIN_ROLE)."""
    token = token_at(session, token_ref)
    if name not in token.documents():
        raise SpecError(f"{token.symbol} has no document {name!r}", fix="`hktoken token documents list` shows them")
    receipt = token.remove_document(session.signer, name)
    display.sent(session, f"removed document {name}", {"name": name}, [receipt])
