import { connection } from "./connection.js";

export const auditSdl = /* GraphQL */ `
  type QueryAuditAnchor {
    root: String!
    proof: [String!]!
    txHash: String!
  }

  type QueryAuditEntry {
    id: ID!
    member: ID!
    key: String!
    subject: ID!
    purpose: String!
    operation: String!
    "Milliseconds since the epoch."
    at: BigInt!
    anchor: QueryAuditAnchor
  }
  ${connection("QueryAuditEntry")}
  extend type Query {
    "Regulators. Newest first."
    queryAudit(subject: ID, member: ID, first: Int, after: String): QueryAuditEntryConnection!
  }
`;
