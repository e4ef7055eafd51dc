/**
 * Waits for transactions to commit: one Deliver stream of full blocks from the newest block on
 * (moving to the next peer when one fails, from the next block), resolving each waiting
 * transaction id with its block and validation code.
 */
import { setTimeout as sleep } from "node:timers/promises";

import { LedgerError, type Hex } from "../../core/index.js";
import { LedgerErrorCode } from "../errors.js";
import { deliverBlocks, type PeerConnection } from "./connections.js";
import { buildSeek, parseBlock, type SigningIdentity } from "./protocol.js";

export interface Commit {
  blockNumber: bigint;
  blockHash: Hex;
  /** peer.TxValidationCode: 0 VALID, 11 MVCC_READ_CONFLICT, 12 PHANTOM_READ_CONFLICT, ... */
  validationCode: number;
}

export interface CommitListener {
  /** Resolves once the listener follows the chain (call before broadcasting). */
  ready(): Promise<void>;
  /** The commit of `txId` (register before broadcasting); rejects after `timeoutMs`. */
  wait(txId: string, timeoutMs: number): Promise<Commit>;
  close(): void;
}

export function createCommitListener(options: {
  peers: readonly PeerConnection[];
  identity: SigningIdentity;
  channel: string;
  retryDelayMs: number;
}): CommitListener {
  const waiters = new Map<string, (commit: Commit) => void>();
  const controller = new AbortController();
  let started: Promise<void> | undefined;

  /** Why the last peer's block stream failed (undefined while blocks arrive). */
  let lastError: unknown;

  async function follow(onFirst: () => void): Promise<void> {
    let next: bigint | "newest" = "newest";
    let peerIndex = 0;
    while (!controller.signal.aborted) {
      const connection = options.peers[peerIndex % options.peers.length];
      try {
        const seek = await buildSeek(options.identity, options.channel, next, "forever");
        for await (const raw of deliverBlocks(connection, seek, controller.signal)) {
          const block = parseBlock(raw);
          onFirst();
          lastError = undefined;
          next = block.number + 1n;
          for (const tx of block.transactions) {
            const waiter = waiters.get(tx.txId);
            if (waiter === undefined) continue;
            waiters.delete(tx.txId);
            waiter({
              blockNumber: block.number,
              blockHash: block.hash,
              validationCode: tx.validationCode,
            });
          }
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        // moved on to the next peer; kept as the cause of a commit wait that times out
        lastError = error;
        peerIndex++;
        await sleep(options.retryDelayMs).catch(() => undefined);
      }
    }
  }

  return {
    ready() {
      started ??= new Promise<void>((resolve) => {
        void follow(resolve);
      });
      return started;
    },
    wait(txId, timeoutMs) {
      return new Promise<Commit>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(txId);
          reject(
            new LedgerError(`transaction ${txId} was not committed within ${timeoutMs} ms`, {
              code: LedgerErrorCode.UNAVAILABLE,
              details: { txId },
              cause: lastError,
            }),
          );
        }, timeoutMs);
        waiters.set(txId, (commit) => {
          clearTimeout(timer);
          resolve(commit);
        });
      });
    },
    close() {
      controller.abort();
    },
  };
}
