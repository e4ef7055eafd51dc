/**
 * The one source of credtrail's EIP-712 definitions:
 * - `Attest`, signed by a provider key so that anyone may relay an attestation
 *   (ICreditRegistry.attestBySig), bound to the registry contract and chain, with nonce and deadline;
 * - `Login`, signed by a member key to log in to a gateway (no contract: the gateway checks it).
 *
 * Signatures are 65 bytes (r, s, v) with v 27 or 28 and a low s, as OpenZeppelin's ECDSA requires.
 */
import type { TypedDataDomain, TypedDataField } from "ethers";
import { Signature, TypedDataEncoder, recoverAddress, toUtf8Bytes } from "ethers";
import { keccak256 } from "./keccak.js";

import type { Hex, Uint64Like } from "./abiValues.js";
import { toAddress, toBytes32, toHexBytes, toUint, toUint64 } from "./abiValues.js";
import type { AttestationRequest, AttestationRequestInput } from "./attestationRequest.js";
import { normalizeAttestationRequest } from "./attestationRequest.js";
import { CredtrailError, ErrorCode, UnauthorizedError, ValidationError } from "./errors.js";

/** An EIP-712 domain as credtrail uses it (chainId always set). */
export interface Eip712Domain {
  name: string;
  version: string;
  chainId: bigint;
  verifyingContract?: string;
}

/** The domain of the registry contract: signatures are bound to it and to its chain. */
export interface RegistryDomain extends Eip712Domain {
  verifyingContract: string;
}

export type Eip712Types = Record<string, TypedDataField[]>;

/** Anything that signs typed data like an ethers Signer (Wallet, JsonRpcSigner, HardhatEthersSigner). */
export interface TypedDataSigner {
  signTypedData(
    domain: TypedDataDomain,
    types: Eip712Types,
    value: Record<string, unknown>,
  ): Promise<string>;
}

export const REGISTRY_DOMAIN_NAME = "credtrail";
export const REGISTRY_DOMAIN_VERSION = "1";
export const GATEWAY_DOMAIN_NAME = "credtrail-gateway";
export const GATEWAY_DOMAIN_VERSION = "1";

/** The registry's EIP-712 domain. */
export function registryDomain(
  chainId: bigint | number,
  verifyingContract: string,
): RegistryDomain {
  return {
    name: REGISTRY_DOMAIN_NAME,
    version: REGISTRY_DOMAIN_VERSION,
    chainId: toUint(chainId, 256, "chainId"),
    verifyingContract: toAddress(verifyingContract, "verifyingContract"),
  };
}

/** The gateway login domain (no verifying contract). */
export function gatewayDomain(chainId: bigint | number): Eip712Domain {
  return {
    name: GATEWAY_DOMAIN_NAME,
    version: GATEWAY_DOMAIN_VERSION,
    chainId: toUint(chainId, 256, "chainId"),
  };
}

// ------------------------------------------------------------------------------------------------
// Attest
// ------------------------------------------------------------------------------------------------

