/**
 * Mutations that relay a member's signed ERC-2771 forward request (one registry call) through the
 * registry's trusted forwarder: revoke, supersede, disputes, repairs, consents, batch anchors.
 * Each is checked here first — role, signing key, signature, deadline, nonce, that the call is the
 * mutation's own operation, ownership — and then dry-run as the forwarder would make it, so a
 * request the ledger would refuse is refused with a code and nothing is sent.
 */
import type { Hex, SignedForwardRequest } from "../../core/index.js";
import {
  ConflictError,
  ErrorCode,
  ForbiddenError,
  NotFoundError,
  Role,
  ValidationError,
  forwarderDomain,
  normalizeForwardRequest,
  recoverForwardRequestSigner,
  toAddress,
  toBytes32,
} from "../../core/index.js";
import type { RegistryCall } from "../../ledger/index.js";
import { decodeRegistryCall } from "../../ledger/index.js";
import type { ForwardingWriter, Receipt } from "../../ledger/types.js";
import type { Principal } from "../types.js";
import { requireOwnBatch, requireOwnKey, requirePrincipal, requireRole } from "../access.js";
import type { GatewayContext } from "../context.js";
import { GatewayErrorCode } from "../errors.js";
import type { ResolverDeps } from "./deps.js";
import { nowSeconds } from "./deps.js";

interface ForwardRequestArgs {
  request: {
    from: string;
    to: string;
    gas: bigint;
    nonce: bigint;
    deadline: bigint;
    data: string;
    signature: string;
  };
}

export interface RelayResult {
  operation: string;
  txHash: Hex;
  blockNumber: bigint;
  blockHash: Hex;
  ids: string[];
  events: string[];
}

type OwnedBy = "record" | "batch" | "existingRecord" | null;

interface Operation {
  /** The registry function the mutation relays. */
  fn: string;
  roles: number;
  /** What of the call's target the caller's member must own (or that must exist). */
  owned: OwnedBy;
}

/** Each relay mutation: its registry function, who may call it, what it must own. */
export const RELAY_OPERATIONS: Readonly<Record<string, Operation>> = {
  anchorBatch: { fn: "anchorBatch", roles: Role.PROVIDER, owned: null },
  revokeAttestation: { fn: "revoke", roles: Role.PROVIDER | Role.SCORER, owned: "record" },
  revokeBatch: { fn: "revokeBatch", roles: Role.PROVIDER, owned: "batch" },
  supersedeAttestation: { fn: "supersede", roles: Role.PROVIDER, owned: "record" },
  answerDispute: { fn: "answerDispute", roles: Role.PROVIDER | Role.SCORER, owned: "record" },
  openDispute: { fn: "openDispute", roles: Role.LENDER, owned: "existingRecord" },
  withdrawDispute: { fn: "withdrawDispute", roles: Role.LENDER, owned: null },
  requestRepair: {
    fn: "requestRepair",
    roles: Role.PROVIDER | Role.LENDER | Role.REPAIR_AUTHORITY,
    owned: "existingRecord",
  },
  decideRepair: { fn: "decideRepair", roles: Role.REPAIR_AUTHORITY, owned: null },
  recordConsent: { fn: "recordConsent", roles: Role.LENDER, owned: null },
  revokeConsent: { fn: "revokeConsent", roles: Role.LENDER, owned: null },
};

const ID_FIELDS = ["uid", "newUid", "root", "consentId"] as const;

function resultOf(operation: string, receipt: Receipt): RelayResult {
  const ids: string[] = [];
  for (const event of receipt.events) {
    for (const field of ID_FIELDS) {
      const value = (event as unknown as Record<string, unknown>)[field];
      if (typeof value === "string" && !ids.includes(value)) ids.push(value);
    }
  }
  return {
    operation,
    txHash: receipt.txHash,
    blockNumber: receipt.blockNumber,
    blockHash: receipt.blockHash,
    ids,
    events: receipt.events.map((event) => event.kind),
  };
}

