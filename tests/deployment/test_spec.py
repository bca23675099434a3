"""Spec files, plans and the code check, without a chain: every bad spec is one line naming file, field and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hktoken.abi import DEFAULT_ADMIN_ROLE, role_names
from hktoken.artifacts import ArtifactStore
from hktoken.deployment.builders import (
    CONTRACT_BUILDERS,
    STABLECOIN_ROLES,
    TOKEN_BUILDERS,
    TOKEN_ROLE_FIELDS,
    compile_plan,
)
from hktoken.deployment.plan import Ref
from hktoken.deployment.verify import code_matches, immutable_slots
from hktoken.errors import SpecError
from hktoken.models.deployment import find_line, load_spec, parse_spec

from ._support import GREEN_BOND, SMALL_SPEC, WALLETS

DEPLOYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
NOW = 1_800_000_000
TOKEN = '[[tokens]]\nkind = "rwa"\nname = "Note"\nsymbol = "NT"\n'


def error_of(text: str, name: str = "spec.toml") -> str:
    with pytest.raises(SpecError) as caught:
        parse_spec(text, Path(name))
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_the_shipped_green_bond_spec_loads_and_plans() -> None:
    spec = load_spec(GREEN_BOND)
    assert spec.name == "hk-green-bond"
    assert [(t.kind, t.symbol) for t in spec.tokens] == [("bond", "HKGB")]
    assert [(c.kind, c.id) for c in spec.contracts] == [("dvp", "dvp")]
    assert [i.id for i in spec.investors] == ["HK-PI-0001", "HK-OMNI-BROKER", "HK-RT-0001"]
    plan = compile_plan(spec, DEPLOYER, now=NOW)
    ids = [s.id for s in plan.steps]
    assert ids == [
        "registry.deploy", "registry.grant.REGISTRAR_ROLE[0]",
        "stablecoin.deploy", "stablecoin.grant.ISSUER_ROLE[0]", "stablecoin.grant.COMPLIANCE_ROLE[0]",
        "stablecoin.grant.PAUSER_ROLE[0]",
        "admin_module.deploy",
        "token.HKGB.deploy", "token.HKGB.grant.ISSUER_ROLE[0]", "token.HKGB.grant.AGENT_ROLE[0]",
        "token.HKGB.grant.PAUSER_ROLE[0]", "token.HKGB.grant.COMPLIANCE_ROLE[0]",
        "token.HKGB.rules.allowed_countries", "token.HKGB.rules.required_classes", "token.HKGB.rules.max_holders",
        "token.HKGB.rules.supply_cap",
        "token.HKGB.grant.CALLER_ROLE[0]", "token.HKGB.paying_agent.grant.FUNDER_ROLE[0]",
        "token.HKGB.paying_agent.grant.PAYER_ROLE[0]",
        "dvp.deploy", "dvp.grant.PAUSER_ROLE[0]",
        "registry.register[0-2]", "registry.add_wallets[0]",
        "token.HKGB.mint[0]",
        "stablecoin.mint[0]", "stablecoin.mint[1]", "stablecoin.mint[2]",
    ]  # fmt: skip
    deploy = plan.steps[ids.index("token.HKGB.deploy")]
    dates = [1_818_374_400, 1_834_272_000, 1_849_996_800, 1_865_894_400]  # 2027-08-16 .. 2029-02-16
    terms = [1_000_000_000, 380, 2, 1_802_736_000, 1_865_894_400, 30 * 86_400, int.from_bytes(b"HKD", "big")]
    assert deploy.args == (
        "HKSAR Green Bond 3.8% 2029", "HKGB", 0, Ref("registry"), DEPLOYER, DEPLOYER, Ref("admin_module"),
        b"HK0000GB2028", Ref("stablecoin"), terms, dates,
    )  # fmt: skip
    assert plan.derived == {"token.HKGB.paying_agent": ("token.HKGB", 1)}
    assert plan.contracts["token.HKGB.paying_agent"] == "BondPayingAgent"
    mint = plan.steps[ids.index("token.HKGB.mint[0]")]
    assert mint.args == ([DEPLOYER], [2_000_000])  # the whole issue to the treasury


def test_batches_are_bounded_and_ids_are_stable() -> None:
    spec = parse_spec(SMALL_SPEC, Path("small.toml"))
    first = compile_plan(spec, DEPLOYER, now=NOW)
    again = compile_plan(parse_spec(SMALL_SPEC, Path("small.toml")), DEPLOYER, now=NOW)
    assert [(s.id, s.fingerprint()) for s in first.steps] == [(s.id, s.fingerprint()) for s in again.steps]
    ids = [s.id for s in first.steps]
    assert [i for i in ids if ".register" in i or ".mint" in i or "add_wallets" in i] == [
        "registry.register[0-1]", "registry.register[2]", "registry.add_wallets[0]",
        "token.STN.mint[0-1]", "token.STN.mint[2]",
    ]  # fmt: skip
    # the compliance duty belongs to someone else: the deployer borrows it for the rules and gives it back
    rules = [i for i in ids if ".rules." in i]
    assert rules == ["token.STN.rules.borrow", "token.STN.rules.allowed_countries", "token.STN.rules.max_holders",
                     "token.STN.rules.return"]  # fmt: skip
    mint = first.steps[ids.index("token.STN.mint[0-1]")]
    assert mint.function == "batchMint" and mint.args == ([WALLETS[0], WALLETS[2]], [10025, 5000])


def test_every_token_kind_has_a_builder() -> None:
    assert set(TOKEN_BUILDERS) == {"rwa", "bond", "gold", "fund"}
    assert set(CONTRACT_BUILDERS) == {"dvp"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (TOKEN + "decimals = 99\n", "spec.toml:5: tokens[0].decimals: Input should be less than or equal to 36"),
        (TOKEN + "[tokens.rules]\nmax_holders = 0\n",
         "spec.toml:6: tokens[0].rules.max_holders: Input should be greater than or equal to 1"),
        (TOKEN + "[tokens.rules]\nallowed_countries = [344]\nblocked_countries = [344]\n",
         "spec.toml:5: tokens[0].rules: countries [344] are both allowed and blocked"),
        ('[[tokens]]\nkind = "swap"\nname = "B"\nsymbol = "B"\n',
         "spec.toml:2: tokens[0].kind: unknown kind 'swap' (known: bond, fund, gold, rwa)"),
        ('[[tokens]]\nname = "B"\nsymbol = "B"\n',
         "spec.toml:1: tokens[0].kind: kind is required (one of: bond, fund, gold, rwa)"),
        (TOKEN + TOKEN, "spec.toml:8: tokens[1].symbol: symbol NT is used by two tokens"),
        (TOKEN + 'symbl = "x"\n', "spec.toml:5: tokens[0].symbl: Extra inputs are not permitted"),
        ('[[investors]]\nid = "A"\nwallets = ["0x70997970C51812dc3A010C7d01b50e0d17dc79C9"]\ncountry = 344\n'
         "investor_class = 2\nkyc_expiry = 2030-01-01T00:00:00Z\n",
         "spec.toml:3: investors[0].wallets[0]: address 0x70997970C51812dc3A010C7d01b50e0d17dc79C9 has a wrong "
         "EIP-55 checksum (a mistyped character?)"),
        ('[[investors]]\nid = "A"\nwallets = ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]\ncountry = 344\n'
         "investor_class = 2\nkyc_expiry = 2030-01-01T00:00:00\n",
         "spec.toml:6: investors[0].kyc_expiry: kyc_expiry must be timezone-aware (for example 2027-01-01T00:00:00Z)"),
        ('[[investors]]\nid = "A"\nwallets = []\ncountry = 1000\ninvestor_class = 9\n'
         "kyc_expiry = 2030-01-01T00:00:00Z\n",
         "spec.toml:3: investors[0].wallets: List should have at least 1 item after validation, not 0 (+2 more)"),
        (TOKEN + '[[issuance.mints]]\ntoken = "XX"\nto = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"\namount = "1"\n',
         "spec.toml:6: issuance.mints[0].token: no token 'XX' (tokens: NT)"),
        (TOKEN + '[[issuance.mints]]\ntoken = "NT"\nto = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"\n'
         'amount = "-1"\n', "spec.toml:8: issuance.mints[0].amount: Input should be greater than 0"),
        ('[[issuance.stablecoin]]\nto = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"\namount = "5"\n',
         "spec.toml: issuance.stablecoin: stablecoin mints need a [stablecoin] table"),
        ('name = "has space"\n', "spec.toml:1: name: name must be 1-64 letters, digits, '.', '_' or '-'"),
        ("batch_size = 0\n", "spec.toml:1: batch_size: Input should be greater than or equal to 1"),
    ],
)  # fmt: skip
def test_a_malformed_spec_names_file_field_and_line(text: str, expected: str) -> None:
    message = error_of(text)
    assert message.startswith(expected), message
    assert message.endswith("in spec.toml")


def test_broken_toml_names_the_file_and_tomllib_names_the_line() -> None:
    assert error_of('name = "x"\n[tokens\n') == (
        "spec.toml: not valid TOML (Expected ']' at the end of a table declaration (at line 2, column 8)): "
        "correct the TOML syntax at that line"
    )


def test_a_missing_spec_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"^cannot read spec .*nope\.toml \(No such file or directory\): check"):
        load_spec(tmp_path / "nope.toml")


def test_the_line_finder_follows_arrays_of_tables_and_dotted_headers() -> None:
    text = '[[tokens]]\nname = "a"\n[tokens.rules]\nmax_holders = 1\n\n[[tokens]]\nname = "b"\n[tokens.rules]\n' \
        'max_holders = 2\n[issuance]\nmints = [{token = "a"}]\n'  # fmt: skip
    assert find_line(text, ("tokens", 1, "rules", "max_holders")) == 9
    assert find_line(text, ("tokens", 0, "rules", "max_holders")) == 4
    assert find_line(text, ("tokens", 1, "symbol")) == 6  # absent: the table that should hold it
    assert find_line(text, ("issuance", "mints", 0, "token")) == 11  # inside an inline table: the key holding it
    assert find_line(text, ("nothing",)) is None


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ('[registry]\nregistrars = ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]\n',
         "registry.registrars does not name the deployer"),
        ("", "issuance.mints[0].to 0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc is neither a wallet"),
    ],
)  # fmt: skip
def test_a_plan_that_would_fail_on_chain_is_refused_before_anything_is_sent(extra: str, expected: str) -> None:
    text = (
        TOKEN
        + extra
        + (
            '[[investors]]\nid = "A"\nwallets = ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]\ncountry = 344\n'
            "investor_class = 2\nkyc_expiry = 2030-01-01T00:00:00Z\n"
            '[[issuance.mints]]\ntoken = "NT"\nto = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"\namount = "1"\n'
        )
    )
    with pytest.raises(SpecError, match=re.escape(expected)):
        compile_plan(parse_spec(text, Path("s.toml")), DEPLOYER, now=NOW)


def test_a_lapsed_kyc_expiry_or_too_many_decimals_is_refused_by_the_plan() -> None:
    spec = parse_spec(SMALL_SPEC, Path("small.toml"))
    with pytest.raises(SpecError, match=r"^investors\[0\]\.kyc_expiry 2099-01-01T00:00:00\+00:00 of INV-A is not"):
        compile_plan(spec, DEPLOYER, now=5_000_000_000)
    too_precise = SMALL_SPEC.replace('amount = "100.25"', 'amount = "100.255"')
    with pytest.raises(SpecError, match=r"issuance\.mints\[0\]\.amount"):
        compile_plan(parse_spec(too_precise, Path("small.toml")), DEPLOYER, now=NOW)
    issuer_elsewhere = SMALL_SPEC.replace("[tokens.roles]\n", f'[tokens.roles]\nissuers = ["{WALLETS[0]}"]\n')
    with pytest.raises(SpecError, match=r"^issuance\.mints\[0\]: the deployer .* does not hold ISSUER_ROLE on STN"):
        compile_plan(parse_spec(issuer_elsewhere, Path("small.toml")), DEPLOYER, now=NOW)


def test_code_matches_masks_only_push32_zero_operands() -> None:
    # PUSH1 0x80, PUSH32 <0 x 32> (an immutable), PUSH32 <0x7f + 31 zeros> (data, not an opcode), STOP
    shipped = "6080" + "7f" + "00" * 32 + "7f" + "7f" + "00" * 31 + "00"
    assert immutable_slots(bytes.fromhex(shipped)) == [3]
    filled = "6080" + "7f" + "ab" * 32 + "7f" + "7f" + "00" * 31 + "00"
    assert code_matches(shipped, "0x" + filled)
    assert not code_matches(shipped, "0x" + filled.replace("6080", "6081", 1))  # code outside an immutable
    assert not code_matches(shipped, "0x" + filled[:-2] + "01")  # the data of a non-zero PUSH32 is code
    assert not code_matches(shipped, "0x" + filled + "00")  # another length
    assert not code_matches(shipped, "0x")


def test_the_plan_grants_every_duty_the_artifacts_publish() -> None:
    store = ArtifactStore()
    assert set(STABLECOIN_ROLES) == set(role_names(store.get("HKDStablecoin").abi)) - {DEFAULT_ADMIN_ROLE}
    assert set(TOKEN_ROLE_FIELDS) == set(role_names(store.get("RWAToken").abi)) - {DEFAULT_ADMIN_ROLE}
    assert set(role_names(store.get("InvestorRegistry").abi)) - {DEFAULT_ADMIN_ROLE} == {"REGISTRAR_ROLE"}
