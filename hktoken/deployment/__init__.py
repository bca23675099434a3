"""Journaled, resumable deployments from spec files (``hktoken deploy SPEC``); see docs/deployment.md."""

from hktoken.deployment.builders import TOKEN_BUILDERS, PlanContext, compile_plan, token_builder
from hktoken.deployment.journal import Journal, manifest_path
from hktoken.deployment.lookup import contract_address
from hktoken.deployment.plan import Plan, Ref, Step
from hktoken.deployment.runner import Deployer, DeploymentResult, StepResult
from hktoken.deployment.session import deploy_spec

__all__ = [
    "TOKEN_BUILDERS",
    "Deployer",
    "DeploymentResult",
    "Journal",
    "Plan",
    "PlanContext",
    "Ref",
    "Step",
    "StepResult",
    "compile_plan",
    "contract_address",
    "deploy_spec",
    "manifest_path",
    "token_builder",
]
