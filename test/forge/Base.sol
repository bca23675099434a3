// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice The few forge cheatcodes the suites use (forge-std has no current npm release).
interface Vm {
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function warp(uint256 timestamp) external;
    function assume(bool condition) external pure;
    function addr(uint256 privateKey) external pure returns (address);
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function label(address account, string calldata newLabel) external;
    function getNonce(address account) external view returns (uint64 nonce);
    function computeCreateAddress(address deployer, uint256 nonce) external pure returns (address);
}

/// @notice A minimal test base: the cheatcode handle, `bound`, and assertions that revert with a message.
abstract contract Base {
    /// @dev The standard cheatcode address (0x7109709ECfa91a80626fF3989D68f67F5b1DD12D).
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @dev Maps any x into [lo, hi] (uniformly enough for fuzzing; no discarded runs).
    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        require(lo <= hi, "bound: lo > hi");
        if (hi - lo == type(uint256).max) return x;
        return lo + (x % (hi - lo + 1));
    }

    function assertEq(uint256 a, uint256 b, string memory what) internal pure {
        if (a != b) revert(string.concat(what, ": ", _str(a), " != ", _str(b)));
    }

    function assertLe(uint256 a, uint256 b, string memory what) internal pure {
        if (a > b) revert(string.concat(what, ": ", _str(a), " > ", _str(b)));
    }

    function assertTrue(bool ok, string memory what) internal pure {
        if (!ok) revert(what);
    }

    function _str(uint256 v) private pure returns (string memory) {
        if (v == 0) return "0";
        bytes memory out = new bytes(78);
        uint256 i = out.length;
        while (v != 0) {
            out[--i] = bytes1(uint8(48 + (v % 10)));
            v /= 10;
        }
        bytes memory s = new bytes(out.length - i);
        for (uint256 j; j < s.length; ++j) s[j] = out[i + j];
        return string(s);
    }
}
