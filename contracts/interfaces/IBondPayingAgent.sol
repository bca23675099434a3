// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IBondToken} from "./IBondToken.sol";

/// @title The paying agent of an hktoken bond
/// @notice Holds the stablecoin a bond pays in: funders deposit each coupon (in order, once recorded, for exactly the
/// outstanding supply's entitlement) and the principal (once redeemable); holders claim their coupons and redeem;
/// payers push coupons to a list of holders and redeem for them. Nothing is ever paid in part, nothing twice.
interface IBondPayingAgent {
    /// @notice Coupon `index` was funded by `funder`.
    /// @param index The coupon.
    /// @param funder Who deposited.
    /// @param amount Payment-token base units.
    event CouponDeposited(uint256 indexed index, address indexed funder, uint256 amount);
    /// @notice Coupons were paid to `holder`.
    /// @param holder The holder paid.
    /// @param amount Payment-token base units.
    event CouponsPaid(address indexed holder, uint256 amount);
    /// @notice A push payment skipped `holder`; `reason` is the token's revert data (e.g. `HolderFrozen`).
    /// @param holder The holder skipped.
    /// @param reason The ABI-encoded custom error.
    event CouponPaymentSkipped(address indexed holder, bytes reason);
    /// @notice `funder` deposited principal: the whole outstanding supply's at first, then any shortfall.
    /// @param funder Who deposited.
    /// @param amount Payment-token base units.
    event PrincipalDeposited(address indexed funder, uint256 amount);
    /// @notice The principal reserve's surplus over what the outstanding supply needs went back to `funder`.
    /// @param funder The funder paid.
    /// @param amount Payment-token base units.
    event PrincipalSwept(address indexed funder, uint256 amount);
    /// @notice `holder` redeemed: its bonds burned, principal and unpaid coupons paid in one transfer.
    /// @param holder The holder.
    /// @param tokens Bond base units burned.
    /// @param principal Payment-token base units.
    /// @param coupons Payment-token base units.
    event Redeemed(address indexed holder, uint256 tokens, uint256 principal, uint256 coupons);

    /// @notice The bond has no coupon `index`.
    error UnknownCoupon(uint256 index);
    /// @notice Coupon `index` cannot be funded before its record time.
    error CouponNotRecorded(uint256 index, uint256 recordTime);
    /// @notice Coupon `index` is already funded.
    error CouponAlreadyFunded(uint256 index);
    /// @notice Coupons are funded in order: `index` is not the next one (`expected`).
    error CouponOutOfOrder(uint256 index, uint256 expected);
    /// @notice Coupon `index` is dated after the call date: it is never paid.
    error CouponCancelledByCall(uint256 index);
    /// @notice Nothing is owed to `holder`.
    error NothingToClaim(address holder);
    /// @notice `caller` is not the agent itself: `payHolder` is a step of `payCoupons` only.
    error OnlySelf(address caller);
    /// @notice The push ran out of gas paying `holder`: nothing of it is kept (send it with more gas); no holder is
    /// ever skipped for want of gas.
    error PaymentOutOfGas(address holder);
    /// @notice `holder` holds no bonds and is owed nothing (the treasury's bonds are not outstanding: the issuer
    /// burns them).
    error NothingToRedeem(address holder);
    /// @notice `funder` has `available` (the lesser of its balance and its allowance to the agent), below `needed`.
    error InsufficientFunding(address funder, uint256 needed, uint256 available);
    /// @notice The principal reserve (`reserve`) already covers what the outstanding supply needs (`needed`).
    error NoPrincipalShortfall(uint256 needed, uint256 reserve);
    /// @notice The principal reserve (`reserve`) holds nothing above what the outstanding supply needs (`needed`).
    error NoPrincipalSurplus(uint256 needed, uint256 reserve);
    /// @notice Redemption needs the principal funded first.
    error PrincipalNotFunded();
    /// @notice The bond redeems only from `redeemableAt` (maturity, or the call date).
    error BondNotRedeemable(uint256 redeemableAt);
    /// @notice The principal left (`available`) does not cover `needed` (supply came back from the treasury): the
    /// funder funds the shortfall with `fundPrincipal`.
    error InsufficientPrincipal(uint256 needed, uint256 available);

