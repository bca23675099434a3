// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title hktoken ETF share class: what the share token adds to the security token
/// @notice A management fee accrued by time and paid in new shares to a fee receiver. NAV, dealing epochs,
/// requests and claims live in the fund's `IFundAdministrator`, the token's treasury and issuer.
interface IFundToken {
    /// @notice The management fee for `from`..`to` was paid: `shares` were minted to `receiver`.
    /// @param receiver The management fee receiver.
    /// @param shares Shares minted (base units).
    /// @param from Start of the accrual period (unix time).
    /// @param to End of the accrual period (unix time).
    event ManagementFeeAccrued(address indexed receiver, uint256 shares, uint64 from, uint64 to);
    /// @notice The management fee receiver changed.
    /// @param previous The old receiver.
    /// @param receiver The new receiver.
    event ManagementFeeReceiverChanged(address indexed previous, address indexed receiver);

    /// @notice The management fee rate is above `maxBps`.
    /// @param bps The rate asked for.
    /// @param maxBps The highest rate allowed.
    error ManagementFeeTooHigh(uint256 bps, uint256 maxBps);

    /// @notice Mints the management fee accrued since the last accrual to the fee receiver (anyone may call; O(1)).
    /// @dev shares = totalSupply * managementFeeBps * elapsed / (10_000 * 365 days), rounded down. While the supply
    /// is zero the clock just moves on; a fee that rounds to zero leaves the clock where it is, so frequent calls
    /// can never wipe the accrual out. The mint meets every compliance rule (the receiver must be able to receive).
    /// @return shares Shares minted (0 when nothing is due).
    function accrueManagementFee() external returns (uint256 shares);

    /// @notice The management fee `accrueManagementFee` would mint now.
    /// @return shares Shares (base units).
    function accruedManagementFee() external view returns (uint256 shares);

    /// @notice The yearly management fee rate in basis points (fixed at deployment).
    /// @return The rate.
    function managementFeeBps() external view returns (uint16);

    /// @notice The wallet the management fee is minted to.
    /// @return The receiver.
    function managementFeeReceiver() external view returns (address);

    /// @notice When the management fee was last accrued (unix time).
    /// @return The time.
    function lastManagementFeeAccrual() external view returns (uint64);

    /// @notice Changes the management fee receiver (DEFAULT_ADMIN_ROLE). The fee accrued so far goes to whoever is
    /// the receiver at the next accrual: accrue first to pay the old one.
    /// @param receiver The new receiver.
    function setManagementFeeReceiver(address receiver) external;
}
