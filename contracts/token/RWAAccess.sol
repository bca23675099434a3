// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title Role vocabulary of RWAToken
/// @notice One role per duty. DEFAULT_ADMIN_ROLE administers every role, the treasury, documents and mint rate limits.
abstract contract RWAAccess is AccessControl {
    /// @notice Mints and burns (mint, burn, batchMint, batchBurn).
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");
    /// @notice Enforcement agent: freezes, forced transfers, wallet recovery.
    bytes32 public constant AGENT_ROLE = keccak256("AGENT_ROLE");
    /// @notice Pauses and unpauses transfers and mints.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @notice Sets the compliance rules (countries, classes, limits, lock-up).
    bytes32 public constant COMPLIANCE_ROLE = keccak256("COMPLIANCE_ROLE");

    /// @notice An address argument is zero.
    error ZeroAddress();
    /// @notice Batch arrays have different lengths.
    error ArrayLengthMismatch();
}
