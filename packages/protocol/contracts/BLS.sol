// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title BLS — min-pk BLS12-381 signatures over the EIP-2537 precompiles (Prague).
/// @notice Public keys are G1 points and signatures G2 points, both in the EIP-2537 form: each
/// 48-byte Fp left-padded to 64 bytes, an Fp2 as c0 ‖ c1, so G1 is 128 bytes (x ‖ y) and G2 256.
/// Decompressing a 48-byte key on chain needs a square root in Fp (a modexp per key per use), so
/// callers pass the uncompressed form; the registry binds it to the 48-byte key once.
/// Messages hash to G2 as RFC 9380 BLS12381G2_XMD:SHA-256_SSWU_RO_, the same bytes blst signs.
library BLS {
    /// The ciphersuite blst (and Ethereum) sign with: proof-of-possession scheme, message DST.
    bytes internal constant SIG_DST = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";
    /// Proofs of possession sign the 48-byte public key under their own DST.
    bytes internal constant POP_DST = "BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

    address private constant MODEXP = address(0x05);
    address private constant G1ADD = address(0x0b);
    address private constant G2ADD = address(0x0d);
    address private constant PAIRING_CHECK = address(0x0f);
    address private constant MAP_FP2_TO_G2 = address(0x11);

    /// A 2-pair PAIRING_CHECK costs 37,700 + 2 × 32,600 = 102,900 gas. On an invalid point (off
    /// the curve, outside the subgroup, bad padding) EIP-2537 precompiles burn all gas they were
    /// given, so the check gets a bounded amount rather than 63/64 of what is left.
    uint256 private constant PAIRING_GAS = 150_000;

    /// p, the base field modulus (48 bytes, the modexp modulus).
    bytes private constant P = hex"1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab";
    /// −G1, the negated generator, in EIP-2537 form: e(pk, H) · e(−G1, sig) = 1 ⇔ e(pk, H) = e(G1, sig).
    bytes private constant NEG_G1 = hex"0000000000000000000000000000000017f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb00000000000000000000000000000000114d1d6855d545a8aa7d76c8cf2e21f267816aef1db507c96655b9d5caac42364e6f38ba0ecb751bad54dcd6b939c2ca";
    /// (p − 1) / 2 as the two words of its 64-byte form: y above it is the larger root, which a
    /// compressed key marks with its sign flag.
    uint256 private constant HALF_P_HI = 0x000000000000000000000000000000000d0088f51cbff34d258dd3db21a5d66b;
    uint256 private constant HALF_P_LO = 0xb23ba5c279c2895fb39869507b587b120f55ffff58a9ffffdcff7fffffffd555;

    /// RFC 9380 expand_message_xmd with SHA-256 (precompile 0x02), 256 bytes: enough for the
    /// four 64-byte field elements of two Fp2 values.
    function expandMessageXmd(bytes memory message, bytes memory dst) internal pure returns (bytes memory out) {
        require(dst.length <= 255, "BLS: domain separation tag longer than 255 bytes");
        bytes memory dstPrime = abi.encodePacked(dst, uint8(dst.length));
        bytes32 b0 = sha256(abi.encodePacked(bytes32(0), bytes32(0), message, uint16(256), uint8(0), dstPrime));
        bytes32 bi = sha256(abi.encodePacked(b0, uint8(1), dstPrime));
        out = new bytes(256);
        assembly ("memory-safe") { mstore(add(out, 32), bi) }
        for (uint256 i = 2; i <= 8; i++) {
            bi = sha256(abi.encodePacked(b0 ^ bi, uint8(i), dstPrime));
            assembly ("memory-safe") { mstore(add(out, mul(i, 32)), bi) }
        }
    }

    /// RFC 9380 hash_to_field for Fp2, count 2: four EIP-2537 Fp elements u0.c0 ‖ u0.c1 ‖ u1.c0 ‖ u1.c1
    /// (each 64 uniform bytes reduced mod p with modexp, exponent 1).
    function hashToField(bytes memory message, bytes memory dst) internal view returns (bytes memory u) {
        bytes memory uniform = expandMessageXmd(message, dst);
        u = new bytes(256);
        for (uint256 k = 0; k < 4; k++) {
            bytes32 hi;
            bytes32 lo;
            assembly ("memory-safe") {
                hi := mload(add(uniform, add(32, mul(k, 64))))
                lo := mload(add(uniform, add(64, mul(k, 64))))
            }
            (bool ok, bytes memory r) = MODEXP.staticcall(abi.encodePacked(uint256(64), uint256(1), uint256(48), hi, lo, uint8(1), P));
            require(ok && r.length == 48, "BLS: modexp precompile failed");
            // r is 48 bytes; the Fp element is 16 zero bytes then r, written as two exact words.
            assembly ("memory-safe") {
                let elem := add(u, add(32, mul(k, 64)))
                mstore(elem, shr(128, mload(add(r, 32))))
                mstore(add(elem, 32), mload(add(r, 48)))
            }
        }
    }

    /// RFC 9380 hash_to_curve to G2: map each of the two field elements (MAP_FP2_TO_G2 also clears
    /// the cofactor, which is linear, so clear(Q0 + Q1) = clear(Q0) + clear(Q1)) and add them.
    function hashToG2(bytes memory message, bytes memory dst) internal view returns (bytes memory) {
        bytes memory u = hashToField(message, dst);
        bytes memory u0 = new bytes(128);
        bytes memory u1 = new bytes(128);
        assembly ("memory-safe") {
            mcopy(add(u0, 32), add(u, 32), 128)
            mcopy(add(u1, 32), add(u, 160), 128)
        }
        bytes memory q0 = _precompile(MAP_FP2_TO_G2, u0, 256);
        bytes memory q1 = _precompile(MAP_FP2_TO_G2, u1, 256);
        return _precompile(G2ADD, bytes.concat(q0, q1), 256);
    }

    /// a + b for two EIP-2537 G1 points (128 bytes each; G1ADD does no subgroup check).
    function g1Add(bytes memory a, bytes memory b) internal view returns (bytes memory) {
        return _precompile(G1ADD, bytes.concat(a, b), 128);
    }

    /// The sum of the first `n` (n ≥ 1) of the 128-byte G1 points concatenated in `points`: a
    /// committee's aggregate key, for one verify of their aggregate signature.
    function g1Sum(bytes memory points, uint256 n) internal view returns (bytes memory sum) {
        require(n >= 1 && points.length >= n * 128, "BLS: g1Sum needs n concatenated 128-byte G1 points");
        sum = new bytes(128);
        assembly ("memory-safe") { mcopy(add(sum, 32), add(points, 32), 128) }
        bytes memory next = new bytes(128);
        for (uint256 i = 1; i < n; i++) {
            assembly ("memory-safe") { mcopy(add(next, 32), add(add(points, 32), mul(i, 128)), 128) }
            sum = g1Add(sum, next);
        }
    }

    /// Whether `signature` (EIP-2537 G2) signs `message` under `publicKey` (EIP-2537 G1), with the
    /// message DST. For an aggregate: the sum of the signers' keys and of their signatures. Keys
    /// must come with a verified proof of possession, or a rogue key can cancel the others.
    function verify(bytes memory publicKey, bytes memory message, bytes memory signature) internal view returns (bool) {
        return _pairing(publicKey, hashToG2(message, SIG_DST), signature);
    }

    /// Whether `pop` (EIP-2537 G2) proves possession of the key: `publicKeyG1` is `publicKey`
    /// (48 bytes compressed) uncompressed, and `pop` signs those 48 bytes under the PoP DST.
    function verifyPop(bytes memory publicKey, bytes memory publicKeyG1, bytes memory pop) internal view returns (bool) {
        return isUncompressedOf(publicKey, publicKeyG1) && _pairing(publicKeyG1, hashToG2(publicKey, POP_DST), pop);
    }

    /// Whether the 128-byte EIP-2537 G1 point has the same x as the 48-byte compressed key, and
    /// the y that its sign flag picks (the larger root when set). On-curve and subgroup checks
    /// are left to PAIRING_CHECK, which makes them.
    function isUncompressedOf(bytes memory compressed, bytes memory g1) internal pure returns (bool) {
        if (compressed.length != 48 || g1.length != 128) return false;
        uint256 c0;
        uint256 c1;
        uint256 x0;
        uint256 x1;
        uint256 y0;
        uint256 y1;
        assembly ("memory-safe") {
            c0 := mload(add(compressed, 32))
            c1 := shr(128, mload(add(compressed, 64)))
            x0 := mload(add(g1, 48))
            x1 := shr(128, mload(add(g1, 80)))
            y0 := mload(add(g1, 96))
            y1 := mload(add(g1, 128))
        }
        uint256 flags = c0 >> 253; // compression, infinity, sign
        if (flags & 4 == 0 || flags & 2 != 0) return false;
        if (c0 & ~(uint256(7) << 253) != x0 || c1 != x1) return false;
        bool larger = y0 > HALF_P_HI || (y0 == HALF_P_HI && y1 > HALF_P_LO);
        return larger == (flags & 1 == 1);
    }

    /// e(g1, h) · e(−G1, sig) = 1, false on an invalid point or the point at infinity as key.
    function _pairing(bytes memory g1, bytes memory h, bytes memory sig) private view returns (bool) {
        require(g1.length == 128, "BLS: a public key is a 128-byte EIP-2537 G1 point");
        require(sig.length == 256, "BLS: a signature is a 256-byte EIP-2537 G2 point");
        // With an infinite key e(O, H) = 1 and the infinite signature would pass for any message.
        if (keccak256(g1) == keccak256(new bytes(128))) return false;
        (bool ok, bytes memory out) = PAIRING_CHECK.staticcall{ gas: PAIRING_GAS }(bytes.concat(g1, h, NEG_G1, sig));
        if (!ok) return false;
        require(out.length == 32, "BLS: no PAIRING_CHECK precompile: the chain needs EIP-2537 (Prague)");
        return abi.decode(out, (uint256)) == 1;
    }

    /// Calls a precompile on inputs this library built or that were validated at registration, so
    /// failure means the chain lacks it (calling an empty address succeeds with no output).
    function _precompile(address precompile, bytes memory input, uint256 outLength) private view returns (bytes memory out) {
        bool ok;
        (ok, out) = precompile.staticcall(input);
        require(ok && out.length == outLength, "BLS: EIP-2537 precompile failed: invalid point, or a chain without Prague");
    }
}
