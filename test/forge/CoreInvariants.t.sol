// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Base} from "./Base.sol";
import {InvestorRegistry} from "../../contracts/compliance/InvestorRegistry.sol";
import {RWAToken} from "../../contracts/token/RWAToken.sol";
import {RWATokenAdmin} from "../../contracts/token/RWATokenAdmin.sol";
import {IInvestorRegistry} from "../../contracts/interfaces/IInvestorRegistry.sol";

/// @dev What a batch is compared on: every wallet's balance, frozen amount and address freeze, the supply, the
/// holder count and the rate-limited issuer's allowance.
struct CoreState {
    uint256[7] balances;
    uint256[7] frozen;
    bool[7] addressFrozen;
    uint256 supply;
    uint256 holders;
    uint256 limitedAllowance;
}

/// @notice Runs a batch's legs one by one, as the single operations they stand for, then reverts with the state they
/// left (so nothing it did persists): the handler compares the batch to it. Not a fuzz target (the suite names only
/// the handler). A transfer leg is also judged against `canTransfer` in the state the earlier legs left.
contract CoreBatchSimulator is Base {
    uint8 internal constant TRANSFER = 0;
    uint8 internal constant MINT = 1;
    uint8 internal constant BURN = 2;
    uint8 internal constant FORCED = 3;
    uint8 internal constant SET_FROZEN = 4;
    uint8 internal constant FREEZE = 5;
    uint8 internal constant UNFREEZE = 6;

    /// @notice The legs' outcome: whether every leg went through, the first leg that disagreed with `canTransfer`
    /// (empty if none), and the state after the legs.
    error Simulated(bool allOk, string mismatch, CoreState state);

    RWAToken public immutable token;
    address public immutable limitedIssuer;
    address[7] internal _wallets;

    constructor(RWAToken token_, address[7] memory wallets_, address limitedIssuer_) {
        token = token_;
        _wallets = wallets_;
        limitedIssuer = limitedIssuer_;
    }

    function state() public view returns (CoreState memory st) {
        for (uint256 i; i < 7; ++i) {
            st.balances[i] = token.balanceOf(_wallets[i]);
            st.frozen[i] = token.getFrozenTokens(_wallets[i]);
            st.addressFrozen[i] = token.isFrozen(_wallets[i]);
        }
        st.supply = token.totalSupply();
        st.holders = token.holderCount();
        st.limitedAllowance = token.mintAllowance(limitedIssuer);
    }

    /// @dev `caller` makes every leg (the holder for transfers, an issuer or the agent for the rest); always reverts.
    function run(
        uint8 kind,
        address caller,
        address[] calldata from,
        address[] calldata to,
        uint256[] calldata amounts,
        bool[] calldata flags
    ) external {
        bool allOk = true;
        string memory mismatch;
        for (uint256 i; i < to.length && allOk; ++i) {
            bool ok;
            if (kind == TRANSFER) {
                bool predicted = token.canTransfer(caller, to[i], amounts[i]) && amounts[i] <= token.balanceOf(caller);
                vm.prank(caller);
                try token.transfer(to[i], amounts[i]) returns (bool r) { ok = r; } catch {}
                if (ok != predicted && bytes(mismatch).length == 0) {
                    mismatch = "batchTransfer: a leg disagreed with canTransfer in the state the earlier legs left";
                }
            } else {
                vm.prank(caller);
                if (kind == MINT) try token.mint(to[i], amounts[i]) { ok = true; } catch {}
                else if (kind == BURN) try token.burn(to[i], amounts[i]) { ok = true; } catch {}
                else if (kind == FORCED) try token.forcedTransfer(from[i], to[i], amounts[i]) { ok = true; } catch {}
                else if (kind == SET_FROZEN) try token.setAddressFrozen(to[i], flags[i]) { ok = true; } catch {}
                else if (kind == FREEZE) try token.freezePartialTokens(to[i], amounts[i]) { ok = true; } catch {}
                else try token.unfreezePartialTokens(to[i], amounts[i]) { ok = true; } catch {}
            }
            allOk = ok;
        }
        revert Simulated(allOk, mismatch, state());
    }
}

