// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRWAToken} from "./IRWAToken.sol";

/// @title hktoken fixed-rate bond (ERC-7092-style terms on the compliance token)
/// @notice The bond's terms are fixed at deployment and readable here; coupons accrue per holder in the holder's
/// balance word and are paid, with the principal, by the bond's paying agent (`IBondPayingAgent`), created with the
/// token and the only caller of `collectCoupons`. Amounts of money are in base units of the payment token.
interface IBondToken is IRWAToken {
    /// @notice The issuer called the bond early.
    /// @param callDate From this time transfers and mints stop and the bond redeems at `callPrice`.
    /// @param callPrice Paid per whole token at redemption (payment-token base units).
    event BondCalled(uint64 callDate, uint256 callPrice);
    /// @notice The paying agent collected `holder`'s coupons (and, on redemption, burned its bonds) to pay them in
    /// the same transaction.
    /// @param holder The holder.
    /// @param tokensBurned Bond base units burned for redemption (0 for a coupon payment).
    /// @param coupons Payment-token base units collected.
    /// @param settledThrough The holder's coupons before this index are now paid.
    event CouponsCollected(address indexed holder, uint256 tokensBurned, uint256 coupons, uint256 settledThrough);

    /// @notice The terms are inconsistent (checked at deployment): `reason` names the term.
    error InvalidBondTerms(string reason);
    /// @notice Only the bond's paying agent may collect accruals.
    error NotPayingAgent(address caller);
    /// @notice The holder's accrual includes a coupon recorded but not yet funded (`funded` coupons are).
    error CouponNotFunded(uint256 funded);
    /// @notice `holder` is frozen: its coupons accrue but cannot be paid until the freeze is lifted (and a holder with
    /// a frozen amount cannot redeem until it is released).
    error HolderFrozen(address holder);
    /// @notice The bond is already called.
    error BondAlreadyCalled(uint256 callDate);
    /// @notice The call date must be at least the minimum notice away (`earliest`) and before maturity.
    error InvalidCallDate(uint256 callDate, uint256 earliest, uint256 maturityDate);
    /// @notice The call price must be positive.
    error InvalidCallPrice();

    /// @notice ERC-7092: the ISIN (ISO 6166), 12 characters.
    /// @return The ISIN.
    function isin() external view returns (string memory);
    /// @notice ERC-7092: the currency of payment, as its token.
    /// @return The payment token.
    function currency() external view returns (address);
    /// @notice The ISO 4217 code of the currency ("HKD").
    /// @return The three-letter code.
    function currencyCode() external view returns (bytes3);
    /// @notice ERC-7092: face value of one whole token, in payment-token base units.
    /// @return The denomination.
    function denomination() external view returns (uint256);
    /// @notice ERC-7092: the annual coupon rate, in basis points.
    /// @return The rate.
    function couponRate() external view returns (uint256);
    /// @notice ERC-7092: coupons per year (1, 2, 4 or 12).
    /// @return The frequency.
    function couponFrequency() external view returns (uint256);
    /// @notice ERC-7092: issue date (unix time).
    /// @return The issue date.
    function issueDate() external view returns (uint256);
    /// @notice ERC-7092: maturity date (unix time).
    /// @return The maturity date.
    function maturityDate() external view returns (uint256);
    /// @notice The coupon record dates (unix times, increasing); a holder's entitlement is fixed at each.
    /// @return The dates.
    function couponDates() external view returns (uint256[] memory);
    /// @notice Minimum notice of an early call, in seconds.
    /// @return The notice.
    function minCallNotice() external view returns (uint256);
    /// @notice The paying agent created with the token (holds PAYING_AGENT_ROLE and the stablecoin).
    /// @return The paying agent.
    function payingAgent() external view returns (address);
    /// @notice Supply outside the treasury at the record time of coupon `index` (from the checkpoints): what its
    /// funding covers.
    /// @param index The coupon.
    /// @return The outstanding supply (bond base units).
    function outstandingAtRecord(uint256 index) external view returns (uint256);
    /// @notice What collecting `holder`'s coupons through the first `limit` coupons would pay now (0 when it
    /// would be refused: frozen, or owed a coupon beyond `limit`).
    /// @param holder The holder.
    /// @param limit Coupons funded.
    /// @return amount Payment-token base units.
    function pendingCoupons(address holder, uint256 limit) external view returns (uint256 amount);
    /// @notice The call, if any.
    /// @return called Whether the bond is called.
    /// @return callDate The call date (0 when not called).
    /// @return callPrice The price per whole token (0 when not called).
    function callTerms() external view returns (bool called, uint256 callDate, uint256 callPrice);

    /// @notice Calls the bond early (CALLER_ROLE): from `callDate` transfers stop and the bond redeems at `callPrice`;
    /// coupons dated after `callDate` are never paid.
    /// @param callDate At least `minCallNotice` from now and before maturity.
    /// @param callPrice Per whole token, payment-token base units (> 0).
    function callBond(uint64 callDate, uint256 callPrice) external;
    /// @notice Settles `holder`'s accrual through min(recorded, `limit`) coupons and zeroes what it is owed, burning
    /// all its bonds first when `redeem` (the paying agent only, which pays the amounts in the same transaction).
    /// @param holder The holder (not frozen).
    /// @param limit Coupons funded: refused with `CouponNotFunded` if the accrual already includes a later one.
    /// @param redeem Whether to burn the holder's bonds for redemption.
    /// @return tokens Bond base units burned.
    /// @return coupons Payment-token base units owed.
    function collectCoupons(address holder, uint256 limit, bool redeem)
        external
        returns (uint256 tokens, uint256 coupons);
}
