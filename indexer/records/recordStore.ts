/**
 * The record contents a node holds (ARCHITECTURE "Record contents travel off the ledger"): the
 * provider sends the JSON whose hash is an attestation's dataHash; the node keeps it encrypted at
 * rest, in the sublevel `records` of its LevelDB, and the scoring service reads it from here.
 *
 * Every value is AES-256-GCM under the node's record key (`CREDTRAIL_RECORD_KEY`, 32 bytes hex):
 * `base64(iv ‖ tag ‖ ciphertext)` with a fresh 12-byte iv, and the uid as additional data, so a
 * value moved to another uid does not decrypt. A check value under `m:keycheck` tells, on open,
 * whether the key is the one the contents were written with. Without a key the store holds nothing
 * new (`RECORD_KEY_MISSING`) and refuses to open over stored contents.
 */
import type { KeyObject } from "node:crypto";
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from "node:crypto";

import type { Level } from "level";

import type { Hex, JsonObject } from "../../core/index.js";
import { CredtrailError, ValidationError } from "../../core/index.js";
import type { KvStore } from "../kvStore.js";
import { createLevelStore } from "../kvStore.js";

/** The sublevel of the node's database that holds record contents. */
export const RECORDS_SUBLEVEL = "records";

export const RecordStoreErrorCode = {
  /** The node has no record key: it cannot store (or read) record contents. */
  RECORD_KEY_MISSING: "RECORD_KEY_MISSING",
  /** CREDTRAIL_RECORD_KEY is not 32 bytes of hex. */
  RECORD_KEY_INVALID: "RECORD_KEY_INVALID",
  /** The record key is not the one the stored contents were encrypted with. */
  RECORD_KEY_MISMATCH: "RECORD_KEY_MISMATCH",
  /** A stored value that does not decrypt (tampered with, or moved to another uid). */
  RECORD_CORRUPT: "RECORD_CORRUPT",
} as const;

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_CHECK = "m:keycheck";
const KEY_CHECK_PLAINTEXT = "credtrail.records.v1";

export interface RecordStore {
  /** Whether the store has a key (can store and read contents). */
  readonly enabled: boolean;
  has(uid: Hex): Promise<boolean>;
  /** The contents of a record, or undefined when this node does not hold them. */
  get(uid: Hex): Promise<JsonObject | undefined>;
  /** Contents of many records, in order (undefined where not held). */
  getMany(uids: readonly Hex[]): Promise<(JsonObject | undefined)[]>;
  /** Stores contents (already checked against the ledger: see checkRecordContents). */
  putMany(records: readonly { uid: Hex; record: JsonObject }[]): Promise<void>;
  /** How many records are stored (a scan; for status and tests). */
  count(): Promise<number>;
}

export interface CreateRecordStoreOptions {
  /** The node's database (the store uses its sublevel `records`), or a KvStore. */
  db: Level | KvStore;
  /** 32 bytes as hex (with or without 0x), e.g. process.env.CREDTRAIL_RECORD_KEY; absent: no key. */
  key?: string | undefined;
}

function keyError(code: string, message: string): CredtrailError {
  return new CredtrailError(code, message);
}

/** Parses a record key: 64 hex digits, optionally 0x-prefixed. */
export function parseRecordKey(text: string): Buffer {
  const hex = text.startsWith("0x") || text.startsWith("0X") ? text.slice(2) : text;
  if (!/^[0-9a-fA-F]{64}$/.test(hex))
    throw keyError(
      RecordStoreErrorCode.RECORD_KEY_INVALID,
      "CREDTRAIL_RECORD_KEY must be 32 bytes of hex (64 hex digits)",
    );
  return Buffer.from(hex, "hex");
}

function recordKey(uid: Hex): string {
  return `rc:${uid.toLowerCase()}`;
}

function encrypt(key: KeyObject, aad: string, plaintext: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
}

function decrypt(key: KeyObject, aad: string, value: string): string {
  const raw = Buffer.from(value, "base64");
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([
      decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]).toString("utf8");
  } catch (error) {
    throw new CredtrailError(
      RecordStoreErrorCode.RECORD_CORRUPT,
      `stored contents of ${aad} do not decrypt`,
      { details: { key: aad }, cause: error },
    );
  }
}

function isKvStore(db: Level | KvStore): db is KvStore {
  return (
    typeof (db as KvStore).entries === "function" && typeof (db as Level).sublevel !== "function"
  );
}

/**
 * Opens the record store: checks the key against the stored check value (RECORD_KEY_MISMATCH), and
 * refuses to open without a key over stored contents (RECORD_KEY_MISSING).
 */
export async function createRecordStore(options: CreateRecordStoreOptions): Promise<RecordStore> {
  const store = isKvStore(options.db) ? options.db : createLevelStore(options.db, RECORDS_SUBLEVEL);
  const key =
    options.key === undefined || options.key === ""
      ? undefined
      : createSecretKey(parseRecordKey(options.key));
  const check = await store.get(KEY_CHECK);
  if (key === undefined) {
    if (check !== undefined)
      throw keyError(
        RecordStoreErrorCode.RECORD_KEY_MISSING,
        "this node stores encrypted record contents: set CREDTRAIL_RECORD_KEY to the key they were written with",
      );
  } else if (check === undefined) {
    await store.batch([
      { type: "put", key: KEY_CHECK, value: encrypt(key, KEY_CHECK, KEY_CHECK_PLAINTEXT) },
    ]);
  } else {
    let plaintext: string | undefined;
    try {
      plaintext = decrypt(key, KEY_CHECK, check);
    } catch {
      plaintext = undefined;
    }
    if (plaintext !== KEY_CHECK_PLAINTEXT)
      throw keyError(
        RecordStoreErrorCode.RECORD_KEY_MISMATCH,
        "CREDTRAIL_RECORD_KEY is not the key this node's record contents were written with",
      );
  }

  const requireKey = (): KeyObject => {
    if (key === undefined)
      throw new ValidationError(
        RecordStoreErrorCode.RECORD_KEY_MISSING,
        "this node has no record key (CREDTRAIL_RECORD_KEY): it keeps no record contents",
      );
    return key;
  };
  const open = (uid: Hex, value: string | undefined): JsonObject | undefined => {
    if (value === undefined || key === undefined) return undefined;
    const k = recordKey(uid);
    return JSON.parse(decrypt(key, k, value)) as JsonObject;
  };

  return {
    enabled: key !== undefined,
    async has(uid) {
      return (await store.get(recordKey(uid))) !== undefined;
    },
    async get(uid) {
      return open(uid, await store.get(recordKey(uid)));
    },
    async getMany(uids) {
      if (uids.length === 0 || key === undefined) return uids.map(() => undefined);
      const values = await store.getMany(uids.map(recordKey));
      return values.map((value, i) => open(uids[i], value));
    },
    async putMany(records) {
      const k = requireKey();
      await store.batch(
        records.map(({ uid, record }) => {
          const name = recordKey(uid);
          return { type: "put", key: name, value: encrypt(k, name, JSON.stringify(record)) };
        }),
      );
    },
    async count() {
      let n = 0;
      for await (const _ of store.keys({ gte: "rc:", lt: "rc;" })) n++;
      return n;
    },
  };
}
