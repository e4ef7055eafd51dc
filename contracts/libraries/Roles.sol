// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Roles
/// @notice Member roles as bits of one byte. A member may hold several.
library Roles {
    uint8 internal constant PROVIDER = 1 << 0;
    uint8 internal constant SCORER = 1 << 1;
    uint8 internal constant REPAIR_AUTHORITY = 1 << 2;
    uint8 internal constant LENDER = 1 << 3;
    uint8 internal constant REGULATOR = 1 << 4;
    uint8 internal constant OPERATOR = 1 << 5;
    /// @notice Every defined role bit.
    uint8 internal constant ALL = (1 << 6) - 1;
}
