export const metaSdl = /* GraphQL */ `
  "Where this node's indexer is relative to the ledger."
  type Meta {
    "The ledger's newest block (null when the ledger could not be asked)."
    headBlock: BigInt
    indexedBlock: BigInt!
    indexedBlockHash: String!
    "Head timestamp minus the indexed block's timestamp."
    lagSeconds: Int!
  }

  extend type Query {
    "Open to everyone, also without credentials."
    _meta: Meta!
  }
`;
