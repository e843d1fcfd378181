// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BLS} from "./BLS.sol";

/// @title BLSHarness — the BLS library's functions as external calls, for known-answer tests
/// against the TypeScript side (RFC 9380 vectors, Ethereum BLS vectors). Never deployed by
/// deployContracts.
contract BLSHarness {
    function expandMessageXmd(bytes calldata message, bytes calldata dst) external pure returns (bytes memory) { return BLS.expandMessageXmd(message, dst); }
    function hashToField(bytes calldata message, bytes calldata dst) external view returns (bytes memory) { return BLS.hashToField(message, dst); }
    function hashToG2(bytes calldata message, bytes calldata dst) external view returns (bytes memory) { return BLS.hashToG2(message, dst); }
    function g1Add(bytes calldata a, bytes calldata b) external view returns (bytes memory) { return BLS.g1Add(a, b); }
    function verify(bytes calldata publicKey, bytes calldata message, bytes calldata signature) external view returns (bool) { return BLS.verify(publicKey, message, signature); }
    function verifyPop(bytes calldata publicKey, bytes calldata publicKeyG1, bytes calldata pop) external view returns (bool) { return BLS.verifyPop(publicKey, publicKeyG1, pop); }
    function isUncompressedOf(bytes calldata compressed, bytes calldata g1) external pure returns (bool) { return BLS.isUncompressedOf(compressed, g1); }
}
