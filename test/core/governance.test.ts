import { expect } from "chai";
import fc from "fast-check";
import { AbiCoder, getAddress, keccak256, toUtf8Bytes, Wallet } from "ethers";

import {
  ACTION_KIND_NAMES,
  ActionKind,
  ALL_ROLES,
  decodeAction,
  decodeActionValues,
  encodeAction,
  ErrorCode,
  normalizeAction,
  PARAMETER_KEYS,
  PARAMETER_NAMES,
  Role,
  ValidationError,
  type GovernanceAction,
} from "../../core/index.js";
import { expectCode } from "./helpers.js";

const abi = AbiCoder.defaultAbiCoder();
const MEMBER = keccak256(toUtf8Bytes("Bank C"));
const KEY_1 = new Wallet(`0x${"01".padStart(64, "0")}`).address;
const KEY_2 = new Wallet(`0x${"02".padStart(64, "0")}`).address;
const uintWord = (n: bigint | number) => BigInt(n).toString(16).padStart(64, "0");

const bytes32 = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => `0x${Buffer.from(b).toString("hex")}`);
const member = bytes32.filter((h) => /[1-9a-f]/.test(h.slice(2)));
const address = fc
  .uint8Array({ minLength: 20, maxLength: 20 })
  .filter((b) => b.some((x) => x !== 0))
  .map((b) => getAddress(`0x${Buffer.from(b).toString("hex")}`));
const roles = fc.integer({ min: 1, max: ALL_ROLES });
const uint64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

