"""``hktoken investor``: the KYC register, from the command line. Every command names its registry with
``--registry``; everything is validated (and checked against the register) before anything is sent."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import click
from eth_typing import ChecksumAddress, HexStr

from hktoken.bulk.onboard import (
    ImportRejected,
    onboard,
    parse_class,
    parse_expiry,
    preview_onboarding,
    read_onboarding_csv,
)
from hktoken.chain.connection import Chain
from hktoken.cli import display
from hktoken.cli.countries import country_code, country_label
from hktoken.cli.options import Session, json_option, node_options, pass_session, signer_options
from hktoken.cli.refs import registry_at, registry_option, token_at
from hktoken.contracts.registry import InvestorRegistry
from hktoken.errors import SpecError
from hktoken.models.common import to_address
from hktoken.models.investor import Investor, InvestorClass, InvestorProfile, investor_id_bytes, investor_id_text
from hktoken.reports.calls import call_many
from hktoken.units import from_base_units

_WALLET = re.compile(r"0x[0-9a-fA-F]{40}")


# --------------------------------------------------------------------------------------------- parsing


def resolve_expiry(chain: Chain, expiry: str | None, days: int | None) -> datetime:
    """The expiry named by ``--kyc-expiry DATE`` or ``--kyc-days N`` (days after the latest block)."""
    if (expiry is None) == (days is None):
        raise SpecError("give the KYC expiry once", fix="pass either --kyc-expiry YYYY-MM-DD or --kyc-days N")
    if days is not None:
        return datetime.fromtimestamp(chain.timestamp(), tz=UTC) + timedelta(days=days)
    assert expiry is not None
    return parse_expiry(expiry)


def _check_future(chain: Chain, expiry: datetime) -> None:
    if int(expiry.timestamp()) <= chain.timestamp():
        raise SpecError(
            f"KYC expiry {display.when(expiry)} is not in the future", fix="pass a later --kyc-expiry, or --kyc-days N"
        )


def _country(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    return None if value is None else country_code(value, what=f"--{param.name}")


def _klass(ctx: click.Context, param: click.Parameter, value: str | None) -> InvestorClass | None:
    return None if value is None else parse_class(value)


def _wallet(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(to_address(v, what="wallet") for v in value)
    return None if value is None else to_address(value, what="wallet")


def class_name(klass: InvestorClass | None) -> str:
    """``professional``: the way the options spell it."""
    return klass.name.lower() if klass is not None else "?"


def _registered(registry: InvestorRegistry, investor_id: str) -> InvestorProfile:
    """An investor's record; SpecError when the registry does not know the id."""
    record = registry.investor(investor_id)
    if record.key == 0:
        raise SpecError(
            f"investor {investor_id!r} is not registered in registry {registry.address}",
            fix="check the id (`hktoken investor list` shows the register)",
        )
    return record


def _profile_text(record: InvestorProfile) -> str:
    klass = class_name(record.investor_class)
    omnibus = ", omnibus" if record.omnibus else ""
    return f"{country_label(record.country)}, {klass}{omnibus}, KYC until {display.when(record.kyc_expiry)}"


# --------------------------------------------------------------------------------------------- why (not) verified


@dataclass(frozen=True)
class Verdict:
    """Whether a wallet is verified, and every reason it is not."""

    verified: bool
    reasons: tuple[str, ...]
    until: datetime | None

    def text(self) -> str:
        if self.verified and self.until is not None:
            return f"yes, until {display.when(self.until)}"
        return "no: " + "; ".join(self.reasons)


