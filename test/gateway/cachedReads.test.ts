/**
 * The gateway's cache of hot indexer reads: answers repeated reads without the indexer, shares
 * concurrent reads, forgets everything at each indexer change (so a suspension, a key revocation or
 * a revoked consent takes effect at once), does not keep a consent in force past its expiry nor a
 * failed read, stays bounded, and passes every other read through.
 */
import { expect } from "chai";
import { Wallet } from "ethers";

import type { Hex } from "../../core/index.js";
import { consentId, purposeHash } from "../../core/index.js";
import {
  AuthErrorCode,
  bearer,
  createAuthenticator,
  createLoginToken,
} from "../../gateway/auth/index.js";
import type { ChangeSource } from "../../gateway/cachedReads.js";
import { createCachedReads } from "../../gateway/cachedReads.js";
import type { Indexer, IndexerUpdate, ReadApi } from "../../indexer/index.js";
import type { Chain } from "../indexer/fixtures.js";
import {
  DAY,
  M,
  T0,
  consortiumGenesis,
  createChain,
  h,
  openIndexer,
  subject,
  tempDirs,
} from "../indexer/fixtures.js";

type Reads = Pick<
  ReadApi,
  "memberByKey" | "getMember" | "findConsent" | "listAttestationsBySubject" | "getAttestation"
>;

/** Fake reads that count their calls; `value` is what each returns. */
function fakeReads(value: () => unknown): Reads & { calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const call = (name: string) => () => {
    calls[name] = (calls[name] ?? 0) + 1;
    return Promise.resolve(value()) as never;
  };
  return {
    calls,
    memberByKey: call("memberByKey"),
    getMember: call("getMember"),
    findConsent: call("findConsent"),
    listAttestationsBySubject: call("listAttestationsBySubject"),
    getAttestation: call("getAttestation"),
  };
}

function fakeChanges(): ChangeSource & { emit(): void; listeners: number } {
  const listeners = new Set<(update: IndexerUpdate) => void>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit() {
      for (const l of listeners) l({ type: "finalize", number: 1n });
    },
    get listeners() {
      return listeners.size;
    },
  };
}

const ADDRESS = "0x00000000000000000000000000000000000000aa";
const ID = h("member");

