import { connection } from "./connection.js";

export const disputesSdl = /* GraphQL */ `
  enum DisputeStatus {
    OPEN
    ANSWERED
    WITHDRAWN
    LAPSED
  }

  enum DisputeOutcome {
    NONE
    UPHELD
    CORRECTED
  }

  type Dispute {
    uid: ID!
    seq: Int!
    opener: ID!
    status: DisputeStatus!
    outcome: DisputeOutcome!
    openedAt: BigInt!
    deadline: BigInt!
    overdue: Boolean!
    reasonHash: String!
    responseHash: String
    answeredBy: ID
    anchoring: Anchoring!
  }

  enum RepairStatus {
    REQUESTED
    APPROVED
    REJECTED
  }

  type Repair {
    uid: ID!
    seq: Int!
    requester: ID!
    status: RepairStatus!
    requestedAt: BigInt!
    evidenceHash: String!
    authority: ID
    decisionHash: String
    anchoring: Anchoring!
    decidedAt: Anchoring
  }
  ${connection("Dispute")}
  ${connection("Repair")}
  extend type Query {
    "Regulators. By status, then deadline; overdue: only open disputes past their deadline."
    disputes(status: DisputeStatus, overdue: Boolean, first: Int, after: String): DisputeConnection!
    "Regulators. By status, then request time."
    repairs(status: RepairStatus, first: Int, after: String): RepairConnection!
  }
`;