function forwardingOf(deps: ResolverDeps): {
  forwarding: ForwardingWriter;
  chainId: bigint;
  registry: string;
} {
  const writes = deps.writes;
  if (writes?.forwarding === undefined) {
    throw new ForbiddenError("this gateway relays no forward requests (no node key or forwarder)", {
      code: GatewayErrorCode.WRITES_DISABLED,
    });
  }
  return { forwarding: writes.forwarding, chainId: writes.chainId, registry: writes.registry };
}

export function relayResolvers(deps: ResolverDeps) {
  async function checkOwnership(
    owned: OwnedBy,
    call: RegistryCall,
    principal: Principal,
  ): Promise<void> {
    if (owned === null) return;
    if (owned === "batch") {
      await requireOwnBatch(deps.reads, toBytes32(call.args.root, "root"), principal);
      return;
    }
    const uid = toBytes32(call.args.uid, "uid");
    const record = await deps.reads.getAttestation(uid);
    if (record === null) {
      throw new NotFoundError("no record with this uid", {
        code: GatewayErrorCode.ATTESTATION_NOT_FOUND,
        details: { uid },
      });
    }
    if (owned === "record" && record.provider !== principal.memberId) {
      throw new ForbiddenError("the record is another member's", {
        code: GatewayErrorCode.NOT_OWNER,
        details: { uid },
      });
    }
  }

  async function relay(
    mutation: string,
    args: ForwardRequestArgs,
    context: GatewayContext,
  ): Promise<RelayResult> {
    const operation = RELAY_OPERATIONS[mutation];
    const principal = requireRole(context, operation.roles, mutation);
    const { forwarding, chainId, registry } = forwardingOf(deps);
    const { signature, ...fields } = args.request;
    const request = normalizeForwardRequest(fields);
    if (request.to !== toAddress(registry, "registry")) {
      throw new ValidationError(
        GatewayErrorCode.RELAY_TARGET_INVALID,
        "a forward request must call the registry",
        { details: { to: request.to, registry } },
      );
    }
    const call = decodeRegistryCall(request.data);
    if (call?.name !== operation.fn) {
      throw new ValidationError(
        GatewayErrorCode.WRONG_OPERATION,
        `${mutation} relays a call of the registry's ${operation.fn}`,
        { details: { expected: operation.fn, got: call?.name ?? null } },
      );
    }
    if (request.deadline < nowSeconds(deps)) {
      throw new ValidationError(
        GatewayErrorCode.DEADLINE_PASSED,
        "the request's deadline has passed",
        {
          details: { deadline: request.deadline.toString() },
        },
      );
    }
    const domain = forwarderDomain(chainId, await forwarding.forwarderAddress());
    const recovered = recoverForwardRequestSigner(domain, request, signature);
    if (recovered !== request.from) {
      throw new ValidationError(ErrorCode.SIGNATURE_INVALID, "the signature is not the key's", {
        details: { from: request.from, recovered },
      });
    }
    await requireOwnKey(deps.reads, request.from, principal);
    const expected = await forwarding.forwarderNonce(request.from);
    if (request.nonce !== expected) {
      throw new ConflictError("the nonce is not the forwarder's next one for this key", {
        code: GatewayErrorCode.NONCE_NOT_NEXT,
        details: { nonce: request.nonce.toString(), expected: expected.toString() },
      });
    }
    await checkOwnership(operation.owned, call, principal);
    const signed: SignedForwardRequest = { ...request, signature: signature as Hex };
    await forwarding.simulateForwarded(signed);
    return resultOf(operation.fn, await forwarding.forward(signed));
  }

  const Mutation = Object.fromEntries(
    Object.keys(RELAY_OPERATIONS).map((mutation) => [
      mutation,
      (_root: unknown, args: ForwardRequestArgs, context: GatewayContext) =>
        relay(mutation, args, context),
    ]),
  );

  return {
    Query: {
      async relayInfo(_root: unknown, args: { key: string }, context: GatewayContext) {
        requirePrincipal(context);
        const { forwarding, chainId, registry } = forwardingOf(deps);
        const key = toAddress(args.key, "key");
        return {
          forwarder: await forwarding.forwarderAddress(),
          chainId,
          registry: toAddress(registry, "registry"),
          nonce: await forwarding.forwarderNonce(key),
        };
      },
    },
    Mutation,
  };
}
