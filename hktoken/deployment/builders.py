"""From a spec to a plan: the fixed parts (registry, stablecoin, investors, issuance) and one step builder per
token ``kind``.

A new kind plugs in with one model in :mod:`hktoken.models.deployment` (a member of ``TokenSpec``) and one
function here::

    @token_builder("bond")
    def _bond(token: BondTokenSpec, context: PlanContext) -> None:
        context.deploy_token(token, "BondToken", asset_args=(...terms...))   # the base's seven arguments first
        ...                                                                    # any further calls of the kind

Everything is validated while the plan is built, before anything is sent: a bad spec deploys nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from eth_typing import ChecksumAddress

from hktoken.abi import role_id
from hktoken.deployment.plan import NextDeployment, Plan, Ref, Step, chunks, span
from hktoken.errors import SpecError
from hktoken.models.common import to_address
from hktoken.models.deployment import (
    BondTokenSpec,
    DeploymentSpec,
    DvPSpec,
    FundTokenSpec,
    GoldTokenSpec,
    TokenSpecBase,
)
from hktoken.models.rules import ComplianceRules
from hktoken.units import to_base_units

REGISTRY = "registry"
STABLECOIN = "stablecoin"
ADMIN_MODULE = "admin_module"
STABLECOIN_DECIMALS = 6
ZERO_ADDRESS = to_address("0x0000000000000000000000000000000000000000")
STABLECOIN_ROLES = ("ISSUER_ROLE", "COMPLIANCE_ROLE", "PAUSER_ROLE")
TOKEN_ROLE_FIELDS = {
    "ISSUER_ROLE": "issuers",
    "AGENT_ROLE": "agents",
    "PAUSER_ROLE": "pausers",
    "COMPLIANCE_ROLE": "compliance_admins",
}

TokenSpecT = TypeVar("TokenSpecT", bound=TokenSpecBase)
TokenBuilder = Callable[[Any, "PlanContext"], None]
TOKEN_BUILDERS: dict[str, TokenBuilder] = {}


def token_builder(
    kind: str,
) -> Callable[[Callable[[TokenSpecT, PlanContext], None]], Callable[[TokenSpecT, PlanContext], None]]:
    """Register the step builder of a token ``kind``."""

    def register(builder: Callable[[TokenSpecT, PlanContext], None]) -> Callable[[TokenSpecT, PlanContext], None]:
        TOKEN_BUILDERS[kind] = builder
        return builder

    return register


@dataclass
class PlanContext:
    """What a builder needs: the plan so far, the spec, the deployer and the chain's time."""

    plan: Plan
    spec: DeploymentSpec
    deployer: ChecksumAddress
    now: int
    token_index: int = 0
    token_decimals: dict[str, int] = field(default_factory=dict)
    token_issuers: dict[str, list[ChecksumAddress]] = field(default_factory=dict)
    token_treasuries: dict[str, ChecksumAddress | Ref] = field(default_factory=dict)
    # Steps that need the investors registered first (e.g. AP_ROLE, granted only to verified wallets).
    after_investors: list[Step] = field(default_factory=list)

    def where(self, *path: str | int) -> str:
        """The spec path of a field of the token being built (``tokens[0].rules``)."""
        text = f"tokens[{self.token_index}]"
        for part in path:
            text += f"[{part}]" if isinstance(part, int) else f".{part}"
        return text

    def admin_module(self) -> Ref:
        """The shared RWATokenAdmin module, deployed by the first token that needs it."""
        if ADMIN_MODULE not in self.plan.contracts:
            self.plan.add(
                Step(f"{ADMIN_MODULE}.deploy", "deploy", ADMIN_MODULE, "RWATokenAdmin", summary="deploy RWATokenAdmin")
            )
        return Ref(ADMIN_MODULE)

    def deploy_token(
        self, token: TokenSpecBase, artifact: str, *, asset_args: Sequence[Any] = (), treasury: Ref | None = None
    ) -> str:
        """Deploy a security token on the base's seven constructor arguments (then ``asset_args``), grant its
        duties and set its rules; returns its contract key (``token.<symbol>``). ``treasury`` (a contract of the
        plan) overrides the spec's."""
        key = f"token.{token.symbol}"
        treasury_arg: ChecksumAddress | Ref = treasury or (
            to_address(token.treasury) if token.treasury else self.deployer
        )
        module = self.admin_module()
        self.plan.add(
            Step(
                f"{key}.deploy", "deploy", key, artifact,
                args=(token.name, token.symbol, token.decimals, Ref(REGISTRY), self.deployer, treasury_arg, module,
                      *asset_args),
                summary=f"deploy {artifact} {token.symbol}",
            )
        )  # fmt: skip
        grants: dict[str, list[ChecksumAddress]] = {
            role: [to_address(a) for a in getattr(token.roles, name)] or [self.deployer]
            for role, name in TOKEN_ROLE_FIELDS.items()
        }
        for role, accounts in grants.items():
            self.grant(key, artifact, role, accounts)
        self.token_decimals[token.symbol] = token.decimals
        self.token_issuers[token.symbol] = grants["ISSUER_ROLE"]
        self.token_treasuries[token.symbol] = treasury_arg
        if token.rules is not None:
            self.set_rules(key, artifact, token, borrow=self.deployer not in grants["COMPLIANCE_ROLE"])
        return key

    def grant(self, key: str, artifact: str, role: str, accounts: Sequence[str | Ref]) -> None:
        """One ``grantRole`` step per account."""
        for index, account in enumerate(accounts):
            self.plan.add(
                Step(f"{key}.grant.{role}[{index}]", "call", key, artifact, "grantRole", (role_id(role), account),
                     summary=f"grant {role} to {account}")
            )  # fmt: skip

    def set_rules(self, key: str, artifact: str, token: TokenSpecBase, *, borrow: bool) -> None:
        """One call per rule that differs from a fresh token's (all off); the deployer holds COMPLIANCE_ROLE for
        as long as it takes when the duty belongs to others (grant and revoke are both on the audit trail)."""
        rules = token.rules or ComplianceRules()
        amount = self._amounts(token, rules)
        calls: list[tuple[str, str, tuple[Any, ...]]] = []
        if rules.allowed_countries:
            calls.append(("allowed_countries", "setAllowedCountries", (sorted(rules.allowed_countries), True)))
        if rules.blocked_countries:
            calls.append(("blocked_countries", "setBlockedCountries", (sorted(rules.blocked_countries), True)))
        if rules.required_class_mask:
            calls.append(("required_classes", "setRequiredInvestorClasses", (rules.required_class_mask,)))
        if rules.max_holders:
            calls.append(("max_holders", "setMaxHolders", (rules.max_holders,)))
        if rules.max_balance_per_investor:
            calls.append(
                ("max_balance_per_investor", "setMaxBalancePerInvestor", (amount["max_balance_per_investor"],))
            )
        if rules.lockup_until:
            calls.append(("lockup_until", "setLockupUntil", (int(rules.lockup_until.timestamp()),)))
        if rules.minimum_transfer:
            calls.append(("minimum_transfer", "setMinimumTransfer", (amount["minimum_transfer"],)))
        if rules.denomination:
            calls.append(("denomination", "setDenomination", (amount["denomination"],)))
        if rules.supply_cap:
            calls.append(("supply_cap", "setSupplyCap", (amount["supply_cap"],)))
        if not calls:
            return
        compliance = role_id("COMPLIANCE_ROLE")
        if borrow:
            self.plan.add(Step(f"{key}.rules.borrow", "call", key, artifact, "grantRole", (compliance, self.deployer),
                               summary="grant COMPLIANCE_ROLE to the deployer while it sets the rules"))  # fmt: skip
        for rule, function, args in calls:
            self.plan.add(Step(f"{key}.rules.{rule}", "call", key, artifact, function, args, summary=f"set {rule}"))
        if borrow:
            self.plan.add(Step(f"{key}.rules.return", "call", key, artifact, "revokeRole", (compliance, self.deployer),
                               summary="revoke the deployer's COMPLIANCE_ROLE"))  # fmt: skip

    def _amounts(self, token: TokenSpecBase, rules: ComplianceRules) -> dict[str, int]:
        out: dict[str, int] = {}
        for name in ("max_balance_per_investor", "minimum_transfer", "denomination", "supply_cap"):
            value: Decimal | None = getattr(rules, name)
            out[name] = _units(value or Decimal(0), token.decimals, self.where("rules", name))
        for name in ("minimum_transfer", "denomination"):
            if out[name] > 2**128 - 1:
                raise SpecError(
                    f"{self.where('rules', name)} is too large for the token (at most 2**128 - 1 base units)"
                )
        return out


