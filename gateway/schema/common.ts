/** Scalars and types shared by every area. */
import { pageInfoSdl } from "./connection.js";

export const commonSdl = /* GraphQL */ `
  "An unsigned integer too large for Int (block numbers, unix seconds), as a decimal string."
  scalar BigInt

  "Where the ledger recorded something: the event's block, transaction and log position."
  type Anchoring {
    blockNumber: BigInt!
    blockHash: String!
    txHash: String!
    logIndex: Int!
  }

  ${pageInfoSdl}
`;
