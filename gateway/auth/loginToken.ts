/**
 * The gateway's bearer token: an EIP-712 `Login` message (core LOGIN_TYPES, domain
 * `gatewayDomain(chainId)`) and its signature, as `base64url(JSON)` with the uint64 fields as
 * decimal strings:
 *
 *   {"key","member","audience","issuedAt","expiresAt","nonce","signature"}
 *
 * Sent as `Authorization: Bearer <token>`. Decoding is strict: size cap, exact fields, normal forms.
 */
import { hexlify, randomBytes } from "ethers";

import type { Hex, LoginMessage, TypedDataSigner } from "../../core/index.js";
import {
  checkSignature,
  gatewayDomain,
  normalizeLoginMessage,
  signLogin,
  UnauthorizedError,
} from "../../core/index.js";
import { AuthErrorCode } from "./errorCodes.js";

/** The longest token accepted (characters of base64url). */
export const MAX_TOKEN_LENGTH = 2048;

/** The fields of the token's JSON, in the order they are written. */
export const LOGIN_TOKEN_FIELDS = [
  "key",
  "member",
  "audience",
  "issuedAt",
  "expiresAt",
  "nonce",
  "signature",
] as const;

/** A decoded token: the normalised login message and its 65-byte signature (lowercase hex). */
export interface LoginToken {
  message: LoginMessage;
  signature: Hex;
}

/** Something that signs typed data and knows its address (an ethers Wallet or Signer). */
export interface LoginSigner extends TypedDataSigner {
  getAddress(): Promise<string>;
}

export interface CreateLoginTokenParams {
  /** The chain of the ledger the gateway reads (the login domain's chainId). */
  chainId: bigint | number;
  /** The member id (bytes32) the signer's key is registered to. */
  member: string;
  /** The gateway the token is for (must equal the gateway's configured audience). */
  audience: string;
  /** How long the token is valid, seconds (the gateway caps it, 3600 by default). */
  lifetimeSeconds: number;
  /** Now, unix seconds (becomes `issuedAt`). */
  now: bigint | number;
  /** 32 bytes; random when omitted. */
  nonce?: string;
}

function invalid(message: string, details?: Record<string, unknown>, cause?: unknown): never {
  throw new UnauthorizedError(`token rejected: ${message}`, {
    code: AuthErrorCode.TOKEN_INVALID,
    details,
    cause,
  });
}

/** The token's text for a signed login message. */
export function encodeLoginToken(token: LoginToken): string {
  const { message, signature } = token;
  const json = JSON.stringify({
    key: message.key,
    member: message.member,
    audience: message.audience,
    issuedAt: message.issuedAt.toString(),
    expiresAt: message.expiresAt.toString(),
    nonce: message.nonce,
    signature,
  });
  return Buffer.from(json, "utf8").toString("base64url");
}

/** Signs a login message with `signer` and returns the bearer token (for clients, the CLI, tests). */
export async function createLoginToken(
  signer: LoginSigner,
  params: CreateLoginTokenParams,
): Promise<string> {
  const issuedAt = BigInt(params.now);
  if (!Number.isSafeInteger(params.lifetimeSeconds) || params.lifetimeSeconds <= 0) {
    throw new RangeError("lifetimeSeconds must be a positive integer");
  }
  const message = normalizeLoginMessage({
    key: await signer.getAddress(),
    member: params.member,
    audience: params.audience,
    issuedAt,
    expiresAt: issuedAt + BigInt(params.lifetimeSeconds),
    nonce: params.nonce ?? hexlify(randomBytes(32)),
  });
  const signature = await signLogin(signer, gatewayDomain(params.chainId), message);
  return encodeLoginToken({ message, signature });
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const DECIMAL = /^(0|[1-9][0-9]{0,19})$/;

/**
 * Decodes a token strictly: at most MAX_TOKEN_LENGTH characters of unpadded base64url, a JSON
 * object with exactly the LOGIN_TOKEN_FIELDS, all strings, uint64 fields as canonical decimals, a
 * valid login message and a 65-byte low-s signature. Does not check the signature against the key
 * (see createAuthenticator). Throws UnauthorizedError TOKEN_INVALID.
 */
export function decodeLoginToken(token: string): LoginToken {
  if (typeof token !== "string" || token.length === 0) invalid("empty token");
  if (token.length > MAX_TOKEN_LENGTH) {
    invalid("token too long", { length: token.length, max: MAX_TOKEN_LENGTH });
  }
  if (!BASE64URL.test(token)) invalid("token is not base64url");
  const bytes = Buffer.from(token, "base64url");
  if (bytes.toString("base64url") !== token) invalid("token is not canonical base64url");
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (cause) {
    invalid("token is not UTF-8 JSON", undefined, cause);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    invalid("token must be a JSON object");
  }
  const record = parsed as Record<string, unknown>;
  const fields: readonly string[] = LOGIN_TOKEN_FIELDS;
  const unknownFields = Object.keys(record).filter((k) => !fields.includes(k));
  if (unknownFields.length > 0) invalid("token has unknown fields", { fields: unknownFields });
  const values: Record<string, string> = {};
  for (const field of LOGIN_TOKEN_FIELDS) {
    const value = record[field];
    if (typeof value !== "string") invalid(`token field ${field} must be a string`, { field });
    values[field] = value;
  }
  for (const field of ["issuedAt", "expiresAt"] as const) {
    if (!DECIMAL.test(values[field])) {
      invalid(`token field ${field} must be a decimal integer`, { field });
    }
  }
  let message: LoginMessage;
  try {
    message = normalizeLoginMessage({
      key: values.key,
      member: values.member,
      audience: values.audience,
      issuedAt: BigInt(values.issuedAt),
      expiresAt: BigInt(values.expiresAt),
      nonce: values.nonce,
    });
  } catch (cause) {
    invalid(
      `bad login message: ${cause instanceof Error ? cause.message : String(cause)}`,
      {},
      cause,
    );
  }
  let signature: Hex;
  try {
    signature = checkSignature(values.signature).serialized.toLowerCase() as Hex;
  } catch (cause) {
    invalid(`bad signature: ${cause instanceof Error ? cause.message : String(cause)}`, {}, cause);
  }
  return { message, signature };
}

/** The `Authorization` header value for a token. */
export function bearer(token: string): string {
  return `Bearer ${token}`;
}