def _units(amount: Decimal, decimals: int, where: str) -> int:
    try:
        return to_base_units(amount, decimals, what=where)
    except SpecError as exc:
        raise SpecError(exc.message, fix=exc.fix or f"correct {where}") from exc


ContractSpecT = TypeVar("ContractSpecT", bound=DvPSpec)
CONTRACT_BUILDERS: dict[str, TokenBuilder] = {}


def contract_builder(
    kind: str,
) -> Callable[[Callable[[ContractSpecT, PlanContext], None]], Callable[[ContractSpecT, PlanContext], None]]:
    """Register the step builder of a ``[[contracts]]`` ``kind`` (a contract that is not a token)."""

    def register(
        builder: Callable[[ContractSpecT, PlanContext], None],
    ) -> Callable[[ContractSpecT, PlanContext], None]:
        CONTRACT_BUILDERS[kind] = builder
        return builder

    return register


def _accounts(accounts: Sequence[str], default: ChecksumAddress) -> list[ChecksumAddress]:
    return [to_address(a) for a in accounts] or [default]


@token_builder("rwa")
def _rwa_token(token: TokenSpecBase, context: PlanContext) -> None:
    context.deploy_token(token, "RWAToken")


@token_builder("bond")
def _bond_token(token: BondTokenSpec, context: PlanContext) -> None:
    """What ``BondToken.deploy`` does: the token (whose constructor creates the paying agent, the token's first
    CREATE), the token's duties and rules, CALLER_ROLE on the token, FUNDER_ROLE and PAYER_ROLE on the agent."""
    isin, _payment, terms, dates = token.terms.bond_terms(context.deployer).constructor_args()
    key = context.deploy_token(token, "BondToken", asset_args=(isin, Ref(STABLECOIN), terms, dates))
    agent = f"{key}.paying_agent"
    context.plan.derive(agent, "BondPayingAgent", key, 1)
    context.grant(key, "BondToken", "CALLER_ROLE", _accounts(token.bond_roles.callers, context.deployer))
    context.grant(agent, "BondPayingAgent", "FUNDER_ROLE", _accounts(token.bond_roles.funders, context.deployer))
    context.grant(agent, "BondPayingAgent", "PAYER_ROLE", _accounts(token.bond_roles.payers, context.deployer))


