/**
 * Consortium chaincode: bootstrap, M-of-N governance, keys, schemas and models — the rules and
 * events of contracts/Consortium.sol on the fake peer.
 */
import { expect } from "chai";
import { AbiCoder, encodeBytes32String, Wallet, ZeroAddress, ZeroHash } from "ethers";

import type { GovernanceAction } from "../../core/index.js";
import {
  canonicalJson,
  categoryId,
  encodeAction,
  memberId,
  PARAMETER_DEFAULTS,
  PARAMETER_KEYS,
  PARAMETER_NAMES,
  Role,
} from "../../core/index.js";

import type { DecodedEvent, Member, World } from "./world.js";
import {
  addressOf,
  bootstrapConfig,
  CATEGORY,
  createEmptyWorld,
  createWorld,
  DAY,
  decodeEvent,
  expectRejected,
  SCHEMA_DEFINITION,
  START,
} from "./world.js";

async function propose(
  w: World,
  by: Member,
  action: GovernanceAction,
): Promise<DecodedEvent & { id: string }> {
  const { kind, payload } = encodeAction(action);
  const { result, event } = await w.peer.submit(
    by.identity,
    "Consortium:propose",
    String(kind),
    payload,
  );
  return { id: result, ...decodeEvent(event) };
}

async function approve(w: World, by: Member, id: string): Promise<DecodedEvent> {
  return decodeEvent((await w.peer.submit(by.identity, "Consortium:approve", id)).event);
}

/** Proposes and gets a second approval (threshold 2): the action is carried out. */
async function govern(w: World, action: GovernanceAction): Promise<DecodedEvent> {
  const { id } = await propose(w, w.tax, action);
  return approve(w, w.bank, id);
}

