/**
 * Relayed mutations end to end: a Hardhat node with the test consortium, the indexer following it,
 * and the gateway relaying members' signed ERC-2771 forward requests with the node's key. Each
 * mutation lands on the ledger as the member's key and shows in the indexer; every refusal
 * (role, ownership, wrong operation, target, signature, key, nonce, deadline, and what the
 * registry itself would refuse, found by the dry run) has a code and sends nothing.
 */
import { expect } from "chai";
import { Interface, Wallet } from "ethers";

import type { AttestationRequestInput, Hex, SignedForwardRequest } from "../../core/index.js";
import {
  attestationUid,
  consentId,
  forwarderDomain,
  purposeHash,
  signForwardRequest,
} from "../../core/index.js";
import { createLoginToken } from "../../gateway/auth/index.js";
import type { Gateway } from "../../gateway/index.js";
import type { Indexer } from "../../indexer/index.js";
import type { EvmLedger, EvmWriter } from "../../ledger/index.js";
import { CreditRegistry__factory } from "../../types/ethers-contracts/factories/contracts/CreditRegistry__factory.js";
import { createIndexer } from "../../indexer/index.js";
import type { TestConsortium, TestKey } from "../helpers/evmConsortium.js";
import { TEST_KEYS, TEST_MEMBERS } from "../helpers/evmConsortium.js";
import { createRelayGateway, startTestLedger } from "../helpers/evmGateway.js";
import type { HardhatNode } from "../helpers/hardhatNode.js";
import { DAY, h, recordBatch, tempDirs } from "../indexer/fixtures.js";
import type { GqlResponse } from "./world.js";
import { codes, gql } from "./world.js";

const AUDIENCE = "credtrail-relay-test";
const REGISTRY = new Interface(CreditRegistry__factory.abi);

const RELAY_INFO = `query Info($key: String!) { relayInfo(key: $key) { forwarder chainId registry nonce } }`;
const relayMutation = (name: string) => `mutation Relay($request: ForwardRequestInput!) {
  ${name}(request: $request) { operation txHash blockNumber blockHash ids events }
}`;

type Member = TestKey & keyof typeof TEST_MEMBERS;

