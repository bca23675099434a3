"""``hktoken investor``: every command end to end on anvil, the exact lines it prints, the register after it, and
every bad input as one line with nothing sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from eth_account import Account

from hktoken import InvestorClass
from hktoken.cli import cli, display

from .conftest import World, ok, one_line_error

CAROL = Account.from_key(b"\x01" * 32).address  # an unregistered wallet
DAVE = Account.from_key(b"\x02" * 32).address
ERIN = Account.from_key(b"\x03" * 32).address


def reg(world: World) -> list[str]:
    return ["--registry", world.registry.address]


# --------------------------------------------------------------------------------------------- add


def test_add_registers_an_investor_with_two_wallets(world: World) -> None:
    lines = ok(
        world.run("investor", "add", "HK-INV-0042", "--wallet", CAROL, "--wallet", DAVE, "--country", "HK",
                  "--class", "institutional", "--kyc-expiry", "2030-06-30", "--omnibus", *reg(world))
    )  # fmt: skip
    assert lines == [
        "registered investor HK-INV-0042 (344 (HK), institutional, omnibus, KYC until 2030-06-30 00:00:00 UTC) "
        f"with 2 wallets: {world.last_tx(1)}; {world.last_tx()}"
    ]
    record = world.registry.investor("HK-INV-0042")
    assert (record.country, record.investor_class, record.omnibus) == (344, InvestorClass.INSTITUTIONAL, True)
    assert record.kyc_expiry == datetime(2030, 6, 30, tzinfo=UTC)
    assert world.registry.wallets_of("HK-INV-0042") == [CAROL, DAVE]
    assert world.registry.is_verified(DAVE)


def test_add_with_kyc_days_and_a_numeric_country_as_json(world: World) -> None:
    result = world.run("investor", "add", "SG-1", "--wallet", CAROL, "--country", "702", "--class", "2",
                       "--kyc-days", "30", "--json", *reg(world))  # fmt: skip
    (line,) = ok(result)
    data = json.loads(line)
    expiry = world.registry.investor("SG-1").kyc_expiry
    read_at = world.chain.w3.eth.get_block(world.block() - 1)["timestamp"]  # the latest block when the CLI ran
    assert int(expiry.timestamp()) == read_at + 30 * 86400
    assert data["investor"] == {
        "id": "SG-1", "key": 4, "country": 702, "class": "professional", "kyc_expiry": expiry.isoformat(),
        "revoked": False, "omnibus": False, "wallets": [CAROL],
    }  # fmt: skip
    assert [t["tx"] for t in data["transactions"]] == [world.last_tx().split()[1]]


def test_add_refuses_bad_input_in_one_line_and_sends_nothing(world: World) -> None:
    before = world.nonces()
    cases = [
        (["--wallet", "0x1234", "--country", "HK", "--class", "retail", "--kyc-days", "9"],
         "wallet '0x1234' is not a valid Ethereum address: use 0x followed by 40 hex digits"),
        (["--wallet", CAROL, "--country", "XX", "--class", "retail", "--kyc-days", "9"],
         "--country 'XX' is not an ISO 3166-1 code: use an alpha-2 code such as HK or a number such as 344"),
        (["--wallet", CAROL, "--country", "1000", "--class", "retail", "--kyc-days", "9"],
         "--country '1000' is not an ISO 3166-1 numeric code: use 1-999, e.g. 344 (HK)"),
        (["--wallet", CAROL, "--country", "HK", "--class", "vip", "--kyc-days", "9"],
         "investor class 'vip' is not one of retail (1), professional (2), institutional (3): "
         "pass e.g. --class professional"),
        (["--wallet", CAROL, "--country", "HK", "--class", "retail"],
         "give the KYC expiry once: pass either --kyc-expiry YYYY-MM-DD or --kyc-days N"),
        (["--wallet", CAROL, "--country", "HK", "--class", "retail", "--kyc-expiry", "2020-01-01"],
         "KYC expiry 2020-01-01 00:00:00 UTC is not in the future: pass a later --kyc-expiry, or --kyc-days N"),
        (["--wallet", CAROL, "--country", "HK", "--class", "retail", "--kyc-expiry", "next year"],
         "KYC expiry 'next year' is not a date: write it as YYYY-MM-DD, e.g. 2027-06-30"),
        (["--wallet", world.alice.address, "--country", "HK", "--class", "retail", "--kyc-days", "9"],
         f"wallet {world.alice.address} is already registered (or retired): "
         "a wallet belongs to one investor for good: use a new wallet"),
    ]  # fmt: skip
    for args, expected in cases:
        one_line_error(world.run("investor", "add", "NEW", *args, *reg(world)), expected)
    one_line_error(
        world.run("investor", "add", "ALICE", "--wallet", CAROL, "--country", "HK", "--class", "retail",
                  "--kyc-days", "9", *reg(world)),
        "investor ALICE is already registered: use update() or add_wallet()",
    )  # fmt: skip
    one_line_error(
        world.run("investor", "add", "X" * 33, "--wallet", CAROL, "--country", "HK", "--class", "retail",
                  "--kyc-days", "9", *reg(world)),
        f"investor id '{'X' * 33}' must be 1 to 32 bytes of text: use a short reference such as HK-INV-0001, "
        "or a 0x-prefixed 32-byte hex value",
    )  # fmt: skip
    assert world.nonces() == before
    assert not world.registry.contains(CAROL)


def test_add_without_the_registrar_role_is_the_missing_role_line(world: World) -> None:
    before = world.nonces()
    one_line_error(
        world.run("investor", "add", "NEW", "--wallet", CAROL, "--country", "HK", "--class", "retail",
                  "--kyc-days", "9", *reg(world), signer=world.issuer),
        f"{world.issuer.address} lacks REGISTRAR_ROLE: grant it with grantRole, or sign with an account that has it",
    )  # fmt: skip
    assert world.nonces() == before


# --------------------------------------------------------------------------------------------- update, renew, revoke


def test_update_changes_only_what_is_given(world: World) -> None:
    lines = ok(world.run("investor", "update", "BOB", "--class", "professional", "--omnibus", *reg(world)))
    assert lines == [f"updated investor BOB: class retail -> professional, omnibus no -> yes: {world.last_tx()}"]
    record = world.registry.investor("BOB")
    assert (record.country, record.investor_class, record.omnibus) == (702, InvestorClass.PROFESSIONAL, True)
    lines = ok(world.run("investor", "update", "BOB", "--country", "SG", *reg(world)))
    assert lines == ["investor BOB unchanged: nothing sent"]


def test_update_refusals(world: World) -> None:
    before = world.nonces()
    one_line_error(
        world.run("investor", "update", "NOBODY", "--country", "HK", *reg(world)),
        f"investor 'NOBODY' is not registered in registry {world.registry.address}: "
        "check the id (`hktoken investor list` shows the register)",
    )
    one_line_error(
        world.run("investor", "update", "BOB", *reg(world)),
        "nothing to update: pass --country, --class or --omnibus/--no-omnibus",
    )
    assert world.nonces() == before


def test_renew_extends_the_kyc(world: World) -> None:
    lines = ok(world.run("investor", "renew", "ALICE", "--kyc-expiry", "2035-03-01", *reg(world)))
    assert lines == [f"renewed KYC of ALICE: 2031-01-01 00:00:00 UTC -> 2035-03-01 00:00:00 UTC: {world.last_tx()}"]
    assert world.registry.investor("ALICE").kyc_expiry == datetime(2035, 3, 1, tzinfo=UTC)


def test_revoke_and_reinstate(world: World) -> None:
    assert ok(world.run("investor", "revoke", "ALICE", *reg(world))) == [f"revoked investor ALICE: {world.last_tx()}"]
    assert world.registry.investor("ALICE").revoked
    assert not world.registry.is_verified(world.alice.address)
    before = world.nonces()
    one_line_error(
        world.run("investor", "revoke", "ALICE", *reg(world)), "investor ALICE is already revoked: nothing to do"
    )
    assert world.nonces() == before
    assert ok(world.run("investor", "reinstate", "ALICE", *reg(world))) == [
        f"reinstated investor ALICE: {world.last_tx()}"
    ]
    assert world.registry.is_verified(world.alice.address)
    one_line_error(
        world.run("investor", "reinstate", "ALICE", *reg(world)),
        "investor ALICE is already active: only a revoked investor can be reinstated",
    )


# --------------------------------------------------------------------------------------------- wallets


def test_add_wallet_and_remove_wallet(world: World) -> None:
    assert ok(world.run("investor", "add-wallet", "ALICE", CAROL, *reg(world))) == [
        f"linked wallet {CAROL} to investor ALICE: {world.last_tx()}"
    ]
    assert world.registry.wallets_of("ALICE") == [world.alice.address, CAROL]
    assert ok(world.run("investor", "remove-wallet", CAROL, *reg(world))) == [
        f"retired wallet {CAROL} of investor ALICE: {world.last_tx()}"
    ]
    assert world.registry.wallets_of("ALICE") == [world.alice.address]
    assert world.registry.raw.is_retired(CAROL)
    before = world.nonces()
    one_line_error(
        world.run("investor", "add-wallet", "BOB", CAROL, *reg(world)),
        f"wallet {CAROL} is already retired from investor ALICE: a wallet belongs to one investor for good: "
        "use a new wallet",
    )
    one_line_error(
        world.run("investor", "add-wallet", "BOB", world.alice.address, *reg(world)),
        f"wallet {world.alice.address} is already linked to investor ALICE: a wallet belongs to one investor for "
        "good: use a new wallet",
    )
    one_line_error(
        world.run("investor", "remove-wallet", CAROL, *reg(world)), f"wallet {CAROL} is already retired: nothing to do"
    )
    one_line_error(
        world.run("investor", "remove-wallet", DAVE, *reg(world)),
        f"wallet {DAVE} is not in registry {world.registry.address}: check the wallet address",
    )
    one_line_error(
        world.run("investor", "add-wallet", "NOBODY", DAVE, *reg(world)),
        f"investor 'NOBODY' is not registered in registry {world.registry.address}: "
        "check the id (`hktoken investor list` shows the register)",
    )
    assert world.nonces() == before


# --------------------------------------------------------------------------------------------- show


def test_show_a_verified_wallet(world: World) -> None:
    assert ok(world.q("investor", "show", world.broker2.address, *reg(world))) == [
        f"wallet      {world.broker2.address}",
        "verified    yes, until 2031-01-01 00:00:00 UTC",
        "investor    BROKER",
        "country     344 (HK)",
        "class       professional",
        "kyc expiry  2031-01-01 00:00:00 UTC",
        "revoked     no",
        "omnibus     yes",
    ]


def test_show_says_why_a_wallet_is_not_verified(world: World) -> None:
    def why(wallet: str) -> str:
        lines = ok(world.q("investor", "show", wallet, *reg(world)))
        return lines[1]

    assert why(CAROL) == "verified    no: unregistered (the wallet is not in the registry)"
    world.registry.revoke(world.admin, "BOB")
    assert why(world.bob.address) == "verified    no: investor BOB is revoked"
    world.registry.add_wallet(world.admin, "ALICE", CAROL)
    world.registry.remove_wallet(world.admin, CAROL)
    assert why(CAROL) == (
        "verified    no: retired wallet (removed from investor ALICE; it can never be verified again)"
    )
    world.chain.set_next_block_timestamp(int(datetime(2031, 1, 2, tzinfo=UTC).timestamp()))
    world.chain.mine()
    assert why(world.alice.address) == "verified    no: KYC expired on 2031-01-01 00:00:00 UTC"
    assert why(world.bob.address) == "verified    no: investor BOB is revoked; KYC expired on 2031-01-01 00:00:00 UTC"


def test_show_an_investor_lists_each_wallet_with_its_verdict(world: World) -> None:
    world.registry.add_wallet(world.admin, "BROKER", CAROL)
    world.registry.remove_wallet(world.admin, CAROL)
    assert ok(world.q("investor", "show", "BROKER", *reg(world))) == [
        "investor    BROKER",
        "country     344 (HK)",
        "class       professional",
        "kyc expiry  2031-01-01 00:00:00 UTC",
        "revoked     no",
        "omnibus     yes",
        f"wallet      {world.broker1.address}  verified: yes, until 2031-01-01 00:00:00 UTC",
        f"            {world.broker2.address}  verified: yes, until 2031-01-01 00:00:00 UTC",
        f"            {CAROL}  verified: no: retired wallet (removed from investor BROKER; it can never be verified "
        "again)",
    ]
    data = json.loads(ok(world.q("investor", "show", "BROKER", "--json", *reg(world)))[0])
    assert [(w["wallet"], w["verified"]) for w in data["wallets"]] == [
        (world.broker1.address, True), (world.broker2.address, True), (CAROL, False),
    ]  # fmt: skip


def test_show_an_unknown_investor_or_a_malformed_wallet(world: World) -> None:
    one_line_error(
        world.q("investor", "show", "NOBODY", *reg(world)),
        f"investor 'NOBODY' is not registered in registry {world.registry.address}: "
        "check the id (`hktoken investor list` shows the register)",
    )
    one_line_error(
        world.q("investor", "show", "0x12", *reg(world)),
        "wallet '0x12' is not a valid Ethereum address: use 0x followed by 40 hex digits",
    )


# --------------------------------------------------------------------------------------------- list


def test_list_is_a_table_of_every_investor_and_wallet(world: World) -> None:
    world.registry.revoke(world.admin, "BOB")
    lines = ok(world.q("investor", "list", *reg(world)))
    assert lines == [
        f"3 investors in registry {world.registry.address} at block {world.block()}",
        "",
        "investor   country    class          kyc expiry   status     omnibus   wallets",
        "─" * 113,
        f"ALICE      344 (HK)   professional   2031-01-01   verified             {world.alice.address}",
        f"BOB        702 (SG)   retail         2031-01-01   revoked              {world.bob.address}",
        f"BROKER     344 (HK)   professional   2031-01-01   verified   yes       {world.broker1.address}",
        f"                                                                       {world.broker2.address}",
    ]
    data = json.loads(ok(world.q("investor", "list", "--json", *reg(world)))[0])
    assert [(i["id"], i["status"], len(i["wallets"])) for i in data["investors"]] == [
        ("ALICE", "verified", 1), ("BOB", "revoked", 1), ("BROKER", "verified", 2),
    ]  # fmt: skip


# --------------------------------------------------------------------------------------------- import


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_import_registers_every_row_in_batches(world: World, tmp_path: Path) -> None:
    csv_file = write(
        tmp_path / "onboarding.csv",
        "id,wallets,country,class,kyc_expiry,kyc_days,omnibus\n"
        f"HK-1,{CAROL},HK,professional,2030-01-01,,no\n"
        f"HK-2,{DAVE};{ERIN},344,institutional,,365,yes\n"
        f"SG-3,0x{'44' * 20},SG,retail,2029-12-31,,\n",
    )
    lines = ok(world.run("investor", "import", str(csv_file), "--batch-size", "2", *reg(world)))
    assert lines == [
        f"imported 3 investors (4 wallets) from {csv_file} in 2 batches: "
        f"{world.last_tx(2)}; {world.last_tx(1)}; {world.last_tx()}"
    ]
    assert world.registry.wallets_of("HK-2") == [DAVE, ERIN]
    assert world.registry.investor("HK-2").omnibus
    assert world.registry.investor("SG-3").investor_class == InvestorClass.RETAIL
    assert world.registry.investor("HK-1").kyc_expiry == datetime(2030, 1, 1, tzinfo=UTC)
    assert world.registry.raw.last_key() == 6


def test_import_dry_run_sends_nothing(world: World, tmp_path: Path) -> None:
    csv_file = write(tmp_path / "a.csv", f"id,wallets,country,class,kyc_days\nHK-1,{CAROL},HK,pro,30\n")
    before = world.nonces()
    assert ok(world.run("investor", "import", str(csv_file), "--dry-run", *reg(world))) == [
        f"{csv_file}: 1 investor (1 wallet) valid: nothing sent (--dry-run); would register 1, link 0 further "
        "wallets and issue to 0 holders (0 already registered, 0 already issued)"
    ]
    assert world.nonces() == before


def test_import_names_the_file_and_line_of_a_bad_row_and_sends_nothing(world: World, tmp_path: Path) -> None:
    header = "id,wallets,country,class,kyc_expiry\n"
    good = f"HK-1,{CAROL},HK,professional,2030-01-01\n"
    cases = [
        (header + good + "HK-2,0xnope,HK,retail,2030-01-01\n",
         "{f}:3: wallets.0: address '0xnope' is not a valid Ethereum address: correct wallets.0"),
        (header + good + f"HK-2,{DAVE},ZZ,retail,2030-01-01\n",
         "{f}:3: country: country 'ZZ' is not an ISO 3166-1 code: correct country"),
        (header + good + f"HK-2,{DAVE},HK,vip,2030-01-01\n",
         "{f}:3: class: investor class 'vip' is not one of retail (1), professional (2), "
         "institutional (3): correct class"),
        (header + good + f"HK-2,{DAVE},HK,retail,\n",
         "{f}:3: kyc_expiry: give kyc_expiry or kyc_days (one of them): fill exactly one of the two columns"),
        (header + good + f"HK-1,{DAVE},HK,retail,2030-01-01\n",
         "{f}:3: id: investor HK-1 is also on line 2: list each investor once"),
        (header + good + f"HK-2,{CAROL},HK,retail,2030-01-01\n",
         f"{{f}}:3: wallet: wallet {CAROL} is also on line 2: give each wallet to one investor only"),
        (header + good + f"HK-2,{DAVE},HK,retail,2020-01-01\n",
         "{f}:3: kyc_expiry: KYC expiry 2020-01-01 00:00:00 UTC is not in the future: renew the KYC check first, or "
         "correct the date"),
        (header + good + f"ALICE,{DAVE},HK,retail,2030-01-01\n",
         "{f}:3: class: investor ALICE is registered with class 2, the file says 1: correct the row, or change the "
         "investor with `hktoken investor update`/`renew`/`reinstate`"),
        (header + good + f"HK-2,{world.bob.address},HK,retail,2030-01-01\n",
         f"{{f}}:3: wallet: wallet {world.bob.address} belongs to investor BOB: a wallet belongs to one investor for "
         "good: use a new wallet"),
        ("id,wallets,country,class,kyc_expiry,vip\n" + good,
         "{f}:1: unknown column 'vip': use the columns id, wallet, wallets, country, class, kyc_expiry, kyc_days, "
         "omnibus, amount"),
        (header, "{f}: no investors after the header: add one row per investor"),
    ]  # fmt: skip
    before = world.nonces()
    for index, (text, expected) in enumerate(cases):
        csv_file = write(tmp_path / f"bad{index}.csv", text)
        one_line_error(world.run("investor", "import", str(csv_file), *reg(world)), expected.format(f=csv_file))
    one_line_error(
        world.run("investor", "import", str(tmp_path / "missing.csv"), *reg(world)),
        f"cannot read {tmp_path / 'missing.csv'}: No such file or directory: check the file path",
    )
    assert world.nonces() == before
    assert world.registry.raw.last_key() == 3


def test_import_shows_a_rich_progress_bar_in_a_terminal(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(display, "interactive", lambda: True)
    csv_file = write(tmp_path / "a.csv", f"id,wallets,country,class,kyc_days\nHK-1,{CAROL},HK,pro,30\n")
    result = world.run("investor", "import", str(csv_file), *reg(world))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"imported 1 investor (1 wallet) from {csv_file} in 1 batch: {world.last_tx()}\n"
    assert "registering 1 investor (1 wallet)" in result.stderr  # the bar, on stderr only
    assert world.registry.is_verified(CAROL)


def test_a_keystore_signs_as_well(world: World, tmp_path: Path) -> None:
    keystore = tmp_path / "registrar.json"
    keystore.write_text(json.dumps(Account.encrypt(world.admin.key, "s3cret", kdf="pbkdf2", iterations=1000)))
    result = world.q(
        "investor", "revoke", "BOB", "--keystore", str(keystore), "--password-env", "REGISTRAR_PASSWORD", *reg(world)
    )
    one_line_error(
        result,
        f"no password for keystore {keystore}: set REGISTRAR_PASSWORD, or run in a terminal to be prompted",
    )
    result = CliRunner().invoke(
        cli,
        ["investor", "revoke", "BOB", "--keystore", str(keystore), *reg(world), "--rpc-url", world.chain.rpc_url],
        env={"HKTOKEN_KEYSTORE_PASSWORD": "s3cret", "HKTOKEN_PRIVATE_KEY": ""},
        prog_name="hktoken",
    )
    world.chain.sender.reset_nonces()
    assert ok(result) == [f"revoked investor BOB: {world.last_tx()}"]
    assert world.registry.investor("BOB").revoked
