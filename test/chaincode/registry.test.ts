/**
 * Registry chaincode, part 1: attestations (single, many, signed), batch anchors with Merkle
 * proofs, derivation with checked inputs, revoke and supersede — the rules and events of
 * contracts/CreditRegistry.sol on the fake peer.
 */
import { expect } from "chai";
import { Wallet } from "ethers";

import type {
  AttestationRequestInput,
  GovernanceAction,
  Hex,
  TypedDataSigner,
} from "../../core/index.js";
import {
  attestationUid,
  buildRecordBatch,
  derivedUid,
  encodeAction,
  RecordStatus,
  Role,
  signAttest,
  ZERO_BYTES32,
} from "../../core/index.js";

import type { World } from "./world.js";
import { addressOf, createWorld, DAY, decodeEvent, expectRejected, START } from "./world.js";

const hash = (n: number): Hex => `0x${n.toString(16).padStart(64, "0")}`;

/** JSON with bigints as decimal strings (what the chaincode takes). */
const json = (value: unknown) =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));

type RequestFields = Omit<AttestationRequestInput, "observedAt" | "expiresAt"> & {
  observedAt: bigint | string;
  expiresAt: bigint | string;
};

function request(w: World, n: number, extra: Partial<RequestFields> = {}) {
  return {
    schema: w.schema,
    subject: hash(1000 + n),
    dataHash: hash(2000 + n),
    observedAt: START - 10n * DAY,
    expiresAt: 0n,
    severity: 0,
    ...extra,
  } as AttestationRequestInput & { observedAt: bigint; expiresAt: bigint };
}

async function attest(w: World, n: number, extra: Partial<RequestFields> = {}): Promise<Hex> {
  const { result } = await w.peer.submit(
    w.tax.identity,
    "Registry:attest",
    json(request(w, n, extra)),
  );
  return result as Hex;
}

async function record(w: World, uid: string): Promise<Record<string, unknown>> {
  return JSON.parse(await w.peer.evaluate(w.bank.identity, "Registry:record", uid)) as Record<
    string,
    unknown
  >;
}

async function govern(w: World, action: GovernanceAction): Promise<void> {
  const { kind, payload } = encodeAction(action);
  const { result } = await w.peer.submit(
    w.tax.identity,
    "Consortium:propose",
    String(kind),
    payload,
  );
  await w.peer.submit(w.bank.identity, "Consortium:approve", result);
}

