// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title hktoken ETF dealing: NAV strikes and forward-priced creation / redemption in creation units
/// @notice Shaped like ERC-7540 (asynchronous requests, per-epoch settlement, a claim per participant, the
/// `pending...Request` / `claimable...Request` views, the request id being the dealing epoch), without being an
/// ERC-4626 vault: the shares are a separate, KYC-gated security token.
interface IFundAdministrator {
    /// @notice One dealing epoch. Requests accumulate while it is open; a published NAV closes it; the strike
    /// settles it at that NAV.
    /// @param subscriptionCash Payment tokens escrowed by the epoch's subscriptions (base units).
    /// @param redemptionShares Shares escrowed by the epoch's redemptions (base units).
    /// @param navPerShare The struck NAV per whole share in payment-token base units (0 until struck).
    /// @param navAsOf The struck NAV's valuation time.
    /// @param struckAt When the epoch was struck (0 until then).
    struct Epoch {
        uint128 subscriptionCash;
        uint128 redemptionShares;
        uint128 navPerShare;
        uint64 navAsOf;
        uint64 struckAt;
    }

    /// @notice A published NAV waiting for its strike.
    /// @param navPerShare NAV per whole share in payment-token base units.
    /// @param asOf Valuation time.
    /// @param publishedAt When it was published.
    /// @param publisher Who published it (who may not confirm it).
    /// @param needsConfirmation It moved more than the bound from the last struck NAV.
    /// @param confirmed A NAV confirmer confirmed it.
    struct PendingNav {
        uint128 navPerShare;
        uint64 asOf;
        uint64 publishedAt;
        address publisher;
        bool needsConfirmation;
        bool confirmed;
    }

    /// @notice An authorized participant asked to subscribe with `cash` in `epoch`.
    /// @param participant The AP.
    /// @param epoch The dealing epoch (the request id).
    /// @param cash Payment tokens escrowed.
    event SubscriptionRequested(address indexed participant, uint256 indexed epoch, uint256 cash);
    /// @notice An authorized participant asked to redeem `shares` in `epoch`.
    /// @param participant The AP.
    /// @param epoch The dealing epoch (the request id).
    /// @param shares Shares escrowed.
    event RedemptionRequested(address indexed participant, uint256 indexed epoch, uint256 shares);
    /// @notice A subscription request was cancelled and its cash returned.
    /// @param participant The AP.
    /// @param epoch The epoch.
    /// @param cash Payment tokens returned.
    event SubscriptionCancelled(address indexed participant, uint256 indexed epoch, uint256 cash);
    /// @notice A redemption request was cancelled and its shares returned.
    /// @param participant The AP.
    /// @param epoch The epoch.
    /// @param shares Shares returned.
    event RedemptionCancelled(address indexed participant, uint256 indexed epoch, uint256 shares);
    /// @notice `epoch` closed: requests from now on fall in the next epoch.
    /// @param epoch The closed epoch.
    /// @param at When it closed (the cut-off).
    event EpochClosed(uint256 indexed epoch, uint64 at);
    /// @notice A NAV was published; it closed `epoch` (or replaced the NAV pending for it).
    /// @param epoch The closed epoch it will settle.
    /// @param navPerShare NAV per whole share (payment-token base units).
    /// @param asOf Valuation time.
    /// @param publisher The fund admin.
    /// @param needsConfirmation Whether a NAV confirmer must confirm it before the strike.
    event NavPublished(
        uint256 indexed epoch, uint256 navPerShare, uint64 asOf, address indexed publisher, bool needsConfirmation
    );
    /// @notice A second person confirmed the pending NAV.
    /// @param epoch The closed epoch.
    /// @param navPerShare The confirmed NAV.
    /// @param confirmer The NAV confirmer.
    event NavConfirmed(uint256 indexed epoch, uint256 navPerShare, address indexed confirmer);
    /// @notice `epoch` was struck at `navPerShare`: its redemption shares were burned and their cash collected.
    /// @param epoch The epoch.
    /// @param navPerShare The NAV.
    /// @param asOf Its valuation time.
    /// @param subscriptionCash The epoch's escrowed subscription cash.
    /// @param redemptionShares The epoch's redeemed shares (burned).
    /// @param redemptionCash Cash collected from the cash account for the redemptions (before fees).
    event EpochStruck(
        uint256 indexed epoch,
        uint256 navPerShare,
        uint64 asOf,
        uint256 subscriptionCash,
        uint256 redemptionShares,
        uint256 redemptionCash
    );
    /// @notice A subscription was settled: shares minted, cost to the cash account, fee paid, remainder refunded.
    /// @param participant The AP.
    /// @param epoch The epoch.
    /// @param shares Shares minted (whole creation units).
    /// @param cost Cash paid to the fund's cash account.
    /// @param fee Subscription fee paid to the fee receiver.
    /// @param refund Cash returned to the AP (what did not buy a whole creation unit).
    event SubscriptionClaimed(
        address indexed participant, uint256 indexed epoch, uint256 shares, uint256 cost, uint256 fee, uint256 refund
    );
    /// @notice A struck subscription whose shares the token refuses to mint to its AP was refunded in full (cost,
    /// fee and remainder alike: no share was issued, and the fund never received the cash).
    /// @param participant The AP (the only possible payee).
    /// @param epoch The epoch.
    /// @param shares The shares the claim would have minted.
    /// @param code The token's ERC-1404 restriction code for that mint.
    /// @param cash Payment tokens returned to the AP: all it escrowed in the epoch.
    /// @param by Who asked for the refund (the AP itself or a fund admin).
    event SubscriptionRefunded(
        address indexed participant, uint256 indexed epoch, uint256 shares, uint8 code, uint256 cash, address by
    );
    /// @notice `settleClaims` skipped a participant.
    /// @param participant The AP.
    /// @param epoch The epoch.
    /// @param code 0: nothing to claim; otherwise the token's ERC-1404 restriction code for the subscription's mint
    /// (the subscription stays open: `refundSubscription` returns its cash).
    event ClaimSkipped(address indexed participant, uint256 indexed epoch, uint8 code);
    /// @notice A redemption was paid.
    /// @param participant The AP.
    /// @param epoch The epoch.
    /// @param shares Shares redeemed.
    /// @param proceeds Gross cash at the struck NAV.
    /// @param fee Redemption fee paid to the fee receiver.
    /// @param paid Cash paid to the AP (proceeds - fee).
    event RedemptionClaimed(
        address indexed participant, uint256 indexed epoch, uint256 shares, uint256 proceeds, uint256 fee, uint256 paid
    );

