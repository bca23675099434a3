// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Base} from "./Base.sol";
import {InvestorRegistry} from "../../contracts/compliance/InvestorRegistry.sol";
import {RWATokenAdmin} from "../../contracts/token/RWATokenAdmin.sol";
import {HKDStablecoin} from "../../contracts/stablecoin/HKDStablecoin.sol";
import {BondToken} from "../../contracts/assets/bond/BondToken.sol";
import {BondPayingAgent} from "../../contracts/assets/bond/BondPayingAgent.sol";
import {IInvestorRegistry} from "../../contracts/interfaces/IInvestorRegistry.sol";

/// @notice Drives a 4.5 % semi-annual 1,000 HKD bond over its life: mints, transfers, the clock over the record
/// dates and maturity, coupon and principal funding, claims, pushes and redemption. The ghost ledger computes
/// what every holder is owed at each record, independently of the token's accrual.
contract BondHandler is Base {
    InvestorRegistry public immutable registry;
    HKDStablecoin public immutable cash;
    BondToken public immutable bond;
    BondPayingAgent public immutable agent;
    address public constant TREASURY = address(0x7EA5);
    uint256 public constant CPT = 22_500_000; // 1,000e6 x 450 bps / 10,000 / 2
    address[3] public holders = [address(0xB001), address(0xB002), address(0xB003)];

    uint64[] internal _dates;
    uint256 public recordedGhost; // coupon records the ghost ledger has counted
    mapping(address => uint256) public owedGhost;
    mapping(address => uint256) public paidGhost;
    string public violation;

    constructor() {
        registry = new InvestorRegistry(address(this));
        registry.grantRole(registry.REGISTRAR_ROLE(), address(this));
        cash = new HKDStablecoin(address(this));
        cash.grantRole(cash.ISSUER_ROLE(), address(this));
        uint256 t0 = block.timestamp;
        for (uint256 i = 1; i <= 4; ++i) _dates.push(uint64(t0 + i * 182 days));
        uint256[7] memory terms = [uint256(1_000e6), 450, 2, t0, t0 + 4 * 182 days, 30 days, uint256(uint24(bytes3("HKD")))];
        bond = new BondToken(
            "Bond", "BND", 18, IInvestorRegistry(address(registry)), address(this), TREASURY,
            address(new RWATokenAdmin()), bytes12("US0378331005"), address(cash), terms, _dates
        );
        agent = BondPayingAgent(bond.payingAgent());
        bond.grantRole(bond.ISSUER_ROLE(), address(this));
        agent.grantRole(agent.FUNDER_ROLE(), address(this));
        agent.grantRole(agent.PAYER_ROLE(), address(this));
        cash.mint(address(this), 1e30);
        cash.approve(address(agent), type(uint256).max);
        for (uint256 i; i < 3; ++i) {
            registry.registerInvestor(bytes32(i + 1), holders[i], 344, 2, uint64(t0 + 3650 days), false);
        }
    }

    function _fail(string memory what) internal {
        if (bytes(violation).length == 0) violation = what;
    }

    function mint(uint256 seed, uint256 amount) external {
        try bond.mint(holders[seed % 3], bound(amount, 1, 1_000e18)) {} catch {}
    }

    function transfer(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address from = holders[fromSeed % 3];
        amount = bound(amount, 0, bond.balanceOf(from));
        vm.prank(from);
        try bond.transfer(holders[toSeed % 3], amount) {} catch {}
    }

    /// @dev Moves the clock; every record date it passes pays each holder floor(balance x CPT / 1e18) then.
    function warp(uint256 by) external {
        uint256 to = block.timestamp + bound(by, 1 days, 150 days);
        while (recordedGhost < _dates.length && _dates[recordedGhost] <= to) {
            for (uint256 i; i < 3; ++i) owedGhost[holders[i]] += bond.balanceOf(holders[i]) * CPT / 1e18;
            recordedGhost++;
        }
        vm.warp(to);
    }

    function fundCoupon() external {
        try agent.fundCoupon(agent.fundedCoupons()) {} catch {}
    }

    function fundPrincipal() external {
        try agent.fundPrincipal() {} catch {}
    }

    function claim(uint256 seed) external {
        address h = holders[seed % 3];
        uint256 before = cash.balanceOf(h);
        vm.prank(h);
        try agent.claim() returns (uint256 amount) {
            if (cash.balanceOf(h) - before != amount) _fail("claim: paid a different amount than reported");
            paidGhost[h] += amount;
        } catch {}
    }

    function payCoupons() external {
        uint256[3] memory before;
        for (uint256 i; i < 3; ++i) before[i] = cash.balanceOf(holders[i]);
        address[] memory list = new address[](3);
        for (uint256 i; i < 3; ++i) list[i] = holders[i];
        try agent.payCoupons(list) {
            for (uint256 i; i < 3; ++i) paidGhost[holders[i]] += cash.balanceOf(holders[i]) - before[i];
        } catch {}
    }

    function redeem(uint256 seed) external {
        address h = holders[seed % 3];
        uint256 coupons = bond.pendingCoupons(h, 64);
        uint256 balance = bond.balanceOf(h);
        uint256 before = cash.balanceOf(h);
        vm.prank(h);
        try agent.redeem() returns (uint256 amount) {
            paidGhost[h] += coupons;
            if (cash.balanceOf(h) - before != amount) _fail("redeem: paid a different amount than reported");
            if (amount != coupons + balance * 1_000e6 / 1e18) _fail("redeem: principal + coupons paid inexactly");
            if (bond.balanceOf(h) != 0 || bond.pendingCoupons(h, 64) != 0 || agent.claimable(h) != 0) {
                _fail("redeem: a redeemed holder still holds bonds or claimable coupons");
            }
        } catch {}
    }
}

