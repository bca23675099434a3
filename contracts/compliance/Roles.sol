// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Role vocabulary of the hktoken security tokens
/// @notice One role per duty. DEFAULT_ADMIN_ROLE (zero) administers every role, the treasury, the documents and
/// the mint rate limits. The token exposes each as a public constant (`ISSUER_ROLE()`, ...).
library Roles {
    /// @notice Mints and burns (mint, burn, batchMint, batchBurn).
    bytes32 internal constant ISSUER = keccak256("ISSUER_ROLE");
    /// @notice Enforcement agent: freezes, forced transfers, wallet recovery.
    bytes32 internal constant AGENT = keccak256("AGENT_ROLE");
    /// @notice Pauses and unpauses transfers and mints.
    bytes32 internal constant PAUSER = keccak256("PAUSER_ROLE");
    /// @notice Sets the compliance rules (countries, classes, limits, lock-up).
    bytes32 internal constant COMPLIANCE = keccak256("COMPLIANCE_ROLE");
    /// @notice Administers roles, treasury, documents and mint rate limits.
    bytes32 internal constant ADMIN = 0x00;
}
