// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IInvestorRegistry} from "../interfaces/IInvestorRegistry.sol";
import {RWATokenBase} from "./RWATokenBase.sol";

/// @title hktoken real-world-asset token
/// @notice The security token with no asset lifecycle: ERC-20 + EIP-2612 permit, the ERC-3643 feature set,
/// ERC-7943 and ERC-1404, on the shared investor registry. Asset tokens (bond, gold, fund) extend `RWATokenBase`.
/// @dev The constructor grants the admin DEFAULT_ADMIN_ROLE only; the deployer grants ISSUER / AGENT / PAUSER /
/// COMPLIANCE roles.
contract RWAToken is RWATokenBase {
    /// @notice Deploys the token.
    /// @param name_ ERC-20 name (also the EIP-712 domain name).
    /// @param symbol_ ERC-20 symbol.
    /// @param decimals_ ERC-20 decimals.
    /// @param registry_ The shared investor registry (immutable).
    /// @param admin Receives DEFAULT_ADMIN_ROLE only.
    /// @param treasury_ The issuer's treasury.
    /// @param adminModule_ The shared `RWATokenAdmin` module.
    constructor(
        string memory name_,
        string memory symbol_,
        uint8 decimals_,
        IInvestorRegistry registry_,
        address admin,
        address treasury_,
        address adminModule_
    ) RWATokenBase(name_, symbol_, decimals_, registry_, admin, treasury_, adminModule_) {}
}
