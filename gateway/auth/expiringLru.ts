/**
 * A bounded least-recently-used map whose entries also expire at a given time. Used to cache
 * verified token signatures until the token expires, and the gateway's cached reads.
 */
export interface ExpiringLru<V> {
  /** The value, when present and `now` is before its expiry (refreshes its recency). */
  get(key: string, now: number): V | undefined;
  /** Stores `value` until `expiresAt` (same unit as `now`), evicting the least recently used. */
  set(key: string, value: V, expiresAt: number): void;
  /** Forgets `key`. */
  delete(key: string): void;
  readonly size: number;
  clear(): void;
}

export function createExpiringLru<V>(capacity: number): ExpiringLru<V> {
  if (!Number.isSafeInteger(capacity) || capacity < 0) {
    throw new RangeError("cache capacity must be a non-negative integer");
  }
  // A Map iterates in insertion order: re-inserting on access keeps the oldest first.
  const entries = new Map<string, { value: V; expiresAt: number }>();
  return {
    get(key, now) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      entries.delete(key);
      if (now >= entry.expiresAt) return undefined;
      entries.set(key, entry);
      return entry.value;
    },
    set(key, value, expiresAt) {
      if (capacity === 0) return;
      entries.delete(key);
      while (entries.size >= capacity) {
        const oldest = entries.keys().next();
        if (oldest.done === true) break;
        entries.delete(oldest.value);
      }
      entries.set(key, { value, expiresAt });
    },
    delete(key) {
      entries.delete(key);
    },
    get size() {
      return entries.size;
    },
    clear() {
      entries.clear();
    },
  };
}
