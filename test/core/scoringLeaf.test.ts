import { expect } from "chai";
import fc from "fast-check";
import { AbiCoder, concat, keccak256 } from "ethers";

import {
  buildScoreBatch,
  compileModel,
  computeScore,
  ErrorCode,
  inputsHash,
  SCORE_LEAF_TYPES,
  scoreInputsHash,
  scoreLeafHash,
  scoreLeafOf,
  verifyScoreProof,
  type ScoreLeaf,
} from "../../core/index.js";
import { expectCode } from "./helpers.js";
import { AS_OF, h, MODEL, SUBJECT, taxGrade, times, variant } from "./scoringFixtures.js";

const abi = AbiCoder.defaultAbiCoder();

describe("core/scoring leaves", () => {
  describe("score batches", () => {
    const results = times(5, (i) =>
      computeScore(
        MODEL,
        i === 0 ? [] : [taxGrade(2025, "ABMCD"[i % 5], { subject: h(`s${i}`) })],
        {
          asOf: AS_OF,
          asOfBlock: 1_234_567n,
          subject: h(`s${i}`),
        },
      ),
    );
    const leaves = results.map((r) => scoreLeafOf(r));

    /** OpenZeppelin MerkleProof.processProof, written out. */
    const processProof = (leaf: string, proof: readonly string[]) =>
      proof.reduce((node, sibling) => {
        const [a, b] = BigInt(node) < BigInt(sibling) ? [node, sibling] : [sibling, node];
        return keccak256(concat([a, b]));
      }, leaf);

    it("a leaf commits to (subject, score, grade, modelHash, inputsHash, asOfBlock)", () => {
      const leaf = leaves[1];
      expect(leaf).to.deep.equal({
        subject: h("s1"),
        score: results[1].value,
        grade: results[1].grade,
        modelHash: MODEL.modelHash,
        inputsHash: inputsHash(results[1].inputUids),
        asOfBlock: 1_234_567n,
      });
      const encoded = abi.encode(
        ["bytes32", "uint16", "string", "bytes32", "bytes32", "uint64"],
        [leaf.subject, leaf.score, leaf.grade, leaf.modelHash, leaf.inputsHash, leaf.asOfBlock],
      );
      expect(SCORE_LEAF_TYPES).to.deep.equal([
        "bytes32",
        "uint16",
        "string",
        "bytes32",
        "bytes32",
        "uint64",
      ]);
      expect(scoreLeafHash(leaf)).to.equal(keccak256(keccak256(encoded)));
      expect(scoreLeafOf(results[1], 99).asOfBlock).to.equal(99n);
    });

    it("inputsHash (written out, one keccak) is keccak256(abi.encode(bytes32[])) as ethers encodes it", () => {
      const reference = (uids: readonly string[]): string =>
        keccak256(abi.encode(["bytes32[]"], [uids]));
      const uid = fc.uint8Array({ minLength: 32, maxLength: 32 }).chain((b) =>
        fc.boolean().map((upper) => {
          const hex = Buffer.from(b).toString("hex");
          return `0x${upper ? hex.toUpperCase() : hex}`;
        }),
      );
      fc.assert(
        fc.property(fc.array(uid, { maxLength: 12 }), (uids) => {
          expect(inputsHash(uids)).to.equal(reference(uids));
        }),
      );
      // a length word wider than one byte
      const many = times(300, (i) => h(`many:${i}`));
      expect(inputsHash(many)).to.equal(reference(many));
      expect(scoreInputsHash).to.equal(inputsHash);
      for (const bad of [
        "0x12",
        `0x${"g".repeat(64)}`,
        `0x${"0".repeat(63)}\u0100`,
        `1x${"0".repeat(64)}`,
        7,
      ])
        expectCode(() => inputsHash([h("a"), bad as string]), ErrorCode.HEX_INVALID);
      expectCode(() => inputsHash("0x" as unknown as string[]), ErrorCode.HEX_INVALID);
    });

    it("every proof verifies, also as OpenZeppelin's MerkleProof computes it", () => {
      const batch = buildScoreBatch(leaves);
      expect(batch).to.deep.include({
        modelHash: MODEL.modelHash,
        count: 5,
        asOfBlock: 1_234_567n,
      });
      for (let i = 0; i < leaves.length; i++) {
        const { leaf, root, proof } = batch.scoreProof(i);
        expect(root).to.equal(batch.root);
        expect(verifyScoreProof(leaf, proof, root)).to.equal(true);
        expect(processProof(scoreLeafHash(leaf), proof)).to.equal(batch.root);
        expect(batch.indexOfSubject(leaf.subject.toUpperCase().replace("0X", "0x"))).to.equal(i);
      }
      expect(batch.indexOfSubject(h("nobody"))).to.equal(-1);
    });

    it("tampering with any leaf field, the proof or the root fails verification", () => {
      const batch = buildScoreBatch(leaves);
      const { leaf, root, proof } = batch.scoreProof(2);
      const tampered: [string, ScoreLeaf][] = [
        ["subject", { ...leaf, subject: h("s3") }],
        ["score", { ...leaf, score: leaf.score + 1 }],
        ["grade", { ...leaf, grade: leaf.grade === "C" ? "CC" : "C" }],
        ["modelHash", { ...leaf, modelHash: h("model v2") }],
        [
          "inputsHash",
          { ...leaf, inputsHash: inputsHash([]) === leaf.inputsHash ? h("x") : inputsHash([]) },
        ],
        ["asOfBlock", { ...leaf, asOfBlock: leaf.asOfBlock + 1n }],
      ];
      for (const [field, changedLeaf] of tampered)
        expect(verifyScoreProof(changedLeaf, proof, root), field).to.equal(false);
      expect(verifyScoreProof(leaf, batch.proof(3), root)).to.equal(false);
      expect(verifyScoreProof(leaf, [...proof].reverse(), root)).to.equal(proof.length < 2);
      expect(verifyScoreProof(leaf, proof, h("root"))).to.equal(false);
      expectCode(() => verifyScoreProof(leaf, ["0x12"], root), ErrorCode.MERKLE_INVALID);
      expectCode(() => verifyScoreProof(leaf, proof, "root"), ErrorCode.MERKLE_INVALID);
    });

    it("a batch is one model, one block, one leaf per subject", () => {
      expectCode(() => buildScoreBatch([]), ErrorCode.MERKLE_INVALID);
      expectCode(
        () => buildScoreBatch([leaves[0], { ...leaves[1], modelHash: h("v2") }]),
        ErrorCode.MERKLE_INVALID,
      );
      expectCode(
        () => buildScoreBatch([leaves[0], { ...leaves[1], asOfBlock: 1n }]),
        ErrorCode.MERKLE_INVALID,
      );
      expectCode(
        () => buildScoreBatch([leaves[0], { ...leaves[1], subject: leaves[0].subject }]),
        ErrorCode.MERKLE_INVALID,
      );
    });

    it("rejects malformed leaves", () => {
      const bad: Partial<Record<keyof ScoreLeaf, unknown>>[] = [
        { subject: "0x12" },
        { subject: `0x${"0".repeat(64)}` },
        { score: 1001 },
        { score: 1.5 },
        { grade: "D" },
        { modelHash: `0x${"0".repeat(64)}` },
        { inputsHash: "none" },
        { asOfBlock: -1n },
      ];
      for (const change of bad) {
        const leaf = { ...leaves[0], ...change } as ScoreLeaf;
        expectCode(() => scoreLeafHash(leaf), ErrorCode.MERKLE_INVALID);
        expectCode(() => buildScoreBatch([leaves[1], leaf]), ErrorCode.MERKLE_INVALID);
      }
      const noBlock = computeScore(MODEL, [], { asOf: AS_OF, subject: SUBJECT });
      expectCode(() => scoreLeafOf(noBlock), ErrorCode.MERKLE_INVALID);
      const noSubject = computeScore(MODEL, [], { asOf: AS_OF, asOfBlock: 1 });
      expectCode(() => scoreLeafOf(noSubject), ErrorCode.MERKLE_INVALID);
    });

    it("a new model version scores under its own hash; old leaves still verify", () => {
      const v2 = compileModel(variant((m) => (m.version = 2)));
      expect(v2.modelHash).to.not.equal(MODEL.modelHash);
      const inputs = [taxGrade(2025, "A", { subject: h("s1") })];
      const options = { asOf: AS_OF, asOfBlock: 1_234_567n, subject: h("s1") };
      const newer = scoreLeafOf(v2.score(inputs, options));
      const older = scoreLeafOf(MODEL.score(inputs, options));
      expect(newer.modelHash).to.equal(v2.modelHash);
      expect(older.modelHash).to.equal(MODEL.modelHash);
      const batch = buildScoreBatch(leaves);
      const proof = batch.scoreProof(1);
      expect(verifyScoreProof(proof.leaf, proof.proof, batch.root)).to.equal(true);
      expect(
        verifyScoreProof({ ...proof.leaf, modelHash: v2.modelHash }, proof.proof, batch.root),
      ).to.equal(false);
    });
  });
});