/** EIP-712 types of `Attest`, in the field order of the contract's typehash. */
export const ATTEST_TYPES: Eip712Types = {
  Attest: [
    { name: "schema", type: "bytes32" },
    { name: "subject", type: "bytes32" },
    { name: "dataHash", type: "bytes32" },
    { name: "observedAt", type: "uint64" },
    { name: "expiresAt", type: "uint64" },
    { name: "severity", type: "uint8" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
};

export const ATTEST_TYPE =
  "Attest(bytes32 schema,bytes32 subject,bytes32 dataHash,uint64 observedAt,uint64 expiresAt,uint8 severity,uint256 nonce,uint64 deadline)";
export const ATTEST_TYPEHASH: Hex = keccak256(toUtf8Bytes(ATTEST_TYPE));

/** The signed `Attest` message: the request plus nonce and deadline. */
export interface AttestMessage extends AttestationRequest {
  nonce: bigint;
  deadline: bigint;
}

/** Checks and assembles the `Attest` message (ATTESTATION_INVALID, INTEGER_INVALID for nonce/deadline). */
export function attestMessage(
  request: AttestationRequestInput,
  nonce: bigint | number,
  deadline: Uint64Like,
): AttestMessage {
  const r = normalizeAttestationRequest(request);
  return {
    schema: r.schema,
    subject: r.subject,
    dataHash: r.dataHash,
    observedAt: r.observedAt,
    expiresAt: r.expiresAt,
    severity: r.severity,
    nonce: toUint(nonce, 256, "nonce"),
    deadline: toUint64(deadline, "deadline"),
  };
}

function checkDomain(domain: Eip712Domain, needsContract: boolean): TypedDataDomain {
  const checked: TypedDataDomain = {
    name: domain.name,
    version: domain.version,
    chainId: toUint(domain.chainId, 256, "chainId"),
  };
  if (needsContract || domain.verifyingContract !== undefined) {
    checked.verifyingContract = toAddress(domain.verifyingContract, "verifyingContract");
  }
  return checked;
}

/** hashStruct of the `Attest` message. */
export function attestStructHash(
  request: AttestationRequestInput,
  nonce: bigint | number,
  deadline: Uint64Like,
): Hex {
  return TypedDataEncoder.hashStruct("Attest", ATTEST_TYPES, {
    ...attestMessage(request, nonce, deadline),
  }) as Hex;
}

/** The EIP-712 digest a provider key signs for `attestBySig`. */
export function attestDigest(
  domain: RegistryDomain,
  request: AttestationRequestInput,
  nonce: bigint | number,
  deadline: Uint64Like,
): Hex {
  return TypedDataEncoder.hash(checkDomain(domain, true), ATTEST_TYPES, {
    ...attestMessage(request, nonce, deadline),
  }) as Hex;
}

/** Signs an `Attest` message; returns the 65-byte signature as lowercase hex. */
export async function signAttest(
  signer: TypedDataSigner,
  domain: RegistryDomain,
  request: AttestationRequestInput,
  nonce: bigint | number,
  deadline: Uint64Like,
): Promise<Hex> {
  const message = attestMessage(request, nonce, deadline);
  const signature = await signer.signTypedData(checkDomain(domain, true), ATTEST_TYPES, {
    ...message,
  });
  return checkSignature(signature).serialized.toLowerCase() as Hex;
}

/** The address that signed an `Attest` message (checksummed); throws SIGNATURE_INVALID if malformed. */
export function recoverAttestSigner(
  domain: RegistryDomain,
  request: AttestationRequestInput,
  nonce: bigint | number,
  deadline: Uint64Like,
  signature: string,
): string {
  return recoverSigner(attestDigest(domain, request, nonce, deadline), signature);
}

// ------------------------------------------------------------------------------------------------
// Signatures
// ------------------------------------------------------------------------------------------------

const HALF_CURVE_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/**
 * Parses a 65-byte (r, s, v) signature the way OpenZeppelin ECDSA.recover accepts it: v 27 or 28,
 * s in the lower half of the curve order. Throws ValidationError SIGNATURE_INVALID otherwise.
 */
export function checkSignature(signature: string): Signature {
  let hex: Hex;
  try {
    hex = toHexBytes(signature, "signature");
  } catch (cause) {
    throw new ValidationError(ErrorCode.SIGNATURE_INVALID, "signature must be 0x-prefixed hex", {
      cause,
    });
  }
  if (hex.length !== 2 + 65 * 2) {
    throw new ValidationError(ErrorCode.SIGNATURE_INVALID, "signature must be 65 bytes (r, s, v)", {
      details: { bytes: (hex.length - 2) / 2 },
    });
  }
  const v = Number.parseInt(hex.slice(-2), 16);
  const s = BigInt(`0x${hex.slice(66, 130)}`);
  if (v !== 27 && v !== 28) {
    throw new ValidationError(ErrorCode.SIGNATURE_INVALID, "signature v must be 27 or 28", {
      details: { v },
    });
  }
  if (s > HALF_CURVE_ORDER) {
    throw new ValidationError(
      ErrorCode.SIGNATURE_INVALID,
      "signature s must be in the lower half order (EIP-2)",
    );
  }
  try {
    return Signature.from(hex);
  } catch (cause) {
    throw new ValidationError(
      ErrorCode.SIGNATURE_INVALID,
      "signature is not a valid secp256k1 signature",
      { cause },
    );
  }
}

/** The key that signed EIP-712 `digest` (checksummed); throws SIGNATURE_INVALID if malformed. */
export function recoverSigner(digest: Hex, signature: string): string {
  const parsed = checkSignature(signature);
  try {
    return recoverAddress(digest, parsed);
  } catch (cause) {
    throw new ValidationError(ErrorCode.SIGNATURE_INVALID, "no key recovers from this signature", {
      cause,
    });
  }
}

// ------------------------------------------------------------------------------------------------
// Login
// ------------------------------------------------------------------------------------------------

/** EIP-712 types of the gateway `Login` message. */
export const LOGIN_TYPES: Eip712Types = {
  Login: [
    { name: "key", type: "address" },
    { name: "member", type: "bytes32" },
    { name: "audience", type: "string" },
    { name: "issuedAt", type: "uint64" },
    { name: "expiresAt", type: "uint64" },
    { name: "nonce", type: "bytes32" },
  ],
};

export const LOGIN_TYPE =
  "Login(address key,bytes32 member,string audience,uint64 issuedAt,uint64 expiresAt,bytes32 nonce)";

/** A login message as a client builds it. */
export interface LoginMessageInput {
  /** The member key that signs. */
  key: string;
  /** The member id the key belongs to. */
  member: string;
  /** The gateway the login is for (its public URL or name); stops replay at another gateway. */
  audience: string;
  issuedAt: Uint64Like;
  expiresAt: Uint64Like;
  /** 32 random bytes chosen by the client; the gateway accepts each nonce once. */
  nonce: string;
}

export interface LoginMessage {
  key: string;
  member: Hex;
  audience: string;
  issuedAt: bigint;
  expiresAt: bigint;
  nonce: Hex;
}

/** Checks a login message and returns its normal form; throws ValidationError LOGIN_INVALID. */
export function normalizeLoginMessage(input: LoginMessageInput): LoginMessage {
  try {
    if (typeof input.audience !== "string" || input.audience.length === 0) {
      throw new ValidationError(ErrorCode.LOGIN_INVALID, "audience must be a non-empty string", {
        details: { field: "audience" },
      });
    }
    const message: LoginMessage = {
      key: toAddress(input.key, "key"),
      member: toBytes32(input.member, "member"),
      audience: input.audience,
      issuedAt: toUint64(input.issuedAt, "issuedAt"),
      expiresAt: toUint64(input.expiresAt, "expiresAt"),
      nonce: toBytes32(input.nonce, "nonce"),
    };
    if (message.expiresAt <= message.issuedAt) {
      throw new ValidationError(ErrorCode.LOGIN_INVALID, "expiresAt must be after issuedAt", {
        details: { field: "expiresAt" },
      });
    }
    return message;
  } catch (error) {
    if (error instanceof CredtrailError && error.code !== ErrorCode.LOGIN_INVALID) {
      throw new ValidationError(ErrorCode.LOGIN_INVALID, `login: ${error.message}`, {
        details: error.details,
        cause: error,
      });
    }
    throw error;
  }
}

/** The EIP-712 digest of a login message. */
export function loginDigest(domain: Eip712Domain, message: LoginMessageInput): Hex {
  return TypedDataEncoder.hash(checkDomain(domain, false), LOGIN_TYPES, {
    ...normalizeLoginMessage(message),
  }) as Hex;
}

/** Signs a login message; returns the 65-byte signature as lowercase hex. */
export async function signLogin(
  signer: TypedDataSigner,
  domain: Eip712Domain,
  message: LoginMessageInput,
): Promise<Hex> {
  const signature = await signer.signTypedData(checkDomain(domain, false), LOGIN_TYPES, {
    ...normalizeLoginMessage(message),
  });
  return checkSignature(signature).serialized.toLowerCase() as Hex;
}

/** The address that signed a login message (checksummed); throws SIGNATURE_INVALID if malformed. */
export function recoverLoginSigner(
  domain: Eip712Domain,
  message: LoginMessageInput,
  signature: string,
): string {
  return recoverSigner(loginDigest(domain, message), signature);
}

export interface VerifyLoginParams {
  domain: Eip712Domain;
  message: LoginMessageInput;
  signature: string;
  /** The verifier's current time, unix seconds (core reads no clock). */
  now: Uint64Like;
  /** The audience this gateway expects. */
  audience: string;
  /** Longest accepted expiresAt − issuedAt, seconds. */
  maxLifetime: Uint64Like;
  /** Tolerated clock difference for issuedAt in the future, seconds (default 60). */
  clockSkew?: Uint64Like;
}

/**
 * Verifies a login: well formed, for this audience, issued (within clock skew) and not expired at
 * `now`, not longer-lived than `maxLifetime`, and signed by `message.key`. Returns the normalised
 * message; the caller still checks that the key belongs to the member on the ledger and that the
 * nonce is new. Throws UnauthorizedError LOGIN_INVALID or LOGIN_EXPIRED.
 */
export function verifyLogin(params: VerifyLoginParams): LoginMessage {
  let message: LoginMessage;
  let signer: string;
  try {
    message = normalizeLoginMessage(params.message);
    signer = recoverLoginSigner(params.domain, message, params.signature);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UnauthorizedError(`login rejected: ${reason}`, {
      code: ErrorCode.LOGIN_INVALID,
      cause: error,
    });
  }
  const now = toUint64(params.now, "now");
  const skew = toUint64(params.clockSkew ?? 60, "clockSkew");
  const maxLifetime = toUint64(params.maxLifetime, "maxLifetime");
  const reject = (code: string, reason: string, details?: Record<string, unknown>): never => {
    throw new UnauthorizedError(`login rejected: ${reason}`, { code, details });
  };
  if (message.audience !== params.audience) {
    reject(ErrorCode.LOGIN_INVALID, "wrong audience", {
      expected: params.audience,
      given: message.audience,
    });
  }
  if (message.issuedAt > now + skew) reject(ErrorCode.LOGIN_INVALID, "issued in the future");
  if (message.expiresAt - message.issuedAt > maxLifetime) {
    reject(ErrorCode.LOGIN_INVALID, "lifetime too long", { maxLifetime: maxLifetime.toString() });
  }
  if (message.expiresAt <= now)
    reject(ErrorCode.LOGIN_EXPIRED, "expired", { expiresAt: message.expiresAt.toString() });
  if (signer !== message.key)
    reject(ErrorCode.LOGIN_INVALID, "not signed by the key", { key: message.key });
  return message;
}
