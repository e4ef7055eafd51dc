import { expect } from "chai";
import fc from "fast-check";
import { AbiCoder, concat, keccak256, toUtf8Bytes } from "ethers";

import {
  attestationUid,
  buildMerkle,
  buildRecordBatch,
  ErrorCode,
  merkleLeafHash,
  normalizeLeafProof,
  RECORD_LEAF_TYPES,
  recordLeafHash,
  recordLeafUid,
  verifyMerkle,
  verifyRecordProof,
  type RecordLeafInput,
} from "../../core/index.js";
import { expectCode } from "./helpers.js";

const abi = AbiCoder.defaultAbiCoder();
const h = (s: string) => keccak256(toUtf8Bytes(s));

/** OpenZeppelin MerkleProof.processProof, written out: commutative keccak of sorted pairs. */
function processProof(leaf: string, proof: readonly string[]): string {
  return proof.reduce((node, sibling) => {
    const [a, b] = BigInt(node) < BigInt(sibling) ? [node, sibling] : [sibling, node];
    return keccak256(concat([a, b]));
  }, leaf);
}

const leafOf = (i: number, tag = ""): RecordLeafInput => ({
  subject: h(`subject${tag}:${i}`),
  dataHash: h(`data${tag}:${i}`),
  observedAt: 1_700_000_000n + BigInt(i),
  expiresAt: i % 2 === 0 ? 0n : 1_900_000_000n,
  severity: i % 4,
});

const bytes32 = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .filter((b) => b.some((x) => x !== 0))
  .map((b) => `0x${Buffer.from(b).toString("hex")}`);
const leafArb: fc.Arbitrary<RecordLeafInput> = fc
  .record({
    subject: bytes32,
    dataHash: bytes32,
    observedAt: fc.bigInt({ min: 1n, max: (1n << 40n) - 2n }),
    lifetime: fc.option(fc.bigInt({ min: 1n, max: 1n << 30n }), { nil: undefined }),
    severity: fc.integer({ min: 0, max: 3 }),
  })
  .map(({ lifetime, ...l }) => ({
    ...l,
    expiresAt:
      lifetime === undefined || l.observedAt + lifetime > (1n << 40n) - 1n
        ? 0n
        : l.observedAt + lifetime,
  }));

