import { connection } from "./connection.js";

export const membersSdl = /* GraphQL */ `
  enum Role {
    PROVIDER
    SCORER
    REPAIR_AUTHORITY
    LENDER
    REGULATOR
    OPERATOR
  }

  type MemberKey {
    address: String!
    active: Boolean!
    addedAt: Anchoring!
    revokedAt: Anchoring
  }

  "A provider's accreditation for a data category, until expiresAt (unix seconds)."
  type MemberScope {
    category: String!
    categoryName: String
    expiresAt: BigInt!
  }

  type Member {
    id: ID!
    name: String!
    roles: [Role!]!
    suspended: Boolean!
    keys: [MemberKey!]!
    scopes: [MemberScope!]!
    admittedAt: Anchoring!
  }
  ${connection("Member")}
  extend type Query {
    "Regulators and providers."
    members(role: Role, first: Int, after: String): MemberConnection!
    "Regulators and providers."
    member(id: ID!): Member
  }
`;
