/**
 * The EVM ledger's event stream against a real Hardhat node, with a `fetch` that injects what real
 * nodes do wrong: ranges refused as too large, timeouts, errors, truncated or incoherent answers,
 * logs of other contracts. Plus confirmations, finality and reorgs (evm_snapshot / evm_revert).
 */
import { expect } from "chai";
import { NonceManager, JsonRpcProvider, Wallet, ZeroAddress, keccak256, toUtf8Bytes } from "ethers";

import {
  isCredtrailError,
  LedgerError,
  ZERO_BYTES32,
  type AttestationRequestInput,
  type Hex,
} from "../../core/index.js";
import {
  createEvmLedger,
  LedgerErrorCode,
  type Checkpoint,
  type EvmLedger,
  type EvmLedgerOptions,
  type Receipt,
} from "../../ledger/index.js";
import { CreditRegistry__factory } from "../../types/ethers-contracts/factories/contracts/CreditRegistry__factory.js";
import { deployTestConsortium, TEST_KEYS, type TestConsortium } from "../helpers/evmConsortium.js";
import {
  faultyFetch,
  getLogsFilter,
  jsonResponse,
  rpcError,
  single,
  stall,
  type Exchange,
  type RpcRequestBody,
  type RpcResponseBody,
} from "../helpers/faultyFetch.js";
import { rpc, startHardhatNode, type HardhatNode } from "../helpers/hardhatNode.js";
import { AppliedChain, followStream, readStream, stripPosition } from "../helpers/streamHelpers.js";

const DAY = 86_400n;