def verdict(registry: InvestorRegistry, wallet: ChecksumAddress, now: int) -> Verdict:
    """Why ``wallet`` is or is not verified, in the order the registry checks."""
    profile = registry.profile(wallet)
    if profile.key == 0:
        return Verdict(False, ("unregistered (the wallet is not in the registry)",), None)
    reasons = []
    if profile.retired:
        reasons.append(f"retired wallet (removed from investor {profile.investor_id}; it can never be verified again)")
    if profile.revoked:
        reasons.append(f"investor {profile.investor_id} is revoked")
    if int(profile.kyc_expiry.timestamp()) <= now:
        reasons.append(f"KYC expired on {display.when(profile.kyc_expiry)}")
    verified = registry.is_verified(wallet)
    if not verified and not reasons:  # the expiry falls between the latest block and the next
        reasons.append(f"KYC expires on {display.when(profile.kyc_expiry)}")
    return Verdict(verified, tuple(reasons), profile.kyc_expiry if verified else None)


# --------------------------------------------------------------------------------------------- commands


@click.group("investor")
def investor_group() -> None:
    """The investor register (KYC): add, update, renew, revoke, reinstate, wallets, list, show, import."""


@investor_group.command("add")
@click.argument("investor_id", metavar="ID")
@click.option(
    "--wallet",
    "wallets",
    metavar="ADDRESS",
    multiple=True,
    required=True,
    callback=_wallet,
    help="A wallet (repeatable).",
)
@click.option(
    "--country", metavar="CODE", required=True, callback=_country, help="ISO 3166-1 numeric or alpha-2 code: 344 or HK."
)
@click.option(
    "--class",
    "klass",
    metavar="CLASS",
    required=True,
    callback=_klass,
    help="retail, professional or institutional (or 1, 2, 3).",
)
@click.option(
    "--kyc-expiry", metavar="DATE", default=None, help="When the KYC check lapses: YYYY-MM-DD (UTC) or ISO date-time."
)
@click.option(
    "--kyc-days", metavar="N", type=click.IntRange(min=1), default=None, help="KYC valid for N days from now."
)
@click.option("--omnibus", is_flag=True, default=False, help="An intermediary's account held for its clients.")
@registry_option()
@node_options
@signer_options
@json_option
@pass_session
def add_command(
    session: Session,
    investor_id: str,
    wallets: tuple[ChecksumAddress, ...],
    country: int,
    klass: InvestorClass,
    kyc_expiry: str | None,
    kyc_days: int | None,
    omnibus: bool,
    registry_ref: str,
) -> None:
    """Register investor ID with its wallet(s)."""
    investor_id_bytes(investor_id)
    if (kyc_expiry is None) == (kyc_days is None):
        raise SpecError("give the KYC expiry once", fix="pass either --kyc-expiry YYYY-MM-DD or --kyc-days N")
    registry = registry_at(session, registry_ref)
    expiry = resolve_expiry(session.chain, kyc_expiry, kyc_days)
    _check_future(session.chain, expiry)
    investor = Investor(
        id=investor_id,
        wallets=list(wallets),
        country=country,
        investor_class=klass,
        kyc_expiry=expiry,
        omnibus=omnibus,
    )
    receipts = registry.register(session.signer, [investor])
    record = registry.investor(investor_id)
    count = f"{len(wallets)} wallet" + ("s" if len(wallets) > 1 else "")
    display.sent(
        session,
        f"registered investor {investor_id} ({_profile_text(record)}) with {count}",
        {"investor": _record_data(record, registry.wallets_of(investor_id))},
        receipts,
    )


