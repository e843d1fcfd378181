// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Token — a plain ERC-20 (18 decimals) with an optional devnet faucet.
/// @notice SPON is deployed with a faucet on devnets; a zero `faucetLimit` disables it.
contract Token {
    string public name;
    string public symbol;
    uint8 public constant decimals = 18;
    uint256 public totalSupply;
    /// @notice Most one faucet call may mint; 0 = no faucet.
    uint256 public immutable faucetLimit;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor(string memory name_, string memory symbol_, uint256 faucetLimit_, address holder, uint256 supply) {
        name = name_;
        symbol = symbol_;
        faucetLimit = faucetLimit_;
        if (supply > 0) _mint(holder, supply);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            require(allowed >= value, "Token: allowance too small");
            allowance[from][msg.sender] = allowed - value;
        }
        _transfer(from, to, value);
        return true;
    }

    /// @notice Devnet only: mint up to `faucetLimit` to the caller.
    function faucet(uint256 value) external {
        require(faucetLimit > 0, "Token: no faucet on this network");
        require(value <= faucetLimit, "Token: above the faucet limit");
        _mint(msg.sender, value);
    }

    function _transfer(address from, address to, uint256 value) private {
        require(to != address(0), "Token: transfer to the zero address");
        require(balanceOf[from] >= value, "Token: balance too small");
        unchecked { balanceOf[from] -= value; }
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }

    function _mint(address to, uint256 value) private {
        totalSupply += value;
        balanceOf[to] += value;
        emit Transfer(address(0), to, value);
    }
}