    /// @notice The bond this agent pays.
    /// @return The bond.
    function bond() external view returns (IBondToken);
    /// @notice The stablecoin it pays in.
    /// @return The payment token.
    function paymentToken() external view returns (IERC20);
    /// @notice How many coupons are funded (always the first ones, in order).
    /// @return The count.
    function fundedCoupons() external view returns (uint64);
    /// @notice What funding coupon `index` costs: floor(outstanding supply at its record time * couponPerToken /
    /// 10**decimals), which is at least the sum of every holder's entitlement.
    /// @dev Reverts as `fundCoupon` would (not recorded, already funded, out of order, cancelled by a call).
    /// @param index The coupon.
    /// @return amount Payment-token base units.
    function couponFunding(uint256 index) external view returns (uint256 amount);
    /// @notice The coupon of one whole token, in payment-token base units (denomination * rate / 10,000 /
    /// frequency: exact, as the token's constructor checks).
    /// @return The coupon per token.
    function couponPerToken() external view returns (uint256);
    /// @notice What a claim by `holder` would pay now: its coupons recorded and funded, not yet paid (0 when a claim
    /// would be refused).
    /// @param holder The holder.
    /// @return amount Payment-token base units.
    function claimable(address holder) external view returns (uint256 amount);
    /// @notice How many coupons are recorded now (dated at or before now, and not after a call date), from the
    /// bond's dates and call terms (kept here, out of the token, for the token's size budget).
    /// @return count The count.
    function recordedCoupons() external view returns (uint256 count);
    /// @notice Whether the principal is funded.
    /// @return True once funded.
    function principalFunded() external view returns (bool);
    /// @notice Principal still held for redemptions.
    /// @return Payment-token base units.
    function principalReserve() external view returns (uint256);
    /// @notice What redeeming the whole outstanding supply (supply minus the treasury's balance) costs now:
    /// floor(outstanding * price / 10**decimals), at least the sum of every holder's principal.
    /// @return Payment-token base units.
    function principalNeeded() external view returns (uint256);

    /// @notice When the bond redeems and at what price per whole token.
    /// @return redeemableAt Maturity, or the call date.
    /// @return price Denomination, or the call price (payment-token base units).
    function redemptionTerms() external view returns (uint256 redeemableAt, uint256 price);

    /// @notice Deposits coupon `index` from the caller (FUNDER_ROLE): needs `bond.couponFunding(index)` approved.
    /// @param index The next coupon, recorded.
    function fundCoupon(uint256 index) external;
    /// @notice Deposits principal (FUNDER_ROLE), once the bond is redeemable: first for the whole outstanding supply,
    /// then, whenever the outstanding supply grew (a forced transfer or recovery out of the treasury), exactly the
    /// shortfall `principalNeeded() - principalReserve()`; refused with `NoPrincipalShortfall` when nothing is short.
    function fundPrincipal() external;
    /// @notice Pays the caller (FUNDER_ROLE) the principal reserve above `principalNeeded()` (supply that went back
    /// to the treasury, rounding dust): never what the outstanding supply is owed. Refused with `NoPrincipalSurplus`.
    /// @return amount Payment-token base units.
    function sweepPrincipal() external returns (uint256 amount);
    /// @notice Pays the caller everything recorded and funded it is owed.
    /// @return amount Payment-token base units.
    function claim() external returns (uint256 amount);
    /// @notice Pushes coupons to `holders` (PAYER_ROLE); one that cannot be paid now is skipped with
    /// `CouponPaymentSkipped` and stays owed (nothing owed, frozen, owed an unfunded coupon, or refused by the
    /// payment token: a blocked holder, say; a paused payment token refuses every holder). The others are paid.
    /// A push that runs out of gas on a holder reverts whole (`PaymentOutOfGas`).
    /// @param holders The holders.
    /// @return paid Payment-token base units paid in total.
    function payCoupons(address[] calldata holders) external returns (uint256 paid);
    /// @notice One holder's step of `payCoupons`, which calls it on the agent itself so that a payment the payment
    /// token refuses rolls back that holder's collection alone: collects what `holder` is owed through coupon
    /// `funded` and transfers it. Refused with `OnlySelf` for any other caller.
    /// @param holder The holder.
    /// @param funded The number of funded coupons (`fundedCoupons`).
    /// @return amount Payment-token base units paid.
    function payHolder(address holder, uint256 funded) external returns (uint256 amount);
    /// @notice Redeems all of the caller's bonds: burned, principal and unpaid coupons paid in one transfer.
    /// @return amount Payment-token base units paid.
    function redeem() external returns (uint256 amount);
    /// @notice Redeems for `holders` (PAYER_ROLE), all or nothing.
    /// @param holders The holders.
    /// @return paid Payment-token base units paid in total.
    function redeemFor(address[] calldata holders) external returns (uint256 paid);
}
