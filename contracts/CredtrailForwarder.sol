// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC2771Forwarder} from "@openzeppelin/contracts/metatx/ERC2771Forwarder.sol";

/// @title CredtrailForwarder
/// @notice The ERC-2771 forwarder the CreditRegistry trusts: a member signs an EIP-712
/// ForwardRequest with one of its registered keys, and a node relays it (paying the gas); the
/// registry then sees the member's key as the caller. Nonces are per signer and sequential;
/// deadlines bound how long a signed request can be relayed. EIP-712 domain:
/// ("credtrail-forwarder", "1", chainId, this address).
contract CredtrailForwarder is ERC2771Forwarder {
    constructor() ERC2771Forwarder("credtrail-forwarder") {}
}
