import { expect } from "chai";
import fc from "fast-check";
import { keccak256, toUtf8Bytes } from "ethers";

import {
  canonicalJson,
  ErrorCode,
  hashCanonical,
  parseCanonicalJson,
  ValidationError,
  MAX_JSON_DEPTH,
} from "../../core/index.js";
import type { JsonValue } from "../../core/index.js";
import { expectCode } from "./helpers.js";

/** The double with IEEE 754 bits `hex` (RFC 8785 appendix B gives numbers this way). */
function double(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

/** Rebuilds `value` with every object's keys in another order (rotated by `shift`, then reversed if odd). */
function reorder(value: JsonValue, shift: number): JsonValue {
  if (Array.isArray(value)) return value.map((v) => reorder(v, shift));
  if (value === null || typeof value !== "object") return value;
  const keys = Object.keys(value);
  const k = keys.length === 0 ? 0 : shift % keys.length;
  const rotated = [...keys.slice(k), ...keys.slice(0, k)];
  if (shift % 2 === 1) rotated.reverse();
  // fromEntries defines own properties, so a "__proto__" key stays a key
  return Object.fromEntries(rotated.map((key) => [key, reorder(value[key], shift + 1)]));
}

describe("core/canonicalJson", () => {
  describe("RFC 8785 known answers", () => {
    it("3.2.2: numbers, string escapes, literals", () => {
      const input = JSON.parse(String.raw`{
        "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
        "literals": [null, true, false]
      }`) as unknown;
      expect(canonicalJson(input)).to.equal(
        String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
      );
    });

    it("3.2.3: properties sorted by UTF-16 code units", () => {
      const input = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\ud83d\ude00": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
      };
      expect(canonicalJson(input)).to.equal(
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
          '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
      );
    });

    it("appendix B: number serialization", () => {
      const cases: [string, string][] = [
        ["0000000000000000", "0"],
        ["8000000000000000", "0"],
        ["0000000000000001", "5e-324"],
        ["8000000000000001", "-5e-324"],
        ["7fefffffffffffff", "1.7976931348623157e+308"],
        ["ffefffffffffffff", "-1.7976931348623157e+308"],
        ["4340000000000000", "9007199254740992"],
        ["c340000000000000", "-9007199254740992"],
        ["4430000000000000", "295147905179352830000"],
        ["44b52d02c7e14af5", "9.999999999999997e+22"],
        ["44b52d02c7e14af6", "1e+23"],
        ["44b52d02c7e14af7", "1.0000000000000001e+23"],
        ["444b1ae4d6e2ef4e", "999999999999999700000"],
        ["444b1ae4d6e2ef4f", "999999999999999900000"],
        ["444b1ae4d6e2ef50", "1e+21"],
        ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
        ["3eb0c6f7a0b5ed8d", "0.000001"],
        ["41b3de4355555553", "333333333.3333332"],
        ["41b3de4355555554", "333333333.33333325"],
        ["41b3de4355555555", "333333333.3333333"],
        ["41b3de4355555556", "333333333.3333334"],
        ["41b3de4355555557", "333333333.33333343"],
        ["becbf647612f3696", "-0.0000033333333333333333"],
        ["43143ff3c1cb0959", "1424953923781206.2"],
      ];
      for (const [bits, text] of cases) expect(canonicalJson(double(bits)), bits).to.equal(text);
    });

    it("escapes only what JSON requires", () => {
      expect(canonicalJson('\u0000\u001f\u007f\u2028/"\\é')).to.equal(
        '"\\u0000\\u001f\u007f\u2028/\\"\\\\é"',
      );
      expect(canonicalJson("\b\f\n\r\t")).to.equal('"\\b\\f\\n\\r\\t"');
    });
  });

  it("hashCanonical is keccak256 of the UTF-8 canonical text", () => {
    expect(hashCanonical({ b: 1, a: "é" })).to.equal(keccak256(toUtf8Bytes('{"a":"é","b":1}')));
    // known answer: keccak256("{}")
    expect(hashCanonical({})).to.equal(
      "0xb48d38f93eaa084033fc5970bf96e559c33c4cdc07d889ab00b4d63f9590739d",
    );
  });

  it("accepts null-prototype objects and nested arrays", () => {
    const o = Object.create(null) as Record<string, unknown>;
    o.z = [1, [2, { y: null }]];
    o.a = true;
    expect(canonicalJson(o)).to.equal('{"a":true,"z":[1,[2,{"y":null}]]}');
  });

  describe("rejects what is not plain JSON, naming the path", () => {
    const cases: [string, unknown, string][] = [
      ["undefined", undefined, "$"],
      ["undefined property", { a: { b: undefined } }, "$.a.b"],
      ["function", { f: () => 1 }, "$.f"],
      ["symbol", [Symbol("s")], "$[0]"],
      ["bigint", { n: 1n }, "$.n"],
      ["NaN", { x: [1, Number.NaN] }, "$.x[1]"],
      ["Infinity", Number.POSITIVE_INFINITY, "$"],
      ["-Infinity", { "a b": Number.NEGATIVE_INFINITY }, '$["a b"]'],
      ["Date", { d: new Date(0) }, "$.d"],
      ["Map", new Map(), "$"],
      [
        "class instance",
        {
          c: new (class Point {
            x = 1;
          })(),
        },
        "$.c",
      ],
      ["lone surrogate in a string", { s: "\ud800" }, "$.s"],
      ["lone surrogate in a key", { "\udc00": 1 }, '$["\\udc00"]'],
      ["array hole", [1, , 3], "$[1]"], // eslint-disable-line no-sparse-arrays
      ["symbol key", { [Symbol("k")]: 1 }, "$"],
    ];
    for (const [name, value, path] of cases) {
      it(name, () => {
        const error = expectCode(
          () => canonicalJson(value),
          ErrorCode.CANONICAL_JSON_INVALID,
          ValidationError,
        );
        expect(error.details?.path).to.equal(path);
        expect(error.message.startsWith(`${path}:`)).to.equal(true);
      });
    }

    it("circular references", () => {
      const a: Record<string, unknown> = { x: 1 };
      a.self = { back: a };
      expect(
        expectCode(() => canonicalJson(a), ErrorCode.CANONICAL_JSON_INVALID).details?.path,
      ).to.equal("$.self.back");
    });

    it("nesting deeper than MAX_JSON_DEPTH", () => {
      let deep: unknown = 1;
      for (let i = 0; i <= MAX_JSON_DEPTH; i++) deep = [deep];
      expectCode(() => canonicalJson(deep), ErrorCode.CANONICAL_JSON_INVALID);
      let ok: unknown = 1;
      for (let i = 0; i < MAX_JSON_DEPTH; i++) ok = [ok];
      expect(canonicalJson(ok)).to.have.length(2 * MAX_JSON_DEPTH + 1);
    });

    it("shared (non-circular) references are fine", () => {
      const shared = { v: 1 };
      expect(canonicalJson({ a: shared, b: [shared, shared] })).to.equal(
        '{"a":{"v":1},"b":[{"v":1},{"v":1}]}',
      );
    });
  });

  describe("parseCanonicalJson", () => {
    it("parses canonical text", () => {
      expect(parseCanonicalJson('{"a":[1,"x"],"b":null}')).to.deep.equal({ a: [1, "x"], b: null });
    });
    it("rejects text that is not JSON or not canonical", () => {
      expectCode(() => parseCanonicalJson("{a:1}"), ErrorCode.CANONICAL_JSON_INVALID);
      const error = expectCode(
        () => parseCanonicalJson('{"b":1,"a":2}'),
        ErrorCode.CANONICAL_JSON_INVALID,
      );
      expect(error.details?.canonical).to.equal('{"a":2,"b":1}');
      expectCode(() => parseCanonicalJson("[1.0]"), ErrorCode.CANONICAL_JSON_INVALID);
      expectCode(() => parseCanonicalJson('{"a": 1}'), ErrorCode.CANONICAL_JSON_INVALID);
    });
  });

  describe("properties", () => {
    it("is idempotent: parse → canonical → parse → canonical is stable", () => {
      fc.assert(
        fc.property(fc.jsonValue(), (value) => {
          const once = canonicalJson(value);
          const twice = canonicalJson(JSON.parse(once));
          expect(twice).to.equal(once);
          expect(parseCanonicalJson(once)).to.deep.equal(JSON.parse(once));
        }),
        { numRuns: 500 },
      );
    });

    it("does not depend on key order", () => {
      fc.assert(
        fc.property(fc.jsonValue(), fc.nat(50), (value, shift) => {
          const v = value as JsonValue;
          expect(canonicalJson(reorder(v, shift))).to.equal(canonicalJson(v));
          expect(hashCanonical(reorder(v, shift))).to.equal(hashCanonical(v));
        }),
        { numRuns: 500 },
      );
    });

    it("keeps the value: JSON.parse(canonical) equals the input", () => {
      fc.assert(
        fc.property(fc.jsonValue(), (value) => {
          expect(JSON.parse(canonicalJson(value))).to.deep.equal(JSON.parse(JSON.stringify(value)));
        }),
        { numRuns: 300 },
      );
    });

    it("round-trips every finite double", () => {
      fc.assert(
        fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
          const back = JSON.parse(canonicalJson(d)) as number;
          expect(back === d).to.equal(true);
        }),
        { numRuns: 1000 },
      );
    });

    it("rejects exactly the strings with lone surrogates", () => {
      const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
      fc.assert(
        fc.property(fc.string({ unit: codeUnit, maxLength: 8 }), (s) => {
          const wellFormed = (s as unknown as { isWellFormed(): boolean }).isWellFormed();
          if (wellFormed) expect(JSON.parse(canonicalJson(s))).to.equal(s);
          else expectCode(() => canonicalJson({ s }), ErrorCode.CANONICAL_JSON_INVALID);
        }),
        { numRuns: 1000 },
      );
    });
  });
});
