export const mutationsSdl = /* GraphQL */ `
  "The fields a provider signs (core AttestationRequest)."
  input AttestationRequestInput {
    schema: String!
    subject: ID!
    dataHash: String!
    observedAt: BigInt!
    "0 when it does not expire."
    expiresAt: BigInt!
    severity: Int!
  }

  "An EIP-712 Attest message signed by a provider key, for the registry's attestBySig."
  input SignedAttestationInput {
    request: AttestationRequestInput!
    signer: String!
    nonce: BigInt!
    deadline: BigInt!
    signature: String!
  }

  type SubmitAttestationResult {
    uid: ID!
    txHash: String!
    blockNumber: BigInt!
  }

  type Mutation {
    """
    Providers: relays an attestation signed by one of the caller's member keys, after checking the
    signature, the schema, the caller's accreditation for its category, the deadline and that the
    nonce and the record are new.
    """
    submitAttestation(input: SignedAttestationInput!): SubmitAttestationResult!
  }
`;