    /// @notice The caller is not an authorized participant verified in the investor registry.
    /// @param account The caller.
    error ParticipantNotVerified(address account);
    /// @notice The amount is zero.
    error ZeroAmount();
    /// @notice A redemption is not a whole number of creation units.
    /// @param shares The shares asked for.
    /// @param creationUnit The creation unit.
    error NotCreationUnitMultiple(uint256 shares, uint256 creationUnit);
    /// @notice The epoch is not open any more (a NAV closed it): its requests can no longer be cancelled.
    /// @param epoch The epoch.
    /// @param openEpoch The epoch open now.
    error EpochNotOpen(uint256 epoch, uint256 openEpoch);
    /// @notice The epoch has not been struck yet.
    /// @param epoch The epoch.
    error EpochNotStruck(uint256 epoch);
    /// @notice The participant has no such request in the epoch (or already claimed it).
    /// @param participant The AP.
    /// @param epoch The epoch.
    error NoRequest(address participant, uint256 epoch);
    /// @notice The token would mint the subscription's shares to the AP: it must be claimed, not refunded.
    /// @param participant The AP.
    /// @param epoch The epoch.
    /// @param shares The shares the claim mints (zero: the claim refunds all the cash).
    error SubscriptionClaimable(address participant, uint256 epoch, uint256 shares);
    /// @notice The NAV per share is zero or does not fit 128 bits.
    /// @param navPerShare The NAV.
    error InvalidNav(uint256 navPerShare);
    /// @notice The NAV's valuation time is in the future.
    /// @param asOf Its valuation time.
    /// @param now_ The block time.
    error NavFromTheFuture(uint64 asOf, uint256 now_);
    /// @notice The NAV is not newer than the last struck one.
    /// @param asOf Its valuation time.
    /// @param lastAsOf The last struck NAV's valuation time.
    error NavNotNewer(uint64 asOf, uint64 lastAsOf);
    /// @notice The NAV is older than the maximum age (block time - asOf > maxAge).
    /// @param asOf Its valuation time.
    /// @param maxAge The maximum age in seconds.
    error NavStale(uint64 asOf, uint64 maxAge);
    /// @notice The NAV is valued before the cut-off of the epoch it would settle.
    /// @param asOf Its valuation time.
    /// @param cutOff The epoch's cut-off.
    error NavBeforeCutOff(uint64 asOf, uint64 cutOff);
    /// @notice An epoch is already closed and waiting for its strike.
    /// @param epoch The closed epoch.
    error EpochAlreadyClosed(uint256 epoch);
    /// @notice No NAV is waiting for a strike.
    error NoNavPending();
    /// @notice The pending NAV moved more than the bound and no NAV confirmer has confirmed it.
    /// @param navPerShare The pending NAV.
    /// @param lastNavPerShare The last struck NAV.
    error NavNotConfirmed(uint256 navPerShare, uint256 lastNavPerShare);
    /// @notice The NAV's publisher cannot confirm it (four eyes).
    /// @param account The publisher.
    error ConfirmerIsPublisher(address account);
    /// @notice The NAV being confirmed is not the one pending.
    /// @param navPerShare The NAV the confirmer saw.
    /// @param pendingNavPerShare The NAV pending.
    error NavMismatch(uint256 navPerShare, uint256 pendingNavPerShare);
    /// @notice A term is out of range at deployment.
    /// @param term The term's name.
    error InvalidTerm(string term);

