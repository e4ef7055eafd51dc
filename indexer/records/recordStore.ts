/**
 * The record contents a node holds (ARCHITECTURE "Record contents travel off the ledger"): the
 * provider sends the JSON whose hash is an attestation's dataHash; the node keeps it encrypted at
 * rest, in the sublevel `records` of its LevelDB, and the scoring service reads it from here.
 *
 * Layout (store version 2, `m:version`): the contents are kept **per subject** — one value holds
 * every record of a subject, `{ "<uid>": record, … }`, so that scoring a subject decrypts one value
 * (one AES-GCM setup) rather than one per record:
 *
 * | key               | value                                                          |
 * | ----------------- | -------------------------------------------------------------- |
 * | `m:keycheck`      | a check value: is the key the one the contents were written with |
 * | `m:version`       | `2`                                                            |
 * | `rs:<subject>`    | the subject's records, AES-256-GCM, additional data `rs:<subject>` |
 * | `ru:<uid>`        | the subject whose value holds the record (as the ledger says)  |
 *
 * Every encrypted value is AES-256-GCM under the node's record key (`CREDTRAIL_RECORD_KEY`, 32 bytes
 * hex): `base64(iv ‖ tag ‖ ciphertext)` with a fresh 12-byte iv and its key as additional data, so a
 * value moved to another subject does not decrypt, and the uid → record pairs are inside the
 * authenticated plaintext. A store of version 1 (one value `rc:<uid>` per record, additional data
 * `rc:<uid>`) is migrated on open, in atomic steps that a restart resumes; a store of a later
 * version is refused (RECORD_STORE_VERSION). Without a key the store holds nothing new
 * (`RECORD_KEY_MISSING`) and refuses to open over stored contents.
 */
import type { KeyObject } from "node:crypto";
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from "node:crypto";

import type { Level } from "level";

import type { Hex, JsonObject } from "../../core/index.js";
import { CredtrailError, ValidationError, isBytes32 } from "../../core/index.js";
import type { KvOp, KvStore } from "../kvStore.js";
import { createLevelStore } from "../kvStore.js";
import { RecordContentsErrorCode } from "./checkRecordContents.js";

/** The sublevel of the node's database that holds record contents. */
export const RECORDS_SUBLEVEL = "records";

/** The layout this code writes (see the table above). */
export const RECORD_STORE_VERSION = 2;

export const RecordStoreErrorCode = {
  /** The node has no record key: it cannot store (or read) record contents. */
  RECORD_KEY_MISSING: "RECORD_KEY_MISSING",
  /** CREDTRAIL_RECORD_KEY is not 32 bytes of hex. */
  RECORD_KEY_INVALID: "RECORD_KEY_INVALID",
  /** The record key is not the one the stored contents were encrypted with. */
  RECORD_KEY_MISMATCH: "RECORD_KEY_MISMATCH",
  /** A stored value that does not decrypt (tampered with, or moved to another key). */
  RECORD_CORRUPT: "RECORD_CORRUPT",
  /** The store was written by a later version of credtrail (a layout this code does not know). */
  RECORD_STORE_VERSION: "RECORD_STORE_VERSION",
  /** Contents to store without a `subject` (the store keeps records per subject). */
  RECORD_SUBJECT_MISSING: "RECORD_SUBJECT_MISSING",
} as const;

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_CHECK = "m:keycheck";
const KEY_CHECK_PLAINTEXT = "credtrail.records.v1";
const VERSION_KEY = "m:version";
/** Version 1: one value per record. */
const V1_PREFIX = "rc:";
/** Records of version 1 migrated per atomic step. */
const MIGRATE_CHUNK = 50_000;

export interface RecordStore {
  /** Whether the store has a key (can store and read contents). */
  readonly enabled: boolean;
  has(uid: Hex): Promise<boolean>;
  /** The contents of a record, or undefined when this node does not hold them. */
  get(uid: Hex): Promise<JsonObject | undefined>;
  /** Contents of many records, in order (undefined where not held). */
  getMany(uids: readonly Hex[]): Promise<(JsonObject | undefined)[]>;
  /**
   * Every record each subject's value holds, by uid (empty where none, or without a key): one read
   * and one decryption per subject. A record is held under the subject its contents name, which
   * the upload check makes the subject of its attestation.
   */
  getBySubjects(subjects: readonly Hex[]): Promise<ReadonlyMap<Hex, JsonObject>[]>;
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

/** The key of a subject's records. */
export function subjectRecordsKey(subject: string): string {
  return `rs:${subject.toLowerCase()}`;
}

/** The key naming the subject whose value holds a record. */
export function recordSubjectKey(uid: string): string {
  return `ru:${uid.toLowerCase()}`;
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
    const text = decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)).toString("utf8");
    decipher.final(); // checks the tag (GCM has no final block: nothing more to read)
    return text;
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

