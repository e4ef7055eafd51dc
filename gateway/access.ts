/**
 * Who may read what, from the indexed membership (no user database): regulators read everything,
 * lenders a subject's data while they hold a consent in force for it and the purpose they name,
 * providers their own records, anonymous callers only `_meta`. Every read of a subject's data is
 * written to the query audit log before the data is returned.
 */
import type { Hex } from "../core/index.js";
import {
  ForbiddenError,
  Role,
  UnauthorizedError,
  ValidationError,
  purposeHash,
} from "../core/index.js";
import type { ReadApi } from "../indexer/index.js";
import type { GatewayContext } from "./context.js";
import { GatewayErrorCode } from "./errors.js";
import type { Principal, QueryAuditLog } from "./types.js";

/** What of a subject's data a caller sees: all of it, or only one provider's records. */
export type SubjectScope = { kind: "all" } | { kind: "own"; provider: Hex };

export function requirePrincipal(context: GatewayContext): Principal {
  if (context.principal === null) {
    throw new UnauthorizedError("sign in with a member login token", {
      code: GatewayErrorCode.UNAUTHENTICATED,
    });
  }
  return context.principal;
}

export function hasAnyRole(principal: Principal, roles: number): boolean {
  return (principal.roles & roles) !== 0;
}

/** The principal, if it holds one of `roles`; FORBIDDEN otherwise. */
export function requireRole(context: GatewayContext, roles: number, what: string): Principal {
  const principal = requirePrincipal(context);
  if (!hasAnyRole(principal, roles)) {
    throw new ForbiddenError(`${what} is not open to this member's roles`, {
      code: GatewayErrorCode.FORBIDDEN,
    });
  }
  return principal;
}

const PURPOSE = /^[\x21-\x7e][\x20-\x7e]{0,63}$/;

export function checkPurpose(purpose: string): string {
  if (!PURPOSE.test(purpose)) {
    throw new ValidationError(
      GatewayErrorCode.PURPOSE_INVALID,
      "purpose must be 1…64 printable ASCII characters",
    );
  }
  return purpose;
}

/** Purposes whose hash is remembered: lenders name the same few with every read (keccak256). */
const PURPOSE_HASHES_KEPT = 256;
const purposeHashes = new Map<string, Hex>();

/** core purposeHash, remembered for the purposes in use (a pure function of the text). */
function hashOfPurpose(purpose: string): Hex {
  let hash = purposeHashes.get(purpose);
  if (hash === undefined) {
    hash = purposeHash(purpose);
    if (purposeHashes.size >= PURPOSE_HASHES_KEPT) purposeHashes.clear();
    purposeHashes.set(purpose, hash);
  }
  return hash;
}

/** The scope in which `principal` may read `subject` for `purpose`; throws FORBIDDEN / CONSENT_*. */
export async function subjectScope(
  reads: Pick<ReadApi, "findConsent">,
  principal: Principal,
  subject: Hex,
  purpose: string,
): Promise<SubjectScope> {
  if (hasAnyRole(principal, Role.REGULATOR)) return { kind: "all" };
  let refusal: ForbiddenError | undefined;
  if (hasAnyRole(principal, Role.LENDER)) {
    const consent = await reads.findConsent(principal.memberId, subject, hashOfPurpose(purpose));
    if (consent?.inForce === true) return { kind: "all" };
    const [code, message] =
      consent === null
        ? [GatewayErrorCode.CONSENT_REQUIRED, "no consent recorded for this subject and purpose"]
        : consent.revoked
          ? [
              GatewayErrorCode.CONSENT_REVOKED,
              "the consent for this subject and purpose was revoked",
            ]
          : [
              GatewayErrorCode.CONSENT_EXPIRED,
              "the consent for this subject and purpose has expired",
            ];
    refusal = new ForbiddenError(message, { code, details: { purpose } });
  }
  if (hasAnyRole(principal, Role.PROVIDER)) return { kind: "own", provider: principal.memberId };
  throw (
    refusal ??
    new ForbiddenError("a subject's data is not open to this member's roles", {
      code: GatewayErrorCode.FORBIDDEN,
    })
  );
}

export interface RecordRead {
  (principal: Principal, subject: Hex, purpose: string, operation: string): Promise<void>;
}

/** Writes one audit entry per read (awaited: no entry, no data). */
export function createRecordRead(auditLog: QueryAuditLog, clock: () => number): RecordRead {
  return async (principal, subject, purpose, operation) => {
    await auditLog.record({
      member: principal.memberId,
      key: principal.key,
      subject,
      purpose,
      operation,
      at: BigInt(clock()),
    });
  };
}
