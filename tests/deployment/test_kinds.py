"""The asset kinds of a spec (bond, gold, fund, and the DvP contract): each shipped spec deploys on the session
anvil and leaves the state its Python wrapper's ``deploy`` would, a second run mines no block, a malformed asset
entry names the file, the field and the line, and a run stopped at an asset's own step resumes without deploying
anything twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from hktoken.chain.connection import Chain
from hktoken.contracts.bond import BondToken
from hktoken.contracts.dvp import DvPSettlement
from hktoken.contracts.fund import FundToken
from hktoken.contracts.gold import GoldToken
from hktoken.deployment import deploy_spec
from hktoken.deployment.builders import compile_plan
from hktoken.errors import SpecError
from hktoken.models.deployment import load_spec, parse_spec
from hktoken.models.gold import GoldBar

from ._support import COMPLIANCE_OFFICER, DEPLOYER, GREEN_BOND, WALLETS, manifest_of, state_of
from .test_resume import stop_and_resume

DEPLOY = GREEN_BOND.parent
GOLD = DEPLOY / "gold.toml"
ETF = DEPLOY / "etf.toml"
CASH_ACCOUNT = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
NOW = 1_800_000_000


def contracts_of(out: Path) -> dict[str, str]:
    return {key: c["address"] for key, c in json.loads(manifest_of(out).read_text())["contracts"].items()}


# --- each shipped spec deploys, and its state is the wrapper's ---------------------------------------------


def test_the_green_bond_deploys_the_bond_its_paying_agent_and_the_dvp_contract(
    chain: Chain, accounts: list[LocalAccount], tmp_path: Path
) -> None:
    deployer = accounts[0]
    result = deploy_spec(chain, deployer, GREEN_BOND, out=tmp_path)
    contracts = contracts_of(tmp_path)
    bond = BondToken.at(chain, contracts["token.HKGB"])
    terms = load_spec(GREEN_BOND).tokens[0].terms.bond_terms(contracts["stablecoin"])  # type: ignore[union-attr]
    assert bond.terms() == terms
    assert (terms.coupon_per_token, terms.maturity_date) == (Decimal(19), datetime(2029, 2, 16, tzinfo=UTC))
    assert bond.terms().payment_token == contracts["stablecoin"] and bond.payment_decimals == 6
    assert [c.record_date for c in bond.schedule()] == [
        datetime(2027, 8, 16, tzinfo=UTC), datetime(2028, 2, 16, tzinfo=UTC),
        datetime(2028, 8, 16, tzinfo=UTC), datetime(2029, 2, 16, tzinfo=UTC),
    ]  # fmt: skip
    agent = bond.paying_agent
    assert result.results[18].step.id == "token.HKGB.paying_agent.grant.PAYER_ROLE[0]"
    assert result.results[18].tx_hash is not None
    assert agent.payment_token() == contracts["stablecoin"] and agent.funded_coupons() == 0
    assert bond.has_role("CALLER_ROLE", deployer.address)
    assert agent.has_role("FUNDER_ROLE", deployer.address) and agent.has_role("PAYER_ROLE", deployer.address)
    assert not agent.has_role("PAYER_ROLE", WALLETS[0])
    assert bond.balance_of(deployer.address) == bond.total_supply() == Decimal(2_000_000)
    assert bond.rules().supply_cap == 2_000_000
    dvp = DvPSettlement.at(chain, contracts["dvp"])  # refuses anything that is not a DvPSettlement (ERC-165)
    assert dvp.domain.verifying_contract == contracts["dvp"] and dvp.domain.chain_id == 31337
    assert dvp.has_role("PAUSER_ROLE", deployer.address) and dvp.has_role("DEFAULT_ADMIN_ROLE", deployer.address)


def test_the_gold_spec_deploys_the_custodian_with_its_bars_and_the_token_bound_to_it(
    chain: Chain, accounts: list[LocalAccount], tmp_path: Path
) -> None:
    deployer = accounts[0]
    deploy_spec(chain, deployer, GOLD, out=tmp_path)
    contracts = contracts_of(tmp_path)
    assert set(contracts) == {"registry", "admin_module", "token.HKAU.custodian", "token.HKAU"}
    token = GoldToken.at(chain, contracts["token.HKAU"])
    custodian = token.custodian
    assert custodian.address == contracts["token.HKAU.custodian"] and custodian.token_address == token.address
    assert token.treasury() == custodian.address and token.decimals == 18
    assert [b.serial for b in custodian.bars()] == ["HKAU-0001", "HKAU-0002", "HKAU-0003"]
    assert custodian.bar("HKAU-0002") == GoldBar(
        serial="HKAU-0002", refiner="Heraeus Hong Kong", gross_oz=Decimal("399.870"), fineness=9995,
        vault="HK Airport Vault",
    )  # fmt: skip
    # fine weight: 400.125 x 0.9999 + 399.870 x 0.9995 + 410.000 x 0.9999
    assert custodian.reserve_oz() == Decimal("1209.7140525") and custodian.bar_count() == 3
    assert token.total_supply() == Decimal("1150.5") and token.balance_of(WALLETS[1]) == Decimal("750.5")
    assert custodian.minimum_redemption_oz() == Decimal(350) and custodian.max_attestation_age() is None
    assert token.has_role("ISSUER_ROLE", custodian.address)  # it burns what it redeems
    for role in ("CUSTODIAN_ROLE", "AUDITOR_ROLE", "DEFAULT_ADMIN_ROLE"):
        assert custodian.has_role(role, deployer.address)
    assert token.rules().allowed_countries == {344, 702}


def test_the_etf_spec_deploys_the_share_class_with_its_administrator_as_treasury(
    chain: Chain, accounts: list[LocalAccount], tmp_path: Path
) -> None:
    deployer = accounts[0]
    deploy_spec(chain, deployer, ETF, out=tmp_path)
    contracts = contracts_of(tmp_path)
    token = FundToken.at(chain, contracts["token.HKTE"])
    administrator = token.administrator()
    assert administrator.address == contracts["token.HKTE.administrator"]
    assert token.treasury() == administrator.address
    assert administrator.share_token.address == token.address and administrator.payment_token == contracts["stablecoin"]
    assert administrator.creation_unit == Decimal(10_000) and administrator.last_nav() == Decimal(25)
    assert administrator.raw.cash_account() == CASH_ACCOUNT
    assert (administrator.raw.subscription_fee_bps(), administrator.raw.redemption_fee_bps()) == (10, 20)
    assert (administrator.raw.max_nav_age(), administrator.raw.nav_move_bound_bps()) == (86_400, 500)
    assert token.has_role("ISSUER_ROLE", administrator.address)
    assert administrator.has_role("FUND_ADMIN_ROLE", deployer.address)
    assert administrator.has_role("NAV_CONFIRMER_ROLE", COMPLIANCE_OFFICER)
    assert not administrator.has_role("NAV_CONFIRMER_ROLE", deployer.address)
    assert administrator.has_role("AP_ROLE", WALLETS[0]) and not administrator.has_role("AP_ROLE", WALLETS[2])
    assert token.balance_of(WALLETS[0]) == Decimal(20_000) and token.management_fee_bps() == 0


@pytest.mark.parametrize("spec", [GREEN_BOND, GOLD, ETF], ids=lambda p: p.stem)
def test_a_second_run_of_each_shipped_spec_mines_no_block(
    chain: Chain, accounts: list[LocalAccount], tmp_path: Path, spec: Path
) -> None:
    first = deploy_spec(chain, accounts[0], spec, out=tmp_path)
    block = chain.w3.eth.block_number
    second = deploy_spec(chain, accounts[0], spec, out=tmp_path)
    assert (second.sent, second.resumed, second.skipped, second.blocks_mined) == (0, 0, len(first.results), 0)
    assert chain.w3.eth.block_number == block and second.contracts == first.contracts


# --- malformed asset entries --------------------------------------------------------------------------------

STABLECOIN = '[stablecoin]\nsymbol = "HKD"\n\n'
BOND = """[[tokens]]
kind = "bond"
name = "B"
symbol = "B"
decimals = 0