@investor_group.command("update")
@click.argument("investor_id", metavar="ID")
@click.option("--country", metavar="CODE", default=None, callback=_country, help="New country: 344 or HK.")
@click.option(
    "--class",
    "klass",
    metavar="CLASS",
    default=None,
    callback=_klass,
    help="New class: retail, professional, institutional.",
)
@click.option("--omnibus/--no-omnibus", default=None, help="Set or clear the omnibus flag.")
@registry_option()
@node_options
@signer_options
@json_option
@pass_session
def update_command(
    session: Session,
    investor_id: str,
    country: int | None,
    klass: InvestorClass | None,
    omnibus: bool | None,
    registry_ref: str,
) -> None:
    """Change an investor's country, class or omnibus flag (what is not given stays)."""
    if country is None and klass is None and omnibus is None:
        raise SpecError("nothing to update", fix="pass --country, --class or --omnibus/--no-omnibus")
    registry = registry_at(session, registry_ref)
    before = _registered(registry, investor_id)
    assert before.investor_class is not None
    after = (
        country if country is not None else before.country,
        klass if klass is not None else before.investor_class,
        omnibus if omnibus is not None else before.omnibus,
    )
    changes = [
        f"{name} {old} -> {new}"
        for name, old, new in (
            ("country", country_label(before.country), country_label(after[0])),
            ("class", class_name(before.investor_class), class_name(after[1])),
            ("omnibus", display.yes_no(before.omnibus), display.yes_no(after[2])),
        )
        if old != new
    ]
    if not changes:
        session.emit(f"investor {investor_id} unchanged: nothing sent", {"investor": investor_id, "changes": []})
        return
    receipt = registry.update(session.signer, investor_id, country=after[0], investor_class=after[1], omnibus=after[2])
    display.sent(
        session,
        f"updated investor {investor_id}: {', '.join(changes)}",
        {"investor": investor_id, "changes": changes},
        [receipt],
    )


@investor_group.command("renew")
@click.argument("investor_id", metavar="ID")
@click.option("--kyc-expiry", metavar="DATE", default=None, help="New expiry: YYYY-MM-DD (UTC) or ISO date-time.")
@click.option("--kyc-days", metavar="N", type=click.IntRange(min=1), default=None, help="Valid for N days from now.")
@registry_option()
@node_options
@signer_options
@json_option
@pass_session
def renew_command(
    session: Session, investor_id: str, kyc_expiry: str | None, kyc_days: int | None, registry_ref: str
) -> None:
    """Extend an investor's KYC."""
    investor_id_bytes(investor_id)
    if (kyc_expiry is None) == (kyc_days is None):
        raise SpecError("give the KYC expiry once", fix="pass either --kyc-expiry YYYY-MM-DD or --kyc-days N")
    registry = registry_at(session, registry_ref)
    before = _registered(registry, investor_id)
    expiry = resolve_expiry(session.chain, kyc_expiry, kyc_days)
    _check_future(session.chain, expiry)
    receipt = registry.renew_kyc(session.signer, investor_id, expiry)
    after = registry.investor(investor_id)
    display.sent(
        session,
        f"renewed KYC of {investor_id}: {display.when(before.kyc_expiry)} -> {display.when(after.kyc_expiry)}",
        {"investor": investor_id, "kyc_expiry": after.kyc_expiry.isoformat()},
        [receipt],
    )


def _flag_command(name: str, doc: str, wanted_revoked: bool) -> click.Command:
    @click.command(name, help=doc)
    @click.argument("investor_id", metavar="ID")
    @registry_option()
    @node_options
    @signer_options
    @json_option
    @pass_session
    def command(session: Session, investor_id: str, registry_ref: str) -> None:
        investor_id_bytes(investor_id)
        registry = registry_at(session, registry_ref)
        record = _registered(registry, investor_id)
        state = "revoked" if wanted_revoked else "reinstated"
        if record.revoked == wanted_revoked:
            raise SpecError(
                f"investor {investor_id} is already {'revoked' if record.revoked else 'active'}",
                fix="nothing to do" if wanted_revoked else "only a revoked investor can be reinstated",
            )
        action = registry.revoke if wanted_revoked else registry.reinstate
        receipt = action(session.signer, investor_id)
        display.sent(
            session, f"{state} investor {investor_id}", {"investor": investor_id, "revoked": wanted_revoked}, [receipt]
        )

    return command


investor_group.add_command(
    _flag_command("revoke", "Revoke an investor: none of its wallets is verified any more.", True)
)
investor_group.add_command(_flag_command("reinstate", "Undo a revocation.", False))


