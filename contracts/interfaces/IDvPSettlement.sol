// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Delivery-versus-payment settlement of signed trades
/// @notice Two parties sign the same EIP-712 `Trade`; anyone (or the one submitter the trade names) submits the pair,
/// and both legs move in one transaction or neither does: the asset leg through the asset token's own `transferFrom`
/// (every compliance rule of the token applies), the payment leg through the payment token's `transferFrom`.
interface IDvPSettlement {
    /// @notice A trade both parties sign (EIP-712 type `Trade`, field order as here).
    /// @param seller Delivers `assetAmount` of `asset` and receives `paymentAmount` of `payment`.
    /// @param buyer Pays `paymentAmount` of `payment` and receives `assetAmount` of `asset`.
    /// @param asset The security token (any ERC-20; an hktoken asset token enforces its compliance rules).
    /// @param assetAmount The amount delivered, in the asset's base units.
    /// @param payment The payment token (any ERC-20, e.g. the HKD stablecoin).
    /// @param paymentAmount The price, in the payment token's base units.
    /// @param sellerNonce The seller's replay nonce (unordered: any unused value).
    /// @param buyerNonce The buyer's replay nonce (unordered: any unused value).
    /// @param expiry The last block timestamp at which the trade can settle.
    /// @param submitter The only account allowed to submit the trade (a licensed platform), or zero for anyone.
    struct Trade {
        address seller;
        address buyer;
        address asset;
        uint256 assetAmount;
        address payment;
        uint256 paymentAmount;
        uint256 sellerNonce;
        uint256 buyerNonce;
        uint256 expiry;
        address submitter;
    }

    /// @notice An EIP-2612 permit for one leg; skipped when `deadline` is zero. Owner: the leg's payer (seller for
    /// the asset, buyer for the payment); spender: this contract.
    /// @param value The allowance the permit grants.
    /// @param deadline The permit's deadline (zero: no permit for this leg).
    /// @param v Signature recovery id.
    /// @param r Signature r.
    /// @param s Signature s.
    struct Permit {
        uint256 value;
        uint256 deadline;
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    /// @notice Emitted when a trade settled: both legs moved.
    /// @param tradeHash The trade's EIP-712 digest (what both parties signed).
    /// @param seller The seller.
    /// @param buyer The buyer.
    /// @param asset The asset token.
    /// @param assetAmount The amount delivered (asset base units).
    /// @param payment The payment token.
    /// @param paymentAmount The price paid (payment base units).
    event TradeSettled(
        bytes32 indexed tradeHash,
        address indexed seller,
        address indexed buyer,
        address asset,
        uint256 assetAmount,
        address payment,
        uint256 paymentAmount
    );

    /// @notice Emitted when a party cancels one of its nonces: no trade signed with it can settle any more.
    /// @param party The party.
    /// @param nonce The cancelled nonce.
    event NonceCancelled(address indexed party, uint256 nonce);

    /// @notice The trade's expiry has passed.
    /// @param expiry The trade's expiry (block timestamp).
    error TradeExpired(uint256 expiry);
    /// @notice The party's nonce was already used by a settlement or cancelled.
    /// @param party The party.
    /// @param nonce The nonce.
    error NonceAlreadyUsed(address party, uint256 nonce);
    /// @notice The party's signature is malformed or was not made by the party over this trade.
    /// @param party The party whose signature failed.
    error InvalidTradeSignature(address party);
    /// @notice The trade names another submitter.
    /// @param caller The account that submitted.
    /// @param submitter The only account the trade allows to submit it.
    error UnauthorizedSubmitter(address caller, address submitter);
    /// @notice The seller and the buyer are the same account.
    /// @param party The account.
    error SelfTrade(address party);
    /// @notice A leg of the trade moves nothing.
    /// @param token The token of the empty leg.
    error EmptyLeg(address token);

    /// @notice Settles a trade both parties signed: the asset leg, then the payment leg, or neither.
    /// @dev Needs the allowances: the seller's on the asset, the buyer's on the payment token (spender: this
    /// contract). A refusal of either token reverts the whole settlement with that token's own error
    /// (`TransferRestricted(from, to, amount, code)` for an hktoken asset). Signatures: 65 bytes, 64 bytes
    /// (EIP-2098 compact), or ERC-1271 for a party that is a contract.
    /// @param trade The trade.
    /// @param sellerSignature The seller's signature of the trade's EIP-712 digest.
    /// @param buyerSignature The buyer's signature of the trade's EIP-712 digest.
    function settle(Trade calldata trade, bytes calldata sellerSignature, bytes calldata buyerSignature) external;

    /// @notice Applies the permits given (asset: the seller's, payment: the buyer's), then settles as `settle`.
    /// @dev A permit that fails (already used, front-run, expired) is ignored: the settlement then relies on the
    /// allowance already there, and reverts with the token's own error if it is short.
    /// @param trade The trade.
    /// @param sellerSignature The seller's signature of the trade.
    /// @param buyerSignature The buyer's signature of the trade.
    /// @param assetPermit The seller's EIP-2612 permit on the asset (deadline zero: none).
    /// @param paymentPermit The buyer's EIP-2612 permit on the payment token (deadline zero: none).
    function settleWithPermits(
        Trade calldata trade,
        bytes calldata sellerSignature,
        bytes calldata buyerSignature,
        Permit calldata assetPermit,
        Permit calldata paymentPermit
    ) external;

    /// @notice Cancels one of the caller's nonces: every trade signed with it can no longer settle.
    /// @param nonce The nonce.
    function cancel(uint256 nonce) external;

    /// @notice The EIP-712 digest of a trade: what each party signs.
    /// @param trade The trade.
    /// @return The digest.
    function hashTrade(Trade calldata trade) external view returns (bytes32);

    /// @notice Whether a party's nonce was used or cancelled.
    /// @param party The party.
    /// @param nonce The nonce.
    /// @return True if it can no longer be used.
    function isNonceUsed(address party, uint256 nonce) external view returns (bool);

    /// @notice One word of a party's nonce bitmap: bit `n` is nonce `256 * wordPosition + n` (1 = used).
    /// @param party The party.
    /// @param wordPosition The word (nonce >> 8).
    /// @return The 256 bits.
    function nonceBitmap(address party, uint256 wordPosition) external view returns (uint256);
}
