import { connection } from "./connection.js";

export const attestationsSdl = /* GraphQL */ `
  enum AttestationStatus {
    ACTIVE
    REVOKED
    SUPERSEDED
  }

  "A record's state as read now: the first that applies, in this order."
  enum RecordState {
    REVOKED
    SUPERSEDED
    EXPIRED
    STALE
    REPAIRED
    ACTIVE
  }

  enum SourceType {
    SINGLE
    BATCH_LEAF
    DERIVED
  }

  type AttestationSource {
    type: SourceType!
    "BATCH_LEAF: the batch's Merkle root and the leaf's position in its file (null until uploaded)."
    batchRoot: String
    leafIndex: Int
    "DERIVED: the scoring model and the input records."
    modelHash: String
    inputs: [ID!]
  }

  type Attestation {
    uid: ID!
    schema: String!
    category: String
    subject: ID!
    provider: Member
    dataHash: String!
    observedAt: BigInt!
    "0 when it does not expire."
    expiresAt: BigInt!
    severity: Int!
    status: AttestationStatus!
    state: RecordState!
    supersededBy: ID
    supersedes: ID
    disputed: Boolean!
    repaired: Boolean!
    stale: Boolean!
    expired: Boolean!
    source: AttestationSource!
    "The ledger event that created the record (for a batch leaf: the batch anchor)."
    anchoring: Anchoring!
  }
  ${connection("Attestation")}
  input AttestationFilter {
    "A category name (e.g. tax.payment) or id."
    category: String
    schema: String
    status: AttestationStatus
  }

  extend type Query {
    """
    Regulators; providers (their own records); lenders with a consent in force for the record's
    subject and purpose. The read is logged.
    """
    attestation(uid: ID!, purpose: String! = "credit-assessment"): Attestation
  }
`;