@token_builder("gold")
def _gold_token(token: GoldTokenSpec, context: PlanContext) -> None:
    """What ``GoldToken.deploy`` does: the custodian, naming the token's address (the deployer's next deployment),
    then the token with the custodian as its treasury, its duties and rules, ISSUER_ROLE to the custodian (to burn
    what it redeems), the custodian's duties and settings; then the initial bars (``addBars`` in batches)."""
    settings = token.custodian
    custodians = _accounts(settings.custodians, context.deployer)
    if settings.bars and context.deployer not in custodians:
        raise SpecError(
            f"{context.where('custodian', 'bars')}: the deployer {context.deployer} lists the bars but is not among "
            "custodian.custodians",
            fix=f"add the deployer to {context.where('custodian', 'custodians')}, or list the bars later",
        )
    minimum = 0
    if settings.minimum_redemption is not None:
        minimum = _units(settings.minimum_redemption, 18, context.where("custodian", "minimum_redemption"))
        if minimum > 2**128 - 1:
            raise SpecError(
                f"{context.where('custodian', 'minimum_redemption')} is too large (at most 2**128 - 1 base units)"
            )
    context.admin_module()  # first: the token must be the deployment right after the custodian's
    custodian = f"token.{token.symbol}.custodian"
    context.plan.add(
        Step(f"{custodian}.deploy", "deploy", custodian, "GoldCustodian", args=(context.deployer, NextDeployment()),
             summary=f"deploy GoldCustodian of {token.symbol}")
    )  # fmt: skip
    key = context.deploy_token(token, "GoldToken", asset_args=(Ref(custodian),), treasury=Ref(custodian))
    context.plan.add(
        Step(f"{key}.grant.ISSUER_ROLE.custodian", "call", key, "GoldToken", "grantRole",
             (role_id("ISSUER_ROLE"), Ref(custodian)), summary="grant ISSUER_ROLE to the custodian")
    )  # fmt: skip
    context.grant(custodian, "GoldCustodian", "CUSTODIAN_ROLE", custodians)
    context.grant(custodian, "GoldCustodian", "AUDITOR_ROLE", _accounts(settings.auditors, context.deployer))
    if minimum:
        context.plan.add(
            Step(f"{custodian}.minimum_redemption", "call", custodian, "GoldCustodian", "setMinimumRedemption",
                 (minimum,), summary=f"set the minimum redemption to {settings.minimum_redemption} oz")
        )  # fmt: skip
    if settings.max_attestation_age_days:
        context.plan.add(
            Step(f"{custodian}.max_attestation_age", "call", custodian, "GoldCustodian", "setMaxAttestationAge",
                 (settings.max_attestation_age_days * 86_400,),
                 summary=f"stop mints when the attestation is {settings.max_attestation_age_days} days old")
        )  # fmt: skip
    bars = [bar.as_input() for bar in settings.bars]
    for part in chunks(len(bars), context.spec.batch_size):
        context.plan.add(
            Step(f"{custodian}.add_bars{span(part)}", "call", custodian, "GoldCustodian", "addBars",
                 ([bars[i] for i in part],), summary=f"list {len(part)} bar(s)")
        )  # fmt: skip


