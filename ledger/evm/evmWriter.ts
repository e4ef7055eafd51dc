/**
 * Submits ledger operations as one member key, through the typechain contract types.
 *
 * Nonce safety: the key's transactions get their nonces from an ethers NonceManager, and are handed
 * to the node one at a time in nonce order (only signing and sending are queued: estimates, fees and
 * receipts run concurrently), so any number of concurrent calls from one writer succeed. Each call
 * is first estimated: a call that would revert fails with its decoded error before it takes a nonce.
 */
import {
  NonceManager,
  Wallet,
  type ContractTransaction,
  type JsonRpcProvider,
  type TransactionReceipt,
  type TransactionRequest,
  type TransactionResponse,
} from "ethers";

import {
  encodeAction,
  ErrorCode,
  LedgerError,
  normalizeAttestationRequest,
  normalizeLeafProof,
  toAddress,
  toBytes32,
  toHexBytes,
  toSmallUint,
  toUint,
  toUint64,
  ValidationError,
  normalizeForwardRequest,
  type AttestationRequestInput,
  type LedgerEvent,
} from "../../core/index.js";
import { Consortium__factory } from "../../types/ethers-contracts/factories/contracts/Consortium__factory.js";
import { CredtrailForwarder__factory } from "../../types/ethers-contracts/factories/contracts/CredtrailForwarder__factory.js";
import { CreditRegistry__factory } from "../../types/ethers-contracts/factories/contracts/CreditRegistry__factory.js";
import type { ICreditRegistry } from "../../types/ethers-contracts/contracts/CreditRegistry.js";
import { LedgerErrorCode } from "../errors.js";
import type { ForwardingWriter, LeafRef, LedgerWriter, Receipt } from "../types.js";
import type { ContractAddresses } from "./abi.js";
import type { LogDecoder } from "./decodeLog.js";
import type { LedgerLogger } from "./logger.js";
import { submissionError } from "./revertError.js";

export interface EvmWriterOptions {
  provider: JsonRpcProvider;
  addresses: ContractAddresses;
  decoder: LogDecoder;
  privateKey: string;
  logger?: LedgerLogger;
}

/** Hardhat and Osaka chains refuse transactions above 2^24 gas (EIP-7825). */
const TX_GAS_CAP = 16_777_216n;

/** 20 % over the estimate, but not past the per-transaction cap when the estimate fits under it. */
function gasLimitFor(estimate: bigint): bigint {
  const padded = estimate + estimate / 5n;
  return padded <= TX_GAS_CAP || estimate > TX_GAS_CAP ? padded : TX_GAS_CAP;
}

function requestStruct(input: AttestationRequestInput): ICreditRegistry.AttestationRequestStruct {
  const r = normalizeAttestationRequest(input);
  return {
    schema: r.schema,
    subject: r.subject,
    dataHash: r.dataHash,
    observedAt: r.observedAt,
    expiresAt: r.expiresAt,
    severity: r.severity,
  };
}

function leafStruct(leaf: LeafRef, name = "leaf"): ICreditRegistry.LeafInputStruct {
  return normalizeLeafProof(leaf, name);
}

function walletFor(privateKey: string, provider: JsonRpcProvider): Wallet {
  try {
    return new Wallet(privateKey, provider);
  } catch (cause) {
    throw new ValidationError(ErrorCode.KEY_INVALID, "not a valid secp256k1 private key", {
      cause,
    });
  }
}

/** An EVM writer: every ledger operation, plus relaying members' ERC-2771 forward requests. */
export type EvmWriter = LedgerWriter & ForwardingWriter;

