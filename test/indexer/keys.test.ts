import { expect } from "chai";

import {
  MAX_KEY_TIME,
  decodeValue,
  encodeValue,
  eventPosition,
  invertedTime,
  keys,
  localityOrder,
  pad,
  padBlock,
  prefixEnd,
} from "../../indexer/index.js";
import type { Hex } from "../../core/index.js";
import { seededRandom } from "../helpers/evmWorkload.js";
import { M, SCHEMA, h, subject } from "./fixtures.js";

describe("indexer keys", () => {
  it("block numbers sort as text across 9 → 10 → 100 → 10^15", () => {
    const numbers = [100n, 9n, 10n, 1n, 99n, 1000n, 10n ** 15n, 0n];
    const sortedAsText = numbers.map(padBlock).sort();
    expect(sortedAsText).to.deep.equal([...numbers].sort((a, b) => (a < b ? -1 : 1)).map(padBlock));
    expect(padBlock(9n)).to.equal("0000000000000009");
    expect(padBlock(9n).length).to.equal(16);
    const undo = [
      keys.undo(100n, 0),
      keys.undo(9n, 2),
      keys.undo(10n, 1),
      keys.undo(9n, 10),
    ].sort();
    expect(undo).to.deep.equal([
      keys.undo(9n, 2),
      keys.undo(9n, 10),
      keys.undo(10n, 1),
      keys.undo(100n, 0),
    ]);
  });

  it("inverted timestamps sort newest first, across digit boundaries", () => {
    const times = [9n, 10n, 100n, 999_999_999n, 1_000_000_000n, 1_700_000_000n, MAX_KEY_TIME];
    const byKey = [...times].sort((a, b) => (invertedTime(a) < invertedTime(b) ? -1 : 1));
    expect(byKey).to.deep.equal([...times].reverse());
    expect(invertedTime(0n)).to.equal("9999999999999");
    expect(invertedTime(MAX_KEY_TIME)).to.equal("0000000000000");
    // subject index: newer observation first
    const s = subject(1);
    const older = keys.bySubject(s, 999n, h("a"));
    const newer = keys.bySubject(s, 1000n, h("b"));
    expect([older, newer].sort()).to.deep.equal([newer, older]);
  });

  it("event positions order by block, then log index", () => {
    const positions = [
      eventPosition(10n, 0),
      eventPosition(9n, 999),
      eventPosition(9n, 10),
      eventPosition(100n, 1),
      eventPosition(9n, 9),
    ].sort();
    expect(positions).to.deep.equal([
      eventPosition(9n, 9),
      eventPosition(9n, 10),
      eventPosition(9n, 999),
      eventPosition(10n, 0),
      eventPosition(100n, 1),
    ]);
  });

  it("refuses numbers that do not fit their width", () => {
    expect(() => pad(10n ** 16n, 16)).to.throw(RangeError);
    expect(() => pad(-1, 6)).to.throw(RangeError);
    expect(() => pad(1.5, 6)).to.throw(RangeError);
    expect(() => pad(Number.NaN, 6)).to.throw(RangeError);
    expect(() => pad(2 ** 60, 20)).to.throw(RangeError);
    expect(pad(0, 6)).to.equal("000000");
    expect(pad(999_999, 6)).to.equal("999999");
    expect(() => pad(1_000_000, 6)).to.throw(RangeError);
  });

  it("localityOrder keeps every key once, groups in key order by their first seven characters", () => {
    const random = seededRandom("locality");
    const hash = (): Hex =>
      `0x${Array.from({ length: 64 }, () => Math.floor(random() * 16).toString(16)).join("")}`;
    const written: string[] = [];
    for (let i = 0; i < 2_000; i++) {
      const uid = hash();
      written.push(keys.attestation(uid), keys.bySubject(hash(), BigInt(i), uid));
    }
    written.push("m:checkpoint", "bh:0000000000000001", "a", "");
    const ordered = localityOrder(written.map((key) => ({ key }))).map((item) => item.key);
    expect([...ordered].sort()).to.deep.equal([...written].sort());
    const groups = ordered.map((key) => key.slice(0, 7));
    expect(groups).to.deep.equal([...groups].sort());
    // within a group, the order given
    const group = ordered.filter((key) => key.startsWith(ordered[10].slice(0, 7)));
    expect(group).to.deep.equal(written.filter((key) => group.includes(key)));
  });

  it("attestationIndexes builds the same keys as bySubject, bySubjectCategory and byProvider", () => {
    const random = seededRandom("indexes");
    const hash = (): Hex =>
      `0x${Array.from({ length: 64 }, () => Math.floor(random() * 16).toString(16)).join("")}`;
    for (let i = 0; i < 50; i++) {
      const [subject, category, provider, uid] = [hash(), hash(), hash(), hash()];
      const mixed = (value: Hex): Hex =>
        i % 2 === 0 ? value : (value.toUpperCase().replace("0X", "0x") as Hex);
      const observedAt = BigInt(Math.floor(random() * 2 ** 40));
      expect(
        keys.attestationIndexes(
          mixed(subject),
          mixed(category),
          mixed(provider),
          observedAt,
          mixed(uid),
        ),
      ).to.deep.equal([
        keys.bySubject(subject, observedAt, uid),
        keys.bySubjectCategory(subject, category, observedAt, uid),
        keys.byProvider(provider, observedAt, uid),
      ]);
      expect(keys.attestationIndexes(subject, null, provider, observedAt, uid)[1]).to.equal(
        undefined,
      );
    }
  });

  it("keys are lowercase and fixed width per family", () => {
    const upper = SCHEMA.tax.schemaId.toUpperCase().replace("0X", "0x");
    expect(keys.schema(upper as `0x${string}`)).to.equal(keys.schema(SCHEMA.tax.schemaId));
    expect(keys.member(M.tax)).to.have.length(3 + 66);
    expect(prefixEnd("as:")).to.equal("as;");
  });

  it("values round-trip with bigints, in one canonical encoding", () => {
    const value = { b: 1n, a: [2n, "x", null, { z: true, y: 10n ** 30n }], c: '{"$n":"1"}' };
    const text = encodeValue(value);
    expect(text).to.equal(
      '{"a":[{"$n":"2"},"x",null,{"y":{"$n":"1000000000000000000000000000000"},"z":true}],"b":{"$n":"1"},"c":"{\\"$n\\":\\"1\\"}"}',
    );
    expect(decodeValue(text)).to.deep.equal(value);
    expect(encodeValue({ y: 1, x: undefined, w: 2 })).to.equal('{"w":2,"y":1}');
    expect(() => encodeValue({ n: Number.NaN })).to.throw(TypeError);
  });
});
