/**
 * Mutations. Today: `submitAttestation`, a provider's signed attestation relayed with the node's
 * key through the registry's `attestBySig` (the only write the contracts accept on a member's
 * behalf). Everything the ledger would refuse is refused here first, with a code; nothing is sent.
 */
import { getAddress } from "ethers";

import type { AttestationRequestInput, Hex } from "../../core/index.js";
import {
  ConflictError,
  ErrorCode,
  ForbiddenError,
  NotFoundError,
  Role,
  ValidationError,
  attestMessage,
  attestationUid,
  recoverAttestSigner,
  registryDomain,
} from "../../core/index.js";
import { requireOwnKey, requireRole } from "../access.js";
import type { GatewayContext } from "../context.js";
import { GatewayErrorCode } from "../errors.js";
import type { ResolverDeps } from "./deps.js";
import { nowSeconds } from "./deps.js";

interface SignedAttestationArgs {
  input: {
    request: {
      schema: string;
      subject: string;
      dataHash: string;
      observedAt: bigint;
      expiresAt: bigint;
      severity: number;
    };
    signer: string;
    nonce: bigint;
    deadline: bigint;
    signature: string;
  };
}

export interface SubmitAttestationResult {
  uid: Hex;
  txHash: Hex;
  blockNumber: bigint;
}

/** Nonces relayed by this process, remembered so a replay is refused before it reaches the ledger. */
const MAX_REMEMBERED_NONCES = 100_000;

export function mutationResolvers(deps: ResolverDeps) {
  const relayed = new Set<string>();

  return {
    Mutation: {
      async submitAttestation(
        _root: unknown,
        args: SignedAttestationArgs,
        context: GatewayContext,
      ): Promise<SubmitAttestationResult> {
        const principal = requireRole(context, Role.PROVIDER, "submitAttestation");
        const writes = deps.writes;
        if (writes === undefined) {
          throw new ForbiddenError("this gateway relays no writes (no node key configured)", {
            code: GatewayErrorCode.WRITES_DISABLED,
          });
        }
        const { request, nonce, deadline, signature } = args.input;
        const input: AttestationRequestInput = { ...request };
        const message = attestMessage(input, nonce, deadline);
        const now = nowSeconds(deps);
        if (message.deadline < now) {
          throw new ValidationError(
            GatewayErrorCode.DEADLINE_PASSED,
            "the signature's deadline has passed",
            {
              details: { deadline: message.deadline.toString() },
            },
          );
        }
        let signer: string;
        try {
          signer = getAddress(args.input.signer);
        } catch (cause) {
          throw new ValidationError(ErrorCode.ADDRESS_INVALID, "signer must be an address", {
            cause,
          });
        }
        const recovered = recoverAttestSigner(
          registryDomain(writes.chainId, writes.registry),
          input,
          nonce,
          deadline,
          signature,
        );
        if (recovered !== signer) {
          throw new ValidationError(
            ErrorCode.SIGNATURE_INVALID,
            "the signature is not the signer's",
            {
              details: { signer, recovered },
            },
          );
        }
        const key = await requireOwnKey(deps.reads, signer, principal);
        const schema = await deps.reads.getSchema(message.schema);
        if (schema === null) {
          throw new NotFoundError("no schema with this id is registered", {
            code: ErrorCode.SCHEMA_UNKNOWN,
            details: { schema: message.schema },
          });
        }
        const scope = key.member.scopes.find((s) => s.category === schema.category);
        if (scope === undefined || scope.expiresAt <= now) {
          throw new ForbiddenError("the member is not accredited for this data category", {
            code: GatewayErrorCode.SCOPE_MISSING,
            details: { category: schema.categoryName },
          });
        }
        const uid = attestationUid({ ...message, provider: principal.memberId });
        if ((await deps.reads.getAttestation(uid)) !== null) {
          throw new ConflictError("this record is already on the ledger", {
            code: GatewayErrorCode.RECORD_EXISTS,
            details: { uid },
          });
        }
        const nonceKey = `${signer}:${message.nonce.toString()}`;
        if (relayed.has(nonceKey)) {
          throw new ConflictError("this signature's nonce was already relayed", {
            code: GatewayErrorCode.NONCE_USED,
          });
        }
        if (relayed.size >= MAX_REMEMBERED_NONCES) relayed.clear();
        relayed.add(nonceKey);
        const receipt = await writes.writer.attestBySig({
          request: input,
          signer,
          nonce: message.nonce,
          deadline: message.deadline,
          signature: signature as Hex,
        });
        return { uid, txHash: receipt.txHash, blockNumber: receipt.blockNumber };
      },
    },
  };
}
