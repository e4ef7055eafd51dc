import { connection } from "./connection.js";

export const scoresSdl = /* GraphQL */ `
  "A reason code: a feature that lost points against its best bin."
  type ScoreReason {
    code: String!
    text: String!
    feature: String!
    pointsLost: Int!
  }

  """
  Where a verified score's leaf is anchored. Check it without trusting this node: recompute the
  leaf hash from (subject, value, grade, modelHash, keccak256(abi.encode(inputs)), asOfBlock), fold
  the path to the root, and find the root anchored on the ledger (ScoreBatchAnchored) with the same
  model hash and as-of block.
  """
  type ScoreProof {
    "The leaf hash."
    leaf: String!
    path: [String!]!
    root: String!
    batchTx: String!
    "The block of the anchoring transaction."
    blockNumber: BigInt!
    blockHash: String!
    modelHash: String!
    "The sorted input uids."
    inputs: [ID!]!
    """
    The inputs that are batch leaves without a ledger record of their own: their fields and Merkle
    paths to batch roots anchored on the ledger, so a verifier can prove them without the gateway.
    """
    leafInputs: [ScoreLeafInput!]!
  }

  "A batch leaf, provable against its batch root on the ledger (leaf uid = attestation uid with the batch's schema and provider)."
  type ScoreLeafInput {
    uid: ID!
    root: String!
    index: Int!
    subject: ID!
    dataHash: String!
    observedAt: BigInt!
    expiresAt: BigInt!
    severity: Int!
    "Sibling hashes from the leaf up to the root."
    path: [String!]!
  }

  """
  A subject's credit score under a registered scorecard model: provisional as soon as an input
  changes, verified once its leaf is in a score batch anchored on the ledger.
  """
  type Score {
    subject: ID!
    value: Int!
    grade: String!
    "Probability of default."
    pd: Float!
    "Reason codes, most points lost first."
    reasons: [String!]!
    reasonDetails: [ScoreReason!]!
    "The model hash."
    model: String!
    "Timestamp (unix seconds) of the as-of block."
    asOf: BigInt!
    "The block the inputs were read at (the leaf's asOfBlock once verified)."
    asOfBlock: BigInt!
    "The records that counted, sorted."
    inputs: [ID!]!
    verified: Boolean!
    "ISO-8601: when this version was computed; null once verified."
    provisionalSince: String
    "Why the score is not verified yet; null once verified."
    provisionalReason: String
    "Records that would count but whose contents this node does not hold (left out of the score)."
    missingContents: [ID!]!
    "Null until verified."
    proof: ScoreProof
  }
  ${connection("Score")}

  type Subscription {
    """
    The subject's score each time it changes or becomes verified, over server-sent events (POST or
    GET /graphql with Accept: text/event-stream). Same access as subject(); every delivery is
    written to the query audit log.
    """
    scoreChanged(subjectId: ID!, purpose: String!): Score!
  }
`;