@token_builder("fund")
def _fund_token(token: FundTokenSpec, context: PlanContext) -> None:
    """What ``FundToken.deploy`` does: the token (the deployer as a placeholder treasury), its duties and rules,
    the ``FundAdministrator``, ``setTreasury(administrator)``, ISSUER_ROLE to the administrator, FUND_ADMIN_ROLE
    and NAV_CONFIRMER_ROLE; AP_ROLE once the investors are registered (the administrator grants it to verified
    wallets only)."""
    terms = token.terms.fund_terms(context.deployer)
    roles = token.fund_roles
    where = context.where("terms")
    creation_unit = _units(terms.creation_unit, token.decimals, f"{where}.creation_unit")
    initial_nav = _units(terms.initial_nav, STABLECOIN_DECIMALS, f"{where}.initial_nav")
    for name, value in (("creation_unit", creation_unit), ("initial_nav", initial_nav)):
        if value > 2**128 - 1:
            raise SpecError(f"{where}.{name} is too large (at most 2**128 - 1 base units)")
    wallets = {wallet for investor in context.spec.investors for wallet in investor.wallets}
    for index, participant in enumerate(roles.participants):
        if to_address(participant) not in wallets:
            raise SpecError(
                f"{context.where('fund_roles', 'participants', index)} {participant} is not a wallet of an investor "
                "of the spec (AP_ROLE goes to verified wallets only)",
                fix="register the participant under [[investors]]",
            )
    fee_receiver = to_address(terms.management_fee_receiver) if terms.management_fee_receiver else ZERO_ADDRESS
    key = context.deploy_token(token, "FundToken", asset_args=(terms.management_fee_bps, fee_receiver))
    administrator = f"{key}.administrator"
    context.plan.add(
        Step(f"{administrator}.deploy", "deploy", administrator, "FundAdministrator",
             args=(Ref(key), Ref(STABLECOIN), context.deployer, to_address(terms.cash_account),
                   to_address(terms.dealing_fee_receiver), creation_unit, terms.max_nav_age_seconds,
                   terms.nav_move_bound_bps, terms.subscription_fee_bps, terms.redemption_fee_bps, initial_nav),
             summary=f"deploy FundAdministrator of {token.symbol}")
    )  # fmt: skip
    context.plan.add(
        Step(f"{key}.set_treasury", "call", key, "FundToken", "setTreasury", (Ref(administrator),),
             summary="make the administrator the treasury")
    )  # fmt: skip
    context.token_treasuries[token.symbol] = Ref(administrator)
    context.plan.add(
        Step(f"{key}.grant.ISSUER_ROLE.administrator", "call", key, "FundToken", "grantRole",
             (role_id("ISSUER_ROLE"), Ref(administrator)), summary="grant ISSUER_ROLE to the administrator")
    )  # fmt: skip
    context.grant(administrator, "FundAdministrator", "FUND_ADMIN_ROLE", _accounts(roles.fund_admins, context.deployer))
    context.grant(
        administrator, "FundAdministrator", "NAV_CONFIRMER_ROLE", [to_address(a) for a in roles.nav_confirmers]
    )
    for index, participant in enumerate(roles.participants):
        context.after_investors.append(
            Step(f"{administrator}.grant.AP_ROLE[{index}]", "call", administrator, "FundAdministrator", "grantRole",
                 (role_id("AP_ROLE"), to_address(participant)), summary=f"grant AP_ROLE to {participant}")
        )  # fmt: skip


