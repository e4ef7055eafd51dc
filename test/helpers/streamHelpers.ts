/**
 * Consuming a ledger stream in tests: a minimal "indexer" that remembers the blocks it applied
 * (for `knownBlock`) and rolls them back on a reorg, and helpers to read a stream up to a block.
 */
import {
  ZERO_BYTES32,
  type Hex,
  type LedgerEvent,
  type PositionedEvent,
} from "../../core/index.js";
import type { Checkpoint, LedgerStream, StreamItem } from "../../ledger/index.js";

/** The chain as a consumer of the stream sees it. */
export class AppliedChain {
  readonly items: StreamItem[] = [];
  /** Applied blocks by number (rolled back on reorg). */
  readonly blocks = new Map<bigint, { hash: Hex; events: PositionedEvent[] }>();
  checkpoint: Checkpoint;
  finalized = -1n;

  constructor(from: Checkpoint = { number: 0n, hash: ZERO_BYTES32 }) {
    this.checkpoint = from;
  }

  readonly knownBlock = (n: bigint): Promise<Hex | undefined> =>
    Promise.resolve(this.blocks.get(n)?.hash);

  apply(item: StreamItem): void {
    this.items.push(item);
    if (item.type === "block") {
      if (item.block.number <= this.checkpoint.number && this.checkpoint.hash !== ZERO_BYTES32) {
        throw new Error(
          `block ${item.block.number} streamed again without a reorg (checkpoint ${this.checkpoint.number})`,
        );
      }
      this.blocks.set(item.block.number, { hash: item.block.hash, events: item.events });
      this.checkpoint = { number: item.block.number, hash: item.block.hash };
    } else if (item.type === "reorg") {
      for (const n of [...this.blocks.keys()]) if (n > item.ancestor.number) this.blocks.delete(n);
      this.checkpoint = item.ancestor;
    } else {
      this.finalized = item.number;
    }
  }

  /** Events of the applied (canonical) blocks, in order, without positions. */
  events(): LedgerEvent[] {
    return [...this.blocks.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .flatMap(([, block]) => block.events.map(stripPosition));
  }

  positioned(): PositionedEvent[] {
    return [...this.blocks.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .flatMap(([, block]) => block.events);
  }
}

export function stripPosition(event: PositionedEvent): LedgerEvent {
  const { position: _position, ...rest } = event;
  return rest;
}

export interface ReadStreamOptions {
  /** Stop once a block at or past this number was applied. */
  until: bigint;
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  chain?: AppliedChain;
}

/**
 * Reads `ledger`'s stream from the chain's checkpoint until block `until`; resolves with the chain.
 * A stream error rejects (the items applied before it stay in `chain`).
 */
export async function readStream(
  ledger: LedgerStream,
  from: Checkpoint,
  options: ReadStreamOptions,
): Promise<AppliedChain> {
  const chain = options.chain ?? new AppliedChain(from);
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(new Error("timeout"));
  }, options.timeoutMs ?? 30_000);
  try {
    for await (const item of ledger.stream({
      from,
      knownBlock: chain.knownBlock,
      signal: controller.signal,
    })) {
      chain.apply(item);
      if (item.type === "block" && item.block.number >= options.until) break;
    }
  } finally {
    clearTimeout(timer);
  }
  if (controller.signal.aborted)
    throw new Error(
      `stream did not reach block ${options.until} in time (at ${chain.checkpoint.number})`,
    );
  return chain;
}

/** Follows a stream in the background until stopped; `waitFor` resolves when a condition holds. */
export function followStream(ledger: LedgerStream, from: Checkpoint) {
  const chain = new AppliedChain(from);
  const controller = new AbortController();
  let failure: Error | undefined;
  const done = (async () => {
    try {
      for await (const item of ledger.stream({
        from,
        knownBlock: chain.knownBlock,
        signal: controller.signal,
      }))
        chain.apply(item);
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
  })();
  return {
    chain,
    async waitFor(condition: (chain: AppliedChain) => boolean, timeoutMs = 20_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!condition(chain)) {
        if (failure !== undefined) throw failure;
        if (Date.now() > deadline)
          throw new Error(
            `condition not met within ${timeoutMs} ms (checkpoint ${chain.checkpoint.number})`,
          );
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async stop(): Promise<void> {
      controller.abort();
      await done;
      if (failure !== undefined) throw failure;
    },
  };
}