export function createEvmWriter(options: EvmWriterOptions): EvmWriter {
  const { provider, decoder, logger } = options;
  const wallet = walletFor(options.privateKey, provider);
  const nonces = new NonceManager(wallet);
  const consortium = Consortium__factory.connect(options.addresses.consortium, wallet);
  const registry = CreditRegistry__factory.connect(options.addresses.registry, wallet);

  /** Broadcasts run one after another, in nonce order. */
  let broadcasts: Promise<unknown> = Promise.resolve();
  const broadcast = (tx: TransactionRequest): Promise<TransactionResponse> => {
    const sent = broadcasts.then(async () => {
      try {
        return await nonces.sendTransaction(tx);
      } catch (error) {
        // The nonce it took was not used (or we cannot tell): re-read the next nonce from the node.
        nonces.reset();
        throw error;
      }
    });
    broadcasts = sent.catch(() => undefined);
    return sent;
  };

  const eventsOf = (receipt: TransactionReceipt): LedgerEvent[] =>
    receipt.logs
      .filter((log) => decoder.contractAt(log.address) !== undefined)
      .map((log) => decoder.decode(log));

  async function submit(
    operation: string,
    populate: () => Promise<ContractTransaction>,
  ): Promise<Receipt> {
    let tx: ContractTransaction;
    let response: TransactionResponse;
    try {
      tx = await populate();
      const estimate = await wallet.estimateGas(tx);
      // Fees, chain id and gas are filled in concurrently; only the nonce is taken in the queue.
      const filled = await wallet.populateTransaction({ ...tx, gasLimit: gasLimitFor(estimate) });
      response = await broadcast(filled);
    } catch (error) {
      throw submissionError(error, operation);
    }
    let receipt: TransactionReceipt | null;
    try {
      receipt = await response.wait();
    } catch (error) {
      // Reverted on chain although the estimate passed (the state changed in between): replay the
      // call on the state before its block to read the reason.
      const failed = (error as { receipt?: TransactionReceipt | null }).receipt;
      if (failed !== undefined && failed !== null) {
        try {
          await wallet.call({ ...tx, blockTag: failed.blockNumber - 1 });
        } catch (replayed) {
          throw submissionError(replayed, operation);
        }
      }
      throw submissionError(error, operation);
    }
    if (receipt === null) {
      throw new LedgerError(`${operation}: no receipt for ${response.hash}`, {
        code: LedgerErrorCode.UNAVAILABLE,
        details: { txHash: response.hash },
      });
    }
    logger?.debug?.("submitted", { operation, txHash: receipt.hash, block: receipt.blockNumber });
    return {
      txHash: receipt.hash.toLowerCase() as Receipt["txHash"],
      blockNumber: BigInt(receipt.blockNumber),
      blockHash: receipt.blockHash.toLowerCase() as Receipt["blockHash"],
      events: eventsOf(receipt),
    };
  }

  const b32 = toBytes32;

  /** The registry's trusted forwarder, read once (an immutable of the registry). */
  let forwarderAddress: Promise<string> | undefined;
  const forwarder = async () => {
    forwarderAddress ??= registry.trustedForwarder().then((address) => {
      if (/^0x0{40}$/i.test(address)) {
        throw new LedgerError("the registry trusts no forwarder: relaying is disabled", {
          code: LedgerErrorCode.MISCONFIGURED,
          details: { registry: options.addresses.registry },
        });
      }
      return address;
    });
    forwarderAddress.catch(() => (forwarderAddress = undefined));
    return CredtrailForwarder__factory.connect(await forwarderAddress, wallet);
  };

  return {
    identity: wallet.address,

    forwarderAddress: async () => (await forwarder()).getAddress(),

    forwarderNonce: async (from) => (await forwarder()).nonces(toAddress(from, "from")),

    async simulateForwarded(request) {
      const r = normalizeForwardRequest(request);
      const target = await forwarder();
      // the registry's own checks, with its own errors: the call as the forwarder makes it (the
      // forwarder itself reports any failing call as FailedCall, without the reason)
      try {
        await provider.call({
          from: await target.getAddress(),
          to: r.to,
          data: `${r.data}${r.from.slice(2).toLowerCase()}`,
          gasLimit: r.gas,
        });
      } catch (error) {
        throw submissionError(error, "forward");
      }
    },

    forward: (request) =>
      submit("forward", async () => {
        const r = normalizeForwardRequest(request);
        const target = await forwarder();
        return target.execute.populateTransaction({
          from: r.from,
          to: r.to,
          value: 0n,
          gas: r.gas,
          deadline: r.deadline,
          data: r.data,
          signature: toHexBytes(request.signature, "signature"),
        });
      }),

    attest: (request) =>
      submit("attest", () => registry.attest.populateTransaction(requestStruct(request))),

    attestMany: (requests) =>
      submit("attestMany", () =>
        registry.attestMany.populateTransaction(requests.map((r) => requestStruct(r))),
      ),

    attestBySig: (signed) =>
      submit("attestBySig", () =>
        registry.attestBySig.populateTransaction(requestStruct(signed.request), {
          signer: toAddress(signed.signer, "signer"),
          nonce: toUint(signed.nonce, 256, "nonce"),
          deadline: toUint64(signed.deadline, "deadline"),
          signature: toHexBytes(signed.signature, "signature"),
        }),
      ),

    anchorBatch: (schema, root, count, uri) =>
      submit("anchorBatch", () =>
        registry.anchorBatch.populateTransaction(
          b32(schema, "schema"),
          b32(root, "root"),
          toSmallUint(count, 32, "count"),
          uri,
        ),
      ),

    recordLeaf: (leaf) =>
      submit("recordLeaf", () => registry.recordLeaf.populateTransaction(leafStruct(leaf))),

    derive: (input) =>
      submit("derive", () =>
        registry.derive.populateTransaction({
          schema: b32(input.schema, "schema"),
          subject: b32(input.subject, "subject"),
          dataHash: b32(input.dataHash, "dataHash"),
          modelHash: b32(input.modelHash, "modelHash"),
          observedAt: toUint64(input.observedAt, "observedAt"),
          inputs: input.inputs.map((uid, i) => b32(uid, `inputs[${i}]`)),
          leafInputs: input.leafInputs.map((leaf, i) => leafStruct(leaf, `leafInputs[${i}]`)),
        }),
      ),

    revoke: (uid, reasonHash) =>
      submit("revoke", () =>
        registry.revoke.populateTransaction(b32(uid, "uid"), b32(reasonHash, "reasonHash")),
      ),

    revokeBatch: (root, reasonHash) =>
      submit("revokeBatch", () =>
        registry.revokeBatch.populateTransaction(b32(root, "root"), b32(reasonHash, "reasonHash")),
      ),

    supersede: (uid, replacement) =>
      submit("supersede", () =>
        registry.supersede.populateTransaction(b32(uid, "uid"), requestStruct(replacement)),
      ),

    openDispute: (uid, reasonHash) =>
      submit("openDispute", () =>
        registry.openDispute.populateTransaction(b32(uid, "uid"), b32(reasonHash, "reasonHash")),
      ),

    answerDispute: (uid, outcome, responseHash) =>
      submit("answerDispute", () =>
        registry.answerDispute.populateTransaction(
          b32(uid, "uid"),
          toSmallUint(outcome, 8, "outcome"),
          b32(responseHash, "responseHash"),
        ),
      ),

    withdrawDispute: (uid) =>
      submit("withdrawDispute", () =>
        registry.withdrawDispute.populateTransaction(b32(uid, "uid")),
      ),

    requestRepair: (uid, evidenceHash) =>
      submit("requestRepair", () =>
        registry.requestRepair.populateTransaction(
          b32(uid, "uid"),
          b32(evidenceHash, "evidenceHash"),
        ),
      ),

    decideRepair: (uid, approved, decisionHash) => {
      if (typeof approved !== "boolean") {
        return Promise.reject(
          new ValidationError(ErrorCode.INTEGER_INVALID, "approved must be a boolean", {
            details: { field: "approved" },
          }),
        );
      }
      return submit("decideRepair", () =>
        registry.decideRepair.populateTransaction(
          b32(uid, "uid"),
          approved,
          b32(decisionHash, "decisionHash"),
        ),
      );
    },

    anchorScoreBatch: (root, modelHash, count, asOfBlock) =>
      submit("anchorScoreBatch", () =>
        registry.anchorScoreBatch.populateTransaction(
          b32(root, "root"),
          b32(modelHash, "modelHash"),
          toSmallUint(count, 32, "count"),
          toUint64(asOfBlock, "asOfBlock"),
        ),
      ),

    recordConsent: (subject, purposeHash, expiresAt, evidenceHash) =>
      submit("recordConsent", () =>
        registry.recordConsent.populateTransaction(
          b32(subject, "subject"),
          b32(purposeHash, "purposeHash"),
          toUint64(expiresAt, "expiresAt"),
          b32(evidenceHash, "evidenceHash"),
        ),
      ),

    revokeConsent: (subject, purposeHash) =>
      submit("revokeConsent", () =>
        registry.revokeConsent.populateTransaction(
          b32(subject, "subject"),
          b32(purposeHash, "purposeHash"),
        ),
      ),

    anchorAuditLog: (root, count, fromTime, toTime) =>
      submit("anchorAuditLog", () =>
        registry.anchorAuditLog.populateTransaction(
          b32(root, "root"),
          toSmallUint(count, 32, "count"),
          toUint64(fromTime, "fromTime"),
          toUint64(toTime, "toTime"),
        ),
      ),

    registerSchema: (categoryName, definition) =>
      submit("registerSchema", () =>
        consortium.registerSchema.populateTransaction(categoryName, definition),
      ),

    registerModel: (modelHash, uri) =>
      submit("registerModel", () =>
        consortium.registerModel.populateTransaction(b32(modelHash, "modelHash"), uri),
      ),

    async propose(action) {
      const receipt = await submit("propose", async () => {
        const { kind, payload } = encodeAction(action);
        return consortium.propose.populateTransaction(kind, payload);
      });
      const created = receipt.events.find((e) => e.kind === "ProposalCreated");
      if (created === undefined) {
        throw new LedgerError("propose: the transaction emitted no ProposalCreated event", {
          code: LedgerErrorCode.INCONSISTENT_RESPONSE,
          details: { txHash: receipt.txHash },
        });
      }
      return { ...receipt, proposalId: created.proposalId };
    },

    approve: (proposalId) =>
      submit("approve", () =>
        consortium.approve.populateTransaction(toUint(proposalId, 256, "proposalId")),
      ),

    cancel: (proposalId) =>
      submit("cancel", () =>
        consortium.cancel.populateTransaction(toUint(proposalId, 256, "proposalId")),
      ),

    revokeOwnKey: (key) =>
      submit("revokeOwnKey", () =>
        consortium.revokeOwnKey.populateTransaction(toAddress(key, "key")),
      ),
  };
}
