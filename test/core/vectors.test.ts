/**
 * core/ reproduces every shared vector in test/vectors/core.json, and the generator reproduces the
 * committed file exactly (regenerate with `npx tsx test/vectors/generate.ts`).
 */
import { readFileSync } from "node:fs";

import { expect } from "chai";
import { keccak256, toUtf8Bytes, TypedDataEncoder, Wallet } from "ethers";

import {
  ActionKind,
  ATTESTATION_TAG,
  ATTEST_TYPE,
  ATTEST_TYPEHASH,
  attestDigest,
  attestStructHash,
  attestationUid,
  buildRecordBatch,
  canonicalJson,
  categoryId,
  decodeAction,
  DERIVATION_TAG,
  derivedUid,
  encodeAction,
  gatewayDomain,
  hashCanonical,
  inputsHash,
  LOGIN_TYPE,
  loginDigest,
  memberId,
  modelHash,
  normalizeUscc,
  PARAMETER_DEFAULTS,
  PARAMETER_KEYS,
  parseCanonicalJson,
  recordLeafHash,
  recoverAttestSigner,
  recoverLoginSigner,
  registryDomain,
  Role,
  schemaId,
  SCHEMAS,
  signAttest,
  signLogin,
  subjectId,
  UsccError,
  verifyRecordProof,
  type CategoryName,
  type GovernanceAction,
} from "../../core/index.js";
import { renderVectors, VECTORS_PATH, type CoreVectors } from "../vectors/generate.js";

const text = readFileSync(VECTORS_PATH, "utf8");
const vectors = JSON.parse(text) as CoreVectors;