@investor_group.command("add-wallet")
@click.argument("investor_id", metavar="ID")
@click.argument("wallet", callback=_wallet)
@registry_option()
@node_options
@signer_options
@json_option
@pass_session
def add_wallet_command(session: Session, investor_id: str, wallet: ChecksumAddress, registry_ref: str) -> None:
    """Link another wallet to investor ID."""
    investor_id_bytes(investor_id)
    registry = registry_at(session, registry_ref)
    _registered(registry, investor_id)
    profile = registry.profile(wallet)
    if profile.key != 0:
        owner = profile.investor_id
        raise SpecError(
            f"wallet {wallet} is already {'retired from' if profile.retired else 'linked to'} investor {owner}",
            fix="a wallet belongs to one investor for good: use a new wallet",
        )
    receipt = registry.add_wallet(session.signer, investor_id, wallet)
    display.sent(
        session,
        f"linked wallet {wallet} to investor {investor_id}",
        {"investor": investor_id, "wallet": wallet},
        [receipt],
    )


@investor_group.command("remove-wallet")
@click.argument("wallet", callback=_wallet)
@registry_option()
@node_options
@signer_options
@json_option
@pass_session
def remove_wallet_command(session: Session, wallet: ChecksumAddress, registry_ref: str) -> None:
    """Retire a wallet for good: it stops being verified and can never be registered again."""
    registry = registry_at(session, registry_ref)
    profile = registry.profile(wallet)
    if profile.key == 0:
        raise SpecError(f"wallet {wallet} is not in registry {registry.address}", fix="check the wallet address")
    if profile.retired:
        raise SpecError(f"wallet {wallet} is already retired", fix="nothing to do")
    receipt = registry.remove_wallet(session.signer, wallet)
    display.sent(
        session,
        f"retired wallet {wallet} of investor {profile.investor_id}",
        {"investor": profile.investor_id, "wallet": wallet},
        [receipt],
    )


@investor_group.command("show")
@click.argument("who", metavar="WALLET_OR_ID")
@registry_option()
@node_options
@json_option
@pass_session
def show_command(session: Session, who: str, registry_ref: str) -> None:
    """Show a wallet or an investor, and why each wallet is or is not verified."""
    if _WALLET.fullmatch(who) or (who.lower().startswith("0x") and len(who) <= 42):
        _show_wallet(session, to_address(who, what="wallet"), registry_ref)
    else:
        _show_investor(session, who, registry_ref)


def _show_wallet(session: Session, wallet: ChecksumAddress, registry_ref: str) -> None:
    registry = registry_at(session, registry_ref)
    now = session.chain.timestamp()
    found = verdict(registry, wallet, now)
    profile = registry.profile(wallet)
    lines = [("wallet", wallet), ("verified", found.text())]
    data: dict[str, Any] = {"wallet": wallet, "verified": found.verified, "reasons": list(found.reasons)}
    if profile.key:
        lines += [("investor", profile.investor_id), *_record_lines(profile)]
        data["investor"] = _record_data(
            registry.investor(profile.investor_id), registry.wallets_of(profile.investor_id)
        )
    session.emit(display.fields(lines, width=len("kyc expiry")), data)


def _show_investor(session: Session, investor_id: str, registry_ref: str) -> None:
    investor_id_bytes(investor_id)
    registry = registry_at(session, registry_ref)
    record = _registered(registry, investor_id)
    now = session.chain.timestamp()
    key_wallets = [to_address(w) for w in registry.raw.wallets_of_key(record.key)]
    verdicts = {w: verdict(registry, w, now) for w in key_wallets}
    lines = [("investor", investor_id), *_record_lines(record)]
    lines += [("wallet" if i == 0 else "", f"{w}  verified: {v.text()}") for i, (w, v) in enumerate(verdicts.items())]
    data = _record_data(record, key_wallets)
    data["wallets"] = [{"wallet": w, "verified": v.verified, "reasons": list(v.reasons)} for w, v in verdicts.items()]
    session.emit(display.fields(lines), data)


def _record_lines(record: InvestorProfile) -> list[tuple[str, str]]:
    return [
        ("country", country_label(record.country)),
        ("class", class_name(record.investor_class)),
        ("kyc expiry", display.when(record.kyc_expiry)),
        ("revoked", display.yes_no(record.revoked)),
        ("omnibus", display.yes_no(record.omnibus)),
    ]


