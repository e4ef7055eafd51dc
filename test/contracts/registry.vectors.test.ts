/**
 * The contract and core agree, on the shared known-answer vectors (test/vectors/core.json, written by
 * core) and on random inputs (fast-check):
 * - attestation uids: the contract's `attestationUid` view, and the uid of real attestations;
 * - derived uids: a real derivation of the first vector;
 * - record batches: the vector root anchored on chain proves every leaf; leaf hashes and leaf uids
 *   match;
 * - EIP-712: the contract's digest equals core's for the deployed registry's domain (and the vector's
 *   own digest for a registry at the vector's verifying contract); signatures made with the vector
 *   keys are accepted by attestBySig.
 *
 * The vectors' schema ids and model hash are labels, keccak256 of a text: registering that text as a
 * schema definition (or as a model hash) gives the consortium the same ids.
 */
import { readFileSync } from "node:fs";

import { expect } from "chai";
import { Wallet } from "ethers";
import fc from "fast-check";

import { deployContracts } from "../../scripts/deploy/deployContracts.js";
import {
  attestationUid,
  attestDigest,
  attestStructHash,
  buildRecordBatch,
  categoryId,
  derivedUid,
  inputsHash,
  memberId,
  recordLeafHash,
  registryDomain,
  Role,
  signAttest,
  type AttestationRequestInput,
  type Hex,
  type RecordLeafInput,
} from "../../core/index.js";
import { CreditRegistry__factory } from "../../types/ethers-contracts/index.js";

import {
  coreAttestationUid,
  DAY,
  ethers,
  h,
  loadDeployFixture,
  networkHelpers,
  type AttestationRequestStruct,
  type Fixture,
  type LeafInputStruct,
} from "./fixture.js";

interface RequestVector {
  schema: Hex;
  subject: Hex;
  dataHash: Hex;
  observedAt: string;
  expiresAt: string;
  severity: number;
}

interface Vectors {
  chainId: string;
  verifyingContract: string;
  attestationUid: (RequestVector & { provider: Hex; uid: Hex })[];
  derivedUid: {
    schema: Hex;
    subject: Hex;
    dataHash: Hex;
    deriver: Hex;
    modelHash: Hex;
    observedAt: string;
    inputs: Hex[];
    inputsHash: Hex;
    uid: Hex;
  }[];
  recordBatch: {
    schema: Hex;
    provider: Hex;
    root: Hex;
    count: number;
    leaves: {
      subject: Hex;
      dataHash: Hex;
      observedAt: string;
      expiresAt: string;
      severity: number;
      leafHash: Hex;
      proof: Hex[];
      uid: Hex;
    }[];
  };
  eip712: {
    attestTypehash: Hex;
    registryDomain: {
      name: string;
      version: string;
      chainId: string;
      verifyingContract: string;
      separator: Hex;
    };
    attest: {
      privateKey: Hex;
      signer: string;
      request: RequestVector;
      nonce: string;
      deadline: string;
      structHash: Hex;
      digest: Hex;
      signature: Hex;
    }[];
  };
}

const VECTORS = JSON.parse(
  readFileSync(new URL("../vectors/core.json", import.meta.url), "utf8"),
) as Vectors;

/** The texts whose keccak256 the vectors use as schema ids and model hash (test/vectors/generate.ts). */
const LABELLED_SCHEMAS = [
  { text: "schema:tax.payment.v1", category: "tax.payment" },
  { text: "schema:admin.penalty.v1", category: "admin.penalty" },
  { text: "schema:credit.score.v1", category: "credit.score" },
] as const;
const LABELLED_MODEL = "model:scorecard-v1";

/** A vector request as core takes it (times as bigint). */
function coreRequest(v: RequestVector): AttestationRequestInput {
  return { ...v, observedAt: BigInt(v.observedAt), expiresAt: BigInt(v.expiresAt) };
}

function requestOf(v: RequestVector): AttestationRequestStruct {
  return {
    schema: v.schema,
    subject: v.subject,
    dataHash: v.dataHash,
    observedAt: BigInt(v.observedAt),
    expiresAt: BigInt(v.expiresAt),
    severity: v.severity,
  };
}

