// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Base} from "./Base.sol";
import {InvestorRegistry} from "../../contracts/compliance/InvestorRegistry.sol";
import {RWAToken} from "../../contracts/token/RWAToken.sol";
import {RWATokenAdmin} from "../../contracts/token/RWATokenAdmin.sol";
import {IInvestorRegistry} from "../../contracts/interfaces/IInvestorRegistry.sol";

/// @notice Drives the registry and an RWAToken through random sequences of every balance path, the freezes,
/// the rules, the registry and the clock, and records in ghost state what each call did.
contract CoreHandler is Base {
    InvestorRegistry public immutable registry;
    RWAToken public immutable token;
    address public constant TREASURY = address(0x7EA5);
    address public constant LIMITED_ISSUER = address(0x1551);
    uint128 public constant LIMIT = 1_000e18;
    uint64 public constant PERIOD = 1 days;
    uint256 public constant N = 7; // 6 wallets + the treasury

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
        for (uint256 i; i < 6; ++i) wallets[i] = address(uint160(0x1000 + i));
        wallets[6] = TREASURY;
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

    function _transferLike(string memory op, address spender, address from, address to, uint256 amount) internal {
        calls[keccak256(bytes(op))]++;
        _snap();
        uint256 i = _idx(from);
        amount = bound(amount, 0, _bal[i] + 1e18);
        bool allowed = token.canTransfer(from, to, amount);
        uint8 code = token.detectTransferRestriction(from, to, amount);
        if (allowed != (code == 0)) _fail(string.concat(op, ": canTransfer disagrees with detectTransferRestriction"));
        bool spenderFrozen = spender != from && token.isFrozen(spender);
        bool ok;
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

    function invariant_noBrokenPromise() public view {
        assertEq(bytes(handler.violation()).length, 0, handler.violation());
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

    function invariant_unregisteredWalletNeverHolds() public view {
        assertEq(handler.token().balanceOf(handler.wallets(5)), 0, "an unregistered wallet holds tokens");
    }
}
