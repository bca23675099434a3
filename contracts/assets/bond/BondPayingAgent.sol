// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IBondPayingAgent} from "../../interfaces/IBondPayingAgent.sol";
import {IBondToken} from "../../interfaces/IBondToken.sol";

/// @title The paying agent of a BondToken (created by the token's constructor)
/// @notice The money side of the bond, kept out of the token for its size budget: it holds the stablecoin and the
/// count of funded coupons, and is the only caller of the token's `collectCoupons`. The token decides every
/// holder's amount (from its balance word) and keeps the outstanding-supply checkpoints a coupon's funding is
/// computed from. Every payment moves in full or not at all.
/// @dev Checks, then the token's effects, then the stablecoin transfer (SafeERC20), under a transient reentrancy
/// guard. A coupon claim costs the same whatever the number of holders or of coupons it covers.
contract BondPayingAgent is AccessControl, ReentrancyGuardTransient, IBondPayingAgent {
    using SafeERC20 for IERC20;

    /// @notice Deposits coupons and the principal (the issuer's treasury desk, or its paying bank).
    bytes32 public constant FUNDER_ROLE = keccak256("FUNDER_ROLE");
    /// @notice Pushes coupons to holders and redeems for them (a custodian or the paying agent's operator).
    bytes32 public constant PAYER_ROLE = keccak256("PAYER_ROLE");

    /// @inheritdoc IBondPayingAgent
    IBondToken public immutable bond;
    /// @inheritdoc IBondPayingAgent
    IERC20 public immutable paymentToken;
    uint256 private immutable _UNIT;

    /// @inheritdoc IBondPayingAgent
    uint64 public fundedCoupons;
    /// @inheritdoc IBondPayingAgent
    bool public principalFunded;
    /// @inheritdoc IBondPayingAgent
    uint256 public principalReserve;

    /// @notice Created by `bond_`'s constructor.
    /// @param bond_ The bond (under construction: not called here).
    /// @param paymentToken_ The stablecoin.
    /// @param bondDecimals The bond's decimals.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants FUNDER_ROLE and PAYER_ROLE).
    constructor(IBondToken bond_, IERC20 paymentToken_, uint8 bondDecimals, address admin) {
        bond = bond_;
        paymentToken = paymentToken_;
        _UNIT = 10 ** bondDecimals;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IBondPayingAgent
    function fundCoupon(uint256 index) external onlyRole(FUNDER_ROLE) nonReentrant {
        uint256 amount = couponFunding(index); // refuses early, double, out-of-order and cancelled coupons
        address funder = _msgSender();
        _checkFunds(funder, amount);
        fundedCoupons = uint64(index + 1);
        paymentToken.safeTransferFrom(funder, address(this), amount);
        emit CouponDeposited(index, funder, amount);
    }

    /// @inheritdoc IBondPayingAgent
    function fundPrincipal() external onlyRole(FUNDER_ROLE) nonReentrant {
        (uint256 redeemableAt,) = redemptionTerms();
        if (block.timestamp < redeemableAt) revert BondNotRedeemable(redeemableAt);
        uint256 needed = principalNeeded();
        uint256 reserve = principalReserve;
        // The first deposit is always taken (even for nothing outstanding); later ones only fund a shortfall.
        if (principalFunded && needed <= reserve) revert NoPrincipalShortfall(needed, reserve);
        uint256 amount = needed > reserve ? needed - reserve : 0;
        address funder = _msgSender();
        _checkFunds(funder, amount);
        principalFunded = true;
        principalReserve = reserve + amount;
        paymentToken.safeTransferFrom(funder, address(this), amount);
        emit PrincipalDeposited(funder, amount);
    }

    /// @inheritdoc IBondPayingAgent
    function sweepPrincipal() external onlyRole(FUNDER_ROLE) nonReentrant returns (uint256 amount) {
        if (!principalFunded) revert PrincipalNotFunded();
        uint256 needed = principalNeeded();
        uint256 reserve = principalReserve;
        if (reserve <= needed) revert NoPrincipalSurplus(needed, reserve);
        unchecked {
            // needed < reserve checked above.
            amount = reserve - needed;
        }
        principalReserve = needed;
        address funder = _msgSender();
        paymentToken.safeTransfer(funder, amount);
        emit PrincipalSwept(funder, amount);
    }

    /// @inheritdoc IBondPayingAgent
    function claim() external nonReentrant returns (uint256 amount) {
        address holder = _msgSender();
        (, amount) = bond.collectCoupons(holder, fundedCoupons, false);
        if (amount == 0) revert NothingToClaim(holder);
        paymentToken.safeTransfer(holder, amount);
        emit CouponsPaid(holder, amount);
    }

    /// @inheritdoc IBondPayingAgent
    /// @dev Each holder is paid in a call to `payHolder` on this contract, under try/catch: a refusal by the token
    /// (frozen) or by the payment token (blocked) reverts that call alone, and is emitted as the skip's reason. A
    /// step that ran out of gas hands back only the reserves EIP-150 kept in each frame (1/64 of what each had), a
    /// refusal most of what it was given: a catch left with under 1/8 of the gas the step started with reverts the
    /// push (`PaymentOutOfGas`) rather than skip a holder for want of gas (sound to 7 nested calls in the step).
    function payCoupons(address[] calldata holders) external onlyRole(PAYER_ROLE) nonReentrant returns (uint256 paid) {
        uint256 n = holders.length;
        uint256 funded = fundedCoupons;
        for (uint256 i; i < n; ++i) {
            address holder = holders[i];
            uint256 gasAtStep = gasleft();
            try this.payHolder(holder, funded) returns (uint256 amount) {
                paid += amount;
                emit CouponsPaid(holder, amount);
            } catch (bytes memory reason) {
                if (gasleft() < gasAtStep / 8) revert PaymentOutOfGas(holder);
                emit CouponPaymentSkipped(holder, reason);
            }
        }
    }

    /// @inheritdoc IBondPayingAgent
    function payHolder(address holder, uint256 funded) external returns (uint256 amount) {
        if (msg.sender != address(this)) revert OnlySelf(msg.sender);
        (, amount) = bond.collectCoupons(holder, funded, false);
        if (amount == 0) revert NothingToClaim(holder);
        paymentToken.safeTransfer(holder, amount);
    }

    /// @inheritdoc IBondPayingAgent
    function redeem() external nonReentrant returns (uint256 amount) {
        (, uint256 price) = redemptionTerms();
        return _redeem(_msgSender(), price);
    }

    /// @inheritdoc IBondPayingAgent
    function redeemFor(address[] calldata holders) external onlyRole(PAYER_ROLE) nonReentrant returns (uint256 paid) {
        (, uint256 price) = redemptionTerms();
        uint256 n = holders.length;
        for (uint256 i; i < n; ++i) {
            paid += _redeem(holders[i], price);
        }
    }

    /// @inheritdoc IBondPayingAgent
    function couponFunding(uint256 index) public view returns (uint256 amount) {
        uint256[] memory dates = bond.couponDates();
        if (index >= dates.length) revert UnknownCoupon(index);
        uint256 funded = fundedCoupons;
        if (index < funded) revert CouponAlreadyFunded(index);
        if (index != funded) revert CouponOutOfOrder(index, funded);
        uint256 date = dates[index];
        (bool called, uint256 callDate,) = bond.callTerms();
        if (called && date > callDate) revert CouponCancelledByCall(index);
        if (block.timestamp < date) revert CouponNotRecorded(index, date);
        return bond.outstandingAtRecord(index) * couponPerToken() / _UNIT;
    }

    /// @inheritdoc IBondPayingAgent
    function recordedCoupons() external view returns (uint256 count) {
        uint256[] memory dates = bond.couponDates();
        (bool called, uint256 callDate,) = bond.callTerms();
        uint256 cutoff = called && callDate < block.timestamp ? callDate : block.timestamp;
        uint256 hi = dates.length;
        while (count < hi) {
            // A binary search over the increasing dates, as the token's own count.
            uint256 mid = (count + hi) >> 1;
            if (dates[mid] <= cutoff) count = mid + 1;
            else hi = mid;
        }
    }

    /// @inheritdoc IBondPayingAgent
    function couponPerToken() public view returns (uint256) {
        return bond.denomination() * bond.couponRate() / (10_000 * bond.couponFrequency());
    }

    /// @inheritdoc IBondPayingAgent
    function claimable(address holder) external view returns (uint256 amount) {
        return bond.pendingCoupons(holder, fundedCoupons);
    }

    /// @inheritdoc IBondPayingAgent
    function principalNeeded() public view returns (uint256) {
        (, uint256 price) = redemptionTerms();
        return (bond.totalSupply() - bond.balanceOf(bond.treasury())) * price / _UNIT;
    }

    /// @inheritdoc IBondPayingAgent
    function redemptionTerms() public view returns (uint256 redeemableAt, uint256 price) {
        (bool called, uint256 callDate, uint256 callPrice) = bond.callTerms();
        return called ? (callDate, callPrice) : (bond.maturityDate(), bond.denomination());
    }

    function _redeem(address holder, uint256 price) private returns (uint256 amount) {
        if (!principalFunded) revert PrincipalNotFunded();
        if (holder == bond.treasury()) revert NothingToRedeem(holder);
        (uint256 tokens, uint256 coupons) = bond.collectCoupons(holder, fundedCoupons, true);
        if (tokens == 0 && coupons == 0) revert NothingToRedeem(holder);
        uint256 principal = tokens * price / _UNIT;
        uint256 reserve = principalReserve;
        if (principal > reserve) revert InsufficientPrincipal(principal, reserve);
        unchecked {
            // principal <= reserve checked above.
            principalReserve = reserve - principal;
        }
        amount = principal + coupons;
        paymentToken.safeTransfer(holder, amount);
        emit Redeemed(holder, tokens, principal, coupons);
    }

    function _checkFunds(address funder, uint256 needed) private view {
        uint256 balance = paymentToken.balanceOf(funder);
        uint256 allowance = paymentToken.allowance(funder, address(this));
        uint256 available = balance < allowance ? balance : allowance;
        if (available < needed) revert InsufficientFunding(funder, needed, available);
    }
}
