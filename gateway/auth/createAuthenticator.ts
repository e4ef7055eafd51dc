/**
 * Authentication from the ledger: a caller presents a login token signed by a member key; the key
 * must be registered (and active) to the member the token names, and the member not suspended, in
 * the indexed membership at the time of the request. There is no user database.
 */
import { recoverAddress } from "ethers";

import type { Hex, LoginMessage } from "../../core/index.js";
import { checkSignature, gatewayDomain, loginDigest, UnauthorizedError } from "../../core/index.js";
import type { ReadApi } from "../../indexer/index.js";
import type { Authenticator, Principal } from "../types.js";
import { AuthErrorCode } from "./errorCodes.js";
import { createExpiringLru } from "./expiringLru.js";
import { MAX_TOKEN_LENGTH, decodeLoginToken } from "./loginToken.js";

/** Recovers the address that signed an EIP-712 digest (checksummed); throws if it cannot. */
export type RecoverSigner = (digest: Hex, signature: Hex) => string;

export interface AuthenticatorOptions {
  /** The indexer's reads (membership is read on every request). */
  reads: Pick<ReadApi, "memberByKey" | "getMember">;
  /** The ledger's chain id (the login domain's chainId). */
  chainId: bigint | number;
  /** This gateway's audience (its public URL or name); tokens for another audience are refused. */
  audience: string;
  /** Milliseconds since the epoch. */
  clock: () => number;
  /** Longest accepted token lifetime (expiresAt − issuedAt), seconds. Default 3600. */
  maxLifetimeSeconds?: number;
  /** Tolerated clock difference, seconds, for issuedAt in the future and for expiry. Default 60. */
  clockSkewSeconds?: number;
  /** Verified signatures kept (LRU, each until its token expires). Default 10,000; 0 disables. */
  cacheSize?: number;
  /** Signature recovery (default: core checkSignature + ethers recoverAddress); tests count calls. */
  recoverSigner?: RecoverSigner;
}

const BEARER = /^Bearer +([^\s]+) *$/i;

function reject(code: AuthErrorCode, message: string, details?: Record<string, unknown>): never {
  throw new UnauthorizedError(message, { code, details });
}

export const defaultRecoverSigner: RecoverSigner = (digest, signature) =>
  recoverAddress(digest, checkSignature(signature));

function nonNegative(value: number, name: string): bigint {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer`);
  }
  return BigInt(value);
}

/** Builds the gateway's {@link Authenticator}. */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { reads, audience, clock } = options;
  const domain = gatewayDomain(options.chainId);
  const maxLifetime = nonNegative(options.maxLifetimeSeconds ?? 3600, "maxLifetimeSeconds");
  const skew = nonNegative(options.clockSkewSeconds ?? 60, "clockSkewSeconds");
  const recoverSigner = options.recoverSigner ?? defaultRecoverSigner;
  if (typeof audience !== "string" || audience.length === 0) {
    throw new RangeError("audience must be a non-empty string");
  }
  // token text → its message, once its signature was checked against message.key. The text fixes
  // the message and the signature, hence the digest: the entry is what (digest, signature) recovers.
  // Only the signature is cached: expiry and membership are checked at every request.
  const verified = createExpiringLru<LoginMessage>(options.cacheSize ?? 10_000);

  /** The message of a token whose signature recovers `message.key`; `cached` when from the cache. */
  function verifySignature(
    token: string,
    nowMs: number,
  ): { message: LoginMessage; cached: boolean } {
    const cached = verified.get(token, nowMs);
    if (cached !== undefined) return { message: cached, cached: true };
    const { message, signature } = decodeLoginToken(token);
    let signer: string;
    try {
      signer = recoverSigner(loginDigest(domain, message), signature);
    } catch (cause) {
      throw new UnauthorizedError("token rejected: no key recovers from its signature", {
        code: AuthErrorCode.TOKEN_INVALID,
        cause,
      });
    }
    if (signer !== message.key) {
      reject(AuthErrorCode.TOKEN_INVALID, "token rejected: not signed by its key", {
        key: message.key,
      });
    }
    return { message, cached: false };
  }

  return {
    async authenticate(authorization) {
      if (authorization === undefined || authorization.trim() === "") return null;
      if (authorization.length > MAX_TOKEN_LENGTH + 16) {
        reject(AuthErrorCode.TOKEN_INVALID, "token too long", { max: MAX_TOKEN_LENGTH });
      }
      const match = BEARER.exec(authorization);
      if (match === null) {
        reject(AuthErrorCode.TOKEN_INVALID, "authorization must be 'Bearer <token>'");
      }
      const nowMs = clock();
      const now = BigInt(Math.floor(nowMs / 1000));
      const token = match[1];
      const { message, cached } = verifySignature(token, nowMs);

      if (message.audience !== audience) {
        reject(AuthErrorCode.AUDIENCE_MISMATCH, "token is for another gateway", {
          expected: audience,
          given: message.audience,
        });
      }
      if (message.expiresAt + skew <= now) {
        reject(AuthErrorCode.TOKEN_EXPIRED, "token expired", {
          expiresAt: message.expiresAt.toString(),
        });
      }
      if (message.issuedAt > now + skew) {
        reject(AuthErrorCode.TOKEN_INVALID, "token issued in the future", {
          issuedAt: message.issuedAt.toString(),
        });
      }
      if (message.expiresAt - message.issuedAt > maxLifetime) {
        reject(AuthErrorCode.TOKEN_INVALID, "token lifetime too long", {
          maxLifetimeSeconds: maxLifetime.toString(),
        });
      }

      // Membership: read at every request, never kept here. (The node passes reads cached until the
      // indexer's next change — gateway/cachedReads.ts — which answer as the indexer would.)
      const view = await reads.memberByKey(message.key);
      if (view === null || view.key.member.toLowerCase() !== message.member) {
        reject(AuthErrorCode.KEY_UNKNOWN, "key is not registered to this member", {
          key: message.key,
          member: message.member,
        });
      }
      if (!view.key.active) {
        reject(AuthErrorCode.KEY_REVOKED, "key was revoked", { key: message.key });
      }
      const member = view.member;
      if (member.suspended) {
        reject(AuthErrorCode.MEMBER_SUSPENDED, "member is suspended", { member: member.id });
      }
      // Cached only once every check passed, so that tokens of strangers cannot flush the cache;
      // kept until the token can no longer be accepted (expiry plus skew).
      if (!cached) verified.set(token, message, Number((message.expiresAt + skew) * 1000n));
      const principal: Principal = {
        memberId: member.id,
        memberName: member.name,
        roles: member.roles,
        key: message.key,
        tokenExpiresAt: message.expiresAt,
      };
      return principal;
    },
  };
}