describe("chaincode Consortium", function () {
  this.timeout(120_000);
  let w: World;

  beforeEach(async () => {
    w = await createWorld();
  });

  describe("bootstrap", () => {
    it("admits the founders, sets scopes, threshold and defaults in one event", async () => {
      const e = await createEmptyWorld();
      const config = bootstrapConfig(
        [
          {
            member: e.tax,
            roles: Role.PROVIDER,
            categories: [categoryId(CATEGORY)],
            scopeExpiresAt: START + DAY,
          },
          { member: e.bank, roles: Role.LENDER },
        ],
        2,
      );
      const { event } = await e.peer.submit(e.tax.identity, "Consortium:bootstrap", config);
      const { name, events } = decodeEvent(event);
      expect(name).to.equal("MemberAdmitted");
      expect(events.map((x) => x.kind)).to.deep.equal([
        "MemberAdmitted",
        "ScopeSet",
        "MemberAdmitted",
        "ThresholdChanged",
        ...PARAMETER_NAMES.map(() => "ParameterChanged"),
      ]);
      expect(events[0]).to.deep.equal({
        kind: "MemberAdmitted",
        member: e.tax.id,
        index: 1,
        name: "Tax Bureau",
        roles: Role.PROVIDER,
        keys: [e.tax.address],
      });
      expect(events[1]).to.deep.equal({
        kind: "ScopeSet",
        member: e.tax.id,
        category: categoryId(CATEGORY),
        expiresAt: (START + DAY).toString(),
      });
      expect(events[4]).to.deep.equal({
        kind: "ParameterChanged",
        name: PARAMETER_KEYS.disputePeriod,
        value: PARAMETER_DEFAULTS.disputePeriod.toString(),
      });
      const member = JSON.parse(
        await e.peer.evaluate(e.bank.identity, "Consortium:member", e.bank.id),
      ) as Record<string, unknown>;
      expect(member).to.include({
        index: 2,
        name: "Bank A",
        roles: Role.LENDER,
        suspended: false,
        keyCount: 1,
      });
      expect(
        await e.peer.evaluate(e.bank.identity, "Consortium:parameter", "votingPeriod"),
      ).to.equal((7n * DAY).toString());
      expect(
        await e.peer.evaluate(e.bank.identity, "Consortium:scope", e.tax.id, categoryId(CATEGORY)),
      ).to.equal((START + DAY).toString());
    });

    it("writes canonical JSON under composite keys", () => {
      const keys = [...w.peer.committed.keys()];
      expect(keys).to.include(`\u0000member\u0000${w.tax.id}\u0000`);
      expect(keys).to.include(`\u0000key\u0000${w.bank.address}\u0000`);
      for (const [, { value }] of w.peer.committed) {
        const text = value.toString("utf8");
        expect(canonicalJson(JSON.parse(text))).to.equal(text);
      }
    });

    it("runs once, for a founder, with founders and a valid threshold", async () => {
      await expectRejected(
        w.peer.submit(
          w.tax.identity,
          "Consortium:bootstrap",
          bootstrapConfig([{ member: w.tax, roles: 1 }], 1),
        ),
        "ConsortiumAlreadyInitialized",
      );
      const e = await createEmptyWorld();
      const one = bootstrapConfig([{ member: e.tax, roles: Role.PROVIDER }], 1);
      await expectRejected(
        e.peer.submit(e.outsider, "Consortium:bootstrap", one),
        "ConsortiumNotFounder",
      );
      await expectRejected(
        e.peer.submit(e.tax.identity, "Consortium:bootstrap", bootstrapConfig([], 1)),
        "ConsortiumNoFounders",
      );
      await expectRejected(
        e.peer.submit(
          e.tax.identity,
          "Consortium:bootstrap",
          bootstrapConfig([{ member: e.tax, roles: 1 }], 2),
        ),
        "ConsortiumInvalidThreshold",
      );
      await expectRejected(
        e.peer.submit(
          e.tax.identity,
          "Consortium:bootstrap",
          bootstrapConfig([{ member: e.tax, roles: 0 }], 1),
        ),
        "ConsortiumInvalidRoles",
      );
      await expectRejected(
        e.peer.submit(e.tax.identity, "Consortium:bootstrap", "{"),
        "InvalidArgument",
      );
      const unnamed = JSON.stringify({
        chaincodeName: "credtrail",
        threshold: 1,
        founders: [{ name: "", roles: Role.PROVIDER, keys: [e.tax.address] }],
      });
      await expectRejected(
        e.peer.submit(e.tax.identity, "Consortium:bootstrap", unnamed),
        "ConsortiumInvalidMember",
      );
      await expectRejected(
        e.peer.evaluate(e.tax.identity, "Consortium:info"),
        "ConsortiumNotInitialized",
      );
    });
  });

  describe("governance", () => {
    it("admits a member after M-of-N approvals, one event per transaction", async () => {
      const outsiderAddress = await addressOf(w.peer, w.outsider);
      const action: GovernanceAction = {
        kind: "Admit",
        member: memberId("Bank B"),
        name: "Bank B",
        roles: Role.LENDER,
        keys: [outsiderAddress],
      };
      const proposed = await propose(w, w.tax, action);
      expect(proposed.id).to.equal("1");
      expect(proposed.name).to.equal("ProposalCreated");
      expect(proposed.events.map((x) => x.kind)).to.deep.equal([
        "ProposalCreated",
        "ProposalApproved",
      ]);
      expect(proposed.events[0]).to.deep.equal({
        kind: "ProposalCreated",
        proposalId: "1",
        proposer: w.tax.id,
        actionKind: 0,
        payload: encodeAction(action).payload,
        expiresAt: (START + 7n * DAY).toString(),
      });
      expect(proposed.events[1]).to.deep.equal({
        kind: "ProposalApproved",
        proposalId: "1",
        member: w.tax.id,
        approvals: 1,
        required: 2,
      });
      expect(
        await w.peer.evaluate(w.bank.identity, "Consortium:hasApproved", "1", w.bank.id),
      ).to.equal("false");
      const executed = await approve(w, w.bank, "1");
      expect(executed.name).to.equal("ProposalApproved");
      expect(executed.events.map((x) => x.kind)).to.deep.equal([
        "ProposalApproved",
        "MemberAdmitted",
        "ProposalExecuted",
      ]);
      expect(executed.events[1]).to.include({
        member: memberId("Bank B"),
        index: 4,
        name: "Bank B",
      });
      const key = JSON.parse(
        await w.peer.evaluate(w.outsider, "Consortium:keyOf", outsiderAddress),
      ) as unknown;
      expect(key).to.deep.equal({ member: memberId("Bank B"), active: true });
      const p = JSON.parse(
        await w.peer.evaluate(w.bank.identity, "Consortium:proposal", "1"),
      ) as Record<string, unknown>;
      expect(p).to.include({ status: 2, approvals: 2 });
      await expectRejected(approve(w, w.repair, "1"), "ConsortiumProposalClosed");
    });

    it("rejects votes from non-members, twice, on unknown or expired proposals", async () => {
      const action: GovernanceAction = { kind: "SetThreshold", threshold: 3 };
      const { kind, payload } = encodeAction(action);
      await expectRejected(
        w.peer.submit(w.outsider, "Consortium:propose", String(kind), payload),
        "ConsortiumUnknownKey",
      );
      const { id } = await propose(w, w.tax, action);
      await expectRejected(approve(w, w.tax, id), "ConsortiumAlreadyVoted");
      await expectRejected(approve(w, w.bank, "99"), "ConsortiumUnknownProposal");
      w.peer.time += 7n * DAY + 1n;
      await expectRejected(approve(w, w.bank, id), "ConsortiumProposalExpired");
    });

    it("validates the action when proposed", async () => {
      await expectRejected(
        w.peer.submit(w.tax.identity, "Consortium:propose", "9", "0x"),
        "ConsortiumInvalidAction",
      );
      await expectRejected(
        w.peer.submit(w.tax.identity, "Consortium:propose", "3", "0x1234"),
        "ConsortiumInvalidAction",
      );
      await expectRejected(
        propose(w, w.tax, {
          kind: "Admit",
          member: w.bank.id,
          name: "Bank A",
          roles: 1,
          keys: [Wallet.createRandom().address],
        }),
        "ConsortiumMemberExists",
      );
      await expectRejected(
        propose(w, w.tax, { kind: "AddKey", member: w.repair.id, key: w.bank.address }),
        "ConsortiumKeyInUse",
      );
      await expectRejected(
        propose(w, w.tax, { kind: "SetRoles", member: memberId("nobody"), roles: 1 }),
        "ConsortiumUnknownMember",
      );
      await expectRejected(
        propose(w, w.tax, {
          kind: "SetScope",
          member: w.bank.id,
          category: categoryId(CATEGORY),
          expiresAt: START + DAY,
        }),
        "ConsortiumInvalidScope",
      );
      await expectRejected(
        propose(w, w.tax, { kind: "Reinstate", member: w.bank.id }),
        "ConsortiumMemberNotSuspended",
      );
      await expectRejected(
        propose(w, w.tax, { kind: "RevokeKey", member: w.bank.id, key: w.bank.address }),
        "ConsortiumLastKey",
      );
      await expectRejected(
        propose(w, w.tax, { kind: "RevokeKey", member: w.bank.id, key: w.tax.address }),
        "ConsortiumUnknownKey",
      );
      await expectRejected(
        propose(w, w.tax, { kind: "SetThreshold", threshold: 4 }),
        "ConsortiumInvalidThreshold",
      );
    });

    it("fails a payload that breaks an action rule with Consortium.sol's error, not InvalidAction", async () => {
      // payloads core's encodeAction refuses, written with the bare ABI coder: the rules are the
      // chaincode's to check, in the contract's order (test/contracts "payload validation")
      const abi = AbiCoder.defaultAbiCoder();
      const fresh = Wallet.createRandom().address;
      const cases: [kind: number, types: string[], values: unknown[], error: string][] = [
        [
          0,
          ["bytes32", "string", "uint8", "address[]"],
          [ZeroHash, "Delta", 8, [fresh]],
          "ConsortiumInvalidMember",
        ],
        [
          0,
          ["bytes32", "string", "uint8", "address[]"],
          [memberId("Delta"), "", 8, [fresh]],
          "ConsortiumInvalidMember",
        ],
        [
          0,
          ["bytes32", "string", "uint8", "address[]"],
          [memberId("Delta"), "Delta", 8, []],
          "ConsortiumInvalidMember",
        ],
        [
          0,
          ["bytes32", "string", "uint8", "address[]"],
          [memberId("Delta"), "Delta", 0, [fresh]],
          "ConsortiumInvalidRoles",
        ],
        [
          0,
          ["bytes32", "string", "uint8", "address[]"],
          [memberId("Delta"), "Delta", 64, [fresh]],
          "ConsortiumInvalidRoles",
        ],
        [
          0,
          ["bytes32", "string", "uint8", "address[]"],
          [memberId("Delta"), "Delta", 8, [ZeroAddress]],
          "ConsortiumInvalidKey",
        ],
        [
          0,
          ["bytes32", "string", "uint8", "address[]"],
          [memberId("Delta"), "Delta", 8, [fresh, fresh]],
          "ConsortiumKeyInUse",
        ],
        [1, ["bytes32", "uint8"], [w.bank.id, 0], "ConsortiumInvalidRoles"],
        [1, ["bytes32", "uint8"], [ZeroHash, 1], "ConsortiumUnknownMember"],
        [2, ["bytes32", "bytes32", "uint64"], [w.tax.id, ZeroHash, 0n], "ConsortiumInvalidScope"],
        [5, ["bytes32", "address"], [w.bank.id, ZeroAddress], "ConsortiumInvalidKey"],
        [7, ["uint32"], [0], "ConsortiumInvalidThreshold"],
        [
          8,
          ["bytes32", "uint64"],
          [encodeBytes32String("gracePeriod"), DAY],
          "ConsortiumUnknownParameter",
        ],
        [
          8,
          ["bytes32", "uint64"],
          [PARAMETER_KEYS.disputePeriod, 60n],
          "ConsortiumInvalidParameter",
        ],
        [
          8,
          ["bytes32", "uint64"],
          [PARAMETER_KEYS.votingPeriod, 3651n * DAY],
          "ConsortiumInvalidParameter",
        ],
      ];
      for (const [kind, types, values, error] of cases) {
        await expectRejected(
          w.peer.submit(
            w.tax.identity,
            "Consortium:propose",
            String(kind),
            abi.encode(types, values),
          ),
          error,
        );
      }
      // bytes that are not the canonical encoding: InvalidAction (the contract reverts without a
      // reason for bytes that do not decode; the chaincode takes canonical payloads only)
      const setRoles = abi.encode(["bytes32", "uint8"], [w.bank.id, 1]);
      for (const payload of [
        `${setRoles}00`, // trailing byte
        `${setRoles.slice(0, -4)}0101`, // a uint8 with dirty high bits
        abi.encode(["bytes32"], [PARAMETER_KEYS.votingPeriod]), // too short for SetParameter
      ]) {
        const kind = payload.length === 2 + 64 ? 8 : 1;
        await expectRejected(
          w.peer.submit(w.tax.identity, "Consortium:propose", String(kind), payload),
          "ConsortiumInvalidAction",
        );
      }
    });

    it("lets only the proposer cancel, and only while open", async () => {
      const { id } = await propose(w, w.tax, { kind: "SetThreshold", threshold: 3 });
      await expectRejected(
        w.peer.submit(w.bank.identity, "Consortium:cancel", id),
        "ConsortiumNotProposer",
      );
      const { event } = await w.peer.submit(w.tax.identity, "Consortium:cancel", id);
      expect(decodeEvent(event).events).to.deep.equal([
        { kind: "ProposalCancelled", proposalId: id },
      ]);
      await expectRejected(approve(w, w.bank, id), "ConsortiumProposalClosed");
    });

    it("suspends and reinstates; executes a proposal whose required approvals dropped", async () => {
      await govern(w, { kind: "SetThreshold", threshold: 3 });
      const pending = await propose(w, w.tax, {
        kind: "SetParameter",
        name: "disputePeriod",
        value: 30n * DAY,
      });
      await approve(w, w.bank, pending.id);
      await expectRejected(
        w.peer.submit(w.tax.identity, "Consortium:execute", pending.id),
        "ConsortiumNotEnoughApprovals",
      );
      const suspend = await propose(w, w.tax, { kind: "Suspend", member: w.repair.id });
      await approve(w, w.bank, suspend.id);
      const suspended = await approve(w, w.repair, suspend.id);
      expect(suspended.events.map((x) => x.kind)).to.deep.equal([
        "ProposalApproved",
        "MemberSuspended",
        "ProposalExecuted",
      ]);
      await expectRejected(
        w.peer.submit(w.repair.identity, "Consortium:approve", pending.id),
        "ConsortiumMemberSuspended",
      );
      const { event } = await w.peer.submit(w.bank.identity, "Consortium:execute", pending.id);
      expect(decodeEvent(event).events.map((x) => x.kind)).to.deep.equal([
        "ParameterChanged",
        "ProposalExecuted",
      ]);
      expect(
        await w.peer.evaluate(
          w.bank.identity,
          "Consortium:parameter",
          PARAMETER_KEYS.disputePeriod,
        ),
      ).to.equal((30n * DAY).toString());
      const reinstated = await govern(w, { kind: "Reinstate", member: w.repair.id });
      expect(reinstated.events.map((x) => x.kind)).to.include("MemberReinstated");
      const info = JSON.parse(await w.peer.evaluate(w.bank.identity, "Consortium:info")) as Record<
        string,
        unknown
      >;
      expect(info).to.include({ activeMembers: 3, threshold: 3, requiredApprovals: 3 });
    });

    it("never suspends the last active member", async () => {
      const e = await createEmptyWorld();
      await e.peer.submit(
        e.tax.identity,
        "Consortium:bootstrap",
        bootstrapConfig([{ member: e.tax, roles: Role.OPERATOR }], 1),
      );
      const { kind, payload } = encodeAction({ kind: "Suspend", member: e.tax.id });
      await expectRejected(
        e.peer.submit(e.tax.identity, "Consortium:propose", String(kind), payload),
        "ConsortiumLastActiveMember",
      );
    });

    it("changes roles, scopes and keys; a member revokes its own key", async () => {
      const roles = await govern(w, { kind: "SetRoles", member: w.bank.id, roles: Role.LENDER });
      expect(roles.events[1]).to.deep.equal({
        kind: "MemberRolesChanged",
        member: w.bank.id,
        roles: Role.LENDER,
      });
      await expectRejected(
        w.peer.submit(w.bank.identity, "Consortium:registerModel", `0x${"cd".repeat(32)}`, ""),
        "ConsortiumMissingRole",
      );
      const scope = await govern(w, {
        kind: "SetScope",
        member: w.tax.id,
        category: categoryId(CATEGORY),
        expiresAt: 0n,
      });
      expect(scope.events[1]).to.include({ kind: "ScopeSet", expiresAt: "0" });

      const second = await w.orgs.org2.issue("bank-a-2");
      const secondAddress = await addressOf(w.peer, second);
      const added = await govern(w, { kind: "AddKey", member: w.bank.id, key: secondAddress });
      expect(added.events[1]).to.deep.equal({
        kind: "KeyAdded",
        member: w.bank.id,
        key: secondAddress,
      });
      const { event } = await w.peer.submit(second, "Consortium:revokeOwnKey", w.bank.address);
      expect(decodeEvent(event).events).to.deep.equal([
        { kind: "KeyRevoked", member: w.bank.id, key: w.bank.address, revokedBy: secondAddress },
      ]);
      await expectRejected(
        w.peer.submit(w.bank.identity, "Consortium:approve", "1"),
        "ConsortiumKeyRevoked",
      );
      await expectRejected(
        w.peer.submit(second, "Consortium:revokeOwnKey", secondAddress),
        "ConsortiumLastKey",
      );
    });
  });

  describe("certificate attributes", () => {
    it("rejects an identity whose credtrail.member names another member", async () => {
      const liar = await w.orgs.org2.issue("bank-a-liar", { "credtrail.member": "Tax Bureau" });
      await govern(w, { kind: "AddKey", member: w.bank.id, key: await addressOf(w.peer, liar) });
      await expectRejected(
        w.peer.submit(liar, "Consortium:registerModel", `0x${"cd".repeat(32)}`, ""),
        "ConsortiumIdentityMismatch",
      );
      const honest = await w.orgs.org2.issue("bank-a-ok", { "credtrail.member": "Bank A" });
      await govern(w, { kind: "AddKey", member: w.bank.id, key: await addressOf(w.peer, honest) });
      await w.peer.submit(honest, "Consortium:registerModel", `0x${"cd".repeat(32)}`, "");
    });

    it("narrows the member's roles to credtrail.roles", async () => {
      const lenderOnly = await w.orgs.org2.issue("bank-a-desk", { "credtrail.roles": "LENDER" });
      await govern(w, {
        kind: "AddKey",
        member: w.bank.id,
        key: await addressOf(w.peer, lenderOnly),
      });
      const args = await expectRejected(
        w.peer.submit(lenderOnly, "Consortium:registerModel", `0x${"cd".repeat(32)}`, ""),
        "ConsortiumMissingRole",
      );
      expect(args).to.deep.equal({ member: w.bank.id, role: Role.SCORER });
    });
  });

  describe("schemas and models", () => {
    it("registers a schema by its definition's hash (OPERATOR only, once)", async () => {
      const schema = JSON.parse(
        await w.peer.evaluate(w.bank.identity, "Consortium:schema", w.schema),
      ) as Record<string, unknown>;
      expect(schema).to.include({
        index: 1,
        categoryName: CATEGORY,
        category: categoryId(CATEGORY),
        registrant: w.tax.id,
      });
      await expectRejected(
        w.peer.submit(w.tax.identity, "Consortium:registerSchema", CATEGORY, SCHEMA_DEFINITION),
        "ConsortiumSchemaExists",
      );
      await expectRejected(
        w.peer.submit(w.tax.identity, "Consortium:registerSchema", "", "{}"),
        "ConsortiumInvalidSchema",
      );
      await expectRejected(
        w.peer.submit(w.bank.identity, "Consortium:registerSchema", CATEGORY, "{}"),
        "ConsortiumMissingRole",
      );
    });

    it("registers a model (SCORER only, non-zero, once)", async () => {
      const model = JSON.parse(
        await w.peer.evaluate(w.bank.identity, "Consortium:model", w.modelHash),
      ) as unknown;
      expect(model).to.deep.equal({
        modelHash: w.modelHash,
        scorer: w.bank.id,
        uri: "ipfs://model",
      });
      await expectRejected(
        w.peer.submit(w.bank.identity, "Consortium:registerModel", w.modelHash, ""),
        "ConsortiumModelExists",
      );
      await expectRejected(
        w.peer.submit(w.bank.identity, "Consortium:registerModel", `0x${"00".repeat(32)}`, ""),
        "ConsortiumInvalidModel",
      );
      await expectRejected(
        w.peer.submit(w.tax.identity, "Consortium:registerModel", `0x${"cd".repeat(32)}`, ""),
        "ConsortiumMissingRole",
      );
      await expectRejected(
        w.peer.submit(w.bank.identity, "Consortium:registerModel", "0x12", ""),
        "InvalidArgument",
      );
    });

    it("invalidates the second of two schema registrations in one block (MVCC on the counter)", async () => {
      const a = await w.peer.simulate(w.tax.identity, "Consortium:registerSchema", [
        CATEGORY,
        '{"v":2}',
      ]);
      const b = await w.peer.simulate(w.tax.identity, "Consortium:registerSchema", [
        CATEGORY,
        '{"v":3}',
      ]);
      expect(w.peer.commitBlock([a, b]).map((r) => r.code)).to.deep.equal([
        "VALID",
        "MVCC_READ_CONFLICT",
      ]);
      const info = JSON.parse(await w.peer.evaluate(w.bank.identity, "Consortium:info")) as {
        schemaCount: number;
      };
      expect(info.schemaCount).to.equal(2);
    });

    it("reports the channel's EIP-712 domain and unknown parameters", async () => {
      const info = JSON.parse(await w.peer.evaluate(w.bank.identity, "Consortium:info")) as {
        domain: { chainId: string; verifyingContract: string; name: string };
      };
      const domain = w.chaincode.fabricRegistryDomain(w.peer.channel, "credtrail");
      expect(info.domain).to.deep.equal({ ...domain, chainId: domain.chainId.toString() });
      await expectRejected(
        w.peer.evaluate(w.bank.identity, "Consortium:parameter", "nope"),
        "ConsortiumUnknownParameter",
      );
    });
  });
});
