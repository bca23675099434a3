// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IInvestorRegistry} from "../../interfaces/IInvestorRegistry.sol";
import {IGoldCustodian} from "../../interfaces/IGoldCustodian.sol";
import {RestrictionCodes} from "../../compliance/RestrictionCodes.sol";
import {RWATokenBase} from "../../token/RWATokenBase.sol";

/// @title Tokenized gold: 1 token = 1 fine troy ounce (18 decimals), in the manner of PAXG
/// @notice The security token of `RWATokenBase` (KYC, rules, freezes, forced transfer, recovery, pause, ERC-7943,
/// ERC-1404) whose supply can never exceed the gold in custody: a mint that would take the supply above the
/// custodian's reserve (the fine weight of the bars listed in `GoldCustodian`) is refused with restriction code
/// 72, and, when the custodian sets a maximum attestation age, any mint while the latest attestation is older is
/// refused with code 73; `mint`, `batchMint`, `detectTransferRestriction(0, to, amount)` and
/// `canTransfer(0, to, amount)` agree. Bar removals are checked on the custodian's side. Transfers are exactly
/// RWAToken's.
/// @dev The bar list, attestations and redemption desk live in the custodian (`GoldCustodian`, the token's treasury,
/// so a holder can always exit into redemption escrow). Token and custodian are bound to each other for life: the
/// custodian names this token (immutable) and this constructor checks it, so no second token can mint against
/// the same bars. A mint pays one external view (`custodian.mintReserve()`: a cold account and one cold slot).
contract GoldToken is RWATokenBase {
    /// @notice Restriction code: the mint would take the supply above the gold reserve.
    uint8 public constant MINT_EXCEEDS_RESERVE = RestrictionCodes.ASSET_CODES_START + 8;
    /// @notice Restriction code: the reserve's latest attestation is older than the custodian's maximum age.
    uint8 public constant ATTESTATION_STALE = RestrictionCodes.ASSET_CODES_START + 9;

    /// @notice The custodian whose bars back this token (fixed at deployment).
    IGoldCustodian public immutable custodian;

    /// @notice Gold is counted to 18 decimals (1 token = 1 fine troy ounce): other decimals are refused.
    /// @param decimals The decimals given.
    error GoldDecimals(uint8 decimals);
    /// @notice The custodian has no code, or backs another token.
    /// @param custodian The custodian given.
    error GoldCustodianMismatch(address custodian);

    /// @notice Deploys the token (deploy its `GoldCustodian` first, naming this token's address).
    /// @param name_ ERC-20 name (also the EIP-712 domain name).
    /// @param symbol_ ERC-20 symbol.
    /// @param decimals_ ERC-20 decimals: must be 18.
    /// @param registry_ The shared investor registry (immutable).
    /// @param admin Receives DEFAULT_ADMIN_ROLE only.
    /// @param treasury_ The issuer's treasury: the custodian, so redemption escrow works for every holder.
    /// @param adminModule_ The shared `RWATokenAdmin` module.
    /// @param custodian_ The custodian, whose `token()` must be this token.
    constructor(
        string memory name_,
        string memory symbol_,
        uint8 decimals_,
        IInvestorRegistry registry_,
        address admin,
        address treasury_,
        address adminModule_,
        IGoldCustodian custodian_
    ) RWATokenBase(name_, symbol_, decimals_, registry_, admin, treasury_, adminModule_) {
        if (decimals_ != 18) revert GoldDecimals(decimals_);
        if (address(custodian_).code.length == 0 || custodian_.token() != address(this)) {
            revert GoldCustodianMismatch(address(custodian_));
        }
        custodian = custodian_;
    }

    /// @dev Code 73 for a mint while the reserve's attestation is stale (when the custodian sets a maximum age), code
    /// 72 for a mint beyond the reserve. A view that never reverts: a failing reserve call counts as no reserve.
    function _assetRestrictionCode(uint8 op, address from, address to, uint256 amount)
        internal
        view
        override
        returns (uint8)
    {
        if (op == OP_MINT && amount != 0) {
            (uint256 headroom, bool attested) = _mintHeadroom();
            if (!attested) return ATTESTATION_STALE;
            if (amount > headroom) return MINT_EXCEEDS_RESERVE;
        }
        return super._assetRestrictionCode(op, from, to, amount);
    }

    function _assetRestrictionMessage(uint8 code) internal view override returns (string memory) {
        if (code == MINT_EXCEEDS_RESERVE) return "mint exceeds gold reserve";
        if (code == ATTESTATION_STALE) return "gold reserve attestation stale";
        return super._assetRestrictionMessage(code);
    }

    /// @dev How much may still be minted (reserve minus supply, 0 if the reserve is short) and whether the reserve's
    /// attestation is recent enough: one STATICCALL of `custodian.mintReserve()` in assembly, so no revert can escape
    /// the hook; a failed call reads as no reserve.
    function _mintHeadroom() private view returns (uint256 headroom, bool attested) {
        uint256 supply = totalSupply();
        address source = address(custodian);
        bytes4 selector = IGoldCustodian.mintReserve.selector;
        assembly ("memory-safe") {
            mstore(0x00, selector)
            if and(staticcall(gas(), source, 0x00, 0x04, 0x00, 0x40), gt(returndatasize(), 0x3f)) {
                let reserve_ := mload(0x00)
                attested := iszero(iszero(mload(0x20)))
                if gt(reserve_, supply) { headroom := sub(reserve_, supply) }
            }
        }
    }
}