@contract_builder("dvp")
def _dvp(contract: DvPSpec, context: PlanContext) -> None:
    """What ``DvPSettlement.deploy`` does: the contract (the deployer its admin), PAUSER_ROLE to its pausers."""
    key = contract.id
    context.plan.add(
        Step(f"{key}.deploy", "deploy", key, "DvPSettlement", args=(context.deployer,),
             summary="deploy DvPSettlement")
    )  # fmt: skip
    context.grant(key, "DvPSettlement", "PAUSER_ROLE", _accounts(contract.pausers, context.deployer))


def compile_plan(spec: DeploymentSpec, deployer: ChecksumAddress, *, now: int) -> Plan:
    """The spec's steps, in order: registry, stablecoin, tokens, investors, issuance. ``now`` is the chain's
    latest block time (KYC expiries must be later). SpecError on anything that would fail on chain predictably."""
    plan = Plan(spec.name)
    context = PlanContext(plan, spec, deployer, now)
    # The registry and its registrars.
    plan.add(
        Step(
            f"{REGISTRY}.deploy",
            "deploy",
            REGISTRY,
            "InvestorRegistry",
            args=(deployer,),
            summary="deploy InvestorRegistry",
        )
    )
    registrars = list(spec.registry.registrars) or [deployer]
    context.grant(REGISTRY, "InvestorRegistry", "REGISTRAR_ROLE", registrars)
    if spec.investors and deployer not in registrars:
        raise SpecError(
            f"registry.registrars does not name the deployer {deployer}, which registers the investors",
            fix="add the deployer to registry.registrars",
        )
    # The stablecoin: every duty to the deployer (it issues the initial HKD).
    if spec.stablecoin is not None:
        plan.add(
            Step(
                f"{STABLECOIN}.deploy",
                "deploy",
                STABLECOIN,
                "HKDStablecoin",
                args=(deployer,),
                summary="deploy HKDStablecoin",
            )
        )
        for role in STABLECOIN_ROLES:
            context.grant(STABLECOIN, "HKDStablecoin", role, [deployer])
    # The tokens, each by its kind's builder.
    for index, token in enumerate(spec.tokens):
        context.token_index = index
        builder = TOKEN_BUILDERS.get(token.kind)
        if builder is None:  # a model without a builder: a programming error, reported as the spec's field
            raise SpecError(f"tokens[{index}].kind: no step builder for kind {token.kind!r}")
        builder(token, context)
    # The contracts that are not tokens, each by its kind's builder.
    for index, contract in enumerate(spec.contracts):
        contract_step_builder = CONTRACT_BUILDERS.get(contract.kind)
        if contract_step_builder is None:
            raise SpecError(f"contracts[{index}].kind: no step builder for kind {contract.kind!r}")
        contract_step_builder(contract, context)
    _investor_steps(spec, context)
    for step in context.after_investors:
        plan.add(step)
    _issuance_steps(spec, context)
    return plan