/// @notice Drives the registry and an RWAToken through random sequences of every balance path (single and batch),
/// EIP-2612 permits (valid, replayed, expired, signed by another key), the freezes (single and batch), the rules,
/// the registry and the clock, and records in ghost state what each call did.
contract CoreHandler is Base {
    InvestorRegistry public immutable registry;
    RWAToken public immutable token;
    address public constant TREASURY = address(0x7EA5);
    address public constant LIMITED_ISSUER = address(0x1551);
    uint128 public constant LIMIT = 1_000e18;
    uint64 public constant PERIOD = 1 days;
    uint256 public constant N = 7; // 6 wallets + the treasury
    uint256 internal constant KEY0 = 0xA11CE; // wallet i's private key is KEY0 + i (for permits)
    bytes32 internal constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");
    CoreBatchSimulator public immutable simulator;

    address[N] public wallets; // w0, w1: investor 1; w2: 2; w3: 3; w4: 4; w5: never registered; [6]: treasury
    bytes32[4] internal ids = [bytes32(uint256(1)), bytes32(uint256(2)), bytes32(uint256(3)), bytes32(uint256(4))];

    /// @dev The first broken promise, with the call that broke it (empty while all hold).
    string public violation;
    mapping(bytes32 => uint256) public calls;

    uint256[] internal _mintTimes; // successful mints of the rate-limited issuer
    uint256[] internal _mintAmounts;

    uint256[N] internal _bal;
    uint256[N] internal _frozen;
    bool[N] internal _canReceive;

    /// @dev Accepted permits per owner: the token's nonce must equal it at all times (a signature is used once).
    mapping(address => uint256) public permitsAccepted;
    struct SignedPermit {
        address owner;
        address spender;
        uint256 value;
        uint256 deadline;
        uint8 v;
        bytes32 r;
        bytes32 s;
    }
    SignedPermit internal _lastPermit; // the last accepted signature, replayed by `permit`

    constructor() {
        registry = new InvestorRegistry(address(this));
        registry.grantRole(registry.REGISTRAR_ROLE(), address(this));
        RWATokenAdmin admin = new RWATokenAdmin();
        token = new RWAToken("Core", "CORE", 18, IInvestorRegistry(address(registry)), address(this), TREASURY, address(admin));
        token.grantRole(token.ISSUER_ROLE(), address(this));
        token.grantRole(token.ISSUER_ROLE(), LIMITED_ISSUER);
        token.grantRole(token.AGENT_ROLE(), address(this));
        token.grantRole(token.PAUSER_ROLE(), address(this));
        token.grantRole(token.COMPLIANCE_ROLE(), address(this));
        token.setMintRateLimit(LIMITED_ISSUER, LIMIT, PERIOD);
        for (uint256 i; i < 6; ++i) wallets[i] = vm.addr(KEY0 + i);
        wallets[6] = TREASURY;
        simulator = new CoreBatchSimulator(token, wallets, LIMITED_ISSUER);
        uint64 expiry = uint64(block.timestamp + 30 days);
        registry.registerInvestor(ids[0], wallets[0], 344, 1, expiry, false);
        registry.addWallet(ids[0], wallets[1]);
        registry.registerInvestor(ids[1], wallets[2], 344, 2, expiry, false);
        registry.registerInvestor(ids[2], wallets[3], 702, 3, expiry, false);
        registry.registerInvestor(ids[3], wallets[4], 840, 1, expiry, true);
    }

    // ------------------------------------------------------------------ snapshots and checks

    function _snap() internal {
        for (uint256 i; i < N; ++i) {
            _bal[i] = token.balanceOf(wallets[i]);
            _frozen[i] = token.getFrozenTokens(wallets[i]);
            _canReceive[i] = token.canReceive(wallets[i]);
        }
    }

    function _fail(string memory what) internal {
        if (bytes(violation).length == 0) violation = what;
    }

    /// @dev After any call: nobody gained a balance who could not receive just before it, and, unless the call
    /// is a freeze action, a forced transfer, a recovery or a burn, no frozen amount moved.
    function _check(string memory op, bool frozenMayMove) internal {
        for (uint256 i; i < N; ++i) {
            address w = wallets[i];
            if (token.balanceOf(w) > _bal[i] && !_canReceive[i]) {
                _fail(string.concat(op, ": a wallet that could not receive gained a balance"));
            }
            if (!frozenMayMove && token.getFrozenTokens(w) != _frozen[i]) {
                _fail(string.concat(op, ": a frozen amount moved outside forced transfer, recovery and burn"));
            }
        }
    }

    function _w(uint256 seed) internal view returns (address) {
        return wallets[seed % N];
    }

    function _idx(address w) internal view returns (uint256) {
        for (uint256 i; i < N; ++i) if (wallets[i] == w) return i;
        revert("unknown wallet");
    }

    // ------------------------------------------------------------------ holder operations

    function transfer(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address from = _w(fromSeed);
        address to = _w(toSeed);
        _transferLike("transfer", from, from, to, amount);
    }

    function transferFrom(uint256 spenderSeed, uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address spender = _w(spenderSeed);
        address from = _w(fromSeed);
        address to = _w(toSeed);
        vm.prank(from);
        token.approve(spender, type(uint256).max);
        _transferLike("transferFrom", spender, from, to, amount);
    }

    function _transferLike(string memory op, address spender, address from, address to, uint256 amount)
        internal
        returns (bool ok)
    {
        calls[keccak256(bytes(op))]++;
        _snap();
        uint256 i = _idx(from);
        amount = bound(amount, 0, _bal[i] + 1e18);
        bool allowed = token.canTransfer(from, to, amount);
        uint8 code = token.detectTransferRestriction(from, to, amount);
        if (allowed != (code == 0)) _fail(string.concat(op, ": canTransfer disagrees with detectTransferRestriction"));
        bool spenderFrozen = spender != from && token.isFrozen(spender);
        vm.prank(spender);
        if (spender == from) {
            try token.transfer(to, amount) returns (bool r) { ok = r; } catch {}
        } else {
            try token.transferFrom(from, to, amount) returns (bool r) { ok = r; } catch {}
        }
        bool expected = allowed && amount <= _bal[i] && !spenderFrozen;
        if (ok != expected) {
            _fail(string.concat(op, ok ? ": succeeded although refused by canTransfer / detectTransferRestriction"
                                       : ": failed although canTransfer allowed it"));
        }
        if (ok && from != to && token.balanceOf(from) < (_frozen[i] < _bal[i] ? _frozen[i] : _bal[i])) {
            _fail(string.concat(op, ": spent frozen tokens"));
        }
        _check(op, false);
    }

    // ------------------------------------------------------------------ issuer, agent, pauser

    function mint(uint256 toSeed, uint256 amount, bool limited) external {
        calls["mint"]++;
        _snap();
        address to = _w(toSeed);
        amount = bound(amount, 1, limited ? 2 * uint256(LIMIT) : 1e24);
        if (limited) {
            vm.prank(LIMITED_ISSUER);
            try token.mint(to, amount) {
                _mintTimes.push(block.timestamp);
                _mintAmounts.push(amount);
                _checkBucket();
            } catch {}
        } else {
            try token.mint(to, amount) {} catch {}
        }
        _check("mint", false);
    }

    /// @dev Token-bucket semantics: over any interval [t_i, now] the limited issuer mints at most a full bucket
    /// plus the refill of that interval (LIMIT + LIMIT * (now - t_i) / PERIOD), exactly, in units x seconds.
    function _checkBucket() internal {
        uint256 sum;
        for (uint256 k = _mintTimes.length; k > 0; --k) {
            sum += _mintAmounts[k - 1];
            uint256 allowed = uint256(LIMIT) * PERIOD + uint256(LIMIT) * (block.timestamp - _mintTimes[k - 1]);
            if (sum * PERIOD > allowed) _fail("mint: the rate-limited issuer minted more than its bucket allows");
        }
        if (token.mintAllowance(LIMITED_ISSUER) > LIMIT) _fail("mint: the bucket holds more than one period");
    }

    function burn(uint256 fromSeed, uint256 amount) external {
        calls["burn"]++;
        _snap();
        address from = _w(fromSeed);
        amount = bound(amount, 0, _bal[_idx(from)]);
        try token.burn(from, amount) {} catch {}
        _check("burn", true);
    }

    function forcedTransfer(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        calls["forcedTransfer"]++;
        _snap();
        address from = _w(fromSeed);
        address to = _w(toSeed);
        amount = bound(amount, 0, _bal[_idx(from)]);
        try token.forcedTransfer(from, to, amount) {} catch {}
        _check("forcedTransfer", true);
    }

    function recover(bool reverse) external {
        calls["recover"]++;
        _snap();
        (address lost, address fresh) = reverse ? (wallets[1], wallets[0]) : (wallets[0], wallets[1]);
        try token.recoveryAddress(lost, fresh, ids[0]) {} catch {}
        _check("recover", true);
    }

    function setAddressFrozen(uint256 seed, bool frozen) external {
        calls["setAddressFrozen"]++;
        token.setAddressFrozen(_w(seed), frozen);
    }

    function setFrozenTokens(uint256 seed, uint256 amount) external {
        calls["setFrozenTokens"]++;
        address w = _w(seed);
        token.setFrozenTokens(w, bound(amount, 0, token.balanceOf(w) * 2 + 1));
    }

    function pause(bool on) external {
        calls["pause"]++;
        _snap();
        if (on != token.paused()) on ? token.pause() : token.unpause();
        _check("pause", false);
    }

    function blockCountry(bool blocked) external {
        calls["blockCountry"]++;
        uint16[] memory c = new uint16[](1);
        c[0] = 840;
        token.setBlockedCountries(c, blocked);
    }

    function setMaxHolders(uint256 n) external {
        calls["setMaxHolders"]++;
        token.setMaxHolders(uint32(bound(n, 0, 4)));
    }

    // ------------------------------------------------------------------ EIP-2612 permit

    function _sign(uint256 key, address owner, address spender, uint256 value, uint256 deadline)
        internal
        view
        returns (SignedPermit memory p)
    {
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(),
            keccak256(abi.encode(PERMIT_TYPEHASH, owner, spender, value, token.nonces(owner), deadline))));
        (p.v, p.r, p.s) = vm.sign(key, digest);
        (p.owner, p.spender, p.value, p.deadline) = (owner, spender, value, deadline);
    }

    /// @dev mode 0: a valid signature (deadline now or later); 1: the last accepted signature again (replayed);
    /// 2: expired (deadline in the past); 3: signed by another wallet's key. Only mode 0 is accepted; an accepted
    /// permit sets the allowance to its value and uses the owner's nonce once; nothing else moves.
    function permit(uint256 ownerSeed, uint256 spenderSeed, uint256 value, uint256 mode, uint256 lifetime) external {
        calls["permit"]++;
        _snap();
        mode %= 4;
        if (mode == 1 && _lastPermit.owner == address(0)) mode = 0;
        uint256 o = ownerSeed % 6;
        SignedPermit memory p;
        if (mode == 1) {
            p = _lastPermit;
        } else {
            value = value % 8 == 1 ? type(uint256).max : bound(value, 0, 1e24); // an infinite allowance in 1 of 8
            uint256 deadline = mode == 2 ? block.timestamp - bound(lifetime, 1, block.timestamp)
                                         : block.timestamp + bound(lifetime, 0, 30 days);
            p = _sign(KEY0 + (mode == 3 ? (o + 1) % 6 : o), wallets[o], _w(spenderSeed), value, deadline);
        }
        uint256 allowanceBefore = token.allowance(p.owner, p.spender);
        bool ok;
        try token.permit(p.owner, p.spender, p.value, p.deadline, p.v, p.r, p.s) { ok = true; } catch {}
        if (ok != (mode == 0)) {
            _fail(ok ? "permit: a replayed, expired or foreign signature was accepted" : "permit: a valid signature was refused");
        }
        if (ok) {
            permitsAccepted[p.owner]++;
            _lastPermit = p;
            if (token.allowance(p.owner, p.spender) != p.value) _fail("permit: the allowance is not the permit's value");
        } else if (token.allowance(p.owner, p.spender) != allowanceBefore) {
            _fail("permit: a refused permit changed the allowance");
        }
        if (token.nonces(p.owner) != permitsAccepted[p.owner]) _fail("permit: the nonce moved other than once per accepted permit");
        _check("permit", false);
    }

    /// @dev permit + transferFrom: the owner signs an allowance of exactly the amount, the spender pulls it; the
    /// transfer meets the same judgement as any transferFrom, and a pull that went through uses the whole allowance.
    function permitTransferFrom(uint256 ownerSeed, uint256 spenderSeed, uint256 toSeed, uint256 amount) external {
        address from = wallets[ownerSeed % 6];
        address spender = _w(spenderSeed);
        amount = bound(amount, 0, token.balanceOf(from) + 1e18);
        SignedPermit memory p = _sign(KEY0 + ownerSeed % 6, from, spender, amount, block.timestamp);
        try token.permit(p.owner, p.spender, p.value, p.deadline, p.v, p.r, p.s) {
            permitsAccepted[from]++;
        } catch {
            _fail("permitTransferFrom: a valid permit was refused");
            return;
        }
        bool ok = _transferLike("permitTransferFrom", spender, from, _w(toSeed), amount);
        uint256 left = token.allowance(from, spender);
        if (left != (ok && spender != from ? 0 : amount)) _fail("permitTransferFrom: the allowance left is wrong");
    }

    // ------------------------------------------------------------------ batch operations

    /// @dev Runs the legs one by one in the simulator (reverted), then the batch itself: the batch must go through
    /// exactly when every leg does, leave the state the legs leave, and leave nothing changed when refused.
    function _batch(
        string memory op,
        uint8 kind,
        address caller,
        address[] memory from,
        address[] memory to,
        uint256[] memory amounts,
        bool[] memory flags,
        bytes memory batchCall
    ) internal {
        CoreState memory before = simulator.state();
        bool allOk;
        string memory mismatch;
        CoreState memory legs;
        try simulator.run(kind, caller, from, to, amounts, flags) {
            revert("simulator returned");
        } catch (bytes memory reason) {
            if (bytes4(reason) != CoreBatchSimulator.Simulated.selector) revert("simulator failed");
            assembly {
                let len := mload(reason)
                reason := add(reason, 4)
                mstore(reason, sub(len, 4))
            }
            (allOk, mismatch, legs) = abi.decode(reason, (bool, string, CoreState));
        }
        if (bytes(mismatch).length != 0) _fail(mismatch);
        vm.prank(caller);
        (bool ok,) = address(token).call(batchCall);
        if (ok != allOk) _fail(string.concat(op, ok ? ": went through although a leg alone is refused" : ": refused although every leg alone goes through"));
        bytes32 got = keccak256(abi.encode(simulator.state()));
        if (ok && got != keccak256(abi.encode(legs))) _fail(string.concat(op, ": left another state than its legs one by one"));
        if (!ok && got != keccak256(abi.encode(before))) _fail(string.concat(op, ": a refused batch changed the state"));
    }

    /// @dev 1 + len % 3 legs, leg i on the wallet of byte i of the seed.
    function _legs(uint256 len, uint256 seed) internal view returns (address[] memory list) {
        list = new address[](1 + len % 3);
        for (uint256 i; i < list.length; ++i) list[i] = _w((seed >> (8 * i)) & 0xff);
    }

    function batchTransfer(uint256 fromSeed, uint256 toSeed, uint256 len, uint256[3] calldata amounts) external {
        calls["batchTransfer"]++;
        _snap();
        address from = _w(fromSeed);
        address[] memory to = _legs(len, toSeed);
        uint256[] memory a = new uint256[](to.length);
        // The legs together range up to the balance + 1 token, so batches both fit and overdraw.
        for (uint256 i; i < a.length; ++i) a[i] = bound(amounts[i], 0, (_bal[_idx(from)] + 1e18) / a.length);
        _batch("batchTransfer", 0, from, new address[](0), to, a, new bool[](0),
            abi.encodeCall(token.batchTransfer, (to, a)));
        _check("batchTransfer", false);
    }

    function batchMint(uint256 toSeed, uint256 len, uint256[3] calldata amounts, bool limited) external {
        calls["batchMint"]++;
        _snap();
        address[] memory to = _legs(len, toSeed);
        uint256[] memory a = new uint256[](to.length);
        for (uint256 i; i < a.length; ++i) a[i] = bound(amounts[i], 1, limited ? uint256(LIMIT) : 1e24);
        address issuer = limited ? LIMITED_ISSUER : address(this);
        uint256 allowanceBefore = token.mintAllowance(LIMITED_ISSUER);
        _batch("batchMint", 1, issuer, new address[](0), to, a, new bool[](0), abi.encodeCall(token.batchMint, (to, a)));
        if (limited && token.mintAllowance(LIMITED_ISSUER) != allowanceBefore) {
            uint256 total;
            for (uint256 i; i < a.length; ++i) total += a[i];
            _mintTimes.push(block.timestamp);
            _mintAmounts.push(total);
            _checkBucket();
        }
        _check("batchMint", false);
    }

    function batchBurn(uint256 fromSeed, uint256 len, uint256[3] calldata amounts) external {
        calls["batchBurn"]++;
        _snap();
        address[] memory users = _legs(len, fromSeed);
        uint256[] memory a = new uint256[](users.length);
        for (uint256 i; i < a.length; ++i) a[i] = bound(amounts[i], 0, _bal[_idx(users[i])]);
        _batch("batchBurn", 2, address(this), new address[](0), users, a, new bool[](0),
            abi.encodeCall(token.batchBurn, (users, a)));
        _check("batchBurn", true);
    }

    function batchForcedTransfer(uint256 fromSeed, uint256 toSeed, uint256 len, uint256[3] calldata amounts) external {
        calls["batchForcedTransfer"]++;
        _snap();
        address[] memory from = _legs(len, fromSeed);
        address[] memory to = _legs(len, toSeed);
        uint256[] memory a = new uint256[](from.length);
        for (uint256 i; i < a.length; ++i) a[i] = bound(amounts[i], 0, _bal[_idx(from[i])]);
        _batch("batchForcedTransfer", 3, address(this), from, to, a, new bool[](0),
            abi.encodeCall(token.batchForcedTransfer, (from, to, a)));
        _check("batchForcedTransfer", true);
    }

    function batchSetAddressFrozen(uint256 seed, uint256 len, uint256 flagBits) external {
        calls["batchSetAddressFrozen"]++;
        _snap();
        address[] memory users = _legs(len, seed);
        bool[] memory flags = new bool[](users.length);
        for (uint256 i; i < flags.length; ++i) flags[i] = (flagBits >> i) & 1 == 1;
        _batch("batchSetAddressFrozen", 4, address(this), new address[](0), users, new uint256[](users.length), flags,
            abi.encodeCall(token.batchSetAddressFrozen, (users, flags)));
        _check("batchSetAddressFrozen", true);
    }

    /// @dev Amounts up to the balance + 1 token (freeze) or the frozen amount + 1 token (release), so both fail too.
    function batchFreezePartialTokens(uint256 seed, uint256 len, uint256[3] calldata amounts, bool release) external {
        calls["batchFreezePartialTokens"]++;
        _snap();
        address[] memory users = _legs(len, seed);
        uint256[] memory a = new uint256[](users.length);
        for (uint256 i; i < a.length; ++i) {
            uint256 j = _idx(users[i]);
            a[i] = bound(amounts[i], 0, (release ? _frozen[j] : _bal[j]) + 1e18);
        }
        _batch(release ? "batchUnfreezePartialTokens" : "batchFreezePartialTokens", release ? 6 : 5, address(this),
            new address[](0), users, a, new bool[](0),
            release ? abi.encodeCall(token.batchUnfreezePartialTokens, (users, a))
                    : abi.encodeCall(token.batchFreezePartialTokens, (users, a)));
        _check("batchFreezePartialTokens", true);
    }

    // ------------------------------------------------------------------ registry and clock

    function revoke(uint256 seed, bool revoked) external {
        calls["revoke"]++;
        _snap();
        bytes32 id = ids[seed % 4];
        if (revoked) try registry.revokeInvestor(id) {} catch {}
        else try registry.reinstateInvestor(id) {} catch {}
        _check("revoke", false);
    }

    function renewKyc(uint256 seed, uint256 lifetime) external {
        calls["renewKyc"]++;
        _snap();
        try registry.renewKyc(ids[seed % 4], uint64(block.timestamp + bound(lifetime, 1 hours, 60 days))) {} catch {}
        _check("renewKyc", false);
    }

    /// @dev Moves the clock (KYC expiry, bucket refill).
    function warp(uint256 by) external {
        calls["warp"]++;
        _snap();
        vm.warp(block.timestamp + bound(by, 1, 20 days));
        _check("warp", false);
    }

    // ------------------------------------------------------------------ views for the invariants

    function investorIds(uint256 i) external view returns (bytes32) {
        return ids[i];
    }
}

