// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IInvestorRegistry} from "../../interfaces/IInvestorRegistry.sol";
import {IFundToken} from "../../interfaces/IFundToken.sol";
import {ZeroAddress} from "../../compliance/Errors.sol";
import {RWATokenBase} from "../../token/RWATokenBase.sol";

/// @title hktoken ETF share class
/// @notice The fund's shares: a security token with every compliance feature of RWAToken (KYC registry, rules,
/// freezes, forced transfers, recovery, pause, ERC-7943, ERC-1404), so verified investors trade them on the
/// secondary market exactly as any RWA token, plus an optional management fee paid in new shares. Primary dealing
/// (NAV, forward-priced creation and redemption in creation units) is the `FundAdministrator`'s: it is this
/// token's treasury (where redemption shares are escrowed, an exit every rule allows) and holds its ISSUER_ROLE.
/// @dev State beyond the base lives in the ERC-7201 namespace `hktoken.storage.FundToken`. No transfer hook: a
/// share transfer costs what an RWAToken transfer costs.
contract FundToken is RWATokenBase, IFundToken {
    /// @notice The highest management fee rate accepted at deployment (10% a year).
    uint16 public constant MAX_MANAGEMENT_FEE_BPS = 1_000;

    uint256 private constant _BPS = 10_000;
    uint256 private constant _YEAR = 365 days;

    /// @custom:storage-location erc7201:hktoken.storage.FundToken
    struct FundStorage {
        address managementFeeReceiver;
        uint64 lastManagementFeeAccrual;
    }

    /// @dev keccak256(abi.encode(uint256(keccak256("hktoken.storage.FundToken")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _FUND_SLOT = 0x5c9b79322be34e08de7fd0b7c83e3e6ff2439087f5f49aab56d33f9e8cd08400;

    /// @inheritdoc IFundToken
    uint16 public immutable managementFeeBps;

    /// @notice Deploys the share class.
    /// @param name_ ERC-20 name (also the EIP-712 domain name).
    /// @param symbol_ ERC-20 symbol.
    /// @param decimals_ ERC-20 decimals.
    /// @param registry_ The shared investor registry (immutable).
    /// @param admin Receives DEFAULT_ADMIN_ROLE only.
    /// @param treasury_ The treasury (the fund's `FundAdministrator` once deployed: `setTreasury`).
    /// @param adminModule_ The shared `RWATokenAdmin` module.
    /// @param managementFeeBps_ Yearly management fee in basis points (0: none; at most MAX_MANAGEMENT_FEE_BPS).
    /// @param managementFeeReceiver_ Receives the management fee shares (zero only when there is no fee).
    constructor(
        string memory name_,
        string memory symbol_,
        uint8 decimals_,
        IInvestorRegistry registry_,
        address admin,
        address treasury_,
        address adminModule_,
        uint16 managementFeeBps_,
        address managementFeeReceiver_
    ) RWATokenBase(name_, symbol_, decimals_, registry_, admin, treasury_, adminModule_) {
        if (managementFeeBps_ > MAX_MANAGEMENT_FEE_BPS) {
            revert ManagementFeeTooHigh(managementFeeBps_, MAX_MANAGEMENT_FEE_BPS);
        }
        if (managementFeeBps_ != 0 && managementFeeReceiver_ == address(0)) revert ZeroAddress();
        managementFeeBps = managementFeeBps_;
        FundStorage storage f = _fund();
        f.managementFeeReceiver = managementFeeReceiver_;
        f.lastManagementFeeAccrual = uint64(block.timestamp);
        emit ManagementFeeReceiverChanged(address(0), managementFeeReceiver_);
    }

    /// @inheritdoc IFundToken
    function accrueManagementFee() external returns (uint256 shares) {
        FundStorage storage f = _fund();
        uint64 from = f.lastManagementFeeAccrual;
        if (totalSupply() == 0) {
            f.lastManagementFeeAccrual = uint64(block.timestamp);
            return 0;
        }
        shares = _accrued(from);
        if (shares == 0) return 0;
        f.lastManagementFeeAccrual = uint64(block.timestamp);
        address receiver = f.managementFeeReceiver;
        _mint(receiver, shares);
        emit ManagementFeeAccrued(receiver, shares, from, uint64(block.timestamp));
    }

    /// @inheritdoc IFundToken
    function setManagementFeeReceiver(address receiver) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (receiver == address(0)) revert ZeroAddress();
        FundStorage storage f = _fund();
        emit ManagementFeeReceiverChanged(f.managementFeeReceiver, receiver);
        f.managementFeeReceiver = receiver;
    }

    /// @inheritdoc IFundToken
    function accruedManagementFee() external view returns (uint256 shares) {
        return _accrued(_fund().lastManagementFeeAccrual);
    }

    /// @inheritdoc IFundToken
    function managementFeeReceiver() external view returns (address) {
        return _fund().managementFeeReceiver;
    }

    /// @inheritdoc IFundToken
    function lastManagementFeeAccrual() external view returns (uint64) {
        return _fund().lastManagementFeeAccrual;
    }

    /// @notice ERC-165: the base's interfaces and IFundToken.
    /// @param interfaceId The interface id.
    /// @return True if supported.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IFundToken).interfaceId || super.supportsInterface(interfaceId);
    }

    /// @dev The fee since `from`, rounded down (the holders' favour). totalSupply < 2^128, bps <= 1000 and the
    /// elapsed time < 2^64: the product cannot overflow.
    function _accrued(uint64 from) private view returns (uint256) {
        return totalSupply() * managementFeeBps * (block.timestamp - from) / (_BPS * _YEAR);
    }

    function _fund() private pure returns (FundStorage storage f) {
        assembly ("memory-safe") {
            f.slot := _FUND_SLOT
        }
    }
}
