/**
 * Codes the gateway raises itself (as core error subclasses); core, indexer and auth codes pass
 * through unchanged. Every expected error reaches the caller as `extensions.code`; anything else is
 * masked as INTERNAL.
 */
export const GatewayErrorCode = {
  /** No credentials for a field that needs a member. */
  UNAUTHENTICATED: "UNAUTHENTICATED",
  /** The member's roles do not allow this read. */
  FORBIDDEN: "FORBIDDEN",
  /** A lender without a consent for the subject and purpose. */
  CONSENT_REQUIRED: "CONSENT_REQUIRED",
  /** A lender whose consent for the subject and purpose has expired. */
  CONSENT_EXPIRED: "CONSENT_EXPIRED",
  /** A lender whose consent for the subject and purpose was revoked. */
  CONSENT_REVOKED: "CONSENT_REVOKED",
  /** Give exactly one of `uscc` and `subjectId`. */
  SUBJECT_ARGUMENT_INVALID: "SUBJECT_ARGUMENT_INVALID",
  /** This gateway has no consortium key: look subjects up by subjectId. */
  SUBJECT_KEY_UNAVAILABLE: "SUBJECT_KEY_UNAVAILABLE",
  /** A purpose must be 1…64 printable characters. */
  PURPOSE_INVALID: "PURPOSE_INVALID",
  ATTESTATION_NOT_FOUND: "ATTESTATION_NOT_FOUND",
  MEMBER_NOT_FOUND: "MEMBER_NOT_FOUND",
  RATE_LIMITED: "RATE_LIMITED",
  /** This gateway has no node key: it relays no writes. */
  WRITES_DISABLED: "WRITES_DISABLED",
  /** A signed message whose deadline has passed. */
  DEADLINE_PASSED: "DEADLINE_PASSED",
  /** The signing key is not an active key of the calling member. */
  SIGNER_NOT_MEMBER: "SIGNER_NOT_MEMBER",
  /** The provider is not accredited (now) for the schema's data category. */
  SCOPE_MISSING: "SCOPE_MISSING",
  /** The record (same uid) is already on the ledger. */
  RECORD_EXISTS: "RECORD_EXISTS",
  /** The signature's nonce was already relayed. */
  NONCE_USED: "NONCE_USED",
  /** A forward request whose nonce is not the forwarder's next one for its key. */
  NONCE_NOT_NEXT: "NONCE_NOT_NEXT",
  /** A forward request addressed to another contract than the registry. */
  RELAY_TARGET_INVALID: "RELAY_TARGET_INVALID",
  /** A forward request whose data calls another registry function than the mutation's own. */
  WRONG_OPERATION: "WRONG_OPERATION",
  /** A provider acting on a record or batch of another member. */
  NOT_OWNER: "NOT_OWNER",
  BATCH_NOT_FOUND: "BATCH_NOT_FOUND",
  BODY_TOO_LARGE: "BODY_TOO_LARGE",
  BODY_INVALID: "BODY_INVALID",
  UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  GRAPHQL_PARSE_FAILED: "GRAPHQL_PARSE_FAILED",
  GRAPHQL_VALIDATION_FAILED: "GRAPHQL_VALIDATION_FAILED",
  QUERY_TOO_DEEP: "QUERY_TOO_DEEP",
  QUERY_TOO_COSTLY: "QUERY_TOO_COSTLY",
  TOO_MANY_ALIASES: "TOO_MANY_ALIASES",
  TOO_MANY_TOKENS: "TOO_MANY_TOKENS",
  TOO_MANY_DIRECTIVES: "TOO_MANY_DIRECTIVES",
  /** An unexpected failure (details are in the server log, never in the response). */
  INTERNAL: "INTERNAL",
} as const;

export type GatewayErrorCode = (typeof GatewayErrorCode)[keyof typeof GatewayErrorCode];