const anyAction: fc.Arbitrary<GovernanceAction> = fc.oneof(
  fc.record({
    kind: fc.constant("Admit" as const),
    member,
    name: fc
      .string({ minLength: 1, maxLength: 40 })
      .filter((s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()),
    roles,
    keys: fc.uniqueArray(address, { minLength: 1, maxLength: 5 }),
  }),
  fc.record({ kind: fc.constant("SetRoles" as const), member, roles }),
  fc.record({
    kind: fc.constant("SetScope" as const),
    member,
    category: member,
    expiresAt: uint64,
  }),
  fc.record({ kind: fc.constant("Suspend" as const), member }),
  fc.record({ kind: fc.constant("Reinstate" as const), member }),
  fc.record({ kind: fc.constant("AddKey" as const), member, key: address }),
  fc.record({ kind: fc.constant("RevokeKey" as const), member, key: address }),
  fc.record({
    kind: fc.constant("SetThreshold" as const),
    threshold: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
  }),
  fc.record({
    kind: fc.constant("SetParameter" as const),
    name: fc.constantFrom(...PARAMETER_NAMES.filter((n) => n.startsWith("repairPeriod"))),
    value: fc.bigInt({ min: 0n, max: 3650n * 86_400n }),
  }),
);

describe("core/governance", () => {
  it("ActionKind follows IConsortium.ActionKind", () => {
    expect(ActionKind).to.deep.equal({
      Admit: 0,
      SetRoles: 1,
      SetScope: 2,
      Suspend: 3,
      Reinstate: 4,
      AddKey: 5,
      RevokeKey: 6,
      SetThreshold: 7,
      SetParameter: 8,
    });
    ACTION_KIND_NAMES.forEach((name, i) => expect(ActionKind[name]).to.equal(i));
  });

  describe("payloads are abi.encode of the listed values (hand-encoded known answers)", () => {
    it("SetThreshold (uint32)", () => {
      expect(encodeAction({ kind: "SetThreshold", threshold: 3 })).to.deep.equal({
        kind: 7,
        payload: `0x${uintWord(3)}`,
      });
    });

    it("SetScope (bytes32, bytes32, uint64)", () => {
      const category = keccak256(toUtf8Bytes("loan.repayment"));
      expect(
        encodeAction({ kind: "SetScope", member: MEMBER, category, expiresAt: 1_800_000_000 })
          .payload,
      ).to.equal(`0x${MEMBER.slice(2)}${category.slice(2)}${uintWord(1_800_000_000)}`);
    });

    it("SetParameter (bytes32 name, uint64)", () => {
      const name = Buffer.from("disputePeriod").toString("hex").padEnd(64, "0");
      expect(
        encodeAction({ kind: "SetParameter", name: "disputePeriod", value: 30 * 86_400 }),
      ).to.deep.equal({
        kind: 8,
        payload: `0x${name}${uintWord(30 * 86_400)}`,
      });
    });

    it("Admit (bytes32, string, uint8, address[])", () => {
      const encoded = encodeAction({
        kind: "Admit",
        member: MEMBER,
        name: "Bank C",
        roles: 9,
        keys: [KEY_1, KEY_2],
      });
      const words = [
        MEMBER.slice(2),
        uintWord(0x80), // offset of name
        uintWord(9),
        uintWord(0xc0), // offset of keys
        uintWord(6),
        Buffer.from("Bank C").toString("hex").padEnd(64, "0"),
        uintWord(2),
        KEY_1.slice(2).toLowerCase().padStart(64, "0"),
        KEY_2.slice(2).toLowerCase().padStart(64, "0"),
      ];
      expect(encoded).to.deep.equal({ kind: 0, payload: `0x${words.join("")}` });
    });

    it("AddKey / RevokeKey / Suspend / Reinstate / SetRoles", () => {
      const keyWord = KEY_1.slice(2).toLowerCase().padStart(64, "0");
      expect(encodeAction({ kind: "AddKey", member: MEMBER, key: KEY_1 }).payload).to.equal(
        `0x${MEMBER.slice(2)}${keyWord}`,
      );
      expect(encodeAction({ kind: "RevokeKey", member: MEMBER, key: KEY_1 })).to.deep.include({
        kind: 6,
      });
      expect(encodeAction({ kind: "Suspend", member: MEMBER })).to.deep.equal({
        kind: 3,
        payload: MEMBER,
      });
      expect(encodeAction({ kind: "Reinstate", member: MEMBER })).to.deep.equal({
        kind: 4,
        payload: MEMBER,
      });
      expect(
        encodeAction({ kind: "SetRoles", member: MEMBER, roles: Role.SCORER }).payload,
      ).to.equal(`0x${MEMBER.slice(2)}${uintWord(2)}`);
    });
  });

  it("decodes to the normal form (checksummed keys, lowercase bytes32, bigint times)", () => {
    const upper = `0x${MEMBER.slice(2).toUpperCase()}`;
    const { kind, payload } = encodeAction({
      kind: "AddKey",
      member: upper,
      key: KEY_1.toLowerCase(),
    });
    expect(decodeAction(kind, payload)).to.deep.equal({
      kind: "AddKey",
      member: MEMBER,
      key: KEY_1,
    });
    const scope = encodeAction({
      kind: "SetScope",
      member: MEMBER,
      category: MEMBER,
      expiresAt: 5,
    });
    expect(decodeAction(scope.kind, scope.payload)).to.deep.equal({
      kind: "SetScope",
      member: MEMBER,
      category: MEMBER,
      expiresAt: 5n,
    });
    expect(
      normalizeAction({ kind: "SetParameter", name: "votingPeriod", value: 86_400 }),
    ).to.deep.equal({
      kind: "SetParameter",
      name: "votingPeriod",
      value: 86_400n,
    });
  });

  describe("ACTION_INVALID", () => {
    const bad: [string, GovernanceAction][] = [
      ["unknown kind", { kind: "Dissolve" } as unknown as GovernanceAction],
      ["zero member", { kind: "Suspend", member: `0x${"0".repeat(64)}` }],
      ["short member", { kind: "Reinstate", member: "0x1234" }],
      ["empty name", { kind: "Admit", member: MEMBER, name: "", roles: 1, keys: [KEY_1] }],
      ["no roles", { kind: "Admit", member: MEMBER, name: "x", roles: 0, keys: [KEY_1] }],
      [
        "undefined role bit",
        { kind: "Admit", member: MEMBER, name: "x", roles: 64, keys: [KEY_1] },
      ],
      ["no keys", { kind: "Admit", member: MEMBER, name: "x", roles: 1, keys: [] }],
      [
        "duplicate key",
        { kind: "Admit", member: MEMBER, name: "x", roles: 1, keys: [KEY_1, KEY_1.toLowerCase()] },
      ],
      ["zero key", { kind: "AddKey", member: MEMBER, key: `0x${"0".repeat(40)}` }],
      ["bad key", { kind: "RevokeKey", member: MEMBER, key: "0x1234" }],
      ["SetRoles to nothing", { kind: "SetRoles", member: MEMBER, roles: 0 }],
      [
        "zero category",
        { kind: "SetScope", member: MEMBER, category: `0x${"0".repeat(64)}`, expiresAt: 1 },
      ],
      ["negative expiry", { kind: "SetScope", member: MEMBER, category: MEMBER, expiresAt: -1 }],
      ["zero threshold", { kind: "SetThreshold", threshold: 0 }],
      ["threshold beyond uint32", { kind: "SetThreshold", threshold: 2 ** 32 }],
      ["unknown parameter", { kind: "SetParameter", name: "quorum" as "votingPeriod", value: 1 }],
      ["parameter out of bounds", { kind: "SetParameter", name: "disputePeriod", value: 60 }],
    ];
    for (const [name, action] of bad) {
      it(name, () => {
        const error = expectCode(
          () => encodeAction(action),
          ErrorCode.ACTION_INVALID,
          ValidationError,
        );
        expect(error.message.length).to.be.greaterThan(0);
      });
    }

    it("decodeActionValues: the values of any well-formed payload, no action rule checked", () => {
      const zeroRoles = abi.encode(["bytes32", "uint8"], [MEMBER, 0]);
      expectCode(() => decodeAction(ActionKind.SetRoles, zeroRoles), ErrorCode.ACTION_INVALID);
      expect(decodeActionValues(ActionKind.SetRoles, zeroRoles)).to.deep.equal({
        kind: "SetRoles",
        member: MEMBER,
        roles: 0,
      });
      const quorum = `0x${Buffer.from("quorum").toString("hex").padEnd(64, "0")}`;
      expect(
        decodeActionValues(
          ActionKind.SetParameter,
          abi.encode(["bytes32", "uint64"], [quorum, 7n]),
        ),
      ).to.deep.equal({ kind: "SetParameter", key: quorum, value: 7n });
      expect(
        decodeActionValues(
          ActionKind.SetScope,
          abi.encode(["bytes32", "bytes32", "uint64"], [MEMBER, MEMBER, 9n]),
        ),
      ).to.deep.equal({ kind: "SetScope", member: MEMBER, category: MEMBER, expiresAt: 9n });
      const good = encodeAction({ kind: "SetParameter", name: "votingPeriod", value: 7_200n });
      expect(decodeActionValues(good.kind, good.payload)).to.deep.equal({
        kind: "SetParameter",
        key: PARAMETER_KEYS.votingPeriod,
        value: 7_200n,
      });
      // the encoding itself is still checked: kinds, bytes, canonical form
      expectCode(() => decodeActionValues(9, zeroRoles), ErrorCode.ACTION_INVALID);
      expectCode(
        () => decodeActionValues(ActionKind.SetRoles, `${zeroRoles}00`),
        ErrorCode.ACTION_INVALID,
      );
      expectCode(() => decodeActionValues(ActionKind.Admit, "0x1234"), ErrorCode.ACTION_INVALID);
      expectCode(
        () => decodeActionValues(ActionKind.SetThreshold, `0x${"f".repeat(56)}00000003`),
        ErrorCode.ACTION_INVALID,
      );
    });

    it("decoding: unknown kind, malformed or non-canonical payloads", () => {
      const { payload } = encodeAction({ kind: "SetThreshold", threshold: 3 });
      expectCode(() => decodeAction(9, payload), ErrorCode.ACTION_INVALID);
      expectCode(() => decodeAction(-1, payload), ErrorCode.ACTION_INVALID);
      expectCode(
        () => decodeAction("SetThreshold" as unknown as number, payload),
        ErrorCode.ACTION_INVALID,
      );
      expectCode(() => decodeAction(ActionKind.SetThreshold, "0x1234"), ErrorCode.ACTION_INVALID);
      expectCode(() => decodeAction(ActionKind.SetThreshold, "nothex"), ErrorCode.ACTION_INVALID);
      expectCode(
        () => decodeAction(ActionKind.SetThreshold, `${payload}${"00".repeat(32)}`),
        ErrorCode.ACTION_INVALID,
      );
      // a uint32 word with high bits set: Solidity's abi.decode reverts, so must we
      expectCode(
        () => decodeAction(ActionKind.SetThreshold, `0x${"f".repeat(56)}00000003`),
        ErrorCode.ACTION_INVALID,
      );
      // valid encoding, invalid action
      expectCode(
        () => decodeAction(ActionKind.SetThreshold, `0x${uintWord(0)}`),
        ErrorCode.ACTION_INVALID,
      );
      const unknownParameter = abi.encode(
        ["bytes32", "uint64"],
        [`0x${Buffer.from("quorum").toString("hex").padEnd(64, "0")}`, 1],
      );
      expectCode(
        () => decodeAction(ActionKind.SetParameter, unknownParameter),
        ErrorCode.ACTION_INVALID,
      );
    });
  });

  it("property: decode(encode(action)) is the action's normal form, and encodes to the same payload", () => {
    fc.assert(
      fc.property(anyAction, (action) => {
        const encoded = encodeAction(action);
        const decoded = decodeAction(encoded.kind, encoded.payload);
        expect(decoded.kind).to.equal(action.kind);
        expect(encodeAction(decoded)).to.deep.equal(encoded);
        // the decoded form equals the input with bigint times and checksummed addresses
        const expected = Object.fromEntries(
          Object.entries(action).map(([k, v]) => [
            k,
            typeof v === "number" && (k === "expiresAt" || k === "value") ? BigInt(v) : v,
          ]),
        );
        expect(decoded).to.deep.equal(expected);
        // and ethers decodes the payload with the documented types
        expect(() =>
          abi.decode(["bytes"], abi.encode(["bytes"], [encoded.payload])),
        ).not.to.throw();
      }),
      { numRuns: 500 },
    );
  });
});
