/**
 * The one error hierarchy of credtrail. Every error a layer raises on purpose is a
 * {@link CredtrailError} with a stable UPPER_SNAKE `code` (the gateway maps it to
 * `extensions.code`), a short message, optional structured `details` and an optional `cause`.
 */

/** Every error code raised by `core/`, plus the default codes of the subclasses other layers use. */
export const ErrorCode = {
  // USCC (GB 32100-2015)
  USCC_LENGTH: "USCC_LENGTH",
  USCC_CHARACTER: "USCC_CHARACTER",
  USCC_CHECK_CHARACTER: "USCC_CHECK_CHARACTER",
  // values and encodings
  CANONICAL_JSON_INVALID: "CANONICAL_JSON_INVALID",
  HEX_INVALID: "HEX_INVALID",
  ADDRESS_INVALID: "ADDRESS_INVALID",
  INTEGER_INVALID: "INTEGER_INVALID",
  NAME_INVALID: "NAME_INVALID",
  KEY_INVALID: "KEY_INVALID",
  SEVERITY_INVALID: "SEVERITY_INVALID",
  ROLE_INVALID: "ROLE_INVALID",
  PARAMETER_INVALID: "PARAMETER_INVALID",
  ACTION_INVALID: "ACTION_INVALID",
  // records, schemas, batches, signatures
  SCHEMA_INVALID: "SCHEMA_INVALID",
  SCHEMA_UNKNOWN: "SCHEMA_UNKNOWN",
  RECORD_INVALID: "RECORD_INVALID",
  ATTESTATION_INVALID: "ATTESTATION_INVALID",
  MERKLE_INVALID: "MERKLE_INVALID",
  SIGNATURE_INVALID: "SIGNATURE_INVALID",
  FORWARD_REQUEST_INVALID: "FORWARD_REQUEST_INVALID",
  LOGIN_INVALID: "LOGIN_INVALID",
  LOGIN_EXPIRED: "LOGIN_EXPIRED",
  // defaults of the subclasses used by the layers above core
  NOT_FOUND: "NOT_FOUND",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  CONFLICT: "CONFLICT",
  LEDGER_ERROR: "LEDGER_ERROR",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export type ErrorDetails = Record<string, unknown>;

export interface CredtrailErrorOptions {
  /** Structured facts that explain the error (safe to show to the caller). */
  details?: ErrorDetails;
  /** The underlying error, when this one wraps another. */
  cause?: unknown;
}

/** The JSON form of an error (what logs and API responses carry; never the cause's stack). */
export interface CredtrailErrorJson {
  name: string;
  code: string;
  message: string;
  details?: ErrorDetails;
}

export class CredtrailError extends Error {
  readonly code: string;
  readonly details?: ErrorDetails;

  constructor(code: string, message: string, options: CredtrailErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (options.details !== undefined) this.details = options.details;
  }

  toJSON(): CredtrailErrorJson {
    const json: CredtrailErrorJson = { name: this.name, code: this.code, message: this.message };
    if (this.details !== undefined) json.details = this.details;
    return json;
  }
}

/** Input that is malformed or breaks a domain rule. */
export class ValidationError extends CredtrailError {}

export type UsccErrorCode =
  | typeof ErrorCode.USCC_LENGTH
  | typeof ErrorCode.USCC_CHARACTER
  | typeof ErrorCode.USCC_CHECK_CHARACTER;

/** A Unified Social Credit Code that fails GB 32100-2015 (length, character or check character). */
export class UsccError extends ValidationError {
  declare readonly code: UsccErrorCode;

  constructor(code: UsccErrorCode, message: string, options: CredtrailErrorOptions = {}) {
    super(code, message, options);
  }
}

/** Something asked for does not exist. */
export class NotFoundError extends CredtrailError {
  constructor(message: string, options: CredtrailErrorOptions & { code?: string } = {}) {
    super(options.code ?? ErrorCode.NOT_FOUND, message, options);
  }
}

/** The caller is not authenticated (no, bad or expired credentials). */
export class UnauthorizedError extends CredtrailError {
  constructor(message: string, options: CredtrailErrorOptions & { code?: string } = {}) {
    super(options.code ?? ErrorCode.UNAUTHORIZED, message, options);
  }
}

/** The caller is authenticated but may not do this. */
export class ForbiddenError extends CredtrailError {
  constructor(message: string, options: CredtrailErrorOptions & { code?: string } = {}) {
    super(options.code ?? ErrorCode.FORBIDDEN, message, options);
  }
}

/** The request contradicts the current state (already exists, already decided, ...). */
export class ConflictError extends CredtrailError {
  constructor(message: string, options: CredtrailErrorOptions & { code?: string } = {}) {
    super(options.code ?? ErrorCode.CONFLICT, message, options);
  }
}

/** The ledger back end failed or rejected an operation. */
export class LedgerError extends CredtrailError {
  constructor(message: string, options: CredtrailErrorOptions & { code?: string } = {}) {
    super(options.code ?? ErrorCode.LEDGER_ERROR, message, options);
  }
}

/** Whether `error` is a credtrail error, optionally with a given code. */
export function isCredtrailError(error: unknown, code?: string): error is CredtrailError {
  return error instanceof CredtrailError && (code === undefined || error.code === code);
}
