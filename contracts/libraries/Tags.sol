// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Tags
/// @notice Domain-separation tags of the ledger-neutral ids. core/ computes the same ids off-chain
/// (core/ids.ts); the Fabric chaincode computes them with the same encoding.
library Tags {
    /// @dev keccak256("credtrail.attestation.v1")
    bytes32 internal constant ATTESTATION = keccak256("credtrail.attestation.v1");
    /// @dev keccak256("credtrail.derivation.v1")
    bytes32 internal constant DERIVATION = keccak256("credtrail.derivation.v1");
    /// @dev keccak256("credtrail.consent.v1")
    bytes32 internal constant CONSENT = keccak256("credtrail.consent.v1");
}
