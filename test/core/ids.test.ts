import { expect } from "chai";
import fc from "fast-check";
import { getAddress, keccak256, toUtf8Bytes } from "ethers";

import {
  ATTESTATION_TAG,
  attestationUid,
  categoryId,
  DERIVATION_TAG,
  derivedUid,
  ErrorCode,
  fabricKeyAddress,
  hashCanonical,
  inputsHash,
  memberId,
  modelHash,
  schemaDefinitionString,
  schemaId,
  SCHEMAS,
} from "../../core/index.js";
import { expectCode } from "./helpers.js";

/** ABI words written by hand, independent of ethers' AbiCoder. */
const word = (hex: string) => hex.slice(2).toLowerCase().padStart(64, "0");
const uintWord = (n: bigint | number) => BigInt(n).toString(16).padStart(64, "0");
const hashWords = (...words: string[]) => keccak256(`0x${words.join("")}`);

const bytes32 = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => `0x${Buffer.from(b).toString("hex")}` as const);
const uint64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

const BASE = {
  schema: keccak256(toUtf8Bytes("schema")),
  subject: keccak256(toUtf8Bytes("subject")),
  dataHash: keccak256(toUtf8Bytes("data")),
  provider: keccak256(toUtf8Bytes("provider")),
  observedAt: 1_735_689_600n,
  expiresAt: 1_893_456_000n,
  severity: 2,
};