describe("shared vectors (test/vectors/core.json)", () => {
  it("the generator reproduces the committed file exactly", async () => {
    expect(await renderVectors()).to.equal(text);
  });

  it("USCC: valid codes normalise, invalid ones fail with their code", () => {
    expect(vectors.uscc.valid.map((v) => v.input)).to.include("91350100M000100Y43");
    for (const v of vectors.uscc.valid) expect(normalizeUscc(v.input)).to.equal(v.normalized);
    expect(vectors.uscc.invalid.length).to.be.greaterThan(5);
    for (const v of vectors.uscc.invalid) {
      expect(() => normalizeUscc(v.input), v.input)
        .to.throw(UsccError)
        .with.property("code", v.code);
    }
  });

  it("canonical JSON: text and hash", () => {
    for (const v of vectors.canonicalJson) {
      expect(canonicalJson(JSON.parse(v.source)), v.name).to.equal(v.canonical);
      expect(hashCanonical(JSON.parse(v.source)), v.name).to.equal(v.hash);
      expect(parseCanonicalJson(v.canonical)).to.deep.equal(JSON.parse(v.canonical));
    }
  });

  it("subject ids", () => {
    expect(vectors.subjectId.length).to.be.greaterThan(4);
    for (const v of vectors.subjectId) expect(subjectId(v.key, v.uscc)).to.equal(v.subject);
  });

  it("ids: tags, members, categories, schemas, models, roles, parameters", () => {
    for (const [text, hash] of Object.entries(vectors.labels))
      expect(keccak256(toUtf8Bytes(text))).to.equal(hash);
    const ids = vectors.ids;
    expect(ids.attestationTag).to.equal(ATTESTATION_TAG);
    expect(ids.derivationTag).to.equal(DERIVATION_TAG);
    for (const m of ids.members) expect(memberId(m.name)).to.equal(m.id);
    for (const c of ids.categories) expect(categoryId(c.name)).to.equal(c.id);
    for (const s of ids.schemas) {
      const def = SCHEMAS[s.categoryName as CategoryName];
      expect(canonicalJson(def)).to.equal(s.definition);
      expect(schemaId(def)).to.equal(s.schemaId);
      expect(schemaId(JSON.parse(s.definition))).to.equal(s.schemaId);
      expect(categoryId(s.categoryName)).to.equal(s.categoryId);
    }
    for (const m of ids.models) expect(modelHash(m.document)).to.equal(m.modelHash);
    expect(ids.roles).to.deep.equal(Role);
    for (const p of ids.parameters) {
      expect(PARAMETER_KEYS[p.name]).to.equal(p.key);
      expect(String(PARAMETER_DEFAULTS[p.name])).to.equal(p.default);
    }
    expect(ids.actionKinds).to.deep.equal(ActionKind);
  });

  it("attestation and derived uids", () => {
    for (const v of vectors.attestationUid) {
      expect(
        attestationUid({ ...v, observedAt: BigInt(v.observedAt), expiresAt: BigInt(v.expiresAt) }),
      ).to.equal(v.uid);
    }
    for (const v of vectors.derivedUid) {
      expect(inputsHash(v.inputs)).to.equal(v.inputsHash);
      expect(derivedUid({ ...v, observedAt: BigInt(v.observedAt) })).to.equal(v.uid);
    }
  });

  it("record batch: root, leaf hashes, proofs, uids", () => {
    const b = vectors.recordBatch;
    expect(b.count).to.equal(7);
    const leaves = b.leaves.map((l) => ({
      ...l,
      observedAt: BigInt(l.observedAt),
      expiresAt: BigInt(l.expiresAt),
    }));
    const batch = buildRecordBatch(leaves);
    expect(batch.root).to.equal(b.root);
    leaves.forEach((leaf, i) => {
      expect(recordLeafHash(leaf)).to.equal(b.leaves[i].leafHash);
      expect(batch.proof(i)).to.deep.equal(b.leaves[i].proof);
      expect(verifyRecordProof(b.root, leaf, b.leaves[i].proof)).to.equal(true);
      expect(batch.leafUid(i, { schema: b.schema, provider: b.provider })).to.equal(
        b.leaves[i].uid,
      );
    });
  });

  it("EIP-712 Attest: digests, signatures, signers", async () => {
    const e = vectors.eip712;
    expect(e.attestType).to.equal(ATTEST_TYPE);
    expect(e.attestTypehash).to.equal(ATTEST_TYPEHASH);
    const domain = registryDomain(
      BigInt(e.registryDomain.chainId),
      e.registryDomain.verifyingContract,
    );
    expect(TypedDataEncoder.hashDomain(domain)).to.equal(e.registryDomain.separator);
    for (const v of e.attest) {
      const request = {
        ...v.request,
        observedAt: BigInt(v.request.observedAt),
        expiresAt: BigInt(v.request.expiresAt),
      };
      const [nonce, deadline] = [BigInt(v.nonce), BigInt(v.deadline)];
      const wallet = new Wallet(v.privateKey);
      expect(wallet.address).to.equal(v.signer);
      expect(attestStructHash(request, nonce, deadline)).to.equal(v.structHash);
      expect(attestDigest(domain, request, nonce, deadline)).to.equal(v.digest);
      expect(await signAttest(wallet, domain, request, nonce, deadline)).to.equal(v.signature);
      expect(recoverAttestSigner(domain, request, nonce, deadline, v.signature)).to.equal(v.signer);
    }
  });

  it("EIP-712 Login: digests, signatures, signers", async () => {
    const e = vectors.eip712;
    expect(e.loginType).to.equal(LOGIN_TYPE);
    const domain = gatewayDomain(BigInt(e.gatewayDomain.chainId));
    expect(TypedDataEncoder.hashDomain(domain)).to.equal(e.gatewayDomain.separator);
    for (const v of e.login) {
      const message = {
        ...v.message,
        issuedAt: BigInt(v.message.issuedAt),
        expiresAt: BigInt(v.message.expiresAt),
      };
      expect(loginDigest(domain, message)).to.equal(v.digest);
      expect(await signLogin(new Wallet(v.privateKey), domain, message)).to.equal(v.signature);
      expect(recoverLoginSigner(domain, message, v.signature)).to.equal(v.signer);
    }
  });

  it("governance payloads", () => {
    expect(vectors.governance.map((g) => g.kind)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    for (const g of vectors.governance) {
      const raw = g.action as Record<string, unknown>;
      const action = Object.fromEntries(
        Object.entries(raw).map(([k, v]) => [
          k,
          k === "expiresAt" || k === "value" ? BigInt(v as string) : v,
        ]),
      ) as unknown as GovernanceAction;
      expect(encodeAction(action)).to.deep.equal({ kind: g.kind, payload: g.payload });
      expect(decodeAction(g.kind, g.payload)).to.deep.equal(action);
    }
  });
});