/** Registers the vectors' labelled schemas and model in the fixture's consortium. */
async function registerVectorIds(f: Fixture): Promise<void> {
  for (const s of LABELLED_SCHEMAS) {
    expect(h(s.text)).to.be.oneOf([
      ...VECTORS.attestationUid.map((v) => v.schema),
      VECTORS.derivedUid[0].schema,
    ]);
    await (
      await f.consortium.connect(f.signers.operator).registerSchema(s.category, s.text)
    ).wait();
  }
  expect(h(LABELLED_MODEL)).to.equal(VECTORS.derivedUid[0].modelHash);
  await (
    await f.consortium
      .connect(f.signers.scorer)
      .registerModel(h(LABELLED_MODEL), "credtrail://models/vector")
  ).wait();
}

function leafOf(
  v: Vectors["recordBatch"]["leaves"][number],
  root: Hex,
  proof: Hex[] = v.proof,
): LeafInputStruct {
  return {
    root,
    subject: v.subject,
    dataHash: v.dataHash,
    observedAt: BigInt(v.observedAt),
    expiresAt: BigInt(v.expiresAt),
    severity: v.severity,
    proof,
  };
}

describe("CreditRegistry: shared vectors (test/vectors/core.json)", function () {
  it("uses the member ids the fixture uses", async function () {
    const { ids } = await loadDeployFixture();
    expect(VECTORS.attestationUid[0].provider).to.equal(ids.tax);
    expect(VECTORS.attestationUid[1].provider).to.equal(ids.court);
    expect(VECTORS.derivedUid[0].deriver).to.equal(ids.scorer);
    expect(VECTORS.recordBatch.provider).to.equal(ids.tax);
  });

  describe("attestation uids", function () {
    it("the contract's attestationUid view equals every vector uid", async function () {
      const { registry } = await loadDeployFixture();
      for (const [i, v] of VECTORS.attestationUid.entries()) {
        expect(await registry.attestationUid(requestOf(v), v.provider), `vector ${i}`).to.equal(
          v.uid,
        );
        expect(coreAttestationUid(requestOf(v), v.provider)).to.equal(v.uid);
      }
    });

    it("attesting the vectors that are valid on the ledger yields their uids", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids } = f;
      await registerVectorIds(f);
      const [taxVector, courtVector, wide] = VECTORS.attestationUid;
      await expect(registry.connect(signers.tax).attest(requestOf(taxVector)))
        .to.emit(registry, "Attested")
        .withArgs(
          taxVector.uid,
          taxVector.subject,
          taxVector.schema,
          ids.tax,
          taxVector.dataHash,
          taxVector.observedAt,
          taxVector.expiresAt,
          taxVector.severity,
          await signers.tax.getAddress(),
          ethers.ZeroAddress,
        );
      await expect(registry.connect(signers.court).attest(requestOf(courtVector)))
        .to.emit(registry, "Attested")
        .withArgs(
          courtVector.uid,
          courtVector.subject,
          courtVector.schema,
          ids.court,
          courtVector.dataHash,
          courtVector.observedAt,
          courtVector.expiresAt,
          courtVector.severity,
          await signers.court.getAddress(),
          ethers.ZeroAddress,
        );
      // the third carries the largest uint64 expiry: a uid, but not a record the ledger stores
      await expect(registry.connect(signers.tax).attest(requestOf(wide)))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidTimes")
        .withArgs(wide.observedAt, wide.expiresAt);
    });
  });

  describe("derived uids", function () {
    it("deriving the first vector on chain yields its uid", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids } = f;
      await registerVectorIds(f);
      const v = VECTORS.derivedUid[0];
      expect(v.inputs).to.deep.equal([VECTORS.attestationUid[0].uid]);
      expect(inputsHash(v.inputs)).to.equal(v.inputsHash);
      await registry.connect(signers.tax).attest(requestOf(VECTORS.attestationUid[0]));
      const req = {
        schema: v.schema,
        subject: v.subject,
        dataHash: v.dataHash,
        modelHash: v.modelHash,
        observedAt: BigInt(v.observedAt),
        inputs: v.inputs,
        leafInputs: [],
      };
      expect(await registry.connect(signers.scorer).derive.staticCall(req)).to.equal(v.uid);
      await expect(registry.connect(signers.scorer).derive(req))
        .to.emit(registry, "Derived")
        .withArgs(
          v.uid,
          v.subject,
          v.schema,
          ids.scorer,
          v.dataHash,
          v.modelHash,
          v.observedAt,
          v.inputs,
          await signers.scorer.getAddress(),
        );
    });

    it("core reproduces every derived vector (those with a uint64-wide input cannot be derived on chain)", function () {
      for (const v of VECTORS.derivedUid) {
        expect(derivedUid({ ...v, observedAt: BigInt(v.observedAt) })).to.equal(v.uid);
      }
    });
  });

  describe("record batch", function () {
    it("the vector root, anchored, proves every leaf; leaf hashes and uids match", async function () {
      const f = await loadDeployFixture();
      const { registry, signers } = f;
      await registerVectorIds(f);
      const vb = VECTORS.recordBatch;
      // core rebuilds the same tree from the leaves
      const rebuilt = buildRecordBatch(
        vb.leaves.map((l) => ({
          ...l,
          observedAt: BigInt(l.observedAt),
          expiresAt: BigInt(l.expiresAt),
        })),
      );
      expect(rebuilt.root).to.equal(vb.root);

      await registry
        .connect(signers.tax)
        .anchorBatch(vb.schema, vb.root, vb.count, "credtrail://vectors/recordBatch");
      for (const [i, leaf] of vb.leaves.entries()) {
        expect(await registry.verifyLeaf(leafOf(leaf, vb.root)), `leaf ${i}`).to.equal(true);
        // the contract's leaf hash, as the proof error reports it
        await expect(registry.recordLeaf(leafOf(leaf, vb.root, [])))
          .to.be.revertedWithCustomError(registry, "RegistryInvalidProof")
          .withArgs(vb.root, leaf.leafHash);
        expect(
          recordLeafHash({
            ...leaf,
            observedAt: BigInt(leaf.observedAt),
            expiresAt: BigInt(leaf.expiresAt),
          }),
        ).to.equal(leaf.leafHash);
        await expect(registry.recordLeaf(leafOf(leaf, vb.root)))
          .to.emit(registry, "LeafRecorded")
          .withArgs(
            leaf.uid,
            vb.root,
            leaf.subject,
            leaf.dataHash,
            leaf.observedAt,
            leaf.expiresAt,
            leaf.severity,
          );
      }
      // and a leaf of the vector tried against another leaf's proof does not verify
      expect(await registry.verifyLeaf(leafOf(vb.leaves[0], vb.root, vb.leaves[1].proof))).to.equal(
        false,
      );
    });
  });

  describe("EIP-712", function () {
    it("hashAttest equals core's digest for the deployed registry's domain", async function () {
      const f = await loadDeployFixture();
      const domain = registryDomain(f.chainId, await f.registry.getAddress());
      const separator = ethers.TypedDataEncoder.hashDomain(domain);
      for (const [i, v] of VECTORS.eip712.attest.entries()) {
        const req = requestOf(v.request);
        const digest = await f.registry.hashAttest(req, BigInt(v.nonce), BigInt(v.deadline));
        expect(digest, `vector ${i}`).to.equal(
          attestDigest(domain, coreRequest(v.request), BigInt(v.nonce), BigInt(v.deadline)),
        );
        // the contract hashes the vector's struct hash into its own domain
        expect(
          attestStructHash(coreRequest(v.request), BigInt(v.nonce), BigInt(v.deadline)),
        ).to.equal(v.structHash);
        expect(digest).to.equal(
          ethers.keccak256(ethers.concat(["0x1901", separator, v.structHash])),
        );
      }
    });

    it("signatures made with the vector keys for the deployed domain are accepted by attestBySig", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, govern } = f;
      await registerVectorIds(f);
      const domain = registryDomain(f.chainId, await registry.getAddress());
      const latest = BigInt(await networkHelpers.time.latest());
      const owners = [ids.tax, ids.court, ids.tax];
      for (const [i, v] of VECTORS.eip712.attest.entries()) {
        const wallet = new Wallet(v.privateKey);
        expect(wallet.address).to.equal(v.signer);
        await govern({ kind: "AddKey", member: owners[i], key: wallet.address });
        const req = requestOf(v.request);
        // the vectors' deadlines may have passed on this chain: keep the vector's unless it has
        const deadline = BigInt(v.deadline) > latest + DAY ? BigInt(v.deadline) : latest + DAY;
        const nonce = BigInt(v.nonce);
        const signature = await signAttest(wallet, domain, coreRequest(v.request), nonce, deadline);
        await expect(
          registry
            .connect(signers.relayer)
            .attestBySig(req, { signer: wallet.address, nonce, deadline, signature }),
        )
          .to.emit(registry, "Attested")
          .withArgs(
            coreAttestationUid(req, owners[i]),
            req.subject,
            req.schema,
            owners[i],
            req.dataHash,
            req.observedAt,
            req.expiresAt,
            req.severity,
            wallet.address,
            await signers.relayer.getAddress(),
          );
        expect(await registry.nonceUsed(wallet.address, nonce)).to.equal(true);
      }
      // the first two are the attestation-uid vectors: same uid either way
      expect(coreAttestationUid(requestOf(VECTORS.eip712.attest[0].request), ids.tax)).to.equal(
        VECTORS.attestationUid[0].uid,
      );
      expect(coreAttestationUid(requestOf(VECTORS.eip712.attest[1].request), ids.court)).to.equal(
        VECTORS.attestationUid[1].uid,
      );
    });

    it("a registry at the vectors' verifying contract gives the vectors' digests and accepts their signature", async function () {
      const f = await loadDeployFixture();
      const { signers } = f;
      const vd = VECTORS.eip712.registryDomain;
      expect(BigInt(vd.chainId)).to.equal(f.chainId);
      // A consortium of its own (the fixture's may live at that address), a registry over it, and
      // that registry's code placed at the vectors' verifying contract. OpenZeppelin's EIP712 rebuilds
      // its domain separator from address(this) when the code runs at another address.
      const wallet = new Wallet(VECTORS.eip712.attest[1].privateKey);
      const courtVector = VECTORS.attestationUid[1];
      const { registry: source } = await deployContracts(signers.deployer, {
        threshold: 1,
        founders: [
          {
            id: memberId("People's Court"),
            name: "People's Court",
            roles: Role.PROVIDER,
            keys: [wallet.address, await signers.court.getAddress()],
            categories: [categoryId("admin.penalty")],
            scopeExpiresAt: BigInt(await networkHelpers.time.latest()) + 365n * DAY,
          },
          {
            id: memberId("Operator"),
            name: "Operator",
            roles: Role.OPERATOR,
            keys: [await signers.operator.getAddress()],
            categories: [],
            scopeExpiresAt: 0n,
          },
        ],
      }).then(async (d) => {
        await (
          await d.consortium
            .connect(signers.operator)
            .registerSchema("admin.penalty", "schema:admin.penalty.v1")
        ).wait();
        return d;
      });
      const code = await ethers.provider.getCode(await source.getAddress());
      await networkHelpers.setCode(vd.verifyingContract, code);
      const registry = CreditRegistry__factory.connect(vd.verifyingContract, signers.relayer);

      const eip712 = await registry.eip712Domain();
      expect([eip712.name, eip712.version, eip712.chainId, eip712.verifyingContract]).to.deep.equal(
        [vd.name, vd.version, BigInt(vd.chainId), vd.verifyingContract],
      );
      expect(
        ethers.TypedDataEncoder.hashDomain(
          registryDomain(BigInt(vd.chainId), vd.verifyingContract),
        ),
      ).to.equal(vd.separator);
      for (const [i, v] of VECTORS.eip712.attest.entries()) {
        expect(
          await registry.hashAttest(requestOf(v.request), BigInt(v.nonce), BigInt(v.deadline)),
          `vector ${i}`,
        ).to.equal(v.digest);
        expect(ethers.recoverAddress(v.digest, v.signature)).to.equal(v.signer);
      }
      // the second vector never expires (deadline 2^64 - 1): its exact signature is accepted
      const v = VECTORS.eip712.attest[1];
      const sig = {
        signer: v.signer,
        nonce: BigInt(v.nonce),
        deadline: BigInt(v.deadline),
        signature: v.signature,
      };
      await expect(registry.attestBySig(requestOf(v.request), sig))
        .to.emit(registry, "Attested")
        .withArgs(
          courtVector.uid,
          courtVector.subject,
          courtVector.schema,
          courtVector.provider,
          courtVector.dataHash,
          courtVector.observedAt,
          courtVector.expiresAt,
          courtVector.severity,
          v.signer,
          await signers.relayer.getAddress(),
        );
      await expect(registry.attestBySig(requestOf(v.request), sig))
        .to.be.revertedWithCustomError(registry, "RegistryNonceUsed")
        .withArgs(v.signer, BigInt(v.nonce));
      // the others have expired on this chain
      for (const e of [VECTORS.eip712.attest[0], VECTORS.eip712.attest[2]]) {
        await expect(
          registry.attestBySig(requestOf(e.request), {
            signer: e.signer,
            nonce: BigInt(e.nonce),
            deadline: BigInt(e.deadline),
            signature: e.signature,
          }),
        )
          .to.be.revertedWithCustomError(registry, "RegistrySignatureExpired")
          .withArgs(BigInt(e.deadline));
      }
    });
  });
});

