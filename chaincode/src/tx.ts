/**
 * One transaction's view of the ledger: state reads and writes as deterministic JSON, composite-key
 * indexes, the transaction time, the caller, and the events it emits.
 *
 * A peer gives chaincode no read-your-writes: `getState` after `putState` of the same key in one
 * transaction returns the committed value. The contracts need their own writes (a bootstrap admits
 * several members, each bumping a counter), so reads look in this transaction's writes first.
 * Range reads see only committed state; no submitting transaction uses them.
 *
 * Fabric keeps one chaincode event per transaction (the last `setEvent` wins), so every event a
 * transaction emits goes into one: its name is the transaction's main EVM event name, its payload
 * the canonical JSON `{"events":[...]}` of all of them in the order the EVM would log them.
 */
import type { ClientIdentity } from "fabric-shim-api";
import { Context } from "fabric-contract-api";

import { stableJson } from "./json.js";
import { identityAddress } from "./identity.js";

/** Value of an index entry: Fabric treats an empty value as a delete, so one NUL byte. */
const INDEX_VALUE = "\u0000";

/** An event as the chaincode emits it: core/events.ts shapes, bigints as decimal strings. */
export interface EmittedEvent {
  kind: string;
  [field: string]: unknown;
}

/** The invoking identity. */
export interface Caller {
  /** The identity's address (see identity.ts): what the key registry stores. */
  address: string;
  mspId: string;
  /** x509::<subject>::<issuer> */
  id: string;
  identity: ClientIdentity;
}

export class Tx {
  private readonly ctx: Context;
  private readonly writes = new Map<string, string | undefined>();
  private readonly events: EmittedEvent[] = [];
  private eventName: string | undefined;
  private cachedCaller: Caller | undefined;

  constructor(ctx: Context) {
    this.ctx = ctx;
  }

  /** The transaction timestamp in unix seconds (the same on every endorser). */
  get now(): bigint {
    return BigInt(this.ctx.stub.getTxTimestamp().seconds.toString());
  }

  get channel(): string {
    return this.ctx.stub.getChannelID();
  }

  get txId(): string {
    return this.ctx.stub.getTxID();
  }

  get caller(): Caller {
    if (this.cachedCaller === undefined) {
      const identity = this.ctx.clientIdentity;
      const mspId = identity.getMSPID();
      const id = identity.getID();
      this.cachedCaller = { address: identityAddress(mspId, id), mspId, id, identity };
    }
    return this.cachedCaller;
  }

  key(type: string, attributes: readonly string[]): string {
    return this.ctx.stub.createCompositeKey(type, [...attributes]);
  }

  /** The value of `key` as text: this transaction's write if any, else the committed value. */
  async getText(key: string): Promise<string | undefined> {
    if (this.writes.has(key)) return this.writes.get(key);
    const bytes = await this.ctx.stub.getState(key);
    return bytes.length === 0 ? undefined : Buffer.from(bytes).toString("utf8");
  }

  async get<T>(key: string): Promise<T | undefined> {
    const text = await this.getText(key);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  /** The value of `key` as the canonical JSON it is stored as, or "null" (for reads). */
  async json(key: string): Promise<string> {
    return (await this.getText(key)) ?? "null";
  }

  async has(key: string): Promise<boolean> {
    return (await this.getText(key)) !== undefined;
  }

  /** Writes `value` as canonical JSON. */
  async put(key: string, value: unknown): Promise<void> {
    const text = stableJson(value);
    this.writes.set(key, text);
    await this.ctx.stub.putState(key, Buffer.from(text, "utf8"));
  }

  /** Writes an index entry (the key carries the information). */
  async putIndex(key: string): Promise<void> {
    this.writes.set(key, INDEX_VALUE);
    await this.ctx.stub.putState(key, Buffer.from(INDEX_VALUE, "utf8"));
  }

  /** The committed entries under a partial composite key, in key order. */
  async list(
    type: string,
    attributes: readonly string[],
  ): Promise<{ key: string; value: unknown }[]> {
    const out: { key: string; value: unknown }[] = [];
    const iterator = this.ctx.stub.getStateByPartialCompositeKey(type, [...attributes]);
    for await (const { key, value } of iterator) {
      const text = Buffer.from(value).toString("utf8");
      out.push({ key, value: text === INDEX_VALUE ? null : (JSON.parse(text) as unknown) });
    }
    return out;
  }

  /** The attributes of a composite key. */
  splitKey(key: string): string[] {
    return this.ctx.stub.splitCompositeKey(key).attributes;
  }

  /** Queues an event; the first one names the chaincode event unless {@link setEventName} does. */
  emit(event: EmittedEvent): void {
    this.events.push(event);
  }

  setEventName(name: string): void {
    this.eventName = name;
  }

  /** Sets the transaction's one chaincode event (called once, after the transaction body). */
  flushEvents(): void {
    if (this.events.length === 0) return;
    const name = this.eventName ?? this.events[0].kind;
    this.ctx.stub.setEvent(name, Buffer.from(stableJson({ events: this.events }), "utf8"));
  }
}

/** The transaction context: one {@link Tx} per transaction. */
export class CredtrailContext extends Context {
  private current: Tx | undefined;

  get tx(): Tx {
    this.current ??= new Tx(this);
    return this.current;
  }
}
