// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IFundAdministrator} from "../../interfaces/IFundAdministrator.sol";
import {IFundToken} from "../../interfaces/IFundToken.sol";
import {IInvestorRegistry} from "../../interfaces/IInvestorRegistry.sol";
import {IRWAToken} from "../../interfaces/IRWAToken.sol";
import {ZeroAddress} from "../../compliance/Errors.sol";

/// @title hktoken ETF dealing: NAV, epochs, creation and redemption requests, claims
/// @notice The fund's primary market. A fund admin publishes the NAV per share (closing the open dealing epoch),
/// a second person confirms it when it moved more than the bound, and the strike settles the closed epoch at it.
/// Authorized participants (verified investors) subscribe with cash and redeem shares in creation units; each
/// claims its own settlement. Forward pricing: a request is filled at the first NAV published AFTER it was made.
/// @dev Holds the payment token in escrow and ISSUER_ROLE on the share token, whose treasury it is (redemption
/// shares are escrowed here: an exit to the treasury meets every rule of the token, and the treasury is exempt from
/// KYC, so the returned shares of a cancel and the burn need no investor status of this contract). No function
/// loops over requests: an epoch keeps totals, each participant its own request per epoch (the request id is the
/// epoch). Unit prices are rounded to the wei in the fund's favour: a creation unit costs its value rounded UP and
/// redeems for its value rounded DOWN. The dealing fees (a share of the gross) are rounded DOWN, in the
/// participant's favour by less than one base unit: never more than their rate.
contract FundAdministrator is AccessControl, ReentrancyGuardTransient, IFundAdministrator {
    using SafeERC20 for IERC20;

    /// @notice Publishes NAVs and strikes epochs.
    bytes32 public constant FUND_ADMIN_ROLE = keccak256("FUND_ADMIN_ROLE");
    /// @notice Confirms a NAV that moved more than the bound (never its own publication).
    bytes32 public constant NAV_CONFIRMER_ROLE = keccak256("NAV_CONFIRMER_ROLE");
    /// @notice Authorized participant: requests subscriptions and redemptions (granted only to verified wallets).
    bytes32 public constant AP_ROLE = keccak256("AP_ROLE");

    /// @notice The highest subscription or redemption fee (10%).
    uint16 public constant MAX_FEE_BPS = 1_000;
    uint256 private constant _BPS = 10_000;

    /// @notice The fund's share token.
    IRWAToken public immutable shareToken;
    /// @notice The payment token (the HKD stablecoin).
    IERC20 public immutable paymentToken;
    /// @notice The investor registry of the share token (APs must be verified in it).
    IInvestorRegistry public immutable registry;
    /// @notice The fund's cash account: receives subscription cost, pays redemption cash (approves this contract).
    address public immutable cashAccount;
    /// @notice Receives the subscription and redemption fees.
    address public immutable feeReceiver;
    /// @notice Shares per creation unit (base units).
    uint256 public immutable creationUnit;
    /// @notice A NAV older than this (seconds, block time - asOf) cannot be published or struck.
    uint64 public immutable maxNavAge;
    /// @notice A NAV that moves more than this (bps of the last struck NAV) needs a NAV confirmer.
    uint16 public immutable navMoveBoundBps;
    /// @notice Subscription fee, bps of the cost.
    uint16 public immutable subscriptionFeeBps;
    /// @notice Redemption fee, bps of the proceeds.
    uint16 public immutable redemptionFeeBps;
    uint256 private immutable _SHARE_SCALE;

    /// @notice The epoch open for requests (starts at 1).
    uint256 public openEpoch = 1;
    /// @notice The closed epoch waiting for its strike (0: none).
    uint256 public closedEpoch;
    /// @notice The last struck NAV per share (the launch price until the first strike).
    uint128 public lastNavPerShare;
    /// @notice The last struck NAV's valuation time.
    uint64 public lastNavAsOf;
    /// @notice The cut-off of the closed epoch when `closeEpoch` closed it (its NAV must be valued at or after it);
    /// 0 when no epoch is closed or a publication closed it.
    uint64 public cutOffAt;

    PendingNav private _pending;
    mapping(uint256 epoch => Epoch) private _epochs;
    mapping(uint256 epoch => mapping(address participant => Request)) private _requests;

    /// @dev One participant's requests in one epoch (one slot; zeroed by its cancel or claim).
    struct Request {
        uint128 subscriptionCash;
        uint128 redemptionShares;
    }

    /// @notice Deploys the fund's dealing contract.
    /// @param shareToken_ The fund's share token (this contract must become its treasury and hold ISSUER_ROLE).
    /// @param paymentToken_ The payment token.
    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    /// @param cashAccount_ The fund's cash account.
    /// @param feeReceiver_ Receives the dealing fees.
    /// @param creationUnit_ Shares per creation unit (base units).
    /// @param maxNavAge_ Maximum NAV age in seconds.
    /// @param navMoveBoundBps_ NAV move needing confirmation, in bps of the last struck NAV.
    /// @param subscriptionFeeBps_ Subscription fee in bps.
    /// @param redemptionFeeBps_ Redemption fee in bps.
    /// @param initialNavPerShare_ The launch price per whole share: the reference of the first NAV's move.
    constructor(
        IRWAToken shareToken_,
        IERC20 paymentToken_,
        address admin,
        address cashAccount_,
        address feeReceiver_,
        uint256 creationUnit_,
        uint64 maxNavAge_,
        uint16 navMoveBoundBps_,
        uint16 subscriptionFeeBps_,
        uint16 redemptionFeeBps_,
        uint128 initialNavPerShare_
    ) {
        if (admin == address(0) || cashAccount_ == address(0) || feeReceiver_ == address(0)) revert ZeroAddress();
        if (address(shareToken_).code.length == 0) revert InvalidTerm("shareToken");
        if (address(paymentToken_).code.length == 0) revert InvalidTerm("paymentToken");
        if (creationUnit_ == 0 || creationUnit_ > type(uint128).max) revert InvalidTerm("creationUnit");
        if (maxNavAge_ == 0) revert InvalidTerm("maxNavAge");
        if (navMoveBoundBps_ > _BPS) revert InvalidTerm("navMoveBoundBps");
        if (subscriptionFeeBps_ > MAX_FEE_BPS) revert InvalidTerm("subscriptionFeeBps");
        if (redemptionFeeBps_ > MAX_FEE_BPS) revert InvalidTerm("redemptionFeeBps");
        if (initialNavPerShare_ == 0) revert InvalidTerm("initialNavPerShare");
        shareToken = shareToken_;
        paymentToken = paymentToken_;
        registry = shareToken_.registry();
        cashAccount = cashAccount_;
        feeReceiver = feeReceiver_;
        creationUnit = creationUnit_;
        maxNavAge = maxNavAge_;
        navMoveBoundBps = navMoveBoundBps_;
        subscriptionFeeBps = subscriptionFeeBps_;
        redemptionFeeBps = redemptionFeeBps_;
        _SHARE_SCALE = 10 ** IERC20Metadata(address(shareToken_)).decimals();
        lastNavPerShare = initialNavPerShare_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ------------------------------------------------------------------ authorized participants

    /// @inheritdoc IFundAdministrator
    function requestSubscription(uint256 cash) external nonReentrant returns (uint256 epoch) {
        address ap = _verifiedParticipant();
        if (cash == 0) revert ZeroAmount();
        epoch = openEpoch;
        // One checked cast; both 128-bit sums are checked arithmetic.
        _requests[epoch][ap].subscriptionCash += SafeCast.toUint128(cash);
        _epochs[epoch].subscriptionCash += uint128(cash);
        emit SubscriptionRequested(ap, epoch, cash);
        paymentToken.safeTransferFrom(ap, address(this), cash);
    }

    /// @inheritdoc IFundAdministrator
    function requestRedemption(uint256 shares) external nonReentrant returns (uint256 epoch) {
        address ap = _verifiedParticipant();
        if (shares == 0) revert ZeroAmount();
        if (shares % creationUnit != 0) revert NotCreationUnitMultiple(shares, creationUnit);
        epoch = openEpoch;
        _requests[epoch][ap].redemptionShares += SafeCast.toUint128(shares);
        _epochs[epoch].redemptionShares += uint128(shares);
        emit RedemptionRequested(ap, epoch, shares);
        // A transfer to the treasury: every compliance rule of the token applies (pause, freezes, lock-up).
        IERC20(address(shareToken)).safeTransferFrom(ap, address(this), shares);
    }

    /// @inheritdoc IFundAdministrator
    function cancelSubscription(uint256 epoch) external nonReentrant returns (uint256 cash) {
        if (epoch != openEpoch) revert EpochNotOpen(epoch, openEpoch);
        address ap = _msgSender();
        cash = _requests[epoch][ap].subscriptionCash;
        if (cash == 0) revert NoRequest(ap, epoch);
        _requests[epoch][ap].subscriptionCash = 0;
        _epochs[epoch].subscriptionCash -= uint128(cash);
        emit SubscriptionCancelled(ap, epoch, cash);
        paymentToken.safeTransfer(ap, cash);
    }

    /// @inheritdoc IFundAdministrator
    function cancelRedemption(uint256 epoch) external nonReentrant returns (uint256 shares) {
        if (epoch != openEpoch) revert EpochNotOpen(epoch, openEpoch);
        address ap = _msgSender();
        shares = _requests[epoch][ap].redemptionShares;
        if (shares == 0) revert NoRequest(ap, epoch);
        _requests[epoch][ap].redemptionShares = 0;
        _epochs[epoch].redemptionShares -= uint128(shares);
        emit RedemptionCancelled(ap, epoch, shares);
        IERC20(address(shareToken)).safeTransfer(ap, shares);
    }

    /// @inheritdoc IFundAdministrator
    function claimSubscription(uint256 epoch) external nonReentrant returns (uint256 shares) {
        address ap = _msgSender();
        uint256 nav = _struckNav(epoch);
        uint256 cash = _requests[epoch][ap].subscriptionCash;
        if (cash == 0) revert NoRequest(ap, epoch);
        shares = _paySubscription(epoch, ap, cash, nav);
    }

    /// @inheritdoc IFundAdministrator
    function refundSubscription(uint256 epoch, address participant) external nonReentrant returns (uint256 cash) {
        address caller = _msgSender();
        if (caller != participant) _checkRole(FUND_ADMIN_ROLE, caller);
        Epoch storage e = _epochs[epoch];
        if (e.struckAt == 0) revert EpochNotStruck(epoch);
        cash = _requests[epoch][participant].subscriptionCash;
        if (cash == 0) revert NoRequest(participant, epoch);
        (uint256 shares,,,) = _subscriptionFill(cash, e.navPerShare);
        // The claim's own mint, judged by the token's rules; no shares to mint means the claim refunds it all.
        uint8 code = shares == 0 ? 0 : shareToken.detectTransferRestriction(address(0), participant, shares);
        if (code == 0) revert SubscriptionClaimable(participant, epoch, shares);
        _requests[epoch][participant].subscriptionCash = 0;
        emit SubscriptionRefunded(participant, epoch, shares, code, cash, caller);
        // The strike moved no subscription cash: all of it is still escrowed here, so this pays from the escrow only.
        paymentToken.safeTransfer(participant, cash);
    }

    /// @inheritdoc IFundAdministrator
    function claimRedemption(uint256 epoch) external nonReentrant returns (uint256 paid) {
        address ap = _msgSender();
        uint256 nav = _struckNav(epoch);
        uint256 shares = _requests[epoch][ap].redemptionShares;
        if (shares == 0) revert NoRequest(ap, epoch);
        paid = _payRedemption(epoch, ap, shares, nav);
    }

    /// @inheritdoc IFundAdministrator
    function settleClaims(uint256 epoch, address[] calldata participants)
        external
        onlyRole(FUND_ADMIN_ROLE)
        nonReentrant
        returns (uint256 settled)
    {
        uint256 nav = _struckNav(epoch);
        uint256 n = participants.length;
        for (uint256 i; i < n; ++i) {
            address ap = participants[i];
            Request memory r = _requests[epoch][ap];
            if (r.subscriptionCash == 0 && r.redemptionShares == 0) {
                emit ClaimSkipped(ap, epoch, 0);
                continue;
            }
            if (r.subscriptionCash != 0) {
                (uint256 shares,,,) = _subscriptionFill(r.subscriptionCash, nav);
                // The claim's own mint, judged as refundSubscription judges it: a refused one stays open (refundable).
                uint8 code = shares == 0 ? 0 : shareToken.detectTransferRestriction(address(0), ap, shares);
                if (code == 0) {
                    _paySubscription(epoch, ap, r.subscriptionCash, nav);
                    ++settled;
                } else {
                    emit ClaimSkipped(ap, epoch, code);
                }
            }
            if (r.redemptionShares != 0) {
                _payRedemption(epoch, ap, r.redemptionShares, nav);
                ++settled;
            }
        }
    }

    /// @dev The NAV `epoch` was struck at; EpochNotStruck before its strike.
    function _struckNav(uint256 epoch) private view returns (uint256) {
        Epoch storage e = _epochs[epoch];
        if (e.struckAt == 0) revert EpochNotStruck(epoch);
        return e.navPerShare;
    }

    /// @dev Fills `ap`'s subscription of `cash` in `epoch` at `nav`: closes the request, mints the shares, pays the
    /// cost to the cash account and the fee to the fee receiver, refunds the rest to `ap`. Returns the shares.
    function _paySubscription(uint256 epoch, address ap, uint256 cash, uint256 nav) private returns (uint256 shares) {
        _requests[epoch][ap].subscriptionCash = 0;
        uint256 cost;
        uint256 fee;
        uint256 refund;
        (shares, cost, fee, refund) = _subscriptionFill(cash, nav);
        emit SubscriptionClaimed(ap, epoch, shares, cost, fee, refund);
        if (shares != 0) shareToken.mint(ap, shares);
        if (cost != 0) paymentToken.safeTransfer(cashAccount, cost);
        if (fee != 0) paymentToken.safeTransfer(feeReceiver, fee);
        if (refund != 0) paymentToken.safeTransfer(ap, refund);
    }

    /// @dev Pays `ap`'s redemption of `shares` in `epoch` at `nav`: closes the request, pays the proceeds less the
    /// fee to `ap` and the fee to the fee receiver. Returns what `ap` was paid.
    function _payRedemption(uint256 epoch, address ap, uint256 shares, uint256 nav) private returns (uint256 net) {
        _requests[epoch][ap].redemptionShares = 0;
        uint256 proceeds;
        uint256 fee;
        (proceeds, fee, net) = _redemptionProceeds(shares, nav);
        emit RedemptionClaimed(ap, epoch, shares, proceeds, fee, net);
        if (net != 0) paymentToken.safeTransfer(ap, net);
        if (fee != 0) paymentToken.safeTransfer(feeReceiver, fee);
    }

    // ------------------------------------------------------------------ NAV

    /// @inheritdoc IFundAdministrator
    function closeEpoch() external onlyRole(FUND_ADMIN_ROLE) returns (uint256 epoch) {
        if (closedEpoch != 0) revert EpochAlreadyClosed(closedEpoch);
        epoch = _close();
        cutOffAt = uint64(block.timestamp);
    }

    /// @inheritdoc IFundAdministrator
    function publishNav(uint256 navPerShare, uint64 asOf) external onlyRole(FUND_ADMIN_ROLE) {
        if (navPerShare == 0 || navPerShare > type(uint128).max) revert InvalidNav(navPerShare);
        if (asOf > block.timestamp) revert NavFromTheFuture(asOf, block.timestamp);
        if (asOf <= lastNavAsOf) revert NavNotNewer(asOf, lastNavAsOf);
        if (block.timestamp - asOf > maxNavAge) revert NavStale(asOf, maxNavAge);
        if (asOf < cutOffAt) revert NavBeforeCutOff(asOf, cutOffAt);
        uint256 epoch = closedEpoch;
        // Close the open epoch: every request in it was made before this NAV; later ones fall in the next.
        if (epoch == 0) epoch = _close();
        bool needsConfirmation = _movedBeyondBound(navPerShare);
        _pending = PendingNav({
            navPerShare: uint128(navPerShare),
            asOf: asOf,
            publishedAt: uint64(block.timestamp),
            publisher: _msgSender(),
            needsConfirmation: needsConfirmation,
            confirmed: false
        });
        emit NavPublished(epoch, navPerShare, asOf, _msgSender(), needsConfirmation);
    }

    /// @inheritdoc IFundAdministrator
    function confirmNav(uint256 navPerShare) external onlyRole(NAV_CONFIRMER_ROLE) {
        uint256 epoch = closedEpoch;
        PendingNav storage p = _pending;
        if (epoch == 0 || p.publishedAt == 0) revert NoNavPending(); // none closed, or closed by a cut-off only
        if (_msgSender() == p.publisher) revert ConfirmerIsPublisher(_msgSender());
        if (navPerShare != p.navPerShare) revert NavMismatch(navPerShare, p.navPerShare);
        p.confirmed = true;
        emit NavConfirmed(epoch, navPerShare, _msgSender());
    }

    /// @inheritdoc IFundAdministrator
    function strike() external onlyRole(FUND_ADMIN_ROLE) nonReentrant returns (uint256 epoch) {
        epoch = closedEpoch;
        PendingNav memory p = _pending;
        // A cut-off closes an epoch before any NAV is published for it: nothing is pending then either.
        if (epoch == 0 || p.publishedAt == 0) revert NoNavPending();
        if (block.timestamp - p.asOf > maxNavAge) revert NavStale(p.asOf, maxNavAge);
        if (p.needsConfirmation && !p.confirmed) revert NavNotConfirmed(p.navPerShare, lastNavPerShare);
        Epoch storage e = _epochs[epoch];
        e.navPerShare = p.navPerShare;
        e.navAsOf = p.asOf;
        e.struckAt = uint64(block.timestamp);
        lastNavPerShare = p.navPerShare;
        lastNavAsOf = p.asOf;
        cutOffAt = 0;
        closedEpoch = 0;
        delete _pending;
        uint256 shares = e.redemptionShares;
        // Whole creation units at the per-unit proceeds: the sum of the claims is exactly this, to the wei.
        uint256 cash = shares / creationUnit * _unitProceeds(p.navPerShare);
        emit EpochStruck(epoch, p.navPerShare, p.asOf, e.subscriptionCash, shares, cash);
        // The management fee up to now is charged on the supply that was outstanding, before the burn. A refused
        // fee mint (token paused, receiver not eligible) must not stop dealing: the fee keeps accruing and is paid
        // at the next accrual that succeeds.
        try IFundToken(address(shareToken)).accrueManagementFee() {} catch {}
        if (shares != 0) shareToken.burn(address(this), shares);
        if (cash != 0) paymentToken.safeTransferFrom(cashAccount, address(this), cash);
    }

    // ------------------------------------------------------------------ views

    /// @notice A dealing epoch's totals and, once struck, its NAV.
    /// @param epoch The epoch.
    /// @return The epoch.
    function epochOf(uint256 epoch) external view returns (Epoch memory) {
        return _epochs[epoch];
    }

    /// @notice The NAV waiting for its strike (all zero when none).
    /// @return The pending NAV.
    function pendingNav() external view returns (PendingNav memory) {
        return _pending;
    }

    /// @notice ERC-7540 style: cash of `participant`'s subscription in `epoch` not yet struck.
    /// @param epoch The epoch (request id).
    /// @param participant The AP (controller).
    /// @return cash Payment tokens pending.
    function pendingSubscriptionRequest(uint256 epoch, address participant) external view returns (uint256 cash) {
        return _epochs[epoch].struckAt == 0 ? _requests[epoch][participant].subscriptionCash : 0;
    }

    /// @notice ERC-7540 style: cash of `participant`'s struck, unclaimed subscription in `epoch`.
    /// @param epoch The epoch (request id).
    /// @param participant The AP (controller).
    /// @return cash Payment tokens claimable (see `previewSubscriptionClaim` for the fill).
    function claimableSubscriptionRequest(uint256 epoch, address participant) external view returns (uint256 cash) {
        return _epochs[epoch].struckAt == 0 ? 0 : _requests[epoch][participant].subscriptionCash;
    }

    /// @notice ERC-7540 style: shares of `participant`'s redemption in `epoch` not yet struck.
    /// @param epoch The epoch (request id).
    /// @param participant The AP (controller).
    /// @return shares Shares pending.
    function pendingRedemptionRequest(uint256 epoch, address participant) external view returns (uint256 shares) {
        return _epochs[epoch].struckAt == 0 ? _requests[epoch][participant].redemptionShares : 0;
    }

    /// @notice ERC-7540 style: shares of `participant`'s struck, unclaimed redemption in `epoch`.
    /// @param epoch The epoch (request id).
    /// @param participant The AP (controller).
    /// @return shares Shares claimable (see `previewRedemptionClaim` for the cash).
    function claimableRedemptionRequest(uint256 epoch, address participant) external view returns (uint256 shares) {
        return _epochs[epoch].struckAt == 0 ? 0 : _requests[epoch][participant].redemptionShares;
    }

    /// @notice What `claimSubscription(epoch)` would settle for `participant` (zeros before the strike).
    /// @param epoch The epoch.
    /// @param participant The AP.
    /// @return shares Shares to mint.
    /// @return cost Cash to the fund.
    /// @return fee Subscription fee.
    /// @return refund Cash back to the AP.
    function previewSubscriptionClaim(uint256 epoch, address participant)
        external
        view
        returns (uint256 shares, uint256 cost, uint256 fee, uint256 refund)
    {
        uint256 nav = _epochs[epoch].navPerShare;
        if (nav == 0) return (0, 0, 0, 0);
        return _subscriptionFill(_requests[epoch][participant].subscriptionCash, nav);
    }

    /// @notice What `claimRedemption(epoch)` would pay `participant` (zeros before the strike).
    /// @param epoch The epoch.
    /// @param participant The AP.
    /// @return proceeds Gross cash.
    /// @return fee Redemption fee.
    /// @return paid Cash to the AP.
    function previewRedemptionClaim(uint256 epoch, address participant)
        external
        view
        returns (uint256 proceeds, uint256 fee, uint256 paid)
    {
        uint256 nav = _epochs[epoch].navPerShare;
        if (nav == 0) return (0, 0, 0);
        return _redemptionProceeds(_requests[epoch][participant].redemptionShares, nav);
    }

    /// @notice The cash one creation unit costs at `navPerShare` (rounded up; before the subscription fee).
    /// @param navPerShare NAV per whole share.
    /// @return The cost.
    function unitCost(uint256 navPerShare) external view returns (uint256) {
        return _unitCost(navPerShare);
    }

    /// @notice The cash one creation unit redeems for at `navPerShare` (rounded down; before the redemption fee).
    /// @param navPerShare NAV per whole share.
    /// @return The proceeds.
    function unitProceeds(uint256 navPerShare) external view returns (uint256) {
        return _unitProceeds(navPerShare);
    }

    // ------------------------------------------------------------------ internals

    /// @dev AP_ROLE only for wallets verified in the registry (checked again at every request).
    function _grantRole(bytes32 role, address account) internal override returns (bool) {
        if (role == AP_ROLE && !registry.isVerified(account)) revert ParticipantNotVerified(account);
        return super._grantRole(role, account);
    }

    function _close() private returns (uint256 epoch) {
        epoch = openEpoch;
        closedEpoch = epoch;
        openEpoch = epoch + 1;
        emit EpochClosed(epoch, uint64(block.timestamp));
    }

    function _verifiedParticipant() private view returns (address ap) {
        ap = _msgSender();
        _checkRole(AP_ROLE, ap);
        if (!registry.isVerified(ap)) revert ParticipantNotVerified(ap);
    }

    function _movedBeyondBound(uint256 navPerShare) private view returns (bool) {
        uint256 last = lastNavPerShare;
        uint256 move = navPerShare > last ? navPerShare - last : last - navPerShare;
        return move * _BPS > last * navMoveBoundBps;
    }

    /// @dev The most whole units u with u * unitCost + floor(u * unitCost * fee / 10_000) <= cash. The estimate
    /// n = floor(cash * 10_000 / (unitCost * (10_000 + fee))) is affordable (it ignores the fee's rounding down)
    /// and at most one short of the answer (unitCost >= 1), so one more unit is tried. The refund never underflows.
    function _subscriptionFill(uint256 cash, uint256 nav)
        private
        view
        returns (uint256 shares, uint256 cost, uint256 fee, uint256 refund)
    {
        uint256 perUnit = _unitCost(nav);
        uint256 feeBps = subscriptionFeeBps;
        uint256 units = cash * _BPS / (perUnit * (_BPS + feeBps));
        uint256 next = (units + 1) * perUnit;
        if (next + next * feeBps / _BPS <= cash) ++units;
        cost = units * perUnit;
        fee = cost * feeBps / _BPS;
        refund = cash - cost - fee;
        shares = units * creationUnit;
    }

    function _redemptionProceeds(uint256 shares, uint256 nav)
        private
        view
        returns (uint256 proceeds, uint256 fee, uint256 paid)
    {
        proceeds = shares / creationUnit * _unitProceeds(nav);
        fee = proceeds * redemptionFeeBps / _BPS;
        paid = proceeds - fee;
    }

    function _unitCost(uint256 nav) private view returns (uint256) {
        return (creationUnit * nav + _SHARE_SCALE - 1) / _SHARE_SCALE;
    }

    function _unitProceeds(uint256 nav) private view returns (uint256) {
        return creationUnit * nav / _SHARE_SCALE;
    }
}
