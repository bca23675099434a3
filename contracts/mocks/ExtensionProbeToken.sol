// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IInvestorRegistry} from "../interfaces/IInvestorRegistry.sol";
import {RestrictionCodes} from "../compliance/RestrictionCodes.sol";
import {RWATokenBase} from "../token/RWATokenBase.sol";

/// @title Extension probe (tests only)
/// @notice The smallest asset token on `RWATokenBase`, made for the test that proves the base is open for
/// extension with no change to the core: one asset rule (after `closesAt`, holder transfers and mints stop with
/// code 64) through `_assetRestrictionCode`, and one per-holder counter (balance changes seen) kept in the
/// holder's balance word through `_onHolderUpdate`. Never deploy for real assets.
contract ExtensionProbeToken is RWATokenBase {
    /// @notice The probe's restriction code: the asset is closed.
    uint8 public constant ASSET_CLOSED = RestrictionCodes.ASSET_CODES_START;

    /// @notice After this time transfers and mints are refused with `ASSET_CLOSED`.
    uint64 public immutable closesAt;

    /// @notice Deploys the probe.
    /// @param registry_ The investor registry.
    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    /// @param treasury_ The treasury.
    /// @param adminModule_ The shared administration module.
    /// @param closesAt_ When the asset closes (unix time).
    constructor(IInvestorRegistry registry_, address admin, address treasury_, address adminModule_, uint64 closesAt_)
        RWATokenBase("Extension Probe", "PROBE", 18, registry_, admin, treasury_, adminModule_)
    {
        closesAt = closesAt_;
    }

    /// @notice How many balance changes `account` has seen (the per-holder counter).
    /// @param account The holder.
    /// @return The count.
    function balanceChanges(address account) external view returns (uint256) {
        return _holderData(account);
    }

    function _assetRestrictionCode(uint8 op, address from, address to, uint256 amount)
        internal
        view
        override
        returns (uint8)
    {
        if ((op == OP_TRANSFER || op == OP_MINT) && block.timestamp >= closesAt) return ASSET_CLOSED;
        return super._assetRestrictionCode(op, from, to, amount);
    }

    function _assetRestrictionMessage(uint8 code) internal view override returns (string memory) {
        if (code == ASSET_CLOSED) return "asset closed";
        return super._assetRestrictionMessage(code);
    }

    function _onHolderUpdate(address account, uint256 balanceBefore, uint256 balanceAfter, uint256 data)
        internal
        override
        returns (uint256)
    {
        return super._onHolderUpdate(account, balanceBefore, balanceAfter, data + 1);
    }
}
