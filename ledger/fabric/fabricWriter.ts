/**
 * Submits ledger operations as one Fabric identity: the chaincode function is endorsed by every
 * configured peer (the channel's MAJORITY policy needs both organisations), the endorsed
 * transaction is sent to an orderer, and the call resolves once a peer has committed it.
 *
 * - Rejections: an endorsement that fails with the chaincode's error (`<ErrorName> {json args}`)
 *   becomes LedgerError LEDGER_REVERTED with `details.error` / `details.args`, as the EVM writer
 *   decodes a custom error.
 * - Orderer failover: an orderer that is down or answers SERVICE_UNAVAILABLE (no Raft leader yet)
 *   is left for the next one, with backoff, until `submitTimeoutMs`; the same envelope is sent
 *   again (a copy that the first orderer did order is invalidated as a duplicate: the first
 *   commit wins).
 * - Lost transactions: one acknowledged but not committed within `resendAfterMs` is sent again.
 * - Read conflicts: a transaction invalidated by MVCC or phantom read conflict (another
 *   transaction of the same block changed what it read) is endorsed and sent again, so it ends as
 *   the EVM would run it: after the other one (and typically rejected by its rule, e.g.
 *   RegistryRecordExists).
 */
import { setTimeout as sleep } from "node:timers/promises";

import {
  encodeAction,
  LedgerError,
  normalizeAttestationRequest,
  normalizeLeafProof,
  toAddress,
  toBytes32,
  toHexBytes,
  toSmallUint,
  toUint,
  toUint64,
  type AttestationRequestInput,
  type LedgerEvent,
} from "../../core/index.js";
import { LedgerErrorCode } from "../errors.js";
import type { LeafRef, LedgerWriter, Receipt } from "../types.js";
import type { Commit, CommitListener } from "./commitListener.js";
import {
  broadcastEnvelope,
  processProposal,
  type OrdererConnection,
  type PeerConnection,
} from "./connections.js";
import { decodeChaincodeEvents } from "./decodeEvents.js";
import {
  buildProposal,
  buildTransaction,
  endorsedEvent,
  type SigningIdentity,
} from "./protocol.js";

export interface FabricWriterOptions {
  identity: SigningIdentity;
  /** The identity's key address (what Consortium:whoAmI returns). */
  address: string;
  channel: string;
  chaincode: string;
  peers: readonly PeerConnection[];
  orderers: readonly OrdererConnection[];
  commits: CommitListener;
  requestTimeoutMs: number;
  submitTimeoutMs: number;
  /** Send the transaction again when it is not committed after this long. */
  resendAfterMs: number;
  retryDelayMs: number;
}