/// @notice The compliance core's promises, checked after every call of every sequence.
contract CoreInvariants is Base {
    CoreHandler internal handler;

    function setUp() public {
        handler = new CoreHandler();
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev The handler is not vacuous: a mint and a transfer between verified investors go through.
    function test_aMintAndATransferGoThrough() public {
        handler.mint(0, 100e18 - 1, false); // bound(x, 1, 1e24) maps it onto 100e18
        handler.transfer(0, 2, 40e18); // bound(x, 0, balance + 1e18) keeps 40e18
        RWAToken token = handler.token();
        assertEq(token.balanceOf(handler.wallets(0)), 60e18, "sender balance");
        assertEq(token.balanceOf(handler.wallets(2)), 40e18, "recipient balance");
        assertEq(token.holderCount(), 2, "holder count");
        assertEq(bytes(handler.violation()).length, 0, handler.violation());
    }

    /// @dev Also: every wallet's permit nonce is the number of its accepted permits, after any call (a signature is
    /// used once, and nothing else moves a nonce). Checked here rather than in an invariant of its own, which would
    /// cost the CI stage a sixth of its Core time for a check of six reads.
    function invariant_noBrokenPromise() public view {
        assertEq(bytes(handler.violation()).length, 0, handler.violation());
        RWAToken token = handler.token();
        for (uint256 i; i < 6; ++i) {
            address w = handler.wallets(i);
            assertEq(token.nonces(w), handler.permitsAccepted(w), "a permit nonce is not the number of accepted permits");
        }
    }

    function invariant_balancesSumToTotalSupply() public view {
        RWAToken token = handler.token();
        uint256 sum;
        for (uint256 i; i < handler.N(); ++i) sum += token.balanceOf(handler.wallets(i));
        assertEq(sum, token.totalSupply(), "sum of balances != totalSupply");
    }

    /// @dev The treasury and w5 are unregistered (not counted); investor 1 holds through w0 and w1.
    function invariant_holderCountIsInvestorsWithABalance() public view {
        RWAToken token = handler.token();
        uint256 holders;
        if (token.balanceOf(handler.wallets(0)) + token.balanceOf(handler.wallets(1)) > 0) holders++;
        for (uint256 i = 2; i < 5; ++i) if (token.balanceOf(handler.wallets(i)) > 0) holders++;
        assertEq(token.holderCount(), holders, "holderCount != investors with a non-zero balance");
        for (uint256 i; i < 4; ++i) {
            bytes32 id = handler.investorIds(i);
            uint256 b = i == 0 ? token.balanceOf(handler.wallets(0)) + token.balanceOf(handler.wallets(1))
                               : token.balanceOf(handler.wallets(i + 1));
            assertEq(token.investorBalance(id), b, "investorBalance != the sum of the investor's wallets");
        }
    }

    /// @dev Permits are not vacuous: a signed allowance is pulled once, its replay and an expired one are refused.
    function test_aPermitIsUsedOnce() public {
        RWAToken token = handler.token();
        address owner = handler.wallets(0);
        address spender = handler.wallets(2);
        handler.mint(0, 100e18 - 1, false); // 100 tokens to w0
        handler.permit(0, 2, 30e18, 0, 1 hours); // valid: allowance 30 to w2, nonce 1
        assertEq(token.allowance(owner, spender), 30e18, "allowance after the permit");
        assertEq(token.nonces(owner), 1, "nonce after the permit");
        handler.permit(0, 2, 0, 1, 0); // the same signature again: refused
        handler.permit(0, 2, 5e18, 2, 1 hours); // expired: refused
        handler.permit(0, 2, 5e18, 3, 1 hours); // signed by w1's key: refused
        assertEq(token.nonces(owner), 1, "a refused permit used a nonce");
        handler.permitTransferFrom(0, 2, 3, 40e18); // permit 40, w2 pulls 40 from w0 to w3 (investor 3)
        assertEq(token.balanceOf(handler.wallets(3)), 40e18, "the permitted pull did not arrive");
        assertEq(token.allowance(owner, spender), 0, "the pull left an allowance");
        assertEq(token.nonces(owner), 2, "nonce after the second permit");
        assertEq(bytes(handler.violation()).length, 0, handler.violation());
    }

    /// @dev Batches are not vacuous: a batch mint and a batch transfer go through, a batch with one refused leg
    /// (to the unregistered w5) moves nothing.
    function test_aBatchGoesThroughWhole() public {
        RWAToken token = handler.token();
        uint256[3] memory a = [uint256(50e18 - 1), 20e18 - 1, 0]; // bound(x, 1, 1e24): 50 and 20
        handler.batchMint(0x0200, 1, a, false); // two legs (1 + 1 % 3), to w0 and w2 (seed bytes 0x00, 0x02)
        assertEq(token.balanceOf(handler.wallets(0)), 50e18, "batch mint leg 1");
        assertEq(token.balanceOf(handler.wallets(2)), 20e18, "batch mint leg 2");
        a = [uint256(10e18), 5e18, 0]; // within (50 + 1) / 2 each
        handler.batchTransfer(0, 0x0403, 1, a); // w0 -> w3 10, w0 -> w4 5
        assertEq(token.balanceOf(handler.wallets(3)), 10e18, "batch transfer leg 1");
        assertEq(token.balanceOf(handler.wallets(4)), 5e18, "batch transfer leg 2");
        handler.batchTransfer(0, 0x0502, 1, a); // w0 -> w2 10, w0 -> w5 5 (unregistered): all refused
        assertEq(token.balanceOf(handler.wallets(0)), 35e18, "a refused batch moved tokens");
        assertEq(token.balanceOf(handler.wallets(2)), 20e18, "a refused batch delivered its first leg");
        assertEq(bytes(handler.violation()).length, 0, handler.violation());
    }

    function invariant_unregisteredWalletNeverHolds() public view {
        assertEq(handler.token().balanceOf(handler.wallets(5)), 0, "an unregistered wallet holds tokens");
    }
}