describe("core/ids", () => {
  it("tags are keccak256 of their names (known answers)", () => {
    expect(keccak256(toUtf8Bytes(""))).to.equal(
      "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    );
    expect(ATTESTATION_TAG).to.equal(keccak256(toUtf8Bytes("credtrail.attestation.v1")));
    expect(DERIVATION_TAG).to.equal(keccak256(toUtf8Bytes("credtrail.derivation.v1")));
    expect(ATTESTATION_TAG).to.equal(
      "0xc403b716dde76e90d2e64ec292d2b6f9dc787ddf80fe064bd8f4a59e58ad5f26",
    );
    expect(DERIVATION_TAG).to.equal(
      "0xffcc9f3b5884768c0420859b4afe844ec2c818869b1194503d34133431d3fe1d",
    );
  });

  it("attestationUid = keccak256(abi.encode(tag, schema, subject, dataHash, provider, uint64, uint64, uint8))", () => {
    const expected = hashWords(
      word(ATTESTATION_TAG),
      word(BASE.schema),
      word(BASE.subject),
      word(BASE.dataHash),
      word(BASE.provider),
      uintWord(BASE.observedAt),
      uintWord(BASE.expiresAt),
      uintWord(BASE.severity),
    );
    expect(attestationUid(BASE)).to.equal(expected);
  });

  it("accepts number or bigint times and either hex case", () => {
    const a = attestationUid(BASE);
    expect(
      attestationUid({
        ...BASE,
        observedAt: Number(BASE.observedAt),
        expiresAt: Number(BASE.expiresAt),
      }),
    ).to.equal(a);
    expect(attestationUid({ ...BASE, schema: `0x${BASE.schema.slice(2).toUpperCase()}` })).to.equal(
      a,
    );
    expect(a).to.match(/^0x[0-9a-f]{64}$/);
  });

  it("every field changes the uid", () => {
    const a = attestationUid(BASE);
    const other = keccak256(toUtf8Bytes("other"));
    for (const key of ["schema", "subject", "dataHash", "provider"] as const) {
      expect(attestationUid({ ...BASE, [key]: other })).not.to.equal(a);
    }
    expect(attestationUid({ ...BASE, observedAt: 1n })).not.to.equal(a);
    expect(attestationUid({ ...BASE, expiresAt: 0n })).not.to.equal(a);
    expect(attestationUid({ ...BASE, severity: 3 })).not.to.equal(a);
  });

  it("inputsHash is keccak256 of the dynamic bytes32[] encoding (offset, length, items)", () => {
    const uids = [BASE.schema, BASE.subject, BASE.dataHash];
    expect(inputsHash(uids)).to.equal(hashWords(uintWord(32), uintWord(3), ...uids.map(word)));
    expect(inputsHash([])).to.equal(hashWords(uintWord(32), uintWord(0)));
    expect(inputsHash([uids[1], uids[0]])).not.to.equal(inputsHash([uids[0], uids[1]]));
  });

  it("derivedUid = keccak256(abi.encode(tag, schema, subject, dataHash, deriver, modelHash, uint64, inputsHash))", () => {
    const params = {
      schema: BASE.schema,
      subject: BASE.subject,
      dataHash: BASE.dataHash,
      deriver: BASE.provider,
      modelHash: keccak256(toUtf8Bytes("model")),
      observedAt: 1_735_700_000,
      inputs: [BASE.schema, BASE.subject],
    };
    const expected = hashWords(
      word(DERIVATION_TAG),
      word(params.schema),
      word(params.subject),
      word(params.dataHash),
      word(params.deriver),
      word(params.modelHash),
      uintWord(params.observedAt),
      word(hashWords(uintWord(32), uintWord(2), word(BASE.schema), word(BASE.subject))),
    );
    expect(derivedUid(params)).to.equal(expected);
  });

  describe("errors", () => {
    it("HEX_INVALID for a bad bytes32", () => {
      const error = expectCode(
        () => attestationUid({ ...BASE, schema: "0x1234" }),
        ErrorCode.HEX_INVALID,
      );
      expect(error.details?.field).to.equal("schema");
      expectCode(
        () => attestationUid({ ...BASE, provider: BASE.provider.slice(2) }),
        ErrorCode.HEX_INVALID,
      );
      expectCode(
        () => attestationUid({ ...BASE, subject: `${BASE.subject.slice(0, 65)}g` }),
        ErrorCode.HEX_INVALID,
      );
      expectCode(() => inputsHash(["0x00"]), ErrorCode.HEX_INVALID);
      expectCode(() => inputsHash("0x00" as unknown as string[]), ErrorCode.HEX_INVALID);
    });

    it("INTEGER_INVALID for times outside uint64", () => {
      for (const observedAt of [
        -1,
        -1n,
        1n << 64n,
        1.5,
        2 ** 53,
        Number.NaN,
        "1" as unknown as number,
      ]) {
        const error = expectCode(
          () => attestationUid({ ...BASE, observedAt }),
          ErrorCode.INTEGER_INVALID,
        );
        expect(error.details?.field).to.equal("observedAt");
      }
      expect(attestationUid({ ...BASE, expiresAt: (1n << 64n) - 1n })).to.match(/^0x/);
    });

    it("SEVERITY_INVALID outside 0..3", () => {
      for (const severity of [-1, 4, 1.5, 255]) {
        expectCode(() => attestationUid({ ...BASE, severity }), ErrorCode.SEVERITY_INVALID);
      }
    });

    it("NAME_INVALID for an empty member or category name", () => {
      expectCode(() => memberId(""), ErrorCode.NAME_INVALID);
      expectCode(() => categoryId(""), ErrorCode.NAME_INVALID);
    });
  });

  it("memberId and categoryId hash the UTF-8 name exactly as given", () => {
    expect(memberId("Bank A")).to.equal(keccak256(toUtf8Bytes("Bank A")));
    expect(memberId("中国人民银行")).to.equal(
      keccak256(new Uint8Array(Buffer.from("中国人民银行", "utf8"))),
    );
    expect(memberId("Bank A ")).not.to.equal(memberId("Bank A"));
    expect(categoryId("tax.payment")).to.equal(keccak256(toUtf8Bytes("tax.payment")));
  });

  it("schemaId hashes the canonical definition; modelHash the canonical document", () => {
    const def = SCHEMAS["tax.grade"];
    const text = schemaDefinitionString(def);
    expect(text.startsWith('{"category":"tax.grade"')).to.equal(true);
    expect(schemaId(def)).to.equal(keccak256(toUtf8Bytes(text)));
    const reordered = Object.fromEntries(Object.entries(def).reverse());
    expect(schemaId(reordered)).to.equal(schemaId(def));
    const model = { version: 1, name: "m", bins: [1, 2] };
    expect(modelHash(model)).to.equal(hashCanonical(model));
    expect(modelHash(model)).to.equal(
      keccak256(toUtf8Bytes('{"bins":[1,2],"name":"m","version":1}')),
    );
    expectCode(() => schemaId({ bad: undefined }), ErrorCode.CANONICAL_JSON_INVALID);
  });

  it("property: attestationUid matches the hand-written ABI encoding", () => {
    fc.assert(
      fc.property(
        bytes32,
        bytes32,
        bytes32,
        bytes32,
        uint64,
        uint64,
        fc.integer({ min: 0, max: 3 }),
        (schema, subject, dataHash, provider, observedAt, expiresAt, severity) => {
          const uid = attestationUid({
            schema,
            subject,
            dataHash,
            provider,
            observedAt,
            expiresAt,
            severity,
          });
          const expected = hashWords(
            word(ATTESTATION_TAG),
            word(schema),
            word(subject),
            word(dataHash),
            word(provider),
            uintWord(observedAt),
            uintWord(expiresAt),
            uintWord(severity),
          );
          expect(uid).to.equal(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("property: inputsHash matches the hand-written dynamic-array encoding", () => {
    fc.assert(
      fc.property(fc.array(bytes32, { maxLength: 130 }), (inputs) => {
        expect(inputsHash(inputs)).to.equal(
          hashWords(uintWord(32), uintWord(inputs.length), ...inputs.map(word)),
        );
      }),
      { numRuns: 100 },
    );
  });

  it('fabricKeyAddress is the last 20 bytes of keccak256("<mspId>\\n<id>"), checksummed', () => {
    const id = "x509::/C=US/CN=user1::/C=US/CN=ca.org1.example.com";
    const hash = keccak256(toUtf8Bytes(`Org1MSP\n${id}`));
    const address = fabricKeyAddress("Org1MSP", id);
    expect(address).to.equal(getAddress(`0x${hash.slice(26)}`));
    expect(address).not.to.equal(address.toLowerCase());
    expect(fabricKeyAddress("Org2MSP", id)).not.to.equal(address);
  });
});