[tokens.terms]
isin = "HK0000GB2028"
denomination = "1000"
coupon_rate_bps = 380
coupon_frequency = 2
issue_date = 2027-02-16T00:00:00Z
maturity_date = 2029-02-16T00:00:00Z
coupon_dates = [2028-02-16T00:00:00Z, 2029-02-16T00:00:00Z]
"""
GOLD_TOKEN = '[[tokens]]\nkind = "gold"\nname = "G"\nsymbol = "G"\n'
BAR = '[[tokens.custodian.bars]]\nserial = "S1"\nrefiner = "R"\ngross_oz = "400"\nfineness = 9999\nvault = "V"\n'
FUND = f"""[[tokens]]
kind = "fund"
name = "F"
symbol = "F"

[tokens.terms]
cash_account = "{CASH_ACCOUNT}"
creation_unit = "1000"
initial_nav = "10"
max_nav_age_hours = 24
nav_move_bound_bps = 500
"""


def error_of(text: str) -> str:
    with pytest.raises(SpecError) as caught:
        parse_spec(text, Path("deploy/x.toml"))
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (STABLECOIN + BOND.replace("HK0000GB2028", "HK0000GB2029"),
         "deploy/x.toml:11: tokens[0].terms.isin: 'HK0000GB2029' has a wrong check digit (expected 8)"),
        (STABLECOIN + BOND.replace("coupon_rate_bps = 380", "coupon_rate_bps = 0"),
         "deploy/x.toml:13: tokens[0].terms.coupon_rate_bps: Input should be greater than or equal to 1"),
        (STABLECOIN + BOND.replace("2029-02-16T00:00:00Z]", "2030-02-16T00:00:00Z]"),
         "deploy/x.toml:17: tokens[0].terms.coupon_dates: the last coupon date must not be after maturity_date"),
        (STABLECOIN + BOND.replace("coupon_frequency = 2\n", "coupon_frequency = 2\nfrequency = 2\n"),
         "deploy/x.toml:15: tokens[0].terms.frequency: Extra inputs are not permitted"),
        (BOND, "deploy/x.toml:2: tokens[0].kind: a bond token is paid in HKD: add a [stablecoin] table"),
        (GOLD_TOKEN + "decimals = 8\n",
         "deploy/x.toml:5: tokens[0].decimals: gold counts fine troy ounces to 18 decimals: decimals must be 18"),
        (GOLD_TOKEN + f'treasury = "{WALLETS[0]}"\n',
         "deploy/x.toml:5: tokens[0].treasury: a gold token's treasury is its custodian: leave treasury unset"),
        (GOLD_TOKEN + BAR + BAR.replace('"400"', '"401"'),
         "deploy/x.toml:12: tokens[0].custodian.bars[1].serial: bar serial 'S1' is listed twice"),
        (GOLD_TOKEN + BAR.replace("9999", "9000"),
         "deploy/x.toml:5: tokens[0].custodian.bars[0]: fineness 9000 is outside the Good Delivery range 9950-9999 "
         "(pass good_delivery=False for another bar)"),
        (STABLECOIN + FUND.replace("nav_move_bound_bps = 500", "nav_move_bound_bps = 500\nsubscription_fee_bps = -1"),
         "deploy/x.toml:15: tokens[0].terms.subscription_fee_bps: Input should be greater than or equal to 0"),
        (STABLECOIN + FUND + 'management_fee_bps = 50\n',
         "deploy/x.toml:9: tokens[0].terms: management_fee_receiver is required when management_fee_bps is set"),
        (STABLECOIN + FUND.replace('symbol = "F"', f'symbol = "F"\ntreasury = "{WALLETS[0]}"'),
         "deploy/x.toml:8: tokens[0].treasury: a fund's treasury is its FundAdministrator: leave treasury unset"),
        ('[[contracts]]\nkind = "swap"\n', "deploy/x.toml:2: contracts[0].kind: unknown kind 'swap' (known: dvp)"),
        ('[[contracts]]\nkind = "dvp"\n\n[[contracts]]\nkind = "dvp"\n',
         "deploy/x.toml:4: contracts[1].id: id dvp is used by two contracts"),
        ('[[contracts]]\nkind = "dvp"\nid = "registry"\n',
         "deploy/x.toml:3: contracts[0].id: id must be 1-32 lower-case letters, digits or '_', not one of "
         "['admin_module', 'registry', 'stablecoin', 'token']"),
    ],
)  # fmt: skip
def test_a_malformed_asset_entry_names_the_file_the_field_and_the_line(text: str, expected: str) -> None:
    assert error_of(text).startswith(expected), error_of(text)


def test_plan_time_checks_of_the_asset_kinds_name_the_field() -> None:
    fund = parse_spec(STABLECOIN + FUND + f'[tokens.fund_roles]\nparticipants = ["{WALLETS[0]}"]\n', Path("f.toml"))
    with pytest.raises(SpecError, match=r"^tokens\[0\]\.fund_roles\.participants\[0\] 0x7099.* is not a wallet of an "):
        compile_plan(fund, DEPLOYER, now=NOW)  # type: ignore[arg-type]
    gold = parse_spec(GOLD_TOKEN + f'[tokens.custodian]\ncustodians = ["{WALLETS[0]}"]\n' + BAR, Path("g.toml"))
    with pytest.raises(SpecError, match=r"^tokens\[0\]\.custodian\.bars: the deployer .* is not among custodian"):
        compile_plan(gold, DEPLOYER, now=NOW)  # type: ignore[arg-type]
    fine = parse_spec(STABLECOIN + FUND.replace('"1000"', '"0.5"'), Path("f.toml"))
    with pytest.raises(SpecError, match=r"tokens\[0\]\.terms\.creation_unit"):
        compile_plan(fine.model_copy(update={"tokens": [fine.tokens[0].model_copy(update={"decimals": 0})]}),
                     DEPLOYER, now=NOW)  # type: ignore[arg-type]  # fmt: skip


def test_the_custodian_names_the_next_deployment_and_the_paying_agent_is_derived() -> None:
    plan = compile_plan(load_spec(GOLD), DEPLOYER, now=NOW)  # type: ignore[arg-type]
    ids = [s.id for s in plan.steps]
    assert ids[ids.index("token.HKAU.custodian.deploy") + 1] == "token.HKAU.deploy"  # its address is predicted
    assert ids.index("admin_module.deploy") < ids.index("token.HKAU.custodian.deploy")
    bond = compile_plan(load_spec(GREEN_BOND), DEPLOYER, now=NOW)  # type: ignore[arg-type]
    addresses = bond.addresses({"token.HKGB": DEPLOYER})  # type: ignore[dict-item]
    assert addresses["token.HKGB.paying_agent"] == "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"  # CREATE(token, 1)
    fund = compile_plan(load_spec(ETF), DEPLOYER, now=NOW)  # type: ignore[arg-type]
    ids = [s.id for s in fund.steps]
    assert ids.index("registry.register[0-1]") < ids.index("token.HKTE.administrator.grant.AP_ROLE[0]")


# --- a run stopped at an asset's own step resumes, deploying nothing twice ------------------------------------


def kind_state(chain: Chain, out: Path) -> dict[str, Any]:
    """state_of plus what the asset contracts hold."""
    state = state_of(chain, manifest_of(out))
    contracts = contracts_of(out)
    for key, address in contracts.items():
        if key.endswith(".custodian"):
            token = GoldToken.at(chain, contracts[key.removesuffix(".custodian")])
            custodian = token.custodian
            roles = (custodian.has_role("CUSTODIAN_ROLE", DEPLOYER), token.has_role("ISSUER_ROLE", address))
            state[key] = (custodian.bars(), custodian.reserve_oz(), custodian.minimum_redemption_oz(), roles)
        if key.endswith(".administrator"):
            fund = FundToken.at(chain, contracts[key.removesuffix(".administrator")])
            administrator = fund.administrator()
            roles = (administrator.has_role("AP_ROLE", WALLETS[0]), fund.has_role("ISSUER_ROLE", address))
            state[key] = (administrator.address == fund.treasury(), administrator.creation_unit, roles)
        if key == "token.HKGB":
            bond = BondToken.at(chain, address)
            state[key]["terms"] = bond.terms().model_dump(exclude={"payment_token"})
            state[key]["agent"] = [bond.paying_agent.has_role(r, DEPLOYER) for r in ("FUNDER_ROLE", "PAYER_ROLE")]
    return state


STOPS = [
    (GREEN_BOND, "token.HKGB.deploy", "journaled"),
    (GREEN_BOND, "token.HKGB.paying_agent.grant.PAYER_ROLE[0]", "sent"),
    (GOLD, "token.HKAU.custodian.deploy", "journaled"),  # its argument is the next deployment's address
    (GOLD, "token.HKAU.deploy", "sent"),
    (GOLD, "token.HKAU.custodian.add_bars[0-2]", "journaled"),
    (ETF, "token.HKTE.administrator.deploy", "sent"),
    (ETF, "token.HKTE.set_treasury", "journaled"),
    (ETF, "token.HKTE.administrator.grant.AP_ROLE[0]", "recorded"),
]


@pytest.fixture(scope="module")
def references(
    chain: Chain, accounts: list[LocalAccount], tmp_path_factory: pytest.TempPathFactory
) -> dict[Path, dict[str, Any]]:
    out: dict[Path, dict[str, Any]] = {}
    for spec in (GREEN_BOND, GOLD, ETF):
        folder = tmp_path_factory.mktemp(f"reference-{spec.stem}")
        snapshot = chain.snapshot()
        try:
            deploy_spec(chain, accounts[0], spec, out=folder)
            out[spec] = kind_state(chain, folder)
        finally:
            chain.revert(snapshot)
    return out


@pytest.mark.parametrize(("spec", "step_id", "point"), STOPS, ids=[f"{s}@{p}" for _, s, p in STOPS])
def test_a_run_stopped_at_an_asset_step_resumes_and_deploys_nothing_twice(
    chain: Chain,
    accounts: list[LocalAccount],
    tmp_path: Path,
    references: dict[Path, dict[str, Any]],
    spec: Path,
    step_id: str,
    point: str,
) -> None:
    steps = [s.id for s in compile_plan(load_spec(spec), DEPLOYER, now=NOW).steps]  # type: ignore[arg-type]
    stop_and_resume(chain, accounts[0], spec, tmp_path, steps, step_id, point)
    assert kind_state(chain, tmp_path) == references[spec]