/** A subject's records as stored: uid → contents (a null-prototype object, parsed JSON). */
type Bundle = Record<string, JsonObject>;

function subjectOf(uid: string, record: JsonObject): string {
  const subject = record.subject;
  if (typeof subject !== "string" || subject === "")
    throw new ValidationError(
      RecordStoreErrorCode.RECORD_SUBJECT_MISSING,
      "record contents must name their subject",
      { details: { uid } },
    );
  return subject.toLowerCase();
}

/**
 * Opens the record store: checks the key against the stored check value (RECORD_KEY_MISMATCH),
 * refuses to open without a key over stored contents (RECORD_KEY_MISSING) or over a store of a
 * later layout (RECORD_STORE_VERSION), and migrates a store of version 1 to the current layout.
 */
export async function createRecordStore(options: CreateRecordStoreOptions): Promise<RecordStore> {
  const store = isKvStore(options.db) ? options.db : createLevelStore(options.db, RECORDS_SUBLEVEL);
  const key =
    options.key === undefined || options.key === ""
      ? undefined
      : createSecretKey(parseRecordKey(options.key));
  const [check, storedVersion] = await store.getMany([KEY_CHECK, VERSION_KEY]);
  if (storedVersion !== undefined && Number(storedVersion) !== RECORD_STORE_VERSION)
    throw keyError(
      RecordStoreErrorCode.RECORD_STORE_VERSION,
      `the record store has layout version ${storedVersion}; this node reads version ${RECORD_STORE_VERSION} (and migrates version 1): run the credtrail release that wrote it, or a later one`,
    );
  if (key === undefined) {
    if (check !== undefined)
      throw keyError(
        RecordStoreErrorCode.RECORD_KEY_MISSING,
        "this node stores encrypted record contents: set CREDTRAIL_RECORD_KEY to the key they were written with",
      );
  } else if (check === undefined) {
    await store.batch([
      { type: "put", key: KEY_CHECK, value: encrypt(key, KEY_CHECK, KEY_CHECK_PLAINTEXT) },
      { type: "put", key: VERSION_KEY, value: String(RECORD_STORE_VERSION) },
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
  const openBundle = (subjectKey: string, value: string | undefined): Bundle | undefined => {
    if (value === undefined || key === undefined) return undefined;
    const parsed: unknown = JSON.parse(decrypt(key, subjectKey, value));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new CredtrailError(
        RecordStoreErrorCode.RECORD_CORRUPT,
        `stored contents of ${subjectKey} are not a map of records`,
        { details: { key: subjectKey } },
      );
    return parsed as Bundle;
  };
  const sealBundle = (k: KeyObject, subjectKey: string, bundle: Bundle): string =>
    encrypt(k, subjectKey, JSON.stringify(bundle));
  const own = (bundle: Bundle | undefined, uid: string): JsonObject | undefined =>
    bundle !== undefined && Object.hasOwn(bundle, uid) ? bundle[uid] : undefined;

  /** Writes run one at a time: each reads, extends and rewrites subjects' values. */
  let writing: Promise<unknown> = Promise.resolve();
  const serially = <T>(fn: () => Promise<T>): Promise<T> => {
    const result = writing.then(fn);
    writing = result.catch(() => undefined);
    return result;
  };

  /**
   * Adds records (uid, subject, contents) to their subjects' values, with `extra` operations, in
   * one atomic batch.
   */
  async function addToBundles(
    k: KeyObject,
    entries: readonly { uid: string; subject: string; record: JsonObject }[],
    extra: KvOp[],
  ): Promise<void> {
    const bySubject = new Map<string, { uid: string; record: JsonObject }[]>();
    for (const e of entries) {
      let list = bySubject.get(e.subject);
      if (list === undefined) bySubject.set(e.subject, (list = []));
      list.push({ uid: e.uid, record: e.record });
    }
    const subjectKeys = [...bySubject.keys()].map(subjectRecordsKey);
    const values = await store.getMany(subjectKeys);
    const ops: KvOp[] = [];
    let i = 0;
    for (const [subject, list] of bySubject) {
      const name = subjectKeys[i];
      const bundle: Bundle = openBundle(name, values[i]) ?? {};
      i++;
      for (const { uid, record } of list) {
        bundle[uid] = record;
        ops.push({ type: "put", key: recordSubjectKey(uid), value: subject });
      }
      ops.push({ type: "put", key: name, value: sealBundle(k, name, bundle) });
    }
    await store.batch([...ops, ...extra]);
  }

  /** Version 1 → 2: every `rc:` value moved into its subject's value, in atomic steps. */
  async function migrateV1(k: KeyObject): Promise<void> {
    for (;;) {
      const chunk: { uid: string; subject: string; record: JsonObject }[] = [];
      const dels: KvOp[] = [];
      for await (const [name, value] of store.entries({
        gte: V1_PREFIX,
        lt: "rc;",
        limit: MIGRATE_CHUNK,
      })) {
        const uid = name.slice(V1_PREFIX.length);
        const record = JSON.parse(decrypt(k, name, value)) as JsonObject;
        chunk.push({ uid, subject: subjectOf(uid, record), record });
        dels.push({ type: "del", key: name });
      }
      if (chunk.length === 0) break;
      await addToBundles(k, chunk, dels);
    }
    await store.batch([{ type: "put", key: VERSION_KEY, value: String(RECORD_STORE_VERSION) }]);
  }

  if (storedVersion === undefined && check !== undefined && key !== undefined)
    await serially(() => migrateV1(key));

  async function getMany(uids: readonly Hex[]): Promise<(JsonObject | undefined)[]> {
    if (uids.length === 0 || key === undefined) return uids.map(() => undefined);
    const subjects = await store.getMany(uids.map(recordSubjectKey));
    const held = [...new Set(subjects.filter((s) => s !== undefined))];
    const values = await store.getMany(held.map(subjectRecordsKey));
    const bundles = new Map<string, Bundle | undefined>();
    held.forEach((subject, i) =>
      bundles.set(subject, openBundle(subjectRecordsKey(subject), values[i])),
    );
    return uids.map((uid, i) => {
      const subject = subjects[i];
      if (subject === undefined) return undefined;
      const record = own(bundles.get(subject), uid.toLowerCase());
      // (values only grow, and a record's two keys are written together)
      if (record === undefined)
        throw new CredtrailError(
          RecordStoreErrorCode.RECORD_CORRUPT,
          `the stored contents of subject ${subject} do not hold record ${uid}`,
          { details: { uid, subject } },
        );
      return record;
    });
  }

  return {
    enabled: key !== undefined,
    async has(uid) {
      return (await store.get(recordSubjectKey(uid))) !== undefined;
    },
    async get(uid) {
      return (await getMany([uid]))[0];
    },
    getMany,
    async getBySubjects(subjects) {
      if (subjects.length === 0 || key === undefined) return subjects.map(() => new Map());
      const names = subjects.map(subjectRecordsKey);
      const values = await store.getMany(names);
      return values.map((value, i) => {
        const bundle = openBundle(names[i], value);
        return new Map(bundle === undefined ? [] : (Object.entries(bundle) as [Hex, JsonObject][]));
      });
    },
    async putMany(records) {
      const k = requireKey();
      if (records.length === 0) return;
      const entries = records.map(({ uid, record }) => {
        if (!isBytes32(uid))
          throw new ValidationError(
            RecordContentsErrorCode.UID_INVALID,
            "a record's uid must be 32 bytes of 0x-prefixed hex",
            { details: { uid } },
          );
        return { uid: uid.toLowerCase(), subject: subjectOf(uid, record), record };
      });
      await serially(() => addToBundles(k, entries, []));
    },
    async count() {
      let n = 0;
      for await (const _ of store.keys({ gte: "ru:", lt: "ru;" })) n++;
      return n;
    },
  };
}
