/**
 * Who may read what, from the indexed membership (no user database): regulators read everything,
 * lenders a subject's data while they hold a consent in force for it and the purpose they name,
 * providers their own records, anonymous callers only `_meta`. Every read of a subject's data is
 * written to the query audit log before the data is returned.
 */
import type { Hex } from "../core/index.js";
import {
  ForbiddenError,
  NotFoundError,
  Role,
  UnauthorizedError,
  ValidationError,
} from "../core/index.js";
import type { Batch, MemberKeyView, ReadApi } from "../indexer/index.js";
import { cachedPurposeHash } from "./audit/auditLeaf.js";
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

/** `address` as an active key of `principal`'s member; throws SIGNER_NOT_MEMBER otherwise. */
export async function requireOwnKey(
  reads: Pick<ReadApi, "memberByKey">,
  address: string,
  principal: Principal,
): Promise<MemberKeyView> {
  const key = await reads.memberByKey(address);
  if (key === null || !key.key.active || key.member.id !== principal.memberId) {
    throw new ForbiddenError("the signer is not an active key of the caller's member", {
      code: GatewayErrorCode.SIGNER_NOT_MEMBER,
    });
  }
  return key;
}

/** The anchored batch `root`, `principal`'s own; throws BATCH_NOT_FOUND / NOT_OWNER otherwise. */
export async function requireOwnBatch(
  reads: Pick<ReadApi, "getBatch">,
  root: Hex,
  principal: Principal,
): Promise<Batch> {
  const batch = await reads.getBatch(root);
  if (batch === null) {
    throw new NotFoundError("no batch with this root is anchored", {
      code: GatewayErrorCode.BATCH_NOT_FOUND,
      details: { root },
    });
  }
  if (batch.provider !== principal.memberId) {
    throw new ForbiddenError("the batch is another member's", {
      code: GatewayErrorCode.NOT_OWNER,
      details: { root },
    });
  }
  return batch;
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
    const consent = await reads.findConsent(
      principal.memberId,
      subject,
      cachedPurposeHash(purpose),
    );
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
