/**
 * Cursor pagination over one key prefix. A page is `{ items, nextCursor }`; the cursor is the
 * base64url of the last key returned, opaque to callers, and valid only for the list that gave it.
 */
import { ValidationError } from "../core/index.js";
import { IndexerErrorCode } from "./errors.js";
import { prefixEnd } from "./keys.js";
import type { KeyRange, KvStore } from "./kvStore.js";

export interface PageArgs {
  /** Page size, 1…MAX_PAGE_SIZE (default DEFAULT_PAGE_SIZE). */
  first?: number;
  /** The `nextCursor` of the previous page. */
  after?: string | null;
}

export interface Page<T> {
  items: T[];
  /** Null on the last page. */
  nextCursor: string | null;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

export function encodeCursor(key: string): string {
  return Buffer.from(key, "utf8").toString("base64url");
}

function cursorError(message: string): ValidationError {
  return new ValidationError(IndexerErrorCode.CURSOR_INVALID, message);
}

/** The key a cursor stands for; it must lie under `prefix`. */
export function decodeCursor(cursor: string, prefix: string): string {
  if (typeof cursor !== "string" || !/^[A-Za-z0-9_-]*$/.test(cursor) || cursor.length === 0) {
    throw cursorError("cursor is not one this list handed out");
  }
  const key = Buffer.from(cursor, "base64url").toString("utf8");
  if (!key.startsWith(prefix)) throw cursorError("cursor belongs to another list");
  return key;
}

export function pageSize(first: number | undefined): number {
  if (first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new ValidationError(
      IndexerErrorCode.ARGUMENT_INVALID,
      `first must be an integer from 1 to ${MAX_PAGE_SIZE}`,
      {
        details: { first },
      },
    );
  }
  return first;
}

export interface ScanOptions {
  /** Walk the prefix in reverse key order. */
  reverse?: boolean;
  /** Stop before this key (forward scans): narrows the prefix range. */
  lt?: string;
}

/**
 * One page of the keys under `prefix`: each entry is turned into an item by `load`, which may
 * return undefined to skip it (a filter). The cursor is the key of the last item returned.
 */
export async function paginate<T>(
  store: KvStore,
  prefix: string,
  args: PageArgs,
  load: (key: string, value: string) => Promise<T | undefined> | T | undefined,
  options: ScanOptions = {},
): Promise<Page<T>> {
  const first = pageSize(args.first);
  const after =
    args.after === undefined || args.after === null ? undefined : decodeCursor(args.after, prefix);
  const end = options.lt ?? prefixEnd(prefix);
  const range: KeyRange =
    options.reverse === true
      ? { gte: prefix, lt: after ?? end, reverse: true }
      : { gt: after, gte: after === undefined ? prefix : undefined, lt: end };
  const items: T[] = [];
  let lastKey: string | undefined;
  for await (const [key, value] of store.entries(range)) {
    const item = await load(key, value);
    if (item === undefined) continue;
    if (items.length === first) return { items, nextCursor: encodeCursor(lastKey as string) };
    items.push(item);
    lastKey = key;
  }
  return { items, nextCursor: null };
}
