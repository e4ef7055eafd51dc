/**
 * A bootstrapped consortium on the fake peer: three organisations, the founding members and their
 * identities, a schema and a model, plus helpers to read events and rejections.
 */
import { expect } from "chai";

import type { Hex } from "../../core/index.js";
import { categoryId, memberId, Role, schemaDefinitionString } from "../../core/index.js";

import type { CompiledChaincode } from "./chaincode.js";
import { loadChaincode } from "./chaincode.js";
import type { ChaincodeEvent } from "./fakePeer.js";
import { FakePeer, hostContracts, ProposalRejected } from "./fakePeer.js";
import type { TestIdentity, TestOrganization } from "./identities.js";
import { createOrganization } from "./identities.js";

export const DAY = 86_400n;
export const START = 1_750_000_000n;
export const CATEGORY = "tax.payment";
export const SCHEMA_DEFINITION = schemaDefinitionString({
  category: CATEGORY,
  fields: [{ name: "amount", type: "number" }],
  version: 1,
});

export interface Member {
  name: string;
  id: Hex;
  identity: TestIdentity;
  address: string;
}

export interface World {
  chaincode: CompiledChaincode;
  peer: FakePeer;
  orgs: { org1: TestOrganization; org2: TestOrganization; org3: TestOrganization };
  tax: Member;
  bank: Member;
  repair: Member;
  /** Known to Org2's CA but not a member. */
  outsider: TestIdentity;
  schema: Hex;
  modelHash: Hex;
}

export interface DecodedEvent {
  name: string;
  events: Record<string, unknown>[];
}

export function decodeEvent(event: ChaincodeEvent | undefined): DecodedEvent {
  expect(event, "the transaction emitted no event").to.not.equal(undefined);
  const { name, payload } = event as ChaincodeEvent;
  const body = JSON.parse(payload.toString("utf8")) as { events: Record<string, unknown>[] };
  return { name, events: body.events };
}

/** Expects the promise to fail endorsement with `errorName`; returns the error's arguments. */
export async function expectRejected(
  promise: Promise<unknown>,
  errorName: string,
): Promise<Record<string, unknown>> {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  expect(error, `expected ${errorName}`).to.be.instanceOf(ProposalRejected);
  const message = (error as ProposalRejected).message;
  const parsed = loadChaincode().parseChaincodeError(message);
  expect(parsed?.errorName, message).to.equal(errorName);
  return parsed?.args ?? {};
}

export async function addressOf(peer: FakePeer, identity: TestIdentity): Promise<string> {
  const who = JSON.parse(await peer.evaluate(identity, "Consortium:whoAmI")) as { address: string };
  return who.address;
}

async function member(peer: FakePeer, name: string, identity: TestIdentity): Promise<Member> {
  return { name, id: memberId(name), identity, address: await addressOf(peer, identity) };
}

/** A bootstrap config for `founders`. */
export function bootstrapConfig(
  founders: { member: Member; roles: number; categories?: Hex[]; scopeExpiresAt?: bigint }[],
  threshold: number,
): string {
  return JSON.stringify({
    chaincodeName: "credtrail",
    threshold,
    founders: founders.map((f) => ({
      name: f.member.name,
      roles: f.roles,
      keys: [f.member.address],
      categories: f.categories ?? [],
      scopeExpiresAt: (f.scopeExpiresAt ?? 0n).toString(),
    })),
  });
}

/** Organisations, identities and an empty ledger (no bootstrap). */
export async function createEmptyWorld(): Promise<Omit<World, "schema" | "modelHash">> {
  const chaincode = loadChaincode();
  const peer = new FakePeer(hostContracts(chaincode.contracts), { time: START });
  const [org1, org2, org3] = await Promise.all([
    createOrganization("Org1MSP"),
    createOrganization("Org2MSP"),
    createOrganization("Org3MSP"),
  ]);
  const tax = await member(peer, "Tax Bureau", await org1.issue("tax-bureau"));
  const bank = await member(peer, "Bank A", await org2.issue("bank-a"));
  const repair = await member(peer, "Repair Office", await org3.issue("repair-office"));
  const outsider = await org2.issue("outsider");
  return { chaincode, peer, orgs: { org1, org2, org3 }, tax, bank, repair, outsider };
}

/**
 * The standard world: Tax Bureau (PROVIDER|OPERATOR, accredited for tax.payment for a year),
 * Bank A (LENDER|SCORER), Repair Office (REPAIR_AUTHORITY); threshold 2; one schema, one model.
 */
export async function createWorld(): Promise<World> {
  const w = await createEmptyWorld();
  await w.peer.submit(
    w.tax.identity,
    "Consortium:bootstrap",
    bootstrapConfig(
      [
        {
          member: w.tax,
          roles: Role.PROVIDER | Role.OPERATOR,
          categories: [categoryId(CATEGORY)],
          scopeExpiresAt: START + 365n * DAY,
        },
        { member: w.bank, roles: Role.LENDER | Role.SCORER },
        { member: w.repair, roles: Role.REPAIR_AUTHORITY },
      ],
      2,
    ),
  );
  const { result: schema } = await w.peer.submit(
    w.tax.identity,
    "Consortium:registerSchema",
    CATEGORY,
    SCHEMA_DEFINITION,
  );
  const modelHash: Hex = `0x${"ab".repeat(32)}`;
  await w.peer.submit(w.bank.identity, "Consortium:registerModel", modelHash, "ipfs://model");
  return { ...w, schema: schema as Hex, modelHash };
}