def _investor_steps(spec: DeploymentSpec, context: PlanContext) -> None:
    plan, size = context.plan, spec.batch_size
    for index, investor in enumerate(spec.investors):
        if investor.kyc_expiry_timestamp <= context.now:
            raise SpecError(
                f"investors[{index}].kyc_expiry {investor.kyc_expiry.isoformat()} of {investor.id} is not after the "
                "chain's time",
                fix=f"give investors[{index}] a later kyc_expiry",
            )
    investors = spec.investors
    for part in chunks(len(investors), size):
        batch = [investors[i] for i in part]
        plan.add(
            Step(
                f"{REGISTRY}.register{span(part)}", "call", REGISTRY, "InvestorRegistry", "batchRegisterInvestors",
                ([i.id_bytes for i in batch], [i.wallets[0] for i in batch], [i.country for i in batch],
                 [int(i.investor_class) for i in batch], [i.kyc_expiry_timestamp for i in batch],
                 [i.omnibus for i in batch]),
                summary=f"register {len(batch)} investor(s)",
            )
        )  # fmt: skip
    extra = [(i.id_bytes, wallet) for i in investors for wallet in i.wallets[1:]]
    for part in chunks(len(extra), size):
        plan.add(
            Step(f"{REGISTRY}.add_wallets{span(part)}", "call", REGISTRY, "InvestorRegistry", "batchAddWallets",
                 ([extra[i][0] for i in part], [extra[i][1] for i in part]), summary=f"add {len(part)} wallet(s)")
        )  # fmt: skip


def _issuance_steps(spec: DeploymentSpec, context: PlanContext) -> None:
    plan, size = context.plan, spec.batch_size
    wallets = {wallet for investor in spec.investors for wallet in investor.wallets}
    by_token: dict[str, list[tuple[int, ChecksumAddress, int]]] = {}
    for index, mint in enumerate(spec.issuance.mints):
        where = f"issuance.mints[{index}]"
        if context.deployer not in context.token_issuers[mint.token]:
            raise SpecError(
                f"{where}: the deployer {context.deployer} does not hold ISSUER_ROLE on {mint.token}",
                fix=f"add the deployer to roles.issuers of {mint.token}",
            )
        recipient = to_address(mint.to)
        if recipient not in wallets and recipient != context.token_treasuries[mint.token]:
            raise SpecError(
                f"{where}.to {recipient} is neither a wallet of an investor of the spec nor the treasury",
                fix="register the recipient under [[investors]] first",
            )
        units = _units(mint.amount, context.token_decimals[mint.token], f"{where}.amount")
        by_token.setdefault(mint.token, []).append((index, recipient, units))
    for symbol, mints in by_token.items():
        key = f"token.{symbol}"
        artifact = plan.contracts[key]
        for part in chunks(len(mints), size):
            batch = [mints[i] for i in part]
            plan.add(
                Step(f"{key}.mint{span(part)}", "call", key, artifact, "batchMint",
                     ([m[1] for m in batch], [m[2] for m in batch]), summary=f"mint to {len(batch)} holder(s)")
            )  # fmt: skip
    for index, coin in enumerate(spec.issuance.stablecoin):
        units = _units(coin.amount, STABLECOIN_DECIMALS, f"issuance.stablecoin[{index}].amount")
        plan.add(
            Step(f"{STABLECOIN}.mint[{index}]", "call", STABLECOIN, "HKDStablecoin", "mint", (coin.to, units),
                 summary=f"mint {coin.amount} HKD to {coin.to}")
        )  # fmt: skip