describe("chaincode Registry: attest, batches, lineage, correction", function () {
  this.timeout(120_000);
  let w: World;

  beforeEach(async () => {
    w = await createWorld();
  });

  describe("attest", () => {
    it("stores the record under its ledger-neutral uid and emits Attested", async () => {
      const r = request(w, 1, { severity: 2, expiresAt: START + DAY });
      const { result, event } = await w.peer.submit(w.tax.identity, "Registry:attest", json(r));
      const uid = attestationUid({ ...r, provider: w.tax.id });
      expect(result).to.equal(uid);
      const { name, events } = decodeEvent(event);
      expect(name).to.equal("Attested");
      expect(events).to.deep.equal([
        {
          kind: "Attested",
          uid,
          subject: r.subject,
          schema: w.schema,
          provider: w.tax.id,
          dataHash: r.dataHash,
          observedAt: r.observedAt.toString(),
          expiresAt: r.expiresAt.toString(),
          severity: 2,
          signer: w.tax.address,
          relayer: "0x0000000000000000000000000000000000000000",
        },
      ]);
      expect(await record(w, uid)).to.include({
        owner: w.tax.id,
        status: RecordStatus.Active,
        severity: 2,
      });
      const bySubject = JSON.parse(
        await w.peer.evaluate(w.bank.identity, "Registry:recordsBySubject", r.subject),
      ) as string[];
      expect(bySubject).to.deep.equal([uid]);
      expect(
        JSON.parse(await w.peer.evaluate(w.bank.identity, "Registry:record", hash(9))),
      ).to.equal(null);
    });

    it("rejects callers that are not accredited providers", async () => {
      const body = json(request(w, 1));
      await expectRejected(
        w.peer.submit(w.bank.identity, "Registry:attest", body),
        "ConsortiumMissingRole",
      );
      await expectRejected(
        w.peer.submit(w.outsider, "Registry:attest", body),
        "ConsortiumUnknownKey",
      );
      await expectRejected(
        w.peer.submit(w.tax.identity, "Registry:attest", json(request(w, 1, { schema: hash(5) }))),
        "ConsortiumUnknownSchema",
      );
      const { result: other } = await w.peer.submit(
        w.tax.identity,
        "Consortium:registerSchema",
        "customs",
        "{}",
      );
      await expectRejected(
        w.peer.submit(w.tax.identity, "Registry:attest", json(request(w, 1, { schema: other }))),
        "ConsortiumNotAccredited",
      );
      w.peer.time = START + 366n * DAY;
      await expectRejected(
        w.peer.submit(w.tax.identity, "Registry:attest", body),
        "ConsortiumAccreditationExpired",
      );
    });

    it("checks the record fields", async () => {
      const cases: [Partial<RequestFields>, string][] = [
        [{ subject: ZERO_BYTES32 }, "RegistryInvalidRecord"],
        [{ dataHash: ZERO_BYTES32 }, "RegistryInvalidRecord"],
        [{ observedAt: "0" }, "RegistryInvalidTimes"],
        [{ observedAt: (START + 3601n).toString() }, "RegistryInvalidTimes"],
        [{ expiresAt: (START - 10n * DAY).toString() }, "RegistryInvalidTimes"],
        [{ expiresAt: (1n << 40n).toString() }, "RegistryInvalidTimes"],
        [{ severity: 4 }, "RegistryInvalidSeverity"],
        [{ subject: "0x12" }, "InvalidArgument"],
        [{ observedAt: "-1" }, "InvalidArgument"],
      ];
      for (const [extra, error] of cases) {
        await expectRejected(
          w.peer.submit(w.tax.identity, "Registry:attest", json(request(w, 1, extra))),
          error,
        );
      }
      await expectRejected(
        w.peer.submit(w.tax.identity, "Registry:attest", "not json"),
        "InvalidArgument",
      );
      await attest(w, 1, { observedAt: (START + 3600n).toString() });
      await expectRejected(
        attest(w, 1, { observedAt: (START + 3600n).toString() }),
        "RegistryRecordExists",
      );
    });

    it("endorses deterministically: two simulations write the same bytes", async () => {
      const body = json([request(w, 1), request(w, 2, { severity: 3 })]);
      const a = await w.peer.simulate(w.tax.identity, "Registry:attestMany", [body]);
      const b = await w.peer.simulate(w.bank.identity, "Registry:attestMany", [body]);
      const c = await w.peer.simulate(w.tax.identity, "Registry:attestMany", [body]);
      expect(a.response.status).to.equal(200);
      expect(b.response.status).to.equal(500);
      const writes = (s: typeof a) =>
        [...s.simulator.writes].map(([k, v]) => [k, v?.toString("hex")]);
      expect(writes(c)).to.deep.equal(writes(a));
      expect(writes(a)).to.have.length(4);
      expect(c.event?.payload.equals(a.event?.payload ?? Buffer.alloc(0))).to.equal(true);
    });

    it("commits independent attestations of one block without MVCC conflicts (no hot key)", async () => {
      const sims = await Promise.all(
        [1, 2, 3].map((n) =>
          w.peer.simulate(w.tax.identity, "Registry:attest", [json(request(w, n))]),
        ),
      );
      const twice = await w.peer.simulate(w.tax.identity, "Registry:attest", [json(request(w, 1))]);
      expect(w.peer.commitBlock([...sims, twice]).map((r) => r.code)).to.deep.equal([
        "VALID",
        "VALID",
        "VALID",
        "MVCC_READ_CONFLICT",
      ]);
    });

    it("attests many records in one transaction, all or nothing", async () => {
      const body = json([request(w, 1), request(w, 2)]);
      const { result, event } = await w.peer.submit(w.tax.identity, "Registry:attestMany", body);
      const uids = JSON.parse(result) as string[];
      const { name, events } = decodeEvent(event);
      expect(name).to.equal("Attested");
      expect(events.map((e) => e.uid)).to.deep.equal(uids);
      const bad = json([request(w, 3), request(w, 4, { severity: 9 })]);
      await expectRejected(
        w.peer.submit(w.tax.identity, "Registry:attestMany", bad),
        "RegistryInvalidSeverity",
      );
      const third = attestationUid({ ...request(w, 3), provider: w.tax.id });
      expect(JSON.parse(await w.peer.evaluate(w.bank.identity, "Registry:record", third))).to.equal(
        null,
      );
    });
  });

  describe("attestBySig", () => {
    let signerKey: Wallet;

    beforeEach(async () => {
      signerKey = new Wallet(`0x${"42".repeat(32)}`);
      await govern(w, { kind: "AddKey", member: w.tax.id, key: signerKey.address });
    });

    async function signed(
      key: TypedDataSigner,
      nonce: bigint,
      deadline: bigint,
      chaincodeName = "credtrail",
    ) {
      const r = request(w, 7);
      const domain = w.chaincode.fabricRegistryDomain(w.peer.channel, chaincodeName);
      const signature = await signAttest(key, domain, r, nonce, deadline);
      return [
        json(r),
        JSON.stringify({
          signer: signerKey.address,
          nonce: nonce.toString(),
          deadline: deadline.toString(),
          signature,
        }),
      ] as const;
    }

    it("lets anyone relay a provider-signed attestation once", async () => {
      const [req, sig] = await signed(signerKey, 5n, START + DAY);
      const { result, event } = await w.peer.submit(
        w.bank.identity,
        "Registry:attestBySig",
        req,
        sig,
      );
      const { events } = decodeEvent(event);
      expect(events[0]).to.include({
        uid: result,
        provider: w.tax.id,
        signer: signerKey.address,
        relayer: w.bank.address,
      });
      expect(
        await w.peer.evaluate(w.bank.identity, "Registry:nonceUsed", signerKey.address, "5"),
      ).to.equal("true");
      await expectRejected(
        w.peer.submit(w.bank.identity, "Registry:attestBySig", req, sig),
        "RegistryNonceUsed",
      );
    });

    it("rejects expired, foreign-domain and forged signatures", async () => {
      const [req, expired] = await signed(signerKey, 1n, START - 1n);
      await expectRejected(
        w.peer.submit(w.bank.identity, "Registry:attestBySig", req, expired),
        "RegistrySignatureExpired",
      );
      const [, foreign] = await signed(signerKey, 2n, START + DAY, "other-chaincode");
      await expectRejected(
        w.peer.submit(w.bank.identity, "Registry:attestBySig", req, foreign),
        "RegistryInvalidSignature",
      );
      const [, forged] = await signed(Wallet.createRandom(), 3n, START + DAY);
      await expectRejected(
        w.peer.submit(w.bank.identity, "Registry:attestBySig", req, forged),
        "RegistryInvalidSignature",
      );
      const malformed = JSON.stringify({
        signer: signerKey.address,
        nonce: "4",
        deadline: (START + DAY).toString(),
        signature: "0x1234",
      });
      await expectRejected(
        w.peer.submit(w.bank.identity, "Registry:attestBySig", req, malformed),
        "RegistryInvalidSignature",
      );
    });
  });

  describe("batches", () => {
    const leaves = [1, 2, 3].map((n) => ({
      subject: hash(100 + n),
      dataHash: hash(200 + n),
      observedAt: START - DAY,
      expiresAt: n === 3 ? START + DAY : 0n,
      severity: n === 2 ? 1 : 0,
    }));
    const batch = buildRecordBatch(leaves);
    const leafJson = (i: number) => {
      const l = batch.leafProof(i);
      return JSON.stringify({
        ...l,
        observedAt: l.observedAt.toString(),
        expiresAt: l.expiresAt.toString(),
      });
    };

    beforeEach(async () => {
      await w.peer.submit(
        w.tax.identity,
        "Registry:anchorBatch",
        w.schema,
        batch.root,
        "3",
        "s3://batch-1",
      );
    });

    it("anchors a root and records leaves by their Merkle proofs", async () => {
      const b = JSON.parse(
        await w.peer.evaluate(w.bank.identity, "Registry:batch", batch.root),
      ) as Record<string, unknown>;
      expect(b).to.include({
        provider: w.tax.id,
        schema: w.schema,
        count: 3,
        revoked: false,
        uri: "s3://batch-1",
      });
      expect(await w.peer.evaluate(w.bank.identity, "Registry:verifyLeaf", leafJson(1))).to.equal(
        "true",
      );
      const { result, event } = await w.peer.submit(w.outsider, "Registry:recordLeaf", leafJson(1));
      expect(result).to.equal(batch.leafUid(1, { schema: w.schema, provider: w.tax.id }));
      expect(decodeEvent(event).events[0]).to.deep.include({
        kind: "LeafRecorded",
        uid: result,
        root: batch.root,
      });
      expect(await record(w, result)).to.include({
        batchLeaf: true,
        root: batch.root,
        owner: w.tax.id,
      });
      await expectRejected(
        w.peer.submit(w.outsider, "Registry:recordLeaf", leafJson(1)),
        "RegistryRecordExists",
      );
    });

    it("rejects bad anchors and bad proofs", async () => {
      await expectRejected(
        w.peer.submit(w.tax.identity, "Registry:anchorBatch", w.schema, batch.root, "3", ""),
        "RegistryBatchExists",
      );
      await expectRejected(
        w.peer.submit(w.tax.identity, "Registry:anchorBatch", w.schema, ZERO_BYTES32, "3", ""),
        "RegistryInvalidBatch",
      );
      await expectRejected(
        w.peer.submit(w.tax.identity, "Registry:anchorBatch", w.schema, hash(77), "0", ""),
        "RegistryInvalidBatch",
      );
      await expectRejected(
        w.peer.submit(w.bank.identity, "Registry:anchorBatch", w.schema, hash(77), "1", ""),
        "ConsortiumMissingRole",
      );
      const tampered = JSON.stringify({ ...(JSON.parse(leafJson(0)) as object), severity: 3 });
      await expectRejected(
        w.peer.submit(w.outsider, "Registry:recordLeaf", tampered),
        "RegistryInvalidProof",
      );
      expect(await w.peer.evaluate(w.bank.identity, "Registry:verifyLeaf", tampered)).to.equal(
        "false",
      );
      const unknown = JSON.stringify({ ...(JSON.parse(leafJson(0)) as object), root: hash(78) });
      await expectRejected(
        w.peer.submit(w.outsider, "Registry:recordLeaf", unknown),
        "RegistryUnknownBatch",
      );
    });

    it("revokes a whole batch, recorded leaves included", async () => {
      const { result: uid } = await w.peer.submit(w.outsider, "Registry:recordLeaf", leafJson(0));
      await expectRejected(
        w.peer.submit(w.bank.identity, "Registry:revokeBatch", batch.root, hash(1)),
        "ConsortiumMissingRole",
      );
      const { event } = await w.peer.submit(
        w.tax.identity,
        "Registry:revokeBatch",
        batch.root,
        hash(1),
      );
      expect(decodeEvent(event).events).to.deep.equal([
        {
          kind: "BatchRevoked",
          root: batch.root,
          provider: w.tax.id,
          reasonHash: hash(1),
          signer: w.tax.address,
        },
      ]);
      expect(await record(w, uid)).to.include({ status: RecordStatus.Revoked });
      await expectRejected(
        w.peer.submit(w.outsider, "Registry:recordLeaf", leafJson(1)),
        "RegistryBatchRevoked",
      );
      await expectRejected(
        w.peer.submit(w.tax.identity, "Registry:revokeBatch", batch.root, hash(1)),
        "RegistryBatchRevoked",
      );
    });

    it("derives from stored and batch-leaf inputs and checks each", async () => {
      const stored = await attest(w, 1);
      const derive = (inputs: string[], leafInputs: object[], extra: object = {}) =>
        JSON.stringify({
          schema: w.schema,
          subject: hash(1001),
          dataHash: hash(3000),
          modelHash: w.modelHash,
          observedAt: START.toString(),
          inputs,
          leafInputs,
          ...extra,
        });
      const leaf = JSON.parse(leafJson(0)) as object;
      const { result, event } = await w.peer.submit(
        w.bank.identity,
        "Registry:derive",
        derive([stored], [leaf]),
      );
      const leafUid = batch.leafUid(0, { schema: w.schema, provider: w.tax.id });
      const uid = derivedUid({
        schema: w.schema,
        subject: hash(1001),
        dataHash: hash(3000),
        deriver: w.bank.id,
        modelHash: w.modelHash,
        observedAt: START,
        inputs: [stored, leafUid],
      });
      expect(result).to.equal(uid);
      expect(decodeEvent(event).events[0]).to.deep.equal({
        kind: "Derived",
        uid,
        subject: hash(1001),
        schema: w.schema,
        deriver: w.bank.id,
        dataHash: hash(3000),
        modelHash: w.modelHash,
        observedAt: START.toString(),
        inputs: [stored, leafUid],
        signer: w.bank.address,
      });
      expect(await record(w, uid)).to.include({ derived: true, owner: w.bank.id });
      // a derived record can be an input of another
      await w.peer.submit(
        w.bank.identity,
        "Registry:derive",
        derive([uid], [], { dataHash: hash(3001) }),
      );

      const rejects: [string, string][] = [
        [derive([], []), "RegistryNoInputs"],
        [derive([hash(9)], []), "RegistryInputMissing"],
        [derive([stored, stored], []), "RegistryDuplicateInput"],
        [
          derive(
            Array.from({ length: 129 }, (_, i) => hash(i + 1)),
            [],
          ),
          "RegistryTooManyInputs",
        ],
        [derive([stored], [], { modelHash: hash(5) }), "RegistryUnknownModel"],
        [derive([stored], [], { schema: hash(5) }), "ConsortiumUnknownSchema"],
        [derive([stored], [], { observedAt: "0" }), "RegistryInvalidTimes"],
        [derive([], [{ ...leaf, root: hash(79) }]), "RegistryUnknownBatch"],
        [derive([], [{ ...leaf, severity: 2 }]), "RegistryInvalidProof"],
      ];
      for (const [body, error] of rejects) {
        await expectRejected(w.peer.submit(w.bank.identity, "Registry:derive", body), error);
      }
      await expectRejected(
        w.peer.submit(w.tax.identity, "Registry:derive", derive([stored], [])),
        "ConsortiumMissingRole",
      );

      // inputs that stop counting
      await w.peer.submit(w.tax.identity, "Registry:revoke", stored, hash(1));
      const revoked = await expectRejected(
        w.peer.submit(
          w.bank.identity,
          "Registry:derive",
          derive([stored], [], { dataHash: hash(3002) }),
        ),
        "RegistryInputNotActive",
      );
      expect(revoked).to.deep.equal({ uid: stored, status: RecordStatus.Revoked });
      w.peer.time = START + 2n * DAY;
      await expectRejected(
        w.peer.submit(
          w.bank.identity,
          "Registry:derive",
          derive([], [JSON.parse(leafJson(2)) as object]),
        ),
        "RegistryInputExpired",
      );
      await govern(w, {
        kind: "SetScope",
        member: w.tax.id,
        category: (
          JSON.parse(await w.peer.evaluate(w.bank.identity, "Consortium:schema", w.schema)) as {
            category: string;
          }
        ).category,
        expiresAt: 0n,
      });
      await expectRejected(
        w.peer.submit(
          w.bank.identity,
          "Registry:derive",
          derive([], [leaf], { dataHash: hash(3003) }),
        ),
        "RegistryInputNotAccredited",
      );
      await w.peer.submit(w.tax.identity, "Registry:revokeBatch", batch.root, hash(2));
      await expectRejected(
        w.peer.submit(
          w.bank.identity,
          "Registry:derive",
          derive([], [JSON.parse(leafJson(1)) as object]),
        ),
        "RegistryInputNotActive",
      );
    });
  });

  describe("revoke and supersede", () => {
    it("lets the owner revoke an active record", async () => {
      const uid = await attest(w, 1);
      await expectRejected(
        w.peer.submit(w.tax.identity, "Registry:revoke", hash(9), hash(1)),
        "RegistryUnknownRecord",
      );
      await expectRejected(
        w.peer.submit(w.bank.identity, "Registry:revoke", uid, hash(1)),
        "ConsortiumMissingRole",
      );
      const { event } = await w.peer.submit(w.tax.identity, "Registry:revoke", uid, hash(1));
      expect(decodeEvent(event).events).to.deep.equal([
        { kind: "Revoked", uid, owner: w.tax.id, reasonHash: hash(1), signer: w.tax.address },
      ]);
      const args = await expectRejected(
        w.peer.submit(w.tax.identity, "Registry:revoke", uid, hash(1)),
        "RegistryNotActive",
      );
      expect(args).to.deep.equal({ uid, status: RecordStatus.Revoked });
    });

    it("rejects another provider revoking a record it does not own", async () => {
      const uid = await attest(w, 1);
      await govern(w, {
        kind: "SetRoles",
        member: w.bank.id,
        roles: Role.PROVIDER | Role.LENDER | Role.SCORER,
      });
      const args = await expectRejected(
        w.peer.submit(w.bank.identity, "Registry:revoke", uid, hash(1)),
        "RegistryNotOwner",
      );
      expect(args).to.deep.equal({ uid, member: w.bank.id });
    });

    it("supersedes a record with a new attestation in one Superseded event", async () => {
      const uid = await attest(w, 1);
      const replacement = request(w, 1, { dataHash: hash(4444) });
      const { result: newUid, event } = await w.peer.submit(
        w.tax.identity,
        "Registry:supersede",
        uid,
        json(replacement),
      );
      const { name, events } = decodeEvent(event);
      expect(name).to.equal("Superseded");
      expect(events.map((e) => e.kind)).to.deep.equal(["Attested", "Superseded"]);
      expect(events[1]).to.deep.equal({
        kind: "Superseded",
        uid,
        newUid,
        owner: w.tax.id,
        signer: w.tax.address,
      });
      expect(await record(w, uid)).to.include({
        status: RecordStatus.Superseded,
        supersededBy: newUid,
      });
      await expectRejected(
        w.peer.submit(w.tax.identity, "Registry:supersede", uid, json(request(w, 2))),
        "RegistryNotActive",
      );
      await expectRejected(
        w.peer.submit(w.tax.identity, "Registry:supersede", newUid, json(replacement)),
        "RegistryRecordExists",
      );
    });

    it("does not supersede a derived record", async () => {
      const input = await attest(w, 1);
      const { result: derived } = await w.peer.submit(
        w.bank.identity,
        "Registry:derive",
        JSON.stringify({
          schema: w.schema,
          subject: hash(1001),
          dataHash: hash(3000),
          modelHash: w.modelHash,
          observedAt: START.toString(),
          inputs: [input],
        }),
      );
      await expectRejected(
        w.peer.submit(w.bank.identity, "Registry:supersede", derived, json(request(w, 5))),
        "RegistryNotActive",
      );
      const { event } = await w.peer.submit(w.bank.identity, "Registry:revoke", derived, hash(1));
      expect(decodeEvent(event).events[0]).to.include({ owner: w.bank.id });
      expect(await addressOf(w.peer, w.bank.identity)).to.equal(w.bank.address);
    });
  });
});