def _record_data(record: InvestorProfile, wallets: Sequence[str]) -> dict[str, Any]:
    return {
        "id": record.investor_id,
        "key": record.key,
        "country": record.country,
        "class": class_name(record.investor_class) if record.investor_class else None,
        "kyc_expiry": record.kyc_expiry.isoformat(),
        "revoked": record.revoked,
        "omnibus": record.omnibus,
        "wallets": list(wallets),
    }


@investor_group.command("list")
@registry_option()
@node_options
@json_option
@pass_session
def list_command(session: Session, registry_ref: str) -> None:
    """Every investor ever registered, with its wallets and whether each is verified (read from the registry's
    views in JSON-RPC batches)."""
    registry = registry_at(session, registry_ref)
    chain = session.chain
    block = chain.w3.eth.block_number
    now = int(chain.w3.eth.get_block(block)["timestamp"])
    last = registry.raw.last_key()
    keys = [[k] for k in range(1, last + 1)]
    ids = call_many(chain, registry.contract, "idOfKey", keys, block)
    records = call_many(chain, registry.contract, "investor", [[i] for i in ids], block)
    wallet_lists = call_many(chain, registry.contract, "walletsOfKey", keys, block)
    all_wallets = [to_address(w) for ws in wallet_lists for w in ws]
    profiles = dict(
        zip(
            all_wallets,
            call_many(chain, registry.contract, "profileOf", [[w] for w in all_wallets], block),
            strict=True,
        )
    )
    rows, data = [], []
    for raw_id, raw_record, wallets in zip(ids, records, wallet_lists, strict=True):
        record = InvestorProfile.from_chain(raw_id, raw_record)
        investor_id = investor_id_text(raw_id)
        status = _status(record, now)
        entries = []
        for index, wallet in enumerate(to_address(w) for w in wallets):
            retired = bool(profiles[wallet][6])
            entries.append({"wallet": wallet, "retired": retired})
            first = index == 0
            rows.append(
                [
                    investor_id if first else "",
                    country_label(record.country) if first else "",
                    class_name(record.investor_class) if first else "",
                    display.when(record.kyc_expiry)[:10] if first else "",
                    status if first else "",
                    ("yes" if record.omnibus else "") if first else "",
                    wallet + (" (retired)" if retired else ""),
                ]
            )
        data.append({**_record_data(record, []), "status": status, "wallets": entries})
    header = f"{display.plural(last, 'investor')} in registry {registry.address} at block {block}"
    text = (
        header
        if not rows
        else header
        + "\n\n"
        + display.table(["investor", "country", "class", "kyc expiry", "status", "omnibus", "wallets"], rows)
    )
    session.emit(text, {"registry": registry.address, "block": block, "investors": data})


def _status(record: InvestorProfile, now: int) -> str:
    if record.revoked:
        return "revoked"
    if int(record.kyc_expiry.timestamp()) <= now:
        return "KYC expired"
    return "verified"


# --------------------------------------------------------------------------------------------- import


