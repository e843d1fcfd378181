// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import "./IERC20.sol";

/// @title Escrow — users' and providers' balances per token, unlocked and locked, plus fees.
/// @notice Only the Leases contract moves locked funds. Invariant, per token:
/// token.balanceOf(this) == Σ balanceOf + Σ lockedOf + fees.
contract Escrow {
    address public owner;
    address public leases;
    mapping(address => bool) public tokenEnabled;
    /// user => token => unlocked balance
    mapping(address => mapping(address => uint256)) public balanceOf;
    /// user => token => locked for leases
    mapping(address => mapping(address => uint256)) public lockedOf;
    /// token => fees owed to the foundation
    mapping(address => uint256) public fees;

    event Deposited(address indexed user, address indexed token, uint256 amount);
    event Withdrawn(address indexed user, address indexed token, uint256 amount);
    event TokenEnabled(address indexed token, bool enabled);

    constructor(address[] memory tokens) {
        owner = msg.sender;
        for (uint256 i = 0; i < tokens.length; i++) {
            tokenEnabled[tokens[i]] = true;
            emit TokenEnabled(tokens[i], true);
        }
    }

    modifier onlyLeases() {
        require(msg.sender == leases, "Escrow: only the Leases contract");
        _;
    }

    function setLeases(address leases_) external {
        require(msg.sender == owner && leases == address(0), "Escrow: Leases is set once, by the owner");
        leases = leases_;
    }

    function enableToken(address token, bool enabled) external {
        require(msg.sender == owner, "Escrow: only the owner");
        tokenEnabled[token] = enabled;
        emit TokenEnabled(token, enabled);
    }

    function deposit(address token, uint256 amount) external {
        require(tokenEnabled[token], "Escrow: token not accepted for payments");
        require(amount > 0, "Escrow: nothing to deposit");
        require(IERC20(token).transferFrom(msg.sender, address(this), amount), "Escrow: transfer failed");
        balanceOf[msg.sender][token] += amount;
        emit Deposited(msg.sender, token, amount);
    }

    function withdraw(address token, uint256 amount) external {
        require(amount > 0 && balanceOf[msg.sender][token] >= amount, "Escrow: unlocked balance too small");
        balanceOf[msg.sender][token] -= amount;
        require(IERC20(token).transfer(msg.sender, amount), "Escrow: transfer failed");
        emit Withdrawn(msg.sender, token, amount);
    }

    function withdrawFees(address token, address to) external {
        require(msg.sender == owner, "Escrow: only the owner");
        uint256 amount = fees[token];
        fees[token] = 0;
        require(IERC20(token).transfer(to, amount), "Escrow: transfer failed");
    }

    function lock(address user, address token, uint256 amount) external onlyLeases {
        require(tokenEnabled[token], "Escrow: token not accepted for payments");
        require(balanceOf[user][token] >= amount, "Escrow: balance too small for this lease");
        balanceOf[user][token] -= amount;
        lockedOf[user][token] += amount;
    }

    function unlock(address user, address token, uint256 amount) external onlyLeases {
        lockedOf[user][token] -= amount;
        balanceOf[user][token] += amount;
    }

    /// @notice Moves `fromLocked` out of `payer`'s locked funds: `toPayee` to `payee`, the rest to fees.
    function pay(address payer, address payee, address token, uint256 fromLocked, uint256 toPayee) external onlyLeases {
        require(toPayee <= fromLocked, "Escrow: payout above amount");
        lockedOf[payer][token] -= fromLocked;
        balanceOf[payee][token] += toPayee;
        fees[token] += fromLocked - toPayee;
    }
}