/// @notice Bond: coupons paid plus claimable equal what was owed at each record, to the wei.
contract BondInvariants is Base {
    BondHandler internal handler;

    function setUp() public {
        handler = new BondHandler();
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev The handler is not vacuous: a recorded, funded coupon is claimed once, exactly.
    function test_aCouponIsPaidOnce() public {
        handler.mint(0, 100e18);
        handler.warp(183 days - 1 days); // the handler bounds each warp; three of them pass the first record
        handler.warp(150 days - 1 days);
        handler.warp(5 days - 1 days);
        handler.fundCoupon();
        handler.claim(0);
        handler.claim(0);
        assertEq(handler.paidGhost(handler.holders(0)), 100 * handler.CPT(), "the first coupon was not paid exactly once");
        assertEq(bytes(handler.violation()).length, 0, handler.violation());
    }

    function invariant_noBrokenPromise() public view {
        assertEq(bytes(handler.violation()).length, 0, handler.violation());
    }

    /// @dev Per holder, so a coupon paid twice (or to the wrong holder) shows at once.
    function invariant_paidPlusPendingIsOwed() public view {
        BondToken bond = handler.bond();
        for (uint256 i; i < 3; ++i) {
            address h = handler.holders(i);
            assertEq(handler.paidGhost(h) + bond.pendingCoupons(h, 64), handler.owedGhost(h),
                "coupons paid + pending != owed at the records");
        }
    }

    function invariant_agentHoldsWhatIsClaimable() public view {
        BondPayingAgent agent = handler.agent();
        uint256 claimable;
        for (uint256 i; i < 3; ++i) claimable += agent.claimable(handler.holders(i));
        assertLe(claimable, handler.cash().balanceOf(address(agent)), "agent holds less than the claimable coupons");
    }

    function invariant_balancesSumToTotalSupply() public view {
        BondToken bond = handler.bond();
        uint256 sum = bond.balanceOf(handler.TREASURY());
        for (uint256 i; i < 3; ++i) sum += bond.balanceOf(handler.holders(i));
        assertEq(sum, bond.totalSupply(), "sum of balances != totalSupply");
    }
}