describe("gateway relayed mutations (ERC-2771) on a Hardhat node", function () {
  this.timeout(240_000);
  const dirs = tempDirs();
  let node: HardhatNode;
  let c: TestConsortium;
  let ledger: EvmLedger;
  let indexer: Indexer;
  let gateway: Gateway;
  let url: string;
  let nodeWriter: EvmWriter;
  const w = {} as Record<TestKey, EvmWriter>;
  let now: bigint;
  let taxUid: Hex;
  let penaltyUid: Hex;
  let seriousUid: Hex;

  const token = (member: Member, key: TestKey = member) =>
    createLoginToken(new Wallet(TEST_KEYS[key]), {
      chainId: c.chainId,
      member: c.ids[member],
      audience: AUDIENCE,
      lifetimeSeconds: 3_600,
      now: BigInt(Math.floor(Date.now() / 1000)),
    });

  async function sign(
    key: TestKey,
    data: string,
    overrides: Partial<SignedForwardRequest> = {},
    signWith: TestKey = key,
  ): Promise<Record<string, string>> {
    const from = new Wallet(TEST_KEYS[key]).address;
    const domain = forwarderDomain(c.chainId, await nodeWriter.forwarderAddress());
    const signed = await signForwardRequest(new Wallet(TEST_KEYS[signWith]), domain, {
      from,
      to: c.addresses.registry,
      gas: 1_000_000n,
      nonce: await nodeWriter.forwarderNonce(from),
      deadline: now + 3_600n,
      data,
      ...overrides,
    });
    return {
      from: signed.from,
      to: signed.to,
      gas: signed.gas.toString(),
      nonce: signed.nonce.toString(),
      deadline: signed.deadline.toString(),
      data: signed.data,
      signature: overrides.signature ?? signed.signature,
    };
  }

  async function relay(
    mutation: string,
    member: Member,
    fn: string,
    args: unknown[],
    options: { key?: TestKey; overrides?: Partial<SignedForwardRequest>; signWith?: TestKey } = {},
  ): Promise<GqlResponse> {
    const key = options.key ?? member;
    const request = await sign(
      key,
      REGISTRY.encodeFunctionData(fn, args),
      options.overrides,
      options.signWith,
    );
    return gql(url, relayMutation(mutation), {
      token: await token(member, key),
      variables: { request },
    });
  }

  const result = (response: GqlResponse, mutation: string) => {
    expect(response.body.errors, JSON.stringify(response.body.errors)).to.equal(undefined);
    return (response.body.data as Record<string, Record<string, unknown>>)[mutation] as {
      operation: string;
      txHash: string;
      ids: string[];
      events: string[];
      blockNumber: string;
    };
  };

  /** Waits until the indexer has applied `block`. */
  async function indexed(block: bigint | string): Promise<void> {
    const target = BigInt(block);
    const by = Date.now() + 20_000;
    while ((await indexer.status()).checkpoint.number < target) {
      if (Date.now() > by) throw new Error(`block ${target} not indexed in time`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** A refusal: its code, and nothing sent (the key's forwarder nonce unchanged). */
  async function refused(response: Promise<GqlResponse>, code: string, key: TestKey) {
    const from = new Wallet(TEST_KEYS[key]).address;
    const before = await nodeWriter.forwarderNonce(from);
    const r = await response;
    expect(codes(r), JSON.stringify(r.body.errors)).to.deep.equal([code]);
    expect(await nodeWriter.forwarderNonce(from)).to.equal(before);
    return r;
  }

  before(async () => {
    ({ node, c, ledger } = await startTestLedger());
    for (const key of Object.keys(TEST_KEYS) as TestKey[]) w[key] = ledger.writer(TEST_KEYS[key]);
    nodeWriter = w.operator;
    indexer = await createIndexer({
      db: await dirs.make(),
      ledger,
      fromBlock: BigInt(c.deployBlock - 1),
    });
    indexer.start();
    gateway = createRelayGateway({
      indexer,
      consortium: c,
      audience: AUDIENCE,
      writer: nodeWriter,
      maxBodyBytes: 64 * 1024,
    });
    ({ url } = await gateway.start());

    now = (await ledger.head()).timestamp;
    const request = (label: string, schema: Hex, severity: number): AttestationRequestInput => ({
      schema,
      subject: h("subject:relay"),
      dataHash: h(`relay:${label}`),
      observedAt: now - 10n * DAY,
      expiresAt: 0n,
      severity,
    });
    const tax = request("tax", c.schemas.taxPayment, 0);
    const penalty = request("penalty", c.schemas.adminPenalty, 1);
    const serious = request("serious", c.schemas.adminPenalty, 2);
    await w.tax.attest(tax);
    await w.court.attest(penalty);
    const last = await w.court.attest(serious);
    taxUid = attestationUid({ ...tax, provider: c.ids.tax });
    penaltyUid = attestationUid({ ...penalty, provider: c.ids.court });
    seriousUid = attestationUid({ ...serious, provider: c.ids.court });
    await indexed(last.blockNumber);
  });

  after(async () => {
    await gateway?.stop();
    await indexer?.close();
    ledger?.close();
    await node?.stop();
    await dirs.cleanup();
  });

  it("relayInfo gives a member what it signs with", async () => {
    const r = await gql(url, RELAY_INFO, {
      token: await token("lenderA"),
      variables: { key: new Wallet(TEST_KEYS.lenderA).address },
    });
    expect(r.body.errors).to.equal(undefined);
    expect(r.body.data?.relayInfo).to.deep.equal({
      forwarder: await nodeWriter.forwarderAddress(),
      chainId: String(c.chainId),
      registry: c.addresses.registry,
      nonce: "0",
    });
    expect(
      codes(await gql(url, RELAY_INFO, { variables: { key: c.addresses.registry } })),
    ).to.deep.equal(["UNAUTHENTICATED"]);
  });

  it("a lender records a consent and disputes a record; the provider answers", async () => {
    const subject = h("subject:relay");
    const consent = result(
      await relay("recordConsent", "lenderA", "recordConsent", [
        subject,
        purposeHash("credit-assessment"),
        now + 30n * DAY,
        h("evidence"),
      ]),
      "recordConsent",
    );
    expect(consent.events).to.deep.equal(["ConsentRecorded"]);
    const id = consentId({
      lender: c.ids.lenderA,
      subject,
      purposeHash: purposeHash("credit-assessment"),
    });
    expect(consent.ids).to.include(id);
    await indexed(consent.blockNumber);
    expect(
      (await indexer.findConsent(c.ids.lenderA, subject, purposeHash("credit-assessment")))
        ?.inForce,
    ).to.equal(true);

    const opened = result(
      await relay("openDispute", "lenderA", "openDispute", [taxUid, h("not ours")]),
      "openDispute",
    );
    expect(opened).to.deep.include({ operation: "openDispute", events: ["DisputeOpened"] });
    await indexed(opened.blockNumber);
    expect((await indexer.getDispute(taxUid))?.status).to.equal("open");
    // the court may not answer the tax bureau's dispute
    await refused(
      relay("answerDispute", "court", "answerDispute", [taxUid, 1, h("no")]),
      "NOT_OWNER",
      "court",
    );
    const answered = result(
      await relay("answerDispute", "tax", "answerDispute", [taxUid, 1, h("checked")]),
      "answerDispute",
    );
    await indexed(answered.blockNumber);
    expect((await indexer.getDispute(taxUid))?.status).to.equal("answered");
  });

  it("a provider supersedes and revokes its own records, and anchors and revokes a batch", async () => {
    const replacement = {
      schema: c.schemas.taxPayment,
      subject: h("subject:relay"),
      dataHash: h("relay:tax corrected"),
      observedAt: now - 9n * DAY,
      expiresAt: 0n,
      severity: 0,
    };
    const superseded = result(
      await relay("supersedeAttestation", "tax", "supersede", [taxUid, replacement]),
      "supersedeAttestation",
    );
    const newUid = attestationUid({ ...replacement, provider: c.ids.tax });
    expect(superseded.ids).to.include.members([taxUid, newUid]);
    const revoked = result(
      await relay("revokeAttestation", "tax", "revoke", [newUid, h("wrong")], { key: "taxAlt" }),
      "revokeAttestation",
    );
    await indexed(revoked.blockNumber);
    const record = await indexer.getAttestation(newUid);
    expect(record?.status).to.equal("revoked");
    expect(record?.revocation?.audit.sender).to.equal(new Wallet(TEST_KEYS.taxAlt).address);

    const { batch } = recordBatch(3, "relay-batch", () => h("subject:relay"));
    const anchored = result(
      await relay("anchorBatch", "tax", "anchorBatch", [
        c.schemas.taxPayment,
        batch.root,
        3,
        "s3://relay",
      ]),
      "anchorBatch",
    );
    expect(anchored.ids).to.deep.equal([batch.root]);
    await indexed(anchored.blockNumber);
    await refused(
      relay("revokeBatch", "court", "revokeBatch", [batch.root, h("x")]),
      "NOT_OWNER",
      "court",
    );
    const batchRevoked = result(
      await relay("revokeBatch", "tax", "revokeBatch", [batch.root, h("x")]),
      "revokeBatch",
    );
    await indexed(batchRevoked.blockNumber);
    expect((await indexer.getBatch(batch.root))?.revoked).to.equal(true);
  });

  it("repairs: requested by the provider, decided by the repair authority; too early is refused by the dry run", async () => {
    const requested = result(
      await relay("requestRepair", "court", "requestRepair", [penaltyUid, h("paid")]),
      "requestRepair",
    );
    expect(requested.events).to.deep.equal(["RepairRequested"]);
    const decided = result(
      await relay("decideRepair", "repairAuthority", "decideRepair", [penaltyUid, true, h("ok")]),
      "decideRepair",
    );
    await indexed(decided.blockNumber);
    expect((await indexer.getAttestation(penaltyUid))?.repaired).to.equal(true);

    result(
      await relay("requestRepair", "court", "requestRepair", [seriousUid, h("paid")]),
      "requestRepair",
    );
    // a "general" penalty needs 90 days before it can be repaired: the registry refuses, so do we
    const r = await refused(
      relay("decideRepair", "repairAuthority", "decideRepair", [seriousUid, true, h("ok")]),
      "LEDGER_REVERTED",
      "repairAuthority",
    );
    expect(r.body.errors?.[0].message).to.match(/^Registry\w+\(/);
  });

  it("refuses a caller without the role, another key's signature, a foreign key, a stale nonce, a passed deadline, another target, another operation", async () => {
    const revoke = (): [string, unknown[]] => ["revoke", [penaltyUid, h("x")]];
    await refused(relay("revokeAttestation", "lenderA", ...revoke()), "FORBIDDEN", "lenderA");
    await refused(
      relay("revokeAttestation", "court", ...revoke(), { signWith: "lenderA" }),
      "SIGNATURE_INVALID",
      "court",
    );
    // the tax bureau signs with its own key, but logs in as... itself; the key is not the court's
    const foreign = await sign("tax", REGISTRY.encodeFunctionData(...revoke()));
    await refused(
      gql(url, relayMutation("revokeAttestation"), {
        token: await token("court"),
        variables: { request: foreign },
      }),
      "SIGNER_NOT_MEMBER",
      "tax",
    );
    await refused(
      relay("revokeAttestation", "court", ...revoke(), { overrides: { nonce: 99n } }),
      "NONCE_NOT_NEXT",
      "court",
    );
    await refused(
      relay("revokeAttestation", "court", ...revoke(), {
        overrides: { deadline: now - 10n * DAY },
      }),
      "DEADLINE_PASSED",
      "court",
    );
    await refused(
      relay("revokeAttestation", "court", ...revoke(), {
        overrides: { to: c.addresses.consortium },
      }),
      "RELAY_TARGET_INVALID",
      "court",
    );
    await refused(
      relay("revokeAttestation", "court", "openDispute", [penaltyUid, h("x")]),
      "WRONG_OPERATION",
      "court",
    );
    await refused(
      relay("revokeAttestation", "court", "revoke", [h("no such record"), h("x")]),
      "ATTESTATION_NOT_FOUND",
      "court",
    );
    expect((await indexer.getAttestation(penaltyUid))?.status).to.equal("active");
  });

  it("a provider streams its batch file to /batches/:root/leaves; every bad upload is refused and changes nothing", async () => {
    const count = 5_000;
    const { batch, leaves } = recordBatch(count, "upload", (i) => h(`subject:upload:${i % 50}`));
    const anchored = result(
      await relay("anchorBatch", "tax", "anchorBatch", [
        c.schemas.taxPayment,
        batch.root,
        count,
        "s3://upload",
      ]),
      "anchorBatch",
    );
    await indexed(anchored.blockNumber);
    const base = url.replace(/\/graphql$/, "");
    const line = (leaf: (typeof leaves)[number]) =>
      JSON.stringify({
        subject: leaf.subject,
        dataHash: leaf.dataHash,
        observedAt: String(leaf.observedAt),
        expiresAt: String(leaf.expiresAt),
        severity: leaf.severity,
      });
    const ndjson = (ls: string[]) => `${ls.join("\n")}\n`;
    const good = leaves.map(line);
    const post = async (
      body: string,
      options: { member?: Member; type?: string; root?: string } = {},
    ) => {
      const headers: Record<string, string> = {
        "content-type": options.type ?? "application/x-ndjson",
      };
      if (options.member !== undefined)
        headers.authorization = `Bearer ${await token(options.member)}`;
      const response = await fetch(`${base}/batches/${options.root ?? batch.root}/leaves`, {
        method: "POST",
        headers,
        body,
      });
      return {
        status: response.status,
        body: (await response.json()) as {
          count?: number;
          projected?: boolean;
          error?: { code: string; details: Record<string, unknown> };
        },
      };
    };
    const bad = (i: number, replacement: string) =>
      ndjson(good.map((l, j) => (j === i ? replacement : l)));
    const refusals: [Awaited<ReturnType<typeof post>>, number, string][] = [
      [await post(ndjson(good)), 401, "UNAUTHENTICATED"],
      [await post(ndjson(good), { member: "lenderA" }), 403, "FORBIDDEN"],
      [await post(ndjson(good), { member: "court" }), 403, "NOT_OWNER"],
      [
        await post(ndjson(good), { member: "tax", type: "application/json" }),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
      ],
      [await post(ndjson(good), { member: "tax", root: h("no batch") }), 404, "BATCH_NOT_FOUND"],
      [await post(bad(1, "{not json"), { member: "tax" }), 400, "LEAF_INVALID"],
      [
        await post(bad(2, JSON.stringify({ ...JSON.parse(good[2]), subject: "0x12" })), {
          member: "tax",
        }),
        400,
        "LEAF_INVALID",
      ],
      [await post(ndjson([...good, good[0]]), { member: "tax" }), 400, "TOO_MANY_LEAVES"],
      [await post(ndjson(good.slice(1)), { member: "tax" }), 400, "BATCH_COUNT_MISMATCH"],
      [
        await post(bad(7, JSON.stringify({ ...JSON.parse(good[7]), dataHash: h("tampered") })), {
          member: "tax",
        }),
        400,
        "BATCH_ROOT_MISMATCH",
      ],
    ];
    for (const [response, status, code] of refusals) {
      expect(
        [response.status, response.body.error?.code],
        JSON.stringify(response.body),
      ).to.deep.equal([status, code]);
    }
    expect(refusals[5][0].body.error?.details.line).to.equal(2);
    expect(refusals[6][0].body.error?.details.line).to.equal(3);
    expect((await indexer.getBatch(batch.root))?.leavesUploaded).to.equal(false);
    expect((await indexer.listBatchLeaves(batch.root)).items).to.have.length(0);

    const accepted = await post(ndjson(good), { member: "tax" });
    expect(accepted).to.deep.equal({
      status: 200,
      body: { root: batch.root, count, projected: true },
    });
    const page = await indexer.listBatchLeaves(batch.root, { first: 10 });
    expect(page.items.map((a) => a.dataHash)).to.deep.equal(
      leaves.slice(0, 10).map((l) => l.dataHash),
    );
    // the same file again: accepted, nothing new written
    expect((await post(ndjson(good), { member: "tax" })).body.projected).to.equal(false);
  });
});
