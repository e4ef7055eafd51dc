/**
 * The codes the gateway's authentication raises (as core `UnauthorizedError`); the server maps them
 * to `extensions.code`. Core's `ErrorCode` holds the codes core raises; these are the gateway's own.
 */
export const AuthErrorCode = {
  /** Malformed, oversized or badly signed token, issued in the future, or living too long. */
  TOKEN_INVALID: "TOKEN_INVALID",
  /** The token's `expiresAt` has passed (beyond the tolerated clock skew). */
  TOKEN_EXPIRED: "TOKEN_EXPIRED",
  /** The token is for another gateway. */
  AUDIENCE_MISMATCH: "AUDIENCE_MISMATCH",
  /** The signing key is not registered on the ledger to the member the token names. */
  KEY_UNKNOWN: "KEY_UNKNOWN",
  /** The signing key was revoked (rotated out) on the ledger. */
  KEY_REVOKED: "KEY_REVOKED",
  /** The member is suspended on the ledger. */
  MEMBER_SUSPENDED: "MEMBER_SUSPENDED",
} as const;

export type AuthErrorCode = (typeof AuthErrorCode)[keyof typeof AuthErrorCode];