// -------------------------------------------------------------------------------------------------
// Properties (each run touches the chain, so few runs)
// -------------------------------------------------------------------------------------------------

const MAX_TIMESTAMP = (1n << 40n) - 1n;
const bytes32 = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => ethers.hexlify(b) as Hex);
const nonZeroBytes32 = bytes32.filter((x) => BigInt(x) !== 0n);

/** A valid record leaf observed before `now`. */
function leafArbitrary(now: bigint): fc.Arbitrary<RecordLeafInput> {
  return fc
    .record({
      subject: nonZeroBytes32,
      dataHash: nonZeroBytes32,
      observedAt: fc.bigInt({ min: 1n, max: now }),
      expiresIn: fc.option(fc.bigInt({ min: 1n, max: 10n ** 10n }), { nil: undefined }),
      severity: fc.integer({ min: 0, max: 3 }),
    })
    .map(({ expiresIn, ...l }) => ({
      ...l,
      expiresAt:
        expiresIn === undefined
          ? 0n
          : l.observedAt + expiresIn > MAX_TIMESTAMP
            ? MAX_TIMESTAMP
            : l.observedAt + expiresIn,
    }));
}

describe("CreditRegistry: properties (fast-check)", function () {
  this.timeout(120_000);

  it("every proof of a random core batch (1..64 leaves) verifies on chain; a mutated leaf does not", async function () {
    const f = await loadDeployFixture();
    const { registry, signers, schemas, ids } = f;
    const now = f.now;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(leafArbitrary(now), {
          minLength: 1,
          maxLength: 64,
          selector: (l) => `${l.subject}${l.dataHash}`,
        }),
        fc.nat(),
        fc.constantFrom("subject", "dataHash", "observedAt", "expiresAt", "severity"),
        async (leaves, pick, field) => {
          const batch = buildRecordBatch(leaves);
          await (
            await registry
              .connect(signers.tax)
              .anchorBatch(schemas.taxPayment, batch.root, batch.length, "")
          ).wait();
          for (let i = 0; i < batch.length; ++i) {
            const leaf = batch.leafProof(i);
            if (!(await registry.verifyLeaf(leaf))) return false;
          }
          const i = pick % batch.length;
          const leaf = batch.leafProof(i);
          const mutated = { ...leaf };
          if (field === "subject" || field === "dataHash")
            mutated[field] = ethers.toBeHex(BigInt(leaf[field]) ^ 1n, 32) as Hex;
          else if (field === "severity")
            mutated.severity = ((leaf.severity + 1) % 4) as typeof leaf.severity;
          else mutated[field] = leaf[field] + 1n;
          if (await registry.verifyLeaf(mutated)) return false;
          // and the leaf's record gets the uid core computes
          const uid = await registry.recordLeaf.staticCall(leaf);
          return uid === batch.leafUid(i, { schema: schemas.taxPayment, provider: ids.tax });
        },
      ),
      { numRuns: 25 },
    );
  });

  it("the contract's attestationUid equals core's for random requests", async function () {
    const { registry } = await loadDeployFixture();
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          schema: bytes32,
          subject: bytes32,
          dataHash: bytes32,
          provider: bytes32,
          observedAt: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
          expiresAt: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
          severity: fc.integer({ min: 0, max: 3 }),
        }),
        async ({ provider, ...request }) => {
          return (
            (await registry.attestationUid(request, provider)) ===
            attestationUid({ ...request, provider })
          );
        },
      ),
      { numRuns: 50 },
    );
  });

  it("hashAttest equals core's digest, and core's signatures are accepted, for random valid requests", async function () {
    const f = await loadDeployFixture();
    const { registry, signers, ids } = f;
    const domain = registryDomain(f.chainId, await registry.getAddress());
    const now = f.now;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          schema: fc.constantFrom(f.schemas.taxPayment, f.schemas.taxGrade),
          leaf: leafArbitrary(now),
          nonce: fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
        }),
        async ({ schema, leaf, nonce }) => {
          const request = { schema, ...leaf };
          const deadline = now + 30n * DAY;
          if (
            (await registry.hashAttest(request, nonce, deadline)) !==
            attestDigest(domain, request, nonce, deadline)
          )
            return false;
          if (await registry.nonceUsed(await signers.tax.getAddress(), nonce)) return true; // drawn twice
          const signature = await signAttest(signers.tax, domain, request, nonce, deadline);
          const uid = await registry.connect(signers.relayer).attestBySig.staticCall(request, {
            signer: await signers.tax.getAddress(),
            nonce,
            deadline,
            signature,
          });
          return uid === attestationUid({ ...request, provider: ids.tax });
        },
      ),
      { numRuns: 25 },
    );
  });
});
