"""``hktoken token``: every command end to end on anvil (a 2-decimal token with separated duties), the exact lines it
prints and the chain after it; the pre-check of ``transfer``; wrong decimals, missing roles and bad files as one line
with nothing sent."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from eth_account import Account

from hktoken import InvestorClass

from .conftest import World, ok, one_line_error

CAROL = Account.from_key(b"\x01" * 32).address  # not in the registry


def tok(world: World) -> list[str]:
    return ["--token", world.token.address]


def test_mint_and_burn(funded: World) -> None:
    w = funded
    assert ok(w.run("token", "mint", w.alice.address, "12.5", *tok(w), signer=w.issuer)) == [
        f"minted 12.5 HKGB to {w.alice.address}: {w.last_tx()}"
    ]
    assert w.token.raw_balance_of(w.alice.address) == 101_250
    assert ok(w.run("token", "burn", w.alice.address, "0.25", *tok(w), signer=w.issuer)) == [
        f"burned 0.25 HKGB from {w.alice.address}: {w.last_tx()}"
    ]
    assert w.token.raw_balance_of(w.alice.address) == 101_225
    assert w.token.raw.total_supply() == 176_225


def test_amounts_finer_than_the_token_or_malformed_send_nothing(funded: World) -> None:
    w = funded
    before = w.nonces()
    for args, expected in [
        (["mint", w.alice.address, "1.005"],
         "amount 1.005 has more than 2 decimal places: round it to at most 2 decimals (the token's precision)"),
        (["transfer", w.bob.address, "0.001"],
         "amount 0.001 has more than 2 decimal places: round it to at most 2 decimals (the token's precision)"),
        (["mint", w.alice.address, "ten"], "amount 'ten' is not a non-negative number: write it like 1000 or 12.5"),
        (["burn", w.alice.address, "NaN"], "amount 'NaN' is not a non-negative number: write it like 1000 or 12.5"),
        (["mint", "0xabc", "1"], "recipient '0xabc' is not a valid Ethereum address: use 0x followed by 40 hex digits"),
    ]:  # fmt: skip
        one_line_error(w.run("token", *args, *tok(w), signer=w.issuer), expected)
    assert w.nonces() == before


def test_a_missing_role_is_the_missing_role_line_and_sends_nothing(funded: World) -> None:
    w = funded
    before = w.nonces()
    for args, role in [
        (["mint", w.alice.address, "1"], "ISSUER_ROLE"),
        (["freeze", w.alice.address], "AGENT_ROLE"),
        (["pause"], "PAUSER_ROLE"),
        (["rules", "set", "--max-holders", "9"], "COMPLIANCE_ROLE"),
    ]:
        one_line_error(
            w.run("token", *args, *tok(w), signer=w.bob),
            f"{w.bob.address} lacks {role}: grant it with grantRole, or sign with an account that has it",
        )
    assert w.nonces() == before


def test_transfer_sends_when_the_pre_check_allows(funded: World) -> None:
    w = funded
    assert ok(w.run("token", "transfer", w.bob.address, "100.5", *tok(w), signer=w.alice)) == [
        f"transferred 100.5 HKGB from {w.alice.address} to {w.bob.address}: {w.last_tx()}"
    ]
    assert w.token.raw_balance_of(w.alice.address) == 89_950
    assert w.token.raw_balance_of(w.bob.address) == 35_050


def test_transfer_refused_by_the_pre_check_prints_code_and_reason_and_sends_nothing(funded: World) -> None:
    w = funded
    before = w.nonces()
    one_line_error(
        w.run("token", "transfer", CAROL, "1", *tok(w), signer=w.alice),
        "the token refuses this transfer: restriction code 3 (recipient not verified); nothing was sent: "
        f"`hktoken investor show {CAROL}` says why",
    )
    w.token.set_address_frozen(w.agent, w.alice.address, True)
    before = w.nonces()
    one_line_error(
        w.run("token", "transfer", w.bob.address, "1", *tok(w), signer=w.alice),
        "the token refuses this transfer: restriction code 4 (sender address frozen); nothing was sent: "
        "an agent must unfreeze the sender (`hktoken token unfreeze`)",
    )
    w.token.apply_rules(w.compliance, {"max_balance_per_investor": Decimal(300)})
    before = w.nonces()
    one_line_error(
        w.run("token", "transfer", w.bob.address, "60", *tok(w), signer=w.broker1),
        "the token refuses this transfer: restriction code 10 (investor balance limit exceeded); nothing was sent: "
        "see the token's rules (`hktoken token rules get`)",
    )
    assert w.nonces() == before
    assert w.token.raw_balance_of(w.bob.address) == 25_000


def test_check_prints_the_verdict_and_exits_1_when_refused(funded: World) -> None:
    w = funded
    result = w.q("token", "check", w.alice.address, w.bob.address, "10", *tok(w))
    assert ok(result) == ["allowed: code 0 (transfer allowed)"]
    result = w.q("token", "check", w.alice.address, CAROL, "10", *tok(w))
    assert (result.exit_code, result.stderr) == (1, "")
    assert result.stdout.splitlines() == [
        "refused: code 3 (recipient not verified)",
        f"  recipient {CAROL}: unregistered (the wallet is not in the registry)",
    ]
    w.registry.revoke(w.admin, "ALICE")
    result = w.q("token", "check", w.alice.address, w.bob.address, "10", *tok(w))
    assert result.stdout.splitlines() == [
        "refused: code 2 (sender not verified)",
        f"  sender {w.alice.address}: investor ALICE is revoked",
    ]
    w.registry.reinstate(w.admin, "ALICE")
    data = json.loads(w.q("token", "check", w.alice.address, CAROL, "10", "--json", *tok(w)).stdout)
    assert data == {
        "allowed": False, "code": 3, "reason": "recipient not verified", "from": w.alice.address, "to": CAROL,
        "amount": "10",
        "registry_reasons": [
            {"party": "recipient", "wallet": CAROL, "reason": "unregistered (the wallet is not in the registry)"}
        ],
    }  # fmt: skip


def test_freeze_and_unfreeze_a_wallet(funded: World) -> None:
    w = funded
    assert ok(w.run("token", "freeze", w.bob.address, *tok(w), signer=w.agent)) == [
        f"froze {w.bob.address}: {w.last_tx()}"
    ]
    assert w.token.is_frozen(w.bob.address)
    before = w.nonces()
    one_line_error(
        w.run("token", "freeze", w.bob.address, *tok(w), signer=w.agent),
        f"{w.bob.address} is already frozen: nothing to do",
    )
    assert w.nonces() == before
    assert ok(w.run("token", "unfreeze", w.bob.address, *tok(w), signer=w.agent)) == [
        f"unfroze {w.bob.address}: {w.last_tx()}"
    ]
    assert not w.token.is_frozen(w.bob.address)


def test_freeze_partial_and_unfreeze_partial(funded: World) -> None:
    w = funded
    assert ok(w.run("token", "freeze-partial", w.alice.address, "40.25", *tok(w), signer=w.agent)) == [
        f"froze 40.25 HKGB of {w.alice.address} (frozen now 40.25 HKGB): {w.last_tx()}"
    ]
    assert ok(w.run("token", "unfreeze-partial", w.alice.address, "0.25", *tok(w), signer=w.agent)) == [
        f"unfroze 0.25 HKGB of {w.alice.address} (frozen now 40 HKGB): {w.last_tx()}"
    ]
    assert w.token.raw.get_frozen_tokens(w.alice.address) == 4_000
    before = w.nonces()
    one_line_error(
        w.run("token", "unfreeze-partial", w.alice.address, "41", *tok(w), signer=w.agent),
        f"{w.alice.address} has only 40 HKGB frozen: unfreeze at most 40",
    )
    assert w.nonces() == before


def test_force_transfer(funded: World) -> None:
    w = funded
    w.token.set_address_frozen(w.agent, w.bob.address, True)
    assert ok(w.run("token", "force-transfer", w.bob.address, w.alice.address, "50", *tok(w), signer=w.agent)) == [
        f"force-transferred 50 HKGB from {w.bob.address} to {w.alice.address}: {w.last_tx()}"
    ]
    assert (w.token.raw_balance_of(w.bob.address), w.token.raw_balance_of(w.alice.address)) == (20_000, 105_000)
    before = w.nonces()
    one_line_error(
        w.run("token", "force-transfer", w.bob.address, w.alice.address, "200.01", *tok(w), signer=w.agent),
        f"{w.bob.address} holds only 200 HKGB: force-transfer at most 200",
    )
    assert w.nonces() == before


def test_recover_moves_a_lost_wallet_to_the_investors_new_wallet(funded: World) -> None:
    w = funded
    w.registry.add_wallet(w.admin, "ALICE", CAROL)
    assert ok(w.run("token", "recover", w.alice.address, CAROL, *tok(w), signer=w.agent)) == [
        f"recovered 1000 HKGB of investor ALICE from {w.alice.address} to {CAROL}: {w.last_tx()}"
    ]
    assert (w.token.raw_balance_of(w.alice.address), w.token.raw_balance_of(CAROL)) == (0, 100_000)
    before = w.nonces()
    one_line_error(
        w.run("token", "recover", w.bob.address, w.broker1.address, *tok(w), signer=w.agent),
        f"{w.broker1.address} is not a wallet of investor BOB: link it first: "
        f"`hktoken investor add-wallet BOB {w.broker1.address}`",
    )
    one_line_error(
        w.run("token", "recover", w.bob.address, CAROL, "--investor", "ALICE", *tok(w), signer=w.agent),
        f"{w.bob.address} is not a wallet of investor ALICE in the token's registry: "
        "check the lost wallet and --investor",
    )
    assert w.nonces() == before


def test_pause_and_unpause(funded: World) -> None:
    w = funded
    assert ok(w.run("token", "pause", *tok(w), signer=w.pauser)) == [f"paused HKGB: {w.last_tx()}"]
    assert w.token.paused()
    result = w.q("token", "check", w.alice.address, w.bob.address, "1", *tok(w))
    assert result.stdout == "refused: code 1 (token is paused)\n"
    one_line_error(w.run("token", "pause", *tok(w), signer=w.pauser), "HKGB is already paused: nothing to do")
    assert ok(w.run("token", "unpause", *tok(w), signer=w.pauser)) == [f"unpaused HKGB: {w.last_tx()}"]
    assert not w.token.paused()


# --------------------------------------------------------------------------------------------- rules


RULES_OFF = [
    "allowed_countries         off",
    "blocked_countries         off",
    "required_classes          off",
    "max_holders               off",
    "max_balance_per_investor  off",
    "lockup_until              off",
    "minimum_transfer          off",
    "denomination              off",
    "supply_cap                off",
]


def test_rules_get(world: World) -> None:
    assert ok(world.q("token", "rules", "get", *tok(world))) == RULES_OFF
    data = json.loads(world.q("token", "rules", "get", "--json", *tok(world)).stdout)
    assert data["max_holders"] is None and data["allowed_countries"] == []


def test_rules_set_by_flags_prints_what_changed(world: World) -> None:
    w = world
    lines = ok(
        w.run("token", "rules", "set", "--allowed-countries", "HK,SG", "--max-holders", "100",
              "--minimum-transfer", "0.5", "--lockup-until", "2030-01-01", *tok(w), signer=w.compliance)
    )  # fmt: skip
    assert lines == [
        f"changed 4 rules: {w.last_tx(3)}; {w.last_tx(2)}; {w.last_tx(1)}; {w.last_tx()}",
        "  allowed_countries: off -> 344 (HK), 702 (SG)",
        "  max_holders: off -> 100",
        "  lockup_until: off -> 2030-01-01 00:00:00 UTC",
        "  minimum_transfer: off -> 0.5",
    ]
    rules = w.token.rules()
    assert rules.allowed_countries == {344, 702}
    assert rules.max_holders == 100
    assert rules.minimum_transfer == Decimal("0.5")
    assert rules.lockup_until == datetime(2030, 1, 1, tzinfo=UTC)
    lines = ok(w.run("token", "rules", "set", "--max-holders", "off", *tok(w), signer=w.compliance))
    assert lines == [f"changed 1 rule: {w.last_tx()}", "  max_holders: 100 -> off"]
    assert w.token.rules().allowed_countries == {344, 702}
    assert ok(w.run("token", "rules", "set", "--max-holders", "off", *tok(w), signer=w.compliance)) == [
        "rules unchanged: nothing sent"
    ]


def test_rules_set_from_a_toml_or_json_file_is_the_whole_rule_set(world: World, tmp_path: Path) -> None:
    w = world
    w.token.apply_rules(w.compliance, {"max_holders": 50})
    toml_file = tmp_path / "rules.toml"
    toml_file.write_text(
        '[rules]\nblocked_countries = [408]\nrequired_classes = [2, 3]\nsupply_cap = "1000000"\n'
        "lockup_until = 2030-01-01\n"
    )
    lines = ok(w.run("token", "rules", "set", str(toml_file), *tok(w), signer=w.compliance))
    assert lines[1:] == [
        "  blocked_countries: off -> 408 (KP)",
        "  required_classes: off -> professional, institutional",
        "  max_holders: 50 -> off",
        "  lockup_until: off -> 2030-01-01 00:00:00 UTC",
        "  supply_cap: off -> 1000000",
    ]
    rules = w.token.rules()
    assert rules.blocked_countries == {408}
    assert rules.required_classes == {InvestorClass.PROFESSIONAL, InvestorClass.INSTITUTIONAL}
    assert rules.max_holders is None and rules.supply_cap == Decimal(1_000_000)
    json_file = tmp_path / "rules.json"
    json_file.write_text(
        '{"blocked_countries": [408], "required_classes": [2, 3], "supply_cap": "1000000", '
        '"lockup_until": "2030-01-01T00:00:00Z"}'
    )
    assert ok(w.run("token", "rules", "set", str(json_file), "--denomination", "0.5", *tok(w),
                    signer=w.compliance))[1:] == ["  denomination: off -> 0.5"]  # fmt: skip


def test_rules_set_refusals_send_nothing(world: World, tmp_path: Path) -> None:
    w = world
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("max_holders = \n")
    unknown = tmp_path / "unknown.json"
    unknown.write_text('{"max_holder": 3}')
    before = w.nonces()
    for args, expected in [
        ([], "no rules given: pass a FILE.toml / FILE.json, or flags such as --max-holders 100"),
        (["--max-holders", "many"], "--max-holders 'many' is not a whole number: pass e.g. 100, or off"),
        (["--minimum-transfer", "0.001"],
         "minimum_transfer 0.001 has more than 2 decimal places: round it to at most 2 decimals (the token's "
         "precision)"),
        (["--allowed-countries", "HK", "--blocked-countries", "HK"],
         "invalid ComplianceRules: countries [344] are both allowed and blocked: correct the values"),
        ([str(unknown)], "invalid ComplianceRules: max_holder: Extra inputs are not permitted: correct max_holder"),
        ([str(bad_toml)],
         f"{bad_toml}: not valid TOML (Invalid value (at line 1, column 15)): correct the file"),
    ]:  # fmt: skip
        one_line_error(w.run("token", "rules", "set", *args, *tok(w), signer=w.compliance), expected)
    assert w.nonces() == before
    assert w.token.rules().model_dump() == w.token.rules().__class__().model_dump()


# --------------------------------------------------------------------------------------------- documents


def test_documents_set_list_remove(world: World, tmp_path: Path) -> None:
    w = world
    assert ok(w.q("token", "documents", "list", *tok(w))) == ["0 documents of HKGB"]
    circular = tmp_path / "circular.pdf"
    circular.write_bytes(b"%PDF offering circular")
    digest = hashlib.sha256(b"%PDF offering circular").hexdigest()
    uri = "https://example.org/hkgb/circular.pdf"
    assert ok(w.run("token", "documents", "set", "circular", uri, "--file", str(circular), *tok(w))) == [
        f"recorded document circular -> {uri} (sha-256 0x{digest}): {w.last_tx()}"
    ]
    modified = datetime.fromtimestamp(w.chain.timestamp(), tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    lines = ok(w.q("token", "documents", "list", *tok(w)))
    assert lines[0] == "1 document of HKGB"
    assert lines[2].split() == ["name", "uri", "sha-256", "modified"]
    assert lines[4].split() == ["circular", uri, f"0x{digest}", *modified.split()]
    doc = w.token.document("circular")
    assert (doc.uri, doc.content_hash.hex()) == (uri, digest)
    assert ok(w.run("token", "documents", "remove", "circular", *tok(w))) == [
        f"removed document circular: {w.last_tx()}"
    ]
    assert w.token.documents() == []
    before = w.nonces()
    one_line_error(
        w.run("token", "documents", "remove", "circular", *tok(w)),
        "HKGB has no document 'circular': `hktoken token documents list` shows them",
    )
    one_line_error(
        w.run("token", "documents", "set", "x", uri, "--hash", "0x1234", *tok(w)),
        "--hash '0x1234' is not 32 bytes of hex: pass 0x followed by 64 hex digits",
    )
    one_line_error(
        w.run("token", "documents", "set", "x", uri, *tok(w)),
        "give the document's content hash once: pass --file PATH (hashed with SHA-256) or --hash",
    )
    assert w.nonces() == before


def test_refusals_a_simulation_meets_are_explained_and_nothing_is_sent(funded: World) -> None:
    w = funded
    before = w.nonces()
    one_line_error(
        w.run("token", "mint", CAROL, "1", *tok(w), signer=w.issuer),
        "the token refuses this mint: restriction code 3 (recipient not verified); nothing was sent: "
        f"`hktoken investor show {CAROL}` says why",
    )
    one_line_error(
        w.run("token", "transfer", w.bob.address, "1000.01", *tok(w), signer=w.alice),
        f"{w.alice.address} holds only 1000 HKGB: transfer at most 1000",
    )
    one_line_error(
        w.run("token", "burn", w.bob.address, "250.01", *tok(w), signer=w.issuer),
        f"{w.bob.address} holds only 250 HKGB: burn at most 250",
    )
    assert w.nonces() == before
    w.token.pause(w.pauser)
    before = w.nonces()
    one_line_error(
        w.run("token", "mint", w.bob.address, "1", *tok(w), signer=w.issuer),
        "the token refuses this mint: restriction code 1 (token is paused); nothing was sent: "
        "wait until the token is unpaused (`hktoken token unpause`, PAUSER_ROLE)",
    )
    assert w.nonces() == before
    assert w.token.raw.total_supply() == 175_000


def test_a_sending_command_as_json_with_the_right_chain_id(funded: World) -> None:
    w = funded
    result = w.run("token", "mint", w.bob.address, "1.5", "--json", "--chain-id", str(w.chain.chain_id), *tok(w),
                   signer=w.issuer)  # fmt: skip
    (line,) = ok(result)
    receipt = w.chain.w3.eth.get_transaction_receipt(w.chain.w3.eth.get_block(w.block())["transactions"][0])
    assert json.loads(line) == {
        "action": "mint",
        "to": w.bob.address,
        "amount": "1.5",
        "transactions": [{"tx": receipt["transactionHash"].to_0x_hex(), "block": w.block(), "gas": receipt["gasUsed"]}],
    }
    assert w.token.raw_balance_of(w.bob.address) == 25_150