function h(label: string): Hex {
  return keccak256(toUtf8Bytes(label)) as Hex;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

function hex(n: bigint): string {
  return `0x${n.toString(16)}`;
}

describe("EvmLedger: event stream against a Hardhat node", function () {
  this.timeout(180_000);

  let node: HardhatNode;
  let c: TestConsortium;
  let ledger: EvmLedger;
  let now: bigint;
  /** Where every stream of these tests starts: before the contracts were deployed. */
  let start: Checkpoint;
  /** The last block of the generated history. */
  let last: bigint;
  /** The history read in one big range, with no fault injected. */
  let baseline: AppliedChain;

  let counter = 0;
  const request = (overrides: Partial<AttestationRequestInput> = {}): AttestationRequestInput => {
    counter++;
    return {
      schema: c.schemas.taxPayment,
      subject: h(`stream:subject:${counter}`),
      dataHash: h(`stream:data:${counter}`),
      observedAt: now - DAY,
      expiresAt: now + 365n * DAY,
      severity: 0,
      ...overrides,
    };
  };

  const ledgerWith = (options: Partial<EvmLedgerOptions> = {}) =>
    createEvmLedger({
      rpcUrl: node.url,
      addresses: c.addresses,
      pollIntervalMs: 20,
      retryDelayMs: 1,
      ...options,
    });

  before(async () => {
    node = await startHardhatNode();
    c = await deployTestConsortium(node.url);
    ledger = await ledgerWith();
    now = (await ledger.head()).timestamp;
    start = { number: BigInt(c.deployBlock - 1), hash: ZERO_BYTES32 };
    // 24 blocks of events: single attestations and batches of up to 5 (so up to 5 logs per block).
    const tax = ledger.writer(TEST_KEYS.tax);
    const court = ledger.writer(TEST_KEYS.court);
    let receipt: Receipt | undefined;
    for (let i = 0; i < 24; i++) {
      if (i % 4 === 0) {
        receipt = await tax.attestMany(Array.from({ length: (i % 5) + 1 }, () => request()));
      } else if (i % 4 === 1) {
        receipt = await court.attest(request({ schema: c.schemas.adminPenalty }));
      } else {
        receipt = await tax.attest(request());
      }
    }
    last = receipt?.blockNumber ?? 0n;
    baseline = await readStream(ledger, start, { until: last });
  });

  after(async () => {
    ledger?.close();
    await node?.stop();
  });

  it("streams the whole history, every block after the start checkpoint accounted for", () => {
    const events = baseline.events();
    expect(events.length).to.be.greaterThan(40);
    expect(baseline.checkpoint.number).to.equal(last);
    // Positions are in (block, logIndex) order.
    const positions = baseline.positioned().map((e) => e.position);
    for (let i = 1; i < positions.length; i++) {
      const [a, b] = [positions[i - 1], positions[i]];
      expect(
        a.blockNumber < b.blockNumber ||
          (a.blockNumber === b.blockNumber && a.logIndex < b.logIndex),
      ).to.equal(true);
    }
  });

  it("gives the same events over many small ranges as over one big range, with no gap", async () => {
    for (const maxBlockRange of [1, 3, 7]) {
      const spy = faultyFetch(() => undefined);
      const small = await ledgerWith({ maxBlockRange, fetch: spy.fetch });
      const chain = await readStream(small, start, { until: last });
      expect(chain.events(), `maxBlockRange ${maxBlockRange}`).to.deep.equal(baseline.events());
      const ranges = spy.seen.map((body) =>
        getLogsFilter({ body, forward: () => Promise.reject(new Error()) }),
      );
      const covered = new Set<bigint>();
      for (const range of ranges) {
        if (range?.from === undefined || range.to === undefined) continue;
        expect(range.to - range.from + 1n).to.be.at.most(BigInt(maxBlockRange));
        for (let n = range.from; n <= range.to; n++) covered.add(n);
      }
      for (let n = start.number + 1n; n <= last; n++)
        expect(covered.has(n), `block ${n} read`).to.equal(true);
      if (maxBlockRange === 1) {
        // Every range's last block is streamed, events or not: with one-block ranges, every block.
        const streamed = chain.items.flatMap((i) => (i.type === "block" ? [i.block.number] : []));
        expect(streamed).to.deep.equal(
          Array.from(
            { length: Number(last - start.number) },
            (_, i) => start.number + 1n + BigInt(i),
          ),
        );
      }
    }
  });

  it("reads at most `prefetchRanges` ranges ahead of a consumer that waits", async () => {
    for (const prefetchRanges of [1, 3]) {
      const spy = faultyFetch(() => undefined);
      const reader = await ledgerWith({ maxBlockRange: 1, prefetchRanges, fetch: spy.fetch });
      const controller = new AbortController();
      const iterator = reader
        .stream({
          from: start,
          knownBlock: () => Promise.resolve(undefined),
          signal: controller.signal,
        })
        [Symbol.asyncIterator]();
      await iterator.next();
      // one-block ranges: a range is its first block (its tail is read again from the same block)
      const ranges = (): number =>
        new Set(
          spy.seen.flatMap((body) => {
            const range = getLogsFilter({ body, forward: () => Promise.reject(new Error()) });
            return range?.from === undefined ? [] : [range.from];
          }),
        ).size;
      // the range the consumer took its item from, and those read ahead of it: no more, however
      // long the consumer waits
      const expected = prefetchRanges + 1;
      for (let waited = 0; ranges() < expected && waited < 10_000; waited += 20)
        await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(ranges(), `prefetchRanges ${prefetchRanges}`).to.equal(expected);
      controller.abort();
      await iterator.return?.();
      reader.close();
    }
  });

  it("does not stream logs of another contract, even one with the same events", async () => {
    const provider = new JsonRpcProvider(node.url, undefined, { cacheTimeout: -1 });
    const deployer = new NonceManager(new Wallet(TEST_KEYS.deployer, provider));
    const impostor = await new CreditRegistry__factory(deployer).deploy(
      c.addresses.consortium,
      ZeroAddress,
    );
    await impostor.waitForDeployment();
    const impostorAddress = await impostor.getAddress();
    const taxKey = new NonceManager(new Wallet(TEST_KEYS.tax, provider));
    const foreign = await (
      await impostor
        .connect(taxKey)
        .attest({ ...request(), observedAt: now - DAY, expiresAt: now + DAY })
    ).wait();
    const ours = await ledger.writer(TEST_KEYS.tax).attest(request());
    provider.destroy();
    // The impostor's log carries the very topic of ours.
    expect(foreign?.logs[0].topics[0]).to.equal(
      (
        await rpc<{ topics: string[] }[]>(node.url, "eth_getLogs", [{ blockHash: ours.blockHash }])
      )[0].topics[0],
    );

    const from = { number: (foreign?.blockNumber ?? 0) - 1, hash: ZERO_BYTES32 };
    const chain = await readStream(
      ledger,
      { number: BigInt(from.number), hash: ZERO_BYTES32 },
      { until: ours.blockNumber },
    );
    expect(chain.events()).to.deep.equal(ours.events);

    // A node that ignores the address filter: the impostor's logs arrive, and are dropped.
    let foreignSeen = 0;
    const leaky = faultyFetch(async (exchange) => {
      const call = single(exchange);
      if (call?.method !== "eth_getLogs") return undefined;
      const filter = { ...(call.params[0] as Record<string, unknown>) };
      delete filter.address;
      const answer = (await exchange.forward()) as RpcResponseBody;
      const all = await rpc<unknown[]>(node.url, "eth_getLogs", [filter]);
      foreignSeen += all.length - (answer.result as unknown[]).length;
      return jsonResponse({ ...answer, result: all });
    });
    const leakyLedger = await ledgerWith({ fetch: leaky.fetch });
    const leaked = await readStream(
      leakyLedger,
      { number: BigInt(from.number), hash: ZERO_BYTES32 },
      { until: ours.blockNumber },
    );
    expect(leaked.events()).to.deep.equal(ours.events);
    expect(foreignSeen, "the impostor's logs reached the stream's parser").to.be.greaterThan(0);
    expect(leaked.positioned().every((e) => e.position.txHash === ours.txHash)).to.equal(true);
    expect(impostorAddress).to.not.equal(c.addresses.registry);
  });

  it("splits ranges the node refuses as too large, and ranges that time out", async () => {
    const refusals: string[] = [];
    const limited = faultyFetch((exchange) => {
      const range = getLogsFilter(exchange);
      if (range?.from === undefined || range.to === undefined) return undefined;
      const id = (exchange.body as RpcRequestBody).id;
      if (range.to - range.from + 1n > 4n) {
        refusals.push(`${range.from}-${range.to}`);
        return rpcError(id, -32005, "query returned more than 10000 results");
      }
      return undefined;
    });
    const chain = await readStream(
      await ledgerWith({ maxBlockRange: 50, fetch: limited.fetch }),
      start,
      { until: last },
    );
    expect(chain.events()).to.deep.equal(baseline.events());
    expect(refusals.length).to.be.greaterThan(0);

    // Alchemy's answer names a range that works: the stream takes it.
    const suggesting = faultyFetch((exchange) => {
      const range = getLogsFilter(exchange);
      if (range?.from === undefined || range.to === undefined || range.to - range.from + 1n <= 6n)
        return undefined;
      const id = (exchange.body as RpcRequestBody).id;
      return rpcError(
        id,
        -32602,
        `Log response size exceeded. this block range should work: [${hex(range.from)}, ${hex(range.from + 5n)}]`,
      );
    });
    const suggested = await readStream(
      await ledgerWith({ maxBlockRange: 50, fetch: suggesting.fetch }),
      start,
      { until: last },
    );
    expect(suggested.events()).to.deep.equal(baseline.events());
    const widths = suggesting.seen.map((body) =>
      getLogsFilter({ body, forward: () => Promise.reject(new Error()) }),
    );
    expect(
      widths.some((r) => r?.from !== undefined && r.to !== undefined && r.to - r.from + 1n === 6n),
    ).to.equal(true);

    // A node that never answers wide ranges: they time out and are split.
    const slow = faultyFetch(async (exchange) => {
      const range = getLogsFilter(exchange);
      if (range?.from !== undefined && range.to !== undefined && range.to - range.from + 1n > 8n) {
        await stall(2_000, exchange.signal);
      }
      return undefined;
    });
    const timedOut = await readStream(
      await ledgerWith({ maxBlockRange: 50, requestTimeoutMs: 300, fetch: slow.fetch }),
      start,
      {
        until: last,
      },
    );
    expect(timedOut.events()).to.deep.equal(baseline.events());
  });

  it("retries node errors and cut answers, and still streams everything", async () => {
    // Every distinct request fails the first time it is sent (alternately HTTP 503, a JSON-RPC
    // error, an answer cut in the middle), and succeeds when retried.
    const failedOnce = new Set<string>();
    let n = 0;
    const flaky = faultyFetch(async (exchange) => {
      const key = JSON.stringify(
        Array.isArray(exchange.body)
          ? exchange.body.map((b) => [b.method, b.params])
          : [exchange.body.method, exchange.body.params],
      );
      if (failedOnce.has(key)) return undefined;
      failedOnce.add(key);
      switch (n++ % 3) {
        case 0:
          return new Response("upstream busy", { status: 503 });
        case 1:
          return rpcError(single(exchange)?.id ?? 0, -32603, "internal error");
        default: {
          const text = JSON.stringify(await exchange.forward());
          return new Response(text.slice(0, Math.floor(text.length / 2)), { status: 200 });
        }
      }
    });
    const chain = await readStream(
      await ledgerWith({ maxBlockRange: 5, retries: 10, fetch: flaky.fetch }),
      start,
      { until: last },
    );
    expect(chain.events()).to.deep.equal(baseline.events());
    expect(n).to.be.greaterThan(20);
  });

  /** Streams with a faulty fetch until it fails; returns the error and what was applied before. */
  async function failing(
    handler: (exchange: Exchange) => Promise<Response | undefined> | Response | undefined,
    options: Partial<EvmLedgerOptions> = {},
  ) {
    const faulty = faultyFetch(handler);
    const failingLedger = await ledgerWith({
      maxBlockRange: 4,
      retries: 2,
      fetch: faulty.fetch,
      ...options,
    });
    const chain = new AppliedChain(start);
    const error = await rejection(readStream(failingLedger, start, { until: last, chain }));
    expect(error).to.be.instanceOf(LedgerError);
    const details = (error as LedgerError).details ?? {};
    const fromBlock = BigInt(String(details.fromBlock));
    const toBlock = BigInt(String(details.toBlock));
    // Nothing of the failed range, and everything before it.
    const applied = [...chain.blocks.keys()];
    expect(
      applied.every((b) => b < fromBlock),
      "no block of the failed range was streamed",
    ).to.equal(true);
    expect(chain.checkpoint.number).to.equal(fromBlock - 1n);
    expect(chain.events()).to.deep.equal(baseline.events().slice(0, chain.events().length));
    return { error: error as LedgerError, fromBlock, toBlock };
  }

  it("ends with a LedgerError and nothing of the range when a node error persists", async () => {
    const bad = start.number + 9n;
    const { error, fromBlock, toBlock } = await failing((exchange) => {
      const range = getLogsFilter(exchange);
      if (
        range?.from !== undefined &&
        range.to !== undefined &&
        range.from <= bad &&
        bad <= range.to
      ) {
        return rpcError((exchange.body as RpcRequestBody).id, -32000, "header not found");
      }
      return undefined;
    });
    expect(error.code).to.equal(LedgerErrorCode.UNAVAILABLE);
    expect(error.message).to.match(/failed after 3 attempts: eth_getLogs: header not found/);
    expect(fromBlock <= bad && bad <= toBlock).to.equal(true);
  });

  it("rejects a truncated eth_getLogs answer", async () => {
    // A node that silently caps answers at 20 logs: caught, split, and the stream is complete. (The
    // cap must exceed the logs of the busiest block, here the deployment's 18: an answer cut inside
    // a block that alone exceeds the cap looks the same when that block is asked for again.)
    const capped = faultyFetch(async (exchange) => {
      if (getLogsFilter(exchange) === undefined) return undefined;
      const answer = (await exchange.forward()) as RpcResponseBody;
      return jsonResponse({ ...answer, result: (answer.result as unknown[]).slice(0, 20) });
    });
    const complete = await readStream(
      await ledgerWith({ maxBlockRange: 50, fetch: capped.fetch }),
      start,
      { until: last },
    );
    expect(complete.events()).to.deep.equal(baseline.events());

    // Truncated every time, no retries: rejected with nothing applied.
    const target = start.number + 5n;
    const { error, fromBlock } = await failing(
      async (exchange) => {
        const range = getLogsFilter(exchange);
        if (range?.from !== target) return undefined;
        const answer = (await exchange.forward()) as RpcResponseBody;
        return jsonResponse({ ...answer, result: (answer.result as unknown[]).slice(0, -1) });
      },
      { retries: 0 },
    );
    expect(error.code).to.equal(LedgerErrorCode.INCONSISTENT_RESPONSE);
    expect(error.message).to.match(/truncated/);
    expect(fromBlock).to.equal(target);
  });

  it("rejects logs whose block hash is not the block's, missing blocks and removed logs", async () => {
    const target = start.number + 6n;
    const rewriteLogs =
      (rewrite: (log: Record<string, unknown>) => Record<string, unknown>) =>
      async (exchange: Exchange) => {
        if (getLogsFilter(exchange) === undefined) return undefined;
        const answer = (await exchange.forward()) as RpcResponseBody;
        const logs = (answer.result as Record<string, unknown>[]).map((log) =>
          BigInt(String(log.blockNumber)) === target ? rewrite(log) : log,
        );
        return jsonResponse({ ...answer, result: logs });
      };

    const wrongHash = await failing(
      rewriteLogs((log) => ({ ...log, blockHash: h("another block") })),
    );
    expect(wrongHash.error.code).to.equal(LedgerErrorCode.INCONSISTENT_RESPONSE);
    expect(wrongHash.error.message).to.match(/claims block hash/);

    const moved = await failing(rewriteLogs((log) => ({ ...log, blockNumber: hex(target + 1n) })));
    expect(moved.error.code).to.equal(LedgerErrorCode.INCONSISTENT_RESPONSE);

    const removed = await failing(rewriteLogs((log) => ({ ...log, removed: true })));
    expect(removed.error.message).to.match(/removed/);

    const missing = await failing(async (exchange) => {
      if (
        !Array.isArray(exchange.body) ||
        !exchange.body.some(
          (call) => call.method === "eth_getBlockByNumber" && call.params[0] === hex(target),
        )
      ) {
        return undefined;
      }
      const answers = (await exchange.forward()) as RpcResponseBody[];
      const asked = new Map(exchange.body.map((call) => [call.id, call.params[0]]));
      return jsonResponse(
        answers.map((a) => (asked.get(a.id) === hex(target) ? { ...a, result: null } : a)),
      );
    });
    expect(missing.error.code).to.equal(LedgerErrorCode.INCONSISTENT_RESPONSE);
    expect(missing.error.message).to.match(/missing/);
  });

  it("streams only blocks `confirmations` deep, and finalizes at `finalityDepth`", async () => {
    const deep = await ledgerWith({ confirmations: 2 });
    const head = (await deep.head()).number;
    const follower = followStream(deep, { number: head - 4n, hash: ZERO_BYTES32 });
    await follower.waitFor((chain) => chain.checkpoint.number === head - 2n);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(follower.chain.checkpoint.number).to.equal(head - 2n);
    expect(follower.chain.finalized).to.equal(head - 2n);
    await rpc(node.url, "evm_mine");
    await rpc(node.url, "evm_mine");
    await follower.waitFor((chain) => chain.checkpoint.number === head);
    expect(follower.chain.finalized).to.equal(head);
    await follower.stop();

    const early = await ledgerWith({ confirmations: 0, finalityDepth: 3 });
    const now2 = (await early.head()).number;
    const follower2 = followStream(early, { number: now2 - 5n, hash: ZERO_BYTES32 });
    await follower2.waitFor(
      (chain) => chain.checkpoint.number === now2 && chain.finalized === now2 - 3n,
    );
    await rpc(node.url, "evm_mine");
    await follower2.waitFor(
      (chain) => chain.checkpoint.number === now2 + 1n && chain.finalized === now2 - 2n,
    );
    await follower2.stop();
  });

  it("stops quietly when its signal aborts, even in the middle of a request", async () => {
    const hanging = faultyFetch(async (exchange) => {
      if (getLogsFilter(exchange) !== undefined) await stall(60_000, exchange.signal);
      return undefined;
    });
    const stuck = await ledgerWith({ fetch: hanging.fetch, requestTimeoutMs: 120_000 });
    const controller = new AbortController();
    const items: unknown[] = [];
    const done = (async () => {
      for await (const item of stuck.stream({
        from: start,
        knownBlock: () => Promise.resolve(undefined),
        signal: controller.signal,
      }))
        items.push(item);
    })();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const began = Date.now();
    controller.abort();
    await done;
    expect(Date.now() - began).to.be.below(1_000);
    expect(items).to.deep.equal([]);
  });

  describe("reorgs", () => {
    it("rolls back to the newest common ancestor when the chain is reverted and mines another branch", async () => {
      const reorging = await ledgerWith();
      const head = await reorging.head();
      const follower = followStream(reorging, { number: head.number - 1n, hash: ZERO_BYTES32 });
      await follower.waitFor((chain) => chain.checkpoint.number === head.number);
      expect(follower.chain.checkpoint.hash).to.equal(head.hash);

      const snapshot = await rpc<string>(node.url, "evm_snapshot");
      const tax = reorging.writer(TEST_KEYS.tax);
      const dropped: Receipt[] = [];
      for (let i = 0; i < 3; i++) dropped.push(await tax.attest(request()));
      await follower.waitFor((chain) => chain.checkpoint.number === head.number + 3n);
      const droppedTip = follower.chain.checkpoint;

      expect(await rpc<boolean>(node.url, "evm_revert", [snapshot])).to.equal(true);
      // A new writer: the old one's nonces went with the dropped branch.
      const court = reorging.writer(TEST_KEYS.court);
      const kept: Receipt[] = [];
      for (let i = 0; i < 4; i++)
        kept.push(await court.attest(request({ schema: c.schemas.adminPenalty })));
      await follower.waitFor((chain) => chain.checkpoint.number === head.number + 4n);
      await follower.stop();

      const reorgs = follower.chain.items.filter((i) => i.type === "reorg");
      expect(reorgs).to.deep.equal([
        { type: "reorg", ancestor: { number: head.number, hash: head.hash }, dropped: droppedTip },
      ]);
      // Only the new branch remains, and the finalized line was pulled back to the ancestor.
      const after = follower.chain.positioned().filter((e) => e.position.blockNumber > head.number);
      expect(after.map(stripPosition)).to.deep.equal(kept.flatMap((r) => r.events));
      expect(after.map((e) => e.position.txHash)).to.deep.equal(kept.map((r) => r.txHash));
      expect(follower.chain.checkpoint.hash).to.equal(kept[3].blockHash);
      for (const r of dropped)
        expect(after.some((e) => e.position.txHash === r.txHash)).to.equal(false);

      // A consumer that comes back later with a checkpoint on the dropped branch gets the reorg first.
      const known = new Map<bigint, Hex>([
        [head.number, head.hash],
        ...dropped.map((r) => [r.blockNumber, r.blockHash] as [bigint, Hex]),
      ]);
      const items = [];
      const controller = new AbortController();
      for await (const item of reorging.stream({
        from: droppedTip,
        knownBlock: (n) => Promise.resolve(known.get(n)),
        signal: controller.signal,
      })) {
        items.push(item);
        if (items.length === 2) break;
      }
      expect(items[0]).to.deep.equal({
        type: "reorg",
        ancestor: { number: head.number, hash: head.hash },
        dropped: droppedTip,
      });
      expect(items[1]).to.deep.include({ type: "block" });

      // With no known block to fall back to, the stream says so.
      const lost = await rejection(
        (async () => {
          for await (const _item of reorging.stream({
            from: droppedTip,
            knownBlock: () => Promise.resolve(undefined),
          }))
            break;
        })(),
      );
      expect(isCredtrailError(lost, LedgerErrorCode.REORG_TOO_DEEP)).to.equal(true);
    });
  });
});
