/**
 * Cursor pagination: a walk visits every item exactly once, in order (newest first where the list
 * says so), across block numbers and timestamps of every width; bad cursors and sizes are refused.
 */
import { expect } from "chai";

import type { Hex, LedgerEvent } from "../../core/index.js";
import { CredtrailError } from "../../core/index.js";
import type { Indexer, Page, PageArgs } from "../../indexer/index.js";
import { IndexerErrorCode, MAX_PAGE_SIZE } from "../../indexer/index.js";
import type { Chain } from "./fixtures.js";
import {
  KEY,
  M,
  T0,
  attest,
  consortiumGenesis,
  createChain,
  derive,
  h,
  openIndexer,
  subject,
  tempDirs,
} from "./fixtures.js";

async function walk<T>(
  list: (args: PageArgs) => Promise<Page<T>>,
  first: number,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let after: string | null = null;
  let pages = 0;
  for (;;) {
    const page: Page<T> = await list({ first, after });
    pages++;
    expect(page.items.length).to.be.at.most(first);
    items.push(...page.items);
    if (page.nextCursor === null) return { items, pages };
    expect(page.items.length).to.equal(first);
    after = page.nextCursor;
  }
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return error instanceof CredtrailError ? error.code : undefined;
  }
  return undefined;
}

describe("indexer pagination", () => {
  const dirs = tempDirs();
  let indexer: Indexer;
  let chain: Chain;
  const acme = subject("acme");
  /** observation times of every digit width, with ties */
  const times: bigint[] = [
    1n,
    2n,
    9n,
    10n,
    11n,
    99n,
    100n,
    101n,
    999n,
    1_000n,
    99_999n,
    100_000n,
    T0 - 1n,
    T0,
    T0,
    T0 + 1n,
    9_999_999_999n,
    10_000_000_000n,
  ];

  before(async () => {
    chain = createChain();
    ({ indexer } = await openIndexer(dirs));
    await indexer.handle(chain.add(consortiumGenesis()));
    // 126 attestations of acme over blocks 2…127 (block numbers cross 9 → 10 → 100), one derived
    // record per block from 2 on, then revocations in blocks 128…
    const uids: Hex[] = [];
    for (let i = 0; i < 126; i++) {
      const event = attest({
        subject: acme,
        observedAt: times[i % times.length] + BigInt(Math.floor(i / times.length)),
        label: `p${i}`,
        provider: i % 3 === 0 ? "court" : "tax",
        severity: i % 3 === 0 ? 1 : 0,
      });
      uids.push(event.uid);
      const events: LedgerEvent[] = [event];
      if (i > 0)
        events.push(
          derive({ subject: subject(`derived:${i}`), inputs: [uids[i - 1]], label: `d${i}` }),
        );
      await indexer.handle(chain.add(events));
    }
    for (let i = 0; i < 12; i++) {
      const events: LedgerEvent[] = [];
      for (let j = 0; j < 10; j++) {
        const uid = uids[i * 10 + j];
        const owner = (i * 10 + j) % 3 === 0 ? "court" : "tax";
        events.push({
          kind: "Revoked",
          uid,
          owner: M[owner],
          reasonHash: h(`r${i}:${j}`),
          signer: KEY[owner],
        });
      }
      await indexer.handle(chain.add(events));
    }
  });
  after(async () => {
    await indexer.close();
    await dirs.cleanup();
  });

  it("walks a subject's attestations exactly once, newest first, at every page size", async () => {
    const all = (await walk((args) => indexer.listAttestationsBySubject(acme, args), MAX_PAGE_SIZE))
      .items;
    expect(all).to.have.length(126);
    for (let i = 1; i < all.length; i++) {
      const [prev, cur] = [all[i - 1], all[i]];
      expect(
        prev.observedAt > cur.observedAt ||
          (prev.observedAt === cur.observedAt && prev.uid < cur.uid),
        `order at ${i}`,
      ).to.equal(true);
    }
    for (const first of [1, 7, 10, 125, 126, 127]) {
      const { items, pages } = await walk(
        (args) => indexer.listAttestationsBySubject(acme, args),
        first,
      );
      expect(items.map((a) => a.uid)).to.deep.equal(all.map((a) => a.uid));
      expect(pages).to.equal(Math.max(1, Math.ceil(126 / first)));
    }
  });

  it("walks filtered lists (status, provider) exactly once", async () => {
    const all = (await walk((args) => indexer.listAttestationsBySubject(acme, args), 1000)).items;
    const active = await walk(
      (args) => indexer.listAttestationsBySubject(acme, { ...args, status: "active" }),
      9,
    );
    expect(active.items.map((a) => a.uid)).to.deep.equal(
      all.filter((a) => a.status === "active").map((a) => a.uid),
    );
    expect(active.items).to.have.length(6);
    const court = await walk((args) => indexer.listAttestationsByProvider(M.court, args), 4);
    expect(court.items.map((a) => a.uid)).to.deep.equal(
      all.filter((a) => a.provider === M.court).map((a) => a.uid),
    );
  });

  it("block-ordered lists sort across blocks 9 → 10 → 100 (revocations newest first)", async () => {
    const { items } = await walk((args) => indexer.listRevocations(args), 13);
    expect(items).to.have.length(120);
    const positions = items.map(
      (a) => [a.revocation?.audit.block ?? 0n, a.revocation?.audit.logIndex ?? 0] as const,
    );
    for (let i = 1; i < positions.length; i++) {
      const [pb, pl] = positions[i - 1];
      const [cb, cl] = positions[i];
      expect(pb > cb || (pb === cb && pl > cl), `order at ${i}`).to.equal(true);
    }
    expect(positions[0][0]).to.equal(chain.head.block.number);
    // lineage dependents: every derived record, found from its input
    const stale = await walk(
      (args) => indexer.listAttestationsByProvider(M.scorer, { ...args, stale: true }),
      50,
    );
    expect(stale.items).to.have.length(120);
  });

  it("refuses cursors of other lists, garbage cursors and bad page sizes", async () => {
    const page = await indexer.listAttestationsBySubject(acme, { first: 2 });
    expect(page.nextCursor).to.be.a("string");
    const cursor = page.nextCursor as string;
    expect(
      await codeOf(indexer.listAttestationsBySubject(subject("other"), { after: cursor })),
    ).to.equal(IndexerErrorCode.CURSOR_INVALID);
    expect(await codeOf(indexer.listRevocations({ after: cursor }))).to.equal(
      IndexerErrorCode.CURSOR_INVALID,
    );
    expect(
      await codeOf(indexer.listAttestationsBySubject(acme, { after: "not base64!" })),
    ).to.equal(IndexerErrorCode.CURSOR_INVALID);
    expect(await codeOf(indexer.listAttestationsBySubject(acme, { first: 0 }))).to.equal(
      IndexerErrorCode.ARGUMENT_INVALID,
    );
    expect(
      await codeOf(indexer.listAttestationsBySubject(acme, { first: MAX_PAGE_SIZE + 1 })),
    ).to.equal(IndexerErrorCode.ARGUMENT_INVALID);
    expect(await codeOf(indexer.listAttestationsBySubject(acme, { first: 1.5 }))).to.equal(
      IndexerErrorCode.ARGUMENT_INVALID,
    );
    expect(await codeOf(indexer.lineage(acme, { direction: "inputs", depth: 0 }))).to.equal(
      IndexerErrorCode.ARGUMENT_INVALID,
    );
    // the cursor is opaque text: the same cursor gives the same next page
    const again = await indexer.listAttestationsBySubject(acme, { first: 2, after: cursor });
    const twice = await indexer.listAttestationsBySubject(acme, { first: 2, after: cursor });
    expect(again).to.deep.equal(twice);
  });
});
