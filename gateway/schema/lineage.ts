export const lineageSdl = /* GraphQL */ `
  enum LineageDirection {
    INPUTS
    DEPENDENTS
  }

  enum NodeState {
    REVOKED
    SUPERSEDED
    EXPIRED
    STALE
    REPAIRED
    ACTIVE
    "The node does not hold the record (e.g. a batch leaf whose file was not uploaded)."
    UNKNOWN
  }

  type LineageNode {
    uid: ID!
    depth: Int!
    state: NodeState!
    provider: Member
    attestation: Attestation
  }

  "derived lists input among its inputs."
  type LineageEdge {
    derived: ID!
    input: ID!
  }

  type Lineage {
    root: ID!
    direction: LineageDirection!
    nodes: [LineageNode!]!
    edges: [LineageEdge!]!
    truncated: Boolean!
  }

  extend type Query {
    "Regulators. depth 1…32 (default 8)."
    lineage(uid: ID!, direction: LineageDirection!, depth: Int): Lineage!
  }
`;