/** An error the chaincode raised: `<ErrorName> <canonical JSON args>` somewhere in the message. */
export function chaincodeErrorOf(
  message: string,
): { error: string; args: Record<string, unknown> } | undefined {
  const match = /([A-Z][A-Za-z]+) (\{.*\})/s.exec(message);
  if (match === null) return undefined;
  try {
    const args: unknown = JSON.parse(match[2]);
    if (typeof args !== "object" || args === null || Array.isArray(args)) return undefined;
    return { error: match[1], args: args as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

function reverted(operation: string, message: string): LedgerError {
  const decoded = chaincodeErrorOf(message);
  if (decoded === undefined) {
    return new LedgerError(`${operation}: the chaincode failed: ${message}`, {
      code: LedgerErrorCode.REVERTED,
      details: { operation, contract: "chaincode", message },
    });
  }
  return new LedgerError(`${decoded.error}(${Object.values(decoded.args).join(", ")})`, {
    code: LedgerErrorCode.REVERTED,
    details: { operation, contract: "chaincode", error: decoded.error, args: decoded.args },
  });
}

const SERVICE_UNAVAILABLE = 503;
const READ_CONFLICTS = new Set([11, 12]);
const READ_CONFLICT_RETRIES = 5;

/** Plain JSON of an attestation request as the chaincode parses it (uint64 as decimal strings). */
function requestJson(input: AttestationRequestInput): Record<string, unknown> {
  const r = normalizeAttestationRequest(input);
  return {
    schema: r.schema,
    subject: r.subject,
    dataHash: r.dataHash,
    observedAt: r.observedAt.toString(),
    expiresAt: r.expiresAt.toString(),
    severity: r.severity,
  };
}

function leafJson(leaf: LeafRef, name = "leaf"): Record<string, unknown> {
  const l = normalizeLeafProof(leaf, name);
  return { ...l, observedAt: l.observedAt.toString(), expiresAt: l.expiresAt.toString() };
}

/** A writer, plus any chaincode function by name (e.g. "Consortium:bootstrap", "Consortium:execute"). */
export type FabricWriter = LedgerWriter & {
  submit(fn: string, args: readonly string[]): Promise<Receipt>;
};

export function createFabricWriter(options: FabricWriterOptions): FabricWriter {
  const { identity, peers, orderers, commits } = options;
  let ordererIndex = 0;

  async function endorse(operation: string, fn: string, args: readonly string[]) {
    const proposal = await buildProposal(identity, options.channel, options.chaincode, fn, args);
    const responses = await Promise.all(
      peers.map(async (connection) => {
        try {
          return await processProposal(connection, proposal.signed, options.requestTimeoutMs);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          if (chaincodeErrorOf(message) !== undefined) throw reverted(operation, message);
          throw new LedgerError(`${operation}: the peer ${connection.address} failed: ${message}`, {
            code: LedgerErrorCode.UNAVAILABLE,
            details: { operation, peer: connection.address },
            cause: error,
          });
        }
      }),
    );
    for (const response of responses) {
      const status = response.getResponse()?.getStatus() ?? 500;
      if (status >= 400) throw reverted(operation, response.getResponse()?.getMessage() ?? "");
    }
    const first = responses[0].getPayload_asU8();
    if (responses.some((r) => !Buffer.from(r.getPayload_asU8()).equals(Buffer.from(first)))) {
      throw new LedgerError(`${operation}: the peers' endorsements differ`, {
        code: LedgerErrorCode.INCONSISTENT_RESPONSE,
        details: { operation, txId: proposal.txId },
      });
    }
    return { proposal, responses };
  }

  /** Sends the envelope to an orderer, moving on to the next while they cannot take it. */
  async function order(operation: string, envelope: Parameters<typeof broadcastEnvelope>[1]) {
    const deadline = Date.now() + options.submitTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      const connection = orderers[ordererIndex % orderers.length];
      let problem: string;
      try {
        const answer = await broadcastEnvelope(connection, envelope, options.requestTimeoutMs);
        if (answer.status === 200) return;
        if (answer.status !== SERVICE_UNAVAILABLE) {
          throw new LedgerError(`${operation}: the orderer refused the transaction`, {
            code: LedgerErrorCode.REJECTED,
            details: { operation, status: answer.status, info: answer.info },
          });
        }
        problem = `status ${answer.status} ${answer.info}`;
      } catch (error) {
        if (error instanceof LedgerError) throw error;
        problem = error instanceof Error ? error.message : String(error);
      }
      ordererIndex++;
      if (Date.now() > deadline) {
        throw new LedgerError(`${operation}: no orderer took the transaction: ${problem}`, {
          code: LedgerErrorCode.UNAVAILABLE,
          details: { operation, attempts: attempt },
        });
      }
      await sleep(Math.min(options.retryDelayMs * attempt, 2_000));
    }
  }

  async function submit(operation: string, fn: string, args: readonly string[]): Promise<Receipt> {
    await commits.ready();
    for (let round = 0; ; round++) {
      const { proposal, responses } = await endorse(operation, fn, args);
      const envelope = await buildTransaction(identity, proposal, responses);
      const committed = commits.wait(proposal.txId, options.submitTimeoutMs);
      committed.catch(() => undefined);
      await order(operation, envelope);
      // An orderer can acknowledge a transaction and fail before it is in a block (a Raft leader
      // killed mid-batch): without a commit after `resendAfterMs`, the same envelope is sent
      // again (a second copy that does get ordered is invalidated as a duplicate).
      let commit: Commit | undefined;
      while (commit === undefined) {
        commit = await Promise.race([
          committed,
          sleep(options.resendAfterMs).then(() => undefined),
        ]);
        if (commit === undefined) await order(operation, envelope);
      }
      if (commit.validationCode !== 0) {
        if (READ_CONFLICTS.has(commit.validationCode) && round < READ_CONFLICT_RETRIES) continue;
        throw new LedgerError(`${operation}: the transaction was invalidated`, {
          code: LedgerErrorCode.REJECTED,
          details: { operation, txId: proposal.txId, validationCode: commit.validationCode },
        });
      }
      const event = endorsedEvent(responses[0]);
      const events: LedgerEvent[] =
        event === undefined ? [] : decodeChaincodeEvents(event.payload, proposal.txId);
      return {
        txHash: `0x${proposal.txId}`,
        blockNumber: commit.blockNumber,
        blockHash: commit.blockHash,
        events,
      };
    }
  }

  const b32 = toBytes32;
  const registry = (operation: string, ...args: string[]) =>
    submit(operation, `Registry:${operation}`, args);
  const consortium = (operation: string, ...args: string[]) =>
    submit(operation, `Consortium:${operation}`, args);
  const json = (value: unknown) => JSON.stringify(value);

  return {
    identity: options.address,

    submit: (fn, args) => submit(fn.replace(/^.*:/, ""), fn, args),

    attest: async (request) => registry("attest", json(requestJson(request))),

    attestMany: async (requests) => registry("attestMany", json(requests.map(requestJson))),

    attestBySig: async (signed) =>
      registry(
        "attestBySig",
        json(requestJson(signed.request)),
        json({
          signer: toAddress(signed.signer, "signer"),
          nonce: toUint(signed.nonce, 256, "nonce").toString(),
          deadline: toUint64(signed.deadline, "deadline").toString(),
          signature: toHexBytes(signed.signature, "signature"),
        }),
      ),

    anchorBatch: async (schema, root, count, uri) =>
      registry(
        "anchorBatch",
        b32(schema, "schema"),
        b32(root, "root"),
        String(toSmallUint(count, 32, "count")),
        uri,
      ),

    recordLeaf: async (leaf) => registry("recordLeaf", json(leafJson(leaf))),

    derive: async (input) =>
      registry(
        "derive",
        json({
          schema: b32(input.schema, "schema"),
          subject: b32(input.subject, "subject"),
          dataHash: b32(input.dataHash, "dataHash"),
          modelHash: b32(input.modelHash, "modelHash"),
          observedAt: toUint64(input.observedAt, "observedAt").toString(),
          inputs: input.inputs.map((uid, i) => b32(uid, `inputs[${i}]`)),
          leafInputs: input.leafInputs.map((leaf, i) => leafJson(leaf, `leafInputs[${i}]`)),
        }),
      ),

    revoke: async (uid, reasonHash) =>
      registry("revoke", b32(uid, "uid"), b32(reasonHash, "reasonHash")),

    revokeBatch: async (root, reasonHash) =>
      registry("revokeBatch", b32(root, "root"), b32(reasonHash, "reasonHash")),

    supersede: async (uid, replacement) =>
      registry("supersede", b32(uid, "uid"), json(requestJson(replacement))),

    openDispute: async (uid, reasonHash) =>
      registry("openDispute", b32(uid, "uid"), b32(reasonHash, "reasonHash")),

    answerDispute: async (uid, outcome, responseHash) =>
      registry(
        "answerDispute",
        b32(uid, "uid"),
        String(toSmallUint(outcome, 8, "outcome")),
        b32(responseHash, "responseHash"),
      ),

    withdrawDispute: async (uid) => registry("withdrawDispute", b32(uid, "uid")),

    requestRepair: async (uid, evidenceHash) =>
      registry("requestRepair", b32(uid, "uid"), b32(evidenceHash, "evidenceHash")),

    decideRepair: async (uid, approved, decisionHash) =>
      registry(
        "decideRepair",
        b32(uid, "uid"),
        String(approved),
        b32(decisionHash, "decisionHash"),
      ),

    anchorScoreBatch: async (root, modelHash, count, asOfBlock) =>
      registry(
        "anchorScoreBatch",
        b32(root, "root"),
        b32(modelHash, "modelHash"),
        String(toSmallUint(count, 32, "count")),
        toUint64(asOfBlock, "asOfBlock").toString(),
      ),

    recordConsent: async (subject, purposeHash, expiresAt, evidenceHash) =>
      registry(
        "recordConsent",
        b32(subject, "subject"),
        b32(purposeHash, "purposeHash"),
        toUint64(expiresAt, "expiresAt").toString(),
        b32(evidenceHash, "evidenceHash"),
      ),

    revokeConsent: async (subject, purposeHash) =>
      registry("revokeConsent", b32(subject, "subject"), b32(purposeHash, "purposeHash")),

    anchorAuditLog: async (root, count, fromTime, toTime) =>
      registry(
        "anchorAuditLog",
        b32(root, "root"),
        String(toSmallUint(count, 32, "count")),
        toUint64(fromTime, "fromTime").toString(),
        toUint64(toTime, "toTime").toString(),
      ),

    registerSchema: async (categoryName, definition) =>
      consortium("registerSchema", categoryName, definition),

    registerModel: async (modelHash, uri) =>
      consortium("registerModel", b32(modelHash, "modelHash"), uri),

    async propose(action) {
      const { kind, payload } = encodeAction(action);
      const receipt = await consortium("propose", String(kind), payload);
      const created = receipt.events.find((e) => e.kind === "ProposalCreated");
      if (created === undefined) {
        throw new LedgerError("propose: the transaction emitted no ProposalCreated event", {
          code: LedgerErrorCode.INCONSISTENT_RESPONSE,
          details: { txHash: receipt.txHash },
        });
      }
      return { ...receipt, proposalId: created.proposalId };
    },

    approve: async (proposalId) =>
      consortium("approve", toUint(proposalId, 256, "proposalId").toString()),

    cancel: async (proposalId) =>
      consortium("cancel", toUint(proposalId, 256, "proposalId").toString()),

    revokeOwnKey: async (key) => consortium("revokeOwnKey", toAddress(key, "key")),
  };
}

/** Evaluates a read-only chaincode function on one peer (the first that answers). */
export async function evaluate(
  options: Pick<
    FabricWriterOptions,
    "identity" | "channel" | "chaincode" | "peers" | "requestTimeoutMs"
  >,
  fn: string,
  args: readonly string[],
): Promise<string> {
  const proposal = await buildProposal(
    options.identity,
    options.channel,
    options.chaincode,
    fn,
    args,
  );
  let lastError: unknown;
  for (const connection of options.peers) {
    try {
      const response = await processProposal(connection, proposal.signed, options.requestTimeoutMs);
      const answer = response.getResponse();
      if (answer === undefined || answer.getStatus() >= 400)
        throw reverted(fn, answer?.getMessage() ?? "");
      return Buffer.from(answer.getPayload_asU8()).toString("utf8");
    } catch (error) {
      if (error instanceof LedgerError && error.code === LedgerErrorCode.REVERTED) throw error;
      lastError = error;
    }
  }
  throw new LedgerError(`${fn}: no peer answers`, {
    code: LedgerErrorCode.UNAVAILABLE,
    details: { fn },
    cause: lastError,
  });
}