@investor_group.command("import")
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--token",
    "token_ref",
    metavar="ADDRESS|SPEC.CONTRACT",
    default=None,
    help="Issue each row's amount of this token to its first wallet (the file has an amount column).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=None,
    help="At most this many rows per transaction (default: as many as the node's gas limits allow).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the run's journal (deployments/<chain>/runs/; default: the CSV file's folder).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    default=False,
    help="Validate the file against the chain and the run's journal; send and write nothing.",
)
@registry_option()
@node_options
@signer_options
@json_option
@pass_session
def import_command(
    session: Session,
    csv_file: Path,
    token_ref: str | None,
    batch_size: int | None,
    out: Path | None,
    dry_run: bool,
    registry_ref: str,
) -> None:
    """Register every investor of a CSV file and issue to it (header: id,wallet(s),country,class,
    kyc_expiry|kyc_days,omnibus[,amount]; wallets separated by ';'). Every row is validated first; rows already on
    chain in the same state are skipped; a run that stopped half-way resumes from its journal."""
    registry = registry_at(session, registry_ref)
    token = token_at(session, token_ref) if token_ref is not None else None
    chain = session.chain
    now = datetime.fromtimestamp(chain.timestamp(), tz=UTC)
    source = str(csv_file)
    try:
        rows = read_onboarding_csv(csv_file, now, decimals=token.decimals if token is not None else None)
        if dry_run:
            preview = preview_onboarding(chain, session.signer, registry, rows, out=out or csv_file.parent,
                                         token=token, source=source)  # fmt: skip
    except ImportRejected as exc:
        _rejected(session, exc)
    investors = [r.investor for r in rows]
    wallets = sum(len(i.wallets) for i in investors)
    summary = f"{display.plural(len(investors), 'investor')} ({display.plural(wallets, 'wallet')})"
    if dry_run:
        plan = preview.plan
        text = (
            f"{csv_file}: {summary} valid: nothing sent (--dry-run); would register {len(plan.register)}, link "
            f"{display.plural(len(plan.wallets), 'further wallet')} and issue to "
            f"{display.plural(len(plan.mint), 'holder')}"
            f" ({plan.already_registered} already registered, {plan.already_issued} already issued)"
        )
        settling = []
        if preview.unsettled:
            settling.append(
                f"{display.plural(preview.unsettled, 'batch', 'batches')} "
                f"({display.plural(preview.unsettled_rows, 'row')}) an earlier run journaled in {preview.journal}"
            )
        if preview.unsettled_elsewhere:
            settling.append(
                f"{display.plural(preview.unsettled_elsewhere, 'batch', 'batches')} of this signer's runs over other "
                f"files in {preview.journal.parent}"
            )
        if settling:
            text += f"; first, {' and '.join(settling)} would be settled (found mined, or sent again as signed)"
        session.emit(
            text,
            {"file": source, "investors": len(investors), "wallets": wallets, "register": len(plan.register),
             "link": len(plan.wallets), "issue": len(plan.mint), "already_registered": plan.already_registered,
             "already_issued": plan.already_issued, "unsettled": preview.unsettled,
             "unsettled_rows": preview.unsettled_rows, "unsettled_elsewhere": preview.unsettled_elsewhere,
             "journal": str(preview.journal),
             "transactions": []},
        )  # fmt: skip
        return
    with display.progress(f"registering {summary}: batches mined", total=len(rows)) as bar:
        try:
            result = onboard(chain, session.signer, registry, rows, out=out or csv_file.parent, token=token,
                             source=source, max_rows=batch_size, progress=display.blocks_read(bar))  # fmt: skip
        except ImportRejected as exc:
            _rejected(session, exc)
    receipts = [chain.w3.eth.get_transaction_receipt(HexStr(h)) for h in result.transactions]
    batches = result.register_transactions
    text = f"imported {summary} from {csv_file} in {display.plural(batches, 'batch', 'batches')}"
    if token is not None:
        text += f", issued {display.amount(from_base_units(result.issued_units, token.decimals), token.symbol)} to "
        text += display.plural(result.issued, "holder")
    skipped = result.already_registered + result.already_issued
    if skipped:
        text += f" ({result.already_registered} already registered, {result.already_issued} already issued: skipped)"
    display.sent(
        session,
        text,
        {"file": source, "investors": len(investors), "wallets": wallets, "registered": result.registered,
         "wallets_linked": result.wallets_added, "issued": result.issued,
         "issued_units": str(result.issued_units), "already_registered": result.already_registered,
         "already_issued": result.already_issued, "journal": str(result.journal), "gas_used": result.gas_used},
        receipts,
    )  # fmt: skip


def _rejected(session: Session, exc: ImportRejected) -> NoReturn:
    """With --json, every bad row on stdout (then the one-line error); the error alone otherwise."""
    if session.as_json:
        click.echo(json.dumps({"file": exc.source, "problems": [p.model_dump() for p in exc.problems]}))
    raise exc
