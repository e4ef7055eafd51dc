export const relaySdl = /* GraphQL */ `
  """
  An ERC-2771 forward request for one registry call, signed (EIP-712, domain
  "credtrail-forwarder") by one of the caller's member keys: core signForwardRequest.
  \`nonce\` is the forwarder's next nonce for \`from\` (relayInfo), \`deadline\` unix seconds.
  """
  input ForwardRequestInput {
    from: String!
    to: String!
    gas: BigInt!
    nonce: BigInt!
    deadline: BigInt!
    "ABI-encoded registry call (selector and arguments)."
    data: String!
    signature: String!
  }

  type RelayResult {
    "The registry function the request called, e.g. revoke."
    operation: String!
    txHash: String!
    blockNumber: BigInt!
    blockHash: String!
    "What the transaction created or changed: record uids, batch roots, consent ids."
    ids: [ID!]!
    "The ledger events it emitted, in order."
    events: [String!]!
  }

  "What a member needs to sign a forward request."
  type RelayInfo {
    "The EIP-712 verifying contract of forward requests."
    forwarder: String!
    chainId: BigInt!
    "The \`to\` of every request: the registry."
    registry: String!
    "The nonce the forwarder expects next from this key."
    nonce: BigInt!
  }

  extend type Query {
    "Members: the forwarder, chain, registry and next nonce for signing with one of their keys."
    relayInfo(key: String!): RelayInfo!
  }

  extend type Mutation {
    """
    Each mutation below relays one signed registry call after checking, with a code for each
    refusal and nothing sent: the caller's role for it, that the signer is an active key of the
    caller's member, the signature, deadline and nonce, that \`data\` calls the mutation's own
    registry function, that providers touch only their own records, and a dry run of the call
    (the registry's own error, decoded, when it would revert).
    """
    anchorBatch(request: ForwardRequestInput!): RelayResult!
    "Providers (and scorers for derived records): revoke one of their records."
    revokeAttestation(request: ForwardRequestInput!): RelayResult!
    "Providers: revoke a batch of theirs (every leaf stops counting)."
    revokeBatch(request: ForwardRequestInput!): RelayResult!
    "Providers: replace one of their records with a corrected one."
    supersedeAttestation(request: ForwardRequestInput!): RelayResult!
    "Providers (scorers for derived records): answer an open dispute about their record."
    answerDispute(request: ForwardRequestInput!): RelayResult!
    "Lenders: dispute a record."
    openDispute(request: ForwardRequestInput!): RelayResult!
    "Lenders: withdraw a dispute they opened."
    withdrawDispute(request: ForwardRequestInput!): RelayResult!
    "Providers, lenders and repair authorities: ask for a negative record to be repaired."
    requestRepair(request: ForwardRequestInput!): RelayResult!
    "Repair authorities: approve or reject a repair request."
    decideRepair(request: ForwardRequestInput!): RelayResult!
    "Lenders: record a subject's consent (with its expiry) on the ledger."
    recordConsent(request: ForwardRequestInput!): RelayResult!
    "Lenders: revoke a consent they recorded."
    revokeConsent(request: ForwardRequestInput!): RelayResult!
  }
`;
