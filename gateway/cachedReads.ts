/**
 * The indexer's reads as the gateway's hot path makes them, remembered until the indexer's next
 * change: membership (`memberByKey`, `getMember`: every request's authentication, every record's
 * provider), consents (`findConsent`: every lender read) and a subject's record pages
 * (`listAttestationsBySubject`). Any indexer update (block, reorg, finalize, upload) forgets
 * everything, so a read answers what the indexed ledger says at that moment, as an uncached read
 * would: a suspension, a key revocation or a revoked consent takes effect with the block that
 * indexes it. Time-dependent answers are not kept past their time (a consent in force is forgotten
 * when it expires). Every other read goes straight to the indexer.
 *
 * Entries hold the read's promise, so concurrent requests for the same key share one read; a read
 * that fails is forgotten. The values are shared between requests: callers must not mutate them.
 */
import type { IndexerUpdate, ReadApi } from "../indexer/index.js";
import { createExpiringLru } from "./auth/expiringLru.js";

/** The reads this cache answers. */
export type CachedReadName =
  "memberByKey" | "getMember" | "findConsent" | "listAttestationsBySubject";

/** Where the cache hears of changes (the indexer). */
export interface ChangeSource {
  subscribe(listener: (update: IndexerUpdate) => void): () => void;
}

export interface CachedReadsOptions {
  /** Entries kept (each read's key); beyond, the least recently used go first. Default 20,000. */
  maxEntries?: number;
  /** Milliseconds since the epoch (consent expiry). Default Date.now. */
  clock?: () => number;
}

export interface CachedReadsStats {
  hits: number;
  misses: number;
  clears: number;
  size: number;
}

export interface CachedReads {
  /** Stops listening for changes and forgets everything (the reads still work, uncached). */
  closeCache(): void;
  cacheStats(): CachedReadsStats;
}

/** `reads` with the hot reads cached (a proxy: every other member is the original's). */
export function createCachedReads<R extends Pick<ReadApi, CachedReadName>>(
  reads: R,
  changes: ChangeSource,
  options: CachedReadsOptions = {},
): R & CachedReads {
  const maxEntries = options.maxEntries ?? 20_000;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError("maxEntries must be a positive integer");
  }
  const clock = options.clock ?? Date.now;
  // each entry holds the read's promise; it expires (Infinity while pending) at the answer's time
  const entries = createExpiringLru<Promise<unknown>>(maxEntries);
  const stats = { hits: 0, misses: 0, clears: 0 };
  let closed = false;
  const unsubscribe = changes.subscribe(() => {
    entries.clear();
    stats.clears++;
  });

  function remember<T>(
    key: string,
    read: () => Promise<T>,
    until: (value: T) => number = () => Number.POSITIVE_INFINITY,
  ): Promise<T> {
    if (closed) return read();
    const kept = entries.get(key, clock());
    if (kept !== undefined) {
      stats.hits++;
      return kept as Promise<T>;
    }
    stats.misses++;
    const value = read();
    entries.set(key, value, Number.POSITIVE_INFINITY);
    // only while this read is still the entry (a change may have cleared it meanwhile)
    const isEntry = (): boolean => entries.get(key, Number.NEGATIVE_INFINITY) === value;
    value.then(
      (v) => {
        if (isEntry()) entries.set(key, value, until(v));
      },
      () => {
        if (isEntry()) entries.delete(key);
      },
    );
    return value;
  }

  const cached: Pick<ReadApi, CachedReadName> & CachedReads = {
    memberByKey: (address) =>
      remember(`k:${address.toLowerCase()}`, () => reads.memberByKey(address)),
    getMember: (id) => remember(`m:${id.toLowerCase()}`, () => reads.getMember(id)),
    findConsent: (lender, subject, purposeHash) =>
      remember(
        `c:${lender.toLowerCase()}:${subject.toLowerCase()}:${purposeHash.toLowerCase()}`,
        () => reads.findConsent(lender, subject, purposeHash),
        // in force until it expires (unix seconds); refused answers stay refused until a change
        (consent) => (consent?.inForce === true ? Number(consent.expiresAt) * 1000 : Infinity),
      ),
    listAttestationsBySubject: (subject, args) =>
      remember(`s:${subject.toLowerCase()}:${JSON.stringify(args ?? {})}`, () =>
        reads.listAttestationsBySubject(subject, args),
      ),
    closeCache() {
      closed = true;
      unsubscribe();
      entries.clear();
    },
    cacheStats: () => ({ ...stats, size: entries.size }),
  };
  return new Proxy(reads, {
    get(target, property, receiver) {
      if (Object.hasOwn(cached, property)) return Reflect.get(cached, property) as unknown;
      return Reflect.get(target, property, receiver) as unknown;
    },
  }) as R & CachedReads;
}
