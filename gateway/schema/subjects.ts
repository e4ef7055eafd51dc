import { connection } from "./connection.js";

export const subjectsSdl = /* GraphQL */ `
  type Consent {
    consentId: ID!
    lender: ID!
    purposeHash: String!
    expiresAt: BigInt!
    revoked: Boolean!
    inForce: Boolean!
    anchoring: Anchoring!
  }
  ${connection("Consent")}
  """
  An enterprise, by its pseudonymous subject id. Providers see only their own records of it; lenders
  need a consent in force for the purpose they name.
  """
  type Subject {
    id: ID!
    "Newest first."
    attestations(filter: AttestationFilter, first: Int, after: String): AttestationConnection!
    "Disputes on the subject's records (latest first per record)."
    disputes(status: DisputeStatus): [Dispute!]!
    repairs(status: RepairStatus): [Repair!]!
    "Regulators only."
    consents(first: Int, after: String): ConsentConnection!
    "The current score (lenders with consent and regulators; null when the subject has no records)."
    score: Score
    "Every version of the score, newest first."
    scoreHistory(first: Int, after: String): ScoreConnection!
  }

  extend type Query {
    """
    Give exactly one of uscc (needs the consortium key on this gateway) and subjectId. Every call is
    written to the query audit log before any data is returned.
    """
    subject(uscc: String, subjectId: ID, purpose: String! = "credit-assessment"): Subject
  }
`;
