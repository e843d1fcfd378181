// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ProviderRegistry — who is who: wallet ↔ libp2p peer id, role, region, attributes, tier.
/// @notice Proposals are approved automatically for now (the owner can revoke). Gateways accept
/// their fizz nodes before those can register under them. Matchers and slarks register a BLS
/// public key. Tiers start at 7 and are set by the tier authority (the owner until era
/// settlement takes over).
contract ProviderRegistry {
    enum Role { None, Provider, Gateway, Fizz, Matcher, Slark }

    struct Node {
        Role role;
        bool approved;
        uint8 tier;
        uint64 registeredAt;
        address gateway;
        string peerId;
        string region;
        bytes attributes;
        bytes blsPublicKey;
    }

    address public owner;
    address public tierAuthority;
    mapping(address => Node) private nodes;
    /// gateway => fizz => accepted
    mapping(address => mapping(address => bool)) public gatewayAccepts;
    address[] private registered;

    event Registered(address indexed node, Role role, string peerId, address gateway);
    event Approval(address indexed node, bool approved);
    event TierSet(address indexed node, uint8 tier);
    event FizzAccepted(address indexed gateway, address indexed fizz, bool accepted);

    constructor() {
        owner = msg.sender;
        tierAuthority = msg.sender;
    }

    modifier onlyOwner() {
        require(msg.sender == owner, "Registry: only the owner");
        _;
    }

    /// @notice Registers (or updates) the caller as a provider, gateway, matcher or slark.
    function register(Role role, string calldata peerId, string calldata region, bytes calldata attributes, bytes calldata blsPublicKey) external {
        require(role == Role.Provider || role == Role.Gateway || role == Role.Matcher || role == Role.Slark, "Registry: use registerFizz for fizz nodes");
        require(bytes(peerId).length > 0, "Registry: peer id required");
        if (role == Role.Matcher || role == Role.Slark) require(blsPublicKey.length == 48, "Registry: a 48-byte BLS public key is required");
        _store(role, peerId, region, attributes, blsPublicKey, address(0));
    }

    /// @notice Registers the caller as a fizz node under a gateway that accepted it.
    function registerFizz(address gateway, string calldata peerId, string calldata region, bytes calldata attributes) external {
        require(nodes[gateway].role == Role.Gateway && nodes[gateway].approved, "Registry: not an approved gateway");
        require(gatewayAccepts[gateway][msg.sender], "Registry: the gateway has not accepted this fizz node");
        require(bytes(peerId).length > 0, "Registry: peer id required");
        _store(Role.Fizz, peerId, region, attributes, "", gateway);
    }

    function acceptFizz(address fizz, bool accepted) external {
        require(nodes[msg.sender].role == Role.Gateway, "Registry: only a gateway accepts fizz nodes");
        gatewayAccepts[msg.sender][fizz] = accepted;
        emit FizzAccepted(msg.sender, fizz, accepted);
    }

    function setApproval(address node, bool approved) external onlyOwner {
        require(nodes[node].role != Role.None, "Registry: not registered");
        nodes[node].approved = approved;
        emit Approval(node, approved);
    }

    function setTier(address node, uint8 tier) external {
        require(msg.sender == tierAuthority, "Registry: only the tier authority");
        require(tier >= 1 && tier <= 7, "Registry: tier is 1 to 7");
        require(nodes[node].role != Role.None, "Registry: not registered");
        nodes[node].tier = tier;
        emit TierSet(node, tier);
    }

    function setTierAuthority(address authority) external onlyOwner {
        tierAuthority = authority;
    }

    function roleOf(address node) external view returns (Role) { return nodes[node].role; }
    function isApproved(address node) external view returns (bool) { return nodes[node].approved; }
    function tierOf(address node) external view returns (uint8) { return nodes[node].tier; }
    function gatewayOf(address node) external view returns (address) { return nodes[node].gateway; }
    function count() external view returns (uint256) { return registered.length; }
    function at(uint256 i) external view returns (address) { return registered[i]; }

    function nodeOf(address node) external view returns (Node memory) { return nodes[node]; }

    function _store(Role role, string calldata peerId, string calldata region, bytes calldata attributes, bytes memory bls, address gateway) private {
        Node storage n = nodes[msg.sender];
        require(n.role == Role.None || n.role == role, "Registry: already registered with another role");
        if (n.role == Role.None) {
            registered.push(msg.sender);
            n.registeredAt = uint64(block.timestamp);
            n.tier = 7;
            n.approved = true;
        }
        n.role = role;
        n.peerId = peerId;
        n.region = region;
        n.attributes = attributes;
        n.blsPublicKey = bls;
        n.gateway = gateway;
        emit Registered(msg.sender, role, peerId, gateway);
    }
}
