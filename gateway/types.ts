/**
 * The seams between the gateway's parts: who is calling (auth), and the query audit log. The server
 * (gateway/server.ts) composes them; each part is built by a `createX(deps)` factory.
 */
import type { Hex } from "../core/index.js";

/** A caller authenticated with a key registered to a member on the ledger. */
export interface Principal {
  memberId: Hex;
  memberName: string;
  /** Role bits (core `Role`) from the indexed membership, read at request time. */
  roles: number;
  /** The member key that signed the login token (checksummed address). */
  key: string;
  /** Unix seconds: when the login token stops being accepted. */
  tokenExpiresAt: bigint;
}

export interface Authenticator {
  /**
   * Resolves an `Authorization` header value ("Bearer <token>") to a principal, or null when the
   * header is absent (an anonymous caller). Throws core `UnauthorizedError` (codes TOKEN_INVALID,
   * TOKEN_EXPIRED, KEY_UNKNOWN, KEY_REVOKED, MEMBER_SUSPENDED, AUDIENCE_MISMATCH) otherwise.
   * Membership (key active, member not suspended, roles) is read from the indexer on every call,
   * so a suspension or key revocation takes effect at the next request; the signature check is
   * cached until the token expires.
   */
  authenticate(authorization: string | undefined): Promise<Principal | null>;
}

/** One read of a subject's data. */
export interface QueryAuditEntry {
  /** Fixed-width, sortable by time: `<13-digit ms>-<8-digit sequence>`. */
  id: string;
  member: Hex;
  key: string;
  subject: Hex;
  /** What the read was for (e.g. "credit-assessment"); its hash is what consents name. */
  purpose: string;
  /** The GraphQL field or operation that read it (e.g. "subject.score"). */
  operation: string;
  /** Milliseconds since the epoch. */
  at: bigint;
}

export interface QueryAuditAnchorRef {
  root: Hex;
  /** Merkle proof of this entry's leaf under `root` (OpenZeppelin StandardMerkleTree). */
  proof: Hex[];
  txHash: Hex;
}

export interface QueryAuditLog {
  /** Appends an entry (durably, before the data is returned to the caller). */
  record(entry: Omit<QueryAuditEntry, "id">): Promise<QueryAuditEntry>;
  /** Newest first; with its anchor once anchored. */
  list(filter: { subject?: Hex; member?: Hex; first?: number; after?: string }): Promise<{
    items: (QueryAuditEntry & { anchor: QueryAuditAnchorRef | null })[];
    nextCursor: string | null;
  }>;
  /** Anchors every entry not yet anchored as one Merkle root on the ledger; null when none. */
  anchorNow(): Promise<{ root: Hex; count: number; txHash: Hex } | null>;
  /** Anchors periodically (every `intervalMs`) until stopped. */
  start(): void;
  stop(): Promise<void>;
}