describe("core/merkle", () => {
  it("a record leaf is keccak256(keccak256(abi.encode(subject, dataHash, uint64, uint64, uint8)))", () => {
    const leaf = leafOf(1);
    const words =
      leaf.subject.slice(2) +
      leaf.dataHash.slice(2) +
      BigInt(leaf.observedAt).toString(16).padStart(64, "0") +
      BigInt(leaf.expiresAt).toString(16).padStart(64, "0") +
      leaf.severity.toString(16).padStart(64, "0");
    expect(recordLeafHash(leaf)).to.equal(keccak256(keccak256(`0x${words}`)));
    expect(RECORD_LEAF_TYPES).to.deep.equal(["bytes32", "bytes32", "uint64", "uint64", "uint8"]);
  });

  it("one leaf: the root is the leaf hash and the proof is empty", () => {
    const batch = buildRecordBatch([leafOf(0)]);
    expect(batch.root).to.equal(recordLeafHash(leafOf(0)));
    expect(batch.proof(0)).to.deep.equal([]);
    expect(verifyRecordProof(batch.root, leafOf(0), [])).to.equal(true);
  });

  it("two leaves: the root hashes the sorted pair", () => {
    const [a, b] = [recordLeafHash(leafOf(0)), recordLeafHash(leafOf(1))];
    const sorted = BigInt(a) < BigInt(b) ? [a, b] : [b, a];
    const batch = buildRecordBatch([leafOf(0), leafOf(1)]);
    expect(batch.root).to.equal(keccak256(concat(sorted)));
    expect(batch.proof(0)).to.deep.equal([b]);
    expect(batch.proof(1)).to.deep.equal([a]);
  });

  it("seven leaves: every proof verifies, with core and with OpenZeppelin's algorithm", () => {
    const leaves = Array.from({ length: 7 }, (_, i) => leafOf(i));
    const batch = buildRecordBatch(leaves);
    expect(batch.length).to.equal(7);
    expect(batch.root).to.match(/^0x[0-9a-f]{64}$/);
    leaves.forEach((leaf, i) => {
      expect(batch.leafHash(i)).to.equal(recordLeafHash(leaf));
      expect(verifyRecordProof(batch.root, leaf, batch.proof(i))).to.equal(true);
      expect(processProof(batch.leafHash(i), batch.proof(i))).to.equal(batch.root);
      expect(
        batch.tree.indexOfLeafHash(batch.leafHash(i).toUpperCase().replace("0X", "0x")),
      ).to.equal(i);
    });
    expect(batch.tree.indexOfLeafHash(h("nothing"))).to.equal(-1);
    // a proof of one leaf does not prove another
    expect(verifyRecordProof(batch.root, leaves[1], batch.proof(0))).to.equal(false);
  });

  it("leafProof and leafUid give what the registry takes", () => {
    const leaves = [leafOf(0), leafOf(1), leafOf(2)];
    const batch = buildRecordBatch(leaves);
    const anchor = { schema: h("schema"), provider: h("provider") };
    expect(batch.leafProof(1)).to.deep.equal({
      root: batch.root,
      subject: leaves[1].subject,
      dataHash: leaves[1].dataHash,
      observedAt: leaves[1].observedAt,
      expiresAt: leaves[1].expiresAt,
      severity: leaves[1].severity,
      proof: batch.proof(1),
    });
    expect(batch.leafUid(2, anchor)).to.equal(attestationUid({ ...anchor, ...leaves[2] }));
    expect(recordLeafUid(leaves[2], anchor)).to.equal(batch.leafUid(2, anchor));
  });

  it("normalises leaves (number times, upper-case hex) to the same tree", () => {
    const leaves = [leafOf(0), leafOf(1)];
    const variant = leaves.map((l) => ({
      ...l,
      subject: `0x${l.subject.slice(2).toUpperCase()}`,
      observedAt: Number(l.observedAt),
    }));
    const batch = buildRecordBatch(variant);
    expect(batch.root).to.equal(buildRecordBatch(leaves).root);
    expect(batch.leaves[0].subject).to.equal(leaves[0].subject);
    expect(batch.leaves[0].observedAt).to.equal(leaves[0].observedAt);
  });

  describe("MERKLE_INVALID", () => {
    it("empty batches", () => {
      expectCode(() => buildRecordBatch([]), ErrorCode.MERKLE_INVALID);
      expectCode(() => buildMerkle(["uint256"], []), ErrorCode.MERKLE_INVALID);
    });

    it("malformed leaves, naming the index", () => {
      const bad: Partial<RecordLeafInput>[] = [
        { subject: "0x12" },
        { subject: `0x${"0".repeat(64)}` },
        { dataHash: `0x${"0".repeat(64)}` },
        { observedAt: 0n },
        { observedAt: -1 },
        { expiresAt: 1n },
        { severity: 4 },
        { expiresAt: 1n << 64n },
      ];
      for (const override of bad) {
        const error = expectCode(
          () => buildRecordBatch([leafOf(0), { ...leafOf(1), ...override }]),
          ErrorCode.MERKLE_INVALID,
        );
        expect(error.details?.index).to.equal(1);
      }
    });

    it("duplicate leaves", () => {
      const error = expectCode(
        () => buildRecordBatch([leafOf(0), leafOf(1), leafOf(0)]),
        ErrorCode.MERKLE_INVALID,
      );
      expect(error.details).to.deep.include({ index: 2, duplicateOf: 0 });
    });

    it("leaf index out of range", () => {
      const batch = buildRecordBatch([leafOf(0)]);
      expectCode(() => batch.proof(1), ErrorCode.MERKLE_INVALID);
      expectCode(() => batch.leafHash(-1), ErrorCode.MERKLE_INVALID);
      expectCode(() => batch.leafProof(0.5), ErrorCode.MERKLE_INVALID);
    });

    it("malformed roots, proofs and leaves in verification", () => {
      const batch = buildRecordBatch([leafOf(0), leafOf(1)]);
      expectCode(
        () => verifyRecordProof("0x12", leafOf(0), batch.proof(0)),
        ErrorCode.MERKLE_INVALID,
      );
      expectCode(
        () => verifyRecordProof(batch.root, leafOf(0), ["0x12"]),
        ErrorCode.MERKLE_INVALID,
      );
      expectCode(
        () => verifyRecordProof(batch.root, leafOf(0), "0x" as unknown as string[]),
        ErrorCode.MERKLE_INVALID,
      );
      expectCode(
        () => verifyRecordProof(batch.root, { ...leafOf(0), severity: 9 }, batch.proof(0)),
        ErrorCode.MERKLE_INVALID,
      );
    });

    it("generic trees: bad types or values", () => {
      expectCode(() => buildMerkle([], [[1]]), ErrorCode.MERKLE_INVALID);
      expectCode(() => buildMerkle(["uint8"], [[256]]), ErrorCode.MERKLE_INVALID);
      expectCode(() => buildMerkle(["uint8", "bytes32"], [[1]]), ErrorCode.MERKLE_INVALID);
      expectCode(() => buildMerkle(["notatype"], [[1]]), ErrorCode.MERKLE_INVALID);
      expectCode(() => merkleLeafHash(["bytes32"], ["0x12"]), ErrorCode.MERKLE_INVALID);
    });
  });

  it("generic trees (score-batch shape) build and verify", () => {
    const types = ["bytes32", "uint16", "bytes32", "bytes32"];
    const values = Array.from(
      { length: 5 },
      (_, i) => [h(`s${i}`), 600 + i, h("model"), h(`inputs${i}`)] as const,
    );
    const tree = buildMerkle(types, values);
    values.forEach((v, i) => {
      expect(tree.value(i)).to.equal(v);
      expect(tree.leafHash(i)).to.equal(keccak256(keccak256(abi.encode(types, v))));
      expect(merkleLeafHash(types, v)).to.equal(tree.leafHash(i));
      expect(verifyMerkle(types, tree.root, v, tree.proof(i))).to.equal(true);
      expect(processProof(tree.leafHash(i), tree.proof(i))).to.equal(tree.root);
    });
    expect(
      verifyMerkle(types, tree.root, [h("s0"), 601, h("model"), h("inputs0")], tree.proof(0)),
    ).to.equal(false);
  });

  it("property: in random batches of 1..200 leaves every proof verifies and a changed leaf fails", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(leafArb, {
          minLength: 1,
          maxLength: 200,
          selector: (l) => `${l.subject}${l.dataHash}`,
        }),
        fc.nat(),
        fc.constantFrom("subject", "dataHash", "observedAt", "expiresAt", "severity"),
        (leaves, pick, field) => {
          const batch = buildRecordBatch(leaves);
          leaves.forEach((leaf, i) => {
            expect(verifyRecordProof(batch.root, leaf, batch.proof(i))).to.equal(true);
            expect(processProof(recordLeafHash(leaf), batch.proof(i))).to.equal(batch.root);
          });
          const i = pick % leaves.length;
          const leaf = leaves[i];
          const changed: RecordLeafInput = { ...leaf };
          if (field === "subject" || field === "dataHash") changed[field] = keccak256(leaf[field]);
          else if (field === "severity") changed.severity = (leaf.severity + 1) % 4;
          else changed[field] = BigInt(leaf[field]) + 1n;
          expect(verifyRecordProof(batch.root, changed, batch.proof(i))).to.equal(false);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("normalizeLeafProof: the LeafInput argument of either ledger, errors naming the field", () => {
    const batch = buildRecordBatch([leafOf(0), leafOf(1)]);
    const given = batch.leafProof(1);
    const upper = {
      ...given,
      root: given.root.toUpperCase().replace("0X", "0x"),
      observedAt: Number(given.observedAt),
    };
    expect(normalizeLeafProof(upper)).to.deep.equal(given);
    const root = expectCode(
      () => normalizeLeafProof({ ...given, root: "0x12" }, "leafInputs[3]"),
      ErrorCode.HEX_INVALID,
    );
    expect(root.details?.field).to.equal("leafInputs[3].root");
    const proof = expectCode(
      () => normalizeLeafProof({ ...given, proof: [...given.proof, "0x"] }),
      ErrorCode.HEX_INVALID,
    );
    expect(proof.details?.field).to.equal(`leaf.proof[${given.proof.length}]`);
    expectCode(
      () => normalizeLeafProof({ ...given, proof: "0x" as unknown as string[] }),
      ErrorCode.HEX_INVALID,
    );
    expectCode(
      () => normalizeLeafProof({ ...given, expiresAt: given.observedAt }),
      ErrorCode.ATTESTATION_INVALID,
    );
  });
});