    /// @notice Requests a subscription of the whole creation units `cash` buys at the next strike (AP_ROLE, verified).
    /// @dev Escrows `cash` (approve first). At the claim, the most whole creation units the cash pays for with
    /// their fee (cost = units * unitCost, fee = floor(cost * subscriptionFeeBps / 10_000)) are minted; the rest is
    /// refunded.
    /// @param cash Payment tokens (base units).
    /// @return epoch The epoch (request id) the request falls in: the one open now.
    function requestSubscription(uint256 cash) external returns (uint256 epoch);

    /// @notice Requests the redemption of `shares`, a whole number of creation units, at the next strike
    /// (AP_ROLE, verified). Escrows the shares in this contract, the token's treasury (approve first).
    /// @param shares Shares (base units).
    /// @return epoch The epoch (request id).
    function requestRedemption(uint256 shares) external returns (uint256 epoch);

    /// @notice Cancels the caller's subscription in `epoch` while that epoch is open, returning its cash.
    /// @param epoch The epoch.
    /// @return cash Payment tokens returned.
    function cancelSubscription(uint256 epoch) external returns (uint256 cash);

    /// @notice Cancels the caller's redemption in `epoch` while that epoch is open, returning its shares.
    /// @param epoch The epoch.
    /// @return shares Shares returned.
    function cancelRedemption(uint256 epoch) external returns (uint256 shares);

    /// @notice Closes the open epoch at a cut-off, before its NAV is valued (FUND_ADMIN_ROLE): requests from now on
    /// fall in the next epoch, and the NAV that settles this one must be valued at or after the cut-off.
    /// @dev Optional: a publication closes the open epoch itself (its cut-off is then the publication).
    /// @return epoch The closed epoch.
    function closeEpoch() external returns (uint256 epoch);

    /// @notice Publishes a NAV per whole share (FUND_ADMIN_ROLE). The first publication after a strike closes the
    /// open epoch unless `closeEpoch` did (later requests fall in the next one); publishing again before the
    /// strike replaces it.
    /// @param navPerShare NAV per whole share in payment-token base units.
    /// @param asOf Valuation time (not in the future, newer than the last struck NAV, not stale, not before the
    /// cut-off of `closeEpoch`).
    function publishNav(uint256 navPerShare, uint64 asOf) external;

    /// @notice Confirms the pending NAV (NAV_CONFIRMER_ROLE, not its publisher).
    /// @param navPerShare The NAV being confirmed (must be the one pending).
    function confirmNav(uint256 navPerShare) external;

    /// @notice Settles the closed epoch at the pending NAV (FUND_ADMIN_ROLE): O(1) whatever the number of requests.
    /// Accrues the share token's management fee (ignoring a refusal), burns the epoch's redemption shares and
    /// collects their cash from the cash account (which approves this).
    /// @return epoch The struck epoch.
    function strike() external returns (uint256 epoch);

    /// @notice Claims the caller's settled subscription in `epoch`: mints its shares (the mint meets every
    /// compliance rule: the AP must still be eligible), pays the cost and the fee, refunds the rest.
    /// @param epoch The epoch.
    /// @return shares Shares minted.
    function claimSubscription(uint256 epoch) external returns (uint256 shares);

    /// @notice Refunds `participant`'s struck subscription in `epoch` in full, to `participant` only, when the token
    /// refuses to mint its shares to it (`detectTransferRestriction(address(0), participant, shares)` is non-zero:
    /// KYC revoked or expired, frozen, paused, country or class, holder or balance limit, supply cap). The AP itself
    /// or a FUND_ADMIN_ROLE on its behalf. Closes the request: no claim or refund after it.
    /// @dev Refused while the claim's mint would pass (`SubscriptionClaimable`), before the strike
    /// (`EpochNotStruck`) and when nothing is left (`NoRequest`). Pays exactly what the AP escrowed: the strike
    /// moved none of it, and no cost or fee is due for shares never issued.
    /// @param epoch The epoch.
    /// @param participant The AP whose subscription is refunded (and who is paid).
    /// @return cash Payment tokens returned.
    function refundSubscription(uint256 epoch, address participant) external returns (uint256 cash);

    /// @notice Claims the caller's settled redemption in `epoch`: pays its cash, less the fee.
    /// @param epoch The epoch.
    /// @return paid Cash paid to the caller.
    function claimRedemption(uint256 epoch) external returns (uint256 paid);

    /// @notice Settles the struck claims of `participants` in `epoch` for them (FUND_ADMIN_ROLE), exactly as each
    /// would claim: a subscription's shares minted, cost and fee paid, the rest refunded; a redemption's cash paid,
    /// less the fee. One with nothing to claim, or whose shares the token refuses to mint (its subscription stays
    /// open, and refundable), is skipped with `ClaimSkipped`.
    /// @dev Refused before the strike (`EpochNotStruck`). No loop over anything but the list given.
    /// @param epoch The epoch.
    /// @param participants The APs to settle (any order; a repeat finds nothing left and is skipped).
    /// @return settled Claims settled (a participant with a subscription and a redemption counts twice).
    function settleClaims(uint256 epoch, address[] calldata participants) external returns (uint256 settled);
}