describe("gateway cached reads", () => {
  it("answers repeated reads from the cache and shares concurrent ones", async () => {
    const reads = fakeReads(() => ({ name: "x" }));
    const cached = createCachedReads(reads, fakeChanges());
    const [a, b] = await Promise.all([cached.getMember(ID), cached.getMember(ID)]);
    expect(a).to.equal(b);
    await cached.getMember(ID.toUpperCase().replace("0X", "0x"));
    await cached.memberByKey(ADDRESS);
    await cached.memberByKey(ADDRESS);
    await cached.listAttestationsBySubject(ID, { first: 3 });
    await cached.listAttestationsBySubject(ID, { first: 3 });
    await cached.listAttestationsBySubject(ID, { first: 4 });
    expect(reads.calls).to.deep.equal({
      getMember: 1,
      memberByKey: 1,
      listAttestationsBySubject: 2,
    });
    expect(cached.cacheStats()).to.include({ misses: 4, hits: 4, size: 4 });
  });

  it("forgets everything at each indexer change", async () => {
    let n = 0;
    const reads = fakeReads(() => ({ n: ++n }));
    const changes = fakeChanges();
    const cached = createCachedReads(reads, changes);
    expect(await cached.getMember(ID)).to.deep.equal({ n: 1 });
    expect(await cached.getMember(ID)).to.deep.equal({ n: 1 });
    changes.emit();
    expect(await cached.getMember(ID)).to.deep.equal({ n: 2 });
    expect(cached.cacheStats().clears).to.equal(1);
    cached.closeCache();
    expect(changes.listeners).to.equal(0);
  });

  it("does not keep a consent in force past its expiry, nor a failed read", async () => {
    let now = 1_000_000;
    const expiresAt = BigInt(now / 1000 + 60);
    const reads = fakeReads(() => ({ expiresAt, inForce: true }));
    const cached = createCachedReads(reads, fakeChanges(), { clock: () => now });
    await cached.findConsent(ID, ID, ID);
    await cached.findConsent(ID, ID, ID);
    expect(reads.calls.findConsent).to.equal(1);
    now += 60_000;
    await cached.findConsent(ID, ID, ID);
    expect(reads.calls.findConsent).to.equal(2);

    let fail = true;
    const flaky = createCachedReads(
      {
        ...fakeReads(() => null),
        getMember: (_id: string) =>
          fail ? Promise.reject(new Error("down")) : Promise.resolve(null),
      },
      fakeChanges(),
    );
    let error: unknown;
    try {
      await flaky.getMember(ID);
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).to.equal("down");
    fail = false;
    expect(await flaky.getMember(ID)).to.equal(null);
  });

  it("is bounded, and passes other reads through", async () => {
    const reads = fakeReads(() => null);
    const cached = createCachedReads(reads, fakeChanges(), { maxEntries: 2 });
    for (const id of ["0x01", "0x02", "0x03"]) await cached.getMember(id);
    expect(cached.cacheStats().size).to.equal(2);
    await cached.getAttestation(ID);
    await cached.getAttestation(ID);
    expect(reads.calls.getAttestation).to.equal(2);
  });

  describe("over a real indexer", () => {
    const dirs = tempDirs();
    let indexer: Indexer;
    let chain: Chain;
    const nowMs = Number(T0 + 10_000n) * 1000;
    const bank = new Wallet(h("wallet:cached-bank"));

    beforeEach(async () => {
      chain = createChain();
      ({ indexer } = await openIndexer(dirs, { clock: () => nowMs }));
      await indexer.handle(chain.add(consortiumGenesis()));
      await indexer.handle(chain.add([{ kind: "KeyAdded", member: M.bank, key: bank.address }]));
    });
    afterEach(async () => {
      await indexer.close();
      await dirs.cleanup();
    });

    it("a suspension or a key revocation refuses the very next request", async () => {
      const reads = createCachedReads(indexer, indexer, { clock: () => nowMs });
      const auth = createAuthenticator({
        reads,
        chainId: 31337n,
        audience: "cached",
        clock: () => nowMs,
      });
      const token = bearer(
        await createLoginToken(bank, {
          chainId: 31337n,
          member: M.bank,
          audience: "cached",
          lifetimeSeconds: 600,
          now: BigInt(nowMs / 1000),
        }),
      );
      expect(await auth.authenticate(token)).to.not.equal(null);
      expect(await auth.authenticate(token)).to.not.equal(null);
      expect(reads.cacheStats().hits).to.be.greaterThan(0);

      await indexer.handle(chain.add([{ kind: "MemberSuspended", member: M.bank }]));
      await expectCode(auth.authenticate(token), AuthErrorCode.MEMBER_SUSPENDED);
      await indexer.handle(chain.add([{ kind: "MemberReinstated", member: M.bank }]));
      expect(await auth.authenticate(token)).to.not.equal(null);
      await indexer.handle(
        chain.add([
          { kind: "KeyRevoked", member: M.bank, key: bank.address, revokedBy: bank.address },
        ]),
      );
      await expectCode(auth.authenticate(token), AuthErrorCode.KEY_REVOKED);
      reads.closeCache();
    });

    it("a consent recorded, then revoked, is seen at once", async () => {
      const reads = createCachedReads(indexer, indexer, { clock: () => nowMs });
      const s: Hex = subject(7);
      const ph = purposeHash("credit-assessment");
      expect(await reads.findConsent(M.bank, s, ph)).to.equal(null);
      const id = consentId({ lender: M.bank, subject: s, purposeHash: ph });
      await indexer.handle(
        chain.add([
          {
            kind: "ConsentRecorded",
            consentId: id,
            subject: s,
            lender: M.bank,
            purposeHash: ph,
            expiresAt: T0 + 30n * DAY,
            evidenceHash: h("evidence"),
            signer: bank.address,
          },
        ]),
      );
      expect((await reads.findConsent(M.bank, s, ph))?.inForce).to.equal(true);
      expect((await reads.findConsent(M.bank, s, ph))?.inForce).to.equal(true);
      await indexer.handle(
        chain.add([
          {
            kind: "ConsentRevoked",
            consentId: id,
            subject: s,
            lender: M.bank,
            signer: bank.address,
          },
        ]),
      );
      expect((await reads.findConsent(M.bank, s, ph))?.inForce).to.equal(false);
      reads.closeCache();
    });
  });
});

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect((error as { code?: string }).code).to.equal(code);
    return;
  }
  expect.fail(`expected ${code}`);
}
