/**
 * Consortium: founding members, M-of-N governance over membership, keys, accreditation scopes and
 * parameters, schema and model registration, and the authorization reads the registry relies on.
 */
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";
import {
  AbiCoder,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  encodeBytes32String,
  keccak256,
  toUtf8Bytes,
  ZeroAddress,
  ZeroHash,
} from "ethers";
import { network } from "hardhat";

import type { IConsortium } from "../../types/ethers-contracts/contracts/Consortium.js";
import { Consortium__factory, type Consortium } from "../../types/ethers-contracts/index.js";

const { ethers, networkHelpers } = await network.getOrCreate();

// ------------------------------------------------------------------------------------------------
// Constants mirroring the contract
// ------------------------------------------------------------------------------------------------

const Role = {
  PROVIDER: 1,
  SCORER: 2,
  REPAIR_AUTHORITY: 4,
  LENDER: 8,
  REGULATOR: 16,
  OPERATOR: 32,
} as const;

const Kind = {
  Admit: 0,
  SetRoles: 1,
  SetScope: 2,
  Suspend: 3,
  Reinstate: 4,
  AddKey: 5,
  RevokeKey: 6,
  SetThreshold: 7,
  SetParameter: 8,
} as const;

const Status = { None: 0n, Open: 1n, Executed: 2n, Cancelled: 3n } as const;

const HOUR = 3600n;
const DAY = 24n * HOUR;

const id = (text: string): string => keccak256(toUtf8Bytes(text));
const param = (name: string): string => encodeBytes32String(name);

const ALPHA_NAME = "Alpha Credit Bureau";
const BETA_NAME = "Beta Scoring";
const GAMMA_NAME = "Gamma Regulator";
const DELTA_NAME = "Delta Bank";
const ALPHA = id(ALPHA_NAME);
const BETA = id(BETA_NAME);
const GAMMA = id(GAMMA_NAME);
const DELTA = id(DELTA_NAME);

const TAX_NAME = "tax.payment.v1";
const UTILITY_NAME = "utility.payment.v1";
const LOAN_NAME = "bank.loan.v1";
const TAX = id(TAX_NAME);
const UTILITY = id(UTILITY_NAME);
const LOAN = id(LOAN_NAME);
const TAX_DEF = '{"category":"tax.payment.v1","fields":["amount","paidAt","period"]}';
const TAX_DEF_V2 = '{"category":"tax.payment.v1","fields":["amount","paidAt","period","office"]}';
const LOAN_DEF = '{"category":"bank.loan.v1","fields":["principal","dueAt","status"]}';

const MODEL = id('{"model":"smb-score","version":"1.0.0"}');
const MODEL_URI = "ipfs://bafy-smb-score-1.0.0";

// ------------------------------------------------------------------------------------------------
// Payloads (abi.encode per the ActionKind comments in IConsortium.sol)
// ------------------------------------------------------------------------------------------------

const abi = AbiCoder.defaultAbiCoder();
const Payload = {
  admit: (member: string, name: string, roles: number, keys: string[]): string =>
    abi.encode(["bytes32", "string", "uint8", "address[]"], [member, name, roles, keys]),
  setRoles: (member: string, roles: number): string =>
    abi.encode(["bytes32", "uint8"], [member, roles]),
  setScope: (member: string, category: string, expiresAt: bigint): string =>
    abi.encode(["bytes32", "bytes32", "uint64"], [member, category, expiresAt]),
  member: (member: string): string => abi.encode(["bytes32"], [member]),
  key: (member: string, key: string): string => abi.encode(["bytes32", "address"], [member, key]),
  threshold: (value: number): string => abi.encode(["uint32"], [value]),
  parameter: (name: string, value: bigint): string =>
    abi.encode(["bytes32", "uint64"], [param(name), value]),
};

// ------------------------------------------------------------------------------------------------
// Fixtures and helpers
// ------------------------------------------------------------------------------------------------

type Signer = Awaited<ReturnType<typeof ethers.getSigners>>[number];

function founder(
  memberId: string,
  name: string,
  roles: number,
  keys: string[],
  categories: string[] = [],
  scopeExpiresAt = 0n,
): IConsortium.FoundingMemberStruct {
  return { id: memberId, name, roles, keys, categories, scopeExpiresAt };
}

/**
 * Alpha (PROVIDER|OPERATOR, two keys, accredited for tax and utility for a year), Beta
 * (SCORER|LENDER) and Gamma (REGULATOR|REPAIR_AUTHORITY), with the given threshold.
 */
async function setup(thresholdValue: number) {
  const [deployer, alpha1, alpha2, beta1, gamma1, delta1, delta2, outsider, spare1] =
    await ethers.getSigners();
  const scopeExpiresAt = BigInt(await networkHelpers.time.latest()) + 365n * DAY;
  const founders = [
    founder(
      ALPHA,
      ALPHA_NAME,
      Role.PROVIDER | Role.OPERATOR,
      [alpha1.address, alpha2.address],
      [TAX, UTILITY],
      scopeExpiresAt,
    ),
    founder(BETA, BETA_NAME, Role.SCORER | Role.LENDER, [beta1.address]),
    founder(GAMMA, GAMMA_NAME, Role.REGULATOR | Role.REPAIR_AUTHORITY, [gamma1.address]),
  ];
  const consortium = await new Consortium__factory(deployer).deploy(founders, thresholdValue);
  const deployTx = consortium.deploymentTransaction();
  if (deployTx === null) throw new Error("no deployment transaction");
  const deployedAt = await txTime(deployTx);
  return {
    consortium,
    deployTx,
    deployedAt,
    founders,
    scopeExpiresAt,
    deployer,
    alpha1,
    alpha2,
    beta1,
    gamma1,
    delta1,
    delta2,
    outsider,
    spare1,
  };
}

async function twoOfThree() {
  return setup(2);
}

async function threeOfThree() {
  return setup(3);
}

async function oneOfThree() {
  return setup(1);
}

/** Two of three, with two schemas registered by Alpha: tax (Alpha accredited) and loan (not). */
async function twoOfThreeWithSchemas() {
  const f = await setup(2);
  await f.consortium.connect(f.alpha1).registerSchema(TAX_NAME, TAX_DEF);
  await f.consortium.connect(f.alpha1).registerSchema(LOAN_NAME, LOAN_DEF);
  return {
    ...f,
    taxSchema: keccak256(toUtf8Bytes(TAX_DEF)),
    loanSchema: keccak256(toUtf8Bytes(LOAN_DEF)),
  };
}

async function mined(tx: ContractTransactionResponse): Promise<ContractTransactionReceipt> {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error(`transaction ${tx.hash} not mined`);
  return receipt;
}

async function txTime(tx: ContractTransactionResponse): Promise<bigint> {
  const block = await ethers.provider.getBlock((await mined(tx)).blockNumber);
  if (block === null) throw new Error(`block of ${tx.hash} not found`);
  return BigInt(block.timestamp);
}

/** Every event of a transaction, in order, as [name, ...args] with nested results as plain arrays. */
async function eventsOf(
  consortium: Consortium,
  tx: ContractTransactionResponse,
): Promise<unknown[][]> {
  return (await mined(tx)).logs.map((log) => {
    const parsed = consortium.interface.parseLog(log);
    if (parsed === null) throw new Error(`unparsable log ${log.topics[0]}`);
    const args: unknown[] = parsed.args.toArray(true);
    return [parsed.name, ...args];
  });
}

/** Proposes and returns the proposal id together with the transaction. */
async function propose(
  consortium: Consortium,
  by: Signer,
  kind: number,
  payload: string,
): Promise<{ proposalId: bigint; tx: ContractTransactionResponse }> {
  const proposalId = await consortium.connect(by).propose.staticCall(kind, payload);
  const tx = await consortium.connect(by).propose(kind, payload);
  return { proposalId, tx };
}

/**
 * Runs a proposal through to execution: the first voter proposes, the others approve in turn.
 * Returns the id and the transaction that executed it.
 */
async function enact(
  consortium: Consortium,
  kind: number,
  payload: string,
  voters: Signer[],
): Promise<{ proposalId: bigint; tx: ContractTransactionResponse }> {
  const proposed = await propose(consortium, voters[0], kind, payload);
  const { proposalId } = proposed;
  let { tx } = proposed;
  for (const voter of voters.slice(1)) {
    expect((await consortium.proposal(proposalId)).status).to.equal(Status.Open);
    tx = await consortium.connect(voter).approve(proposalId);
  }
  expect((await consortium.proposal(proposalId)).status).to.equal(Status.Executed);
  return { proposalId, tx };
}

// ------------------------------------------------------------------------------------------------
// Tests
// ------------------------------------------------------------------------------------------------

describe("Consortium", function () {
  describe("constructor", function () {
    it("admits the founders with their index, roles, keys and admission time", async function () {
      const { consortium, deployedAt, alpha1, alpha2, beta1, gamma1, outsider } =
        await networkHelpers.loadFixture(twoOfThree);

      expect([...(await consortium.member(ALPHA))]).to.deep.equal([1n, 33n, false, deployedAt, 2n]);
      expect([...(await consortium.member(BETA))]).to.deep.equal([2n, 10n, false, deployedAt, 1n]);
      expect([...(await consortium.member(GAMMA))]).to.deep.equal([3n, 20n, false, deployedAt, 1n]);
      expect([...(await consortium.member(DELTA))]).to.deep.equal([0n, 0n, false, 0n, 0n]);

      expect(await consortium.memberId(1)).to.equal(ALPHA);
      expect(await consortium.memberId(2)).to.equal(BETA);
      expect(await consortium.memberId(3)).to.equal(GAMMA);
      expect(await consortium.memberId(4)).to.equal(ZeroHash);
      expect(await consortium.memberId(0)).to.equal(ZeroHash);

      expect([...(await consortium.keyOf(alpha1.address))]).to.deep.equal([ALPHA, true]);
      expect([...(await consortium.keyOf(alpha2.address))]).to.deep.equal([ALPHA, true]);
      expect([...(await consortium.keyOf(beta1.address))]).to.deep.equal([BETA, true]);
      expect([...(await consortium.keyOf(gamma1.address))]).to.deep.equal([GAMMA, true]);
      expect([...(await consortium.keyOf(outsider.address))]).to.deep.equal([ZeroHash, false]);
    });

    it("sets the founders' accreditation scopes", async function () {
      const { consortium, scopeExpiresAt } = await networkHelpers.loadFixture(twoOfThree);
      expect(await consortium.scope(ALPHA, TAX)).to.equal(scopeExpiresAt);
      expect(await consortium.scope(ALPHA, UTILITY)).to.equal(scopeExpiresAt);
      expect(await consortium.scope(ALPHA, LOAN)).to.equal(0n);
      expect(await consortium.scope(BETA, TAX)).to.equal(0n);
      expect(await consortium.scope(DELTA, TAX)).to.equal(0n);
    });

    it("sets the threshold and counts the active members", async function () {
      const { consortium } = await networkHelpers.loadFixture(twoOfThree);
      expect(await consortium.threshold()).to.equal(2n);
      expect(await consortium.activeMembers()).to.equal(3n);
      expect(await consortium.requiredApprovals()).to.equal(2n);
    });

    it("sets the default parameters", async function () {
      const { consortium } = await networkHelpers.loadFixture(twoOfThree);
      expect(await consortium.parameter(param("disputePeriod"))).to.equal(20n * DAY);
      expect(await consortium.parameter(param("repairPeriod.minor"))).to.equal(0n);
      expect(await consortium.parameter(param("repairPeriod.general"))).to.equal(90n * DAY);
      expect(await consortium.parameter(param("repairPeriod.serious"))).to.equal(365n * DAY);
      expect(await consortium.parameter(param("votingPeriod"))).to.equal(7n * DAY);
    });

    it("emits every admission, scope, threshold and parameter, in order", async function () {
      const { consortium, deployTx, scopeExpiresAt, alpha1, alpha2, beta1, gamma1 } =
        await networkHelpers.loadFixture(twoOfThree);
      expect(await eventsOf(consortium, deployTx)).to.deep.equal([
        ["MemberAdmitted", ALPHA, 1n, ALPHA_NAME, 33n, [alpha1.address, alpha2.address]],
        ["ScopeSet", ALPHA, TAX, scopeExpiresAt],
        ["ScopeSet", ALPHA, UTILITY, scopeExpiresAt],
        ["MemberAdmitted", BETA, 2n, BETA_NAME, 10n, [beta1.address]],
        ["MemberAdmitted", GAMMA, 3n, GAMMA_NAME, 20n, [gamma1.address]],
        ["ThresholdChanged", 2n],
        ["ParameterChanged", param("disputePeriod"), 20n * DAY],
        ["ParameterChanged", param("repairPeriod.minor"), 0n],
        ["ParameterChanged", param("repairPeriod.general"), 90n * DAY],
        ["ParameterChanged", param("repairPeriod.serious"), 365n * DAY],
        ["ParameterChanged", param("votingPeriod"), 7n * DAY],
      ]);
    });

    describe("accepts", function () {
      it("a single founder with threshold 1", async function () {
        const [deployer, key] = await ethers.getSigners();
        const consortium = await new Consortium__factory(deployer).deploy(
          [founder(ALPHA, ALPHA_NAME, Role.OPERATOR, [key.address])],
          1,
        );
        expect(await consortium.threshold()).to.equal(1n);
        expect(await consortium.activeMembers()).to.equal(1n);
      });

      it("a threshold equal to the number of founders", async function () {
        const { consortium } = await networkHelpers.loadFixture(threeOfThree);
        expect(await consortium.threshold()).to.equal(3n);
        expect(await consortium.requiredApprovals()).to.equal(3n);
      });

      it("every role bit at once", async function () {
        const [deployer, key] = await ethers.getSigners();
        const consortium = await new Consortium__factory(deployer).deploy(
          [founder(ALPHA, ALPHA_NAME, 63, [key.address])],
          1,
        );
        expect((await consortium.member(ALPHA)).roles).to.equal(63n);
      });

      it("categories without an expiry for a non-provider (no scope is granted)", async function () {
        const [deployer, key] = await ethers.getSigners();
        const consortium = await new Consortium__factory(deployer).deploy(
          [founder(BETA, BETA_NAME, Role.SCORER, [key.address], [TAX], 0n)],
          1,
        );
        expect(await consortium.scope(BETA, TAX)).to.equal(0n);
      });
    });

    describe("reverts", function () {
      let factory: Consortium__factory;
      let k1: string;
      let k2: string;
      let k3: string;
      let expiresAt: bigint;

      beforeEach(async function () {
        const [deployer, a, b, c] = await ethers.getSigners();
        factory = new Consortium__factory(deployer);
        [k1, k2, k3] = [a.address, b.address, c.address];
        expiresAt = BigInt(await networkHelpers.time.latest()) + 30n * DAY;
      });

      it("without founders", async function () {
        await expect(factory.deploy([], 1)).to.be.revertedWithCustomError(
          factory,
          "ConsortiumNoFounders",
        );
      });

      it("with threshold 0", async function () {
        await expect(factory.deploy([founder(ALPHA, ALPHA_NAME, Role.OPERATOR, [k1])], 0))
          .to.be.revertedWithCustomError(factory, "ConsortiumInvalidThreshold")
          .withArgs(0, 1);
      });

      it("with a threshold above the number of founders", async function () {
        const founders = [
          founder(ALPHA, ALPHA_NAME, Role.OPERATOR, [k1]),
          founder(BETA, BETA_NAME, Role.SCORER, [k2]),
        ];
        await expect(factory.deploy(founders, 3))
          .to.be.revertedWithCustomError(factory, "ConsortiumInvalidThreshold")
          .withArgs(3, 2);
      });

      it("with a duplicate member id", async function () {
        const founders = [
          founder(ALPHA, ALPHA_NAME, Role.OPERATOR, [k1]),
          founder(ALPHA, "Alpha again", Role.SCORER, [k2]),
        ];
        await expect(factory.deploy(founders, 1))
          .to.be.revertedWithCustomError(factory, "ConsortiumMemberExists")
          .withArgs(ALPHA);
      });

      it("with the same key twice in one member", async function () {
        await expect(factory.deploy([founder(ALPHA, ALPHA_NAME, Role.OPERATOR, [k1, k2, k1])], 1))
          .to.be.revertedWithCustomError(factory, "ConsortiumKeyInUse")
          .withArgs(k1);
      });

      it("with one key in two members", async function () {
        const founders = [
          founder(ALPHA, ALPHA_NAME, Role.OPERATOR, [k1, k2]),
          founder(BETA, BETA_NAME, Role.SCORER, [k3, k2]),
        ];
        await expect(factory.deploy(founders, 1))
          .to.be.revertedWithCustomError(factory, "ConsortiumKeyInUse")
          .withArgs(k2);
      });

      it("with the zero key", async function () {
        await expect(
          factory.deploy([founder(ALPHA, ALPHA_NAME, Role.OPERATOR, [k1, ZeroAddress])], 1),
        )
          .to.be.revertedWithCustomError(factory, "ConsortiumInvalidKey")
          .withArgs(ZeroAddress);
      });

      it("with no key", async function () {
        await expect(factory.deploy([founder(ALPHA, ALPHA_NAME, Role.OPERATOR, [])], 1))
          .to.be.revertedWithCustomError(factory, "ConsortiumInvalidMember")
          .withArgs(ALPHA);
      });

      it("with an empty name", async function () {
        await expect(factory.deploy([founder(ALPHA, "", Role.OPERATOR, [k1])], 1))
          .to.be.revertedWithCustomError(factory, "ConsortiumInvalidMember")
          .withArgs(ALPHA);
      });

      it("with the zero member id", async function () {
        await expect(factory.deploy([founder(ZeroHash, ALPHA_NAME, Role.OPERATOR, [k1])], 1))
          .to.be.revertedWithCustomError(factory, "ConsortiumInvalidMember")
          .withArgs(ZeroHash);
      });

      it("with no role", async function () {
        await expect(factory.deploy([founder(ALPHA, ALPHA_NAME, 0, [k1])], 1))
          .to.be.revertedWithCustomError(factory, "ConsortiumInvalidRoles")
          .withArgs(0);
      });

      it("with an undefined role bit", async function () {
        await expect(factory.deploy([founder(ALPHA, ALPHA_NAME, Role.OPERATOR | 64, [k1])], 1))
          .to.be.revertedWithCustomError(factory, "ConsortiumInvalidRoles")
          .withArgs(96);
        await expect(factory.deploy([founder(ALPHA, ALPHA_NAME, 128, [k1])], 1))
          .to.be.revertedWithCustomError(factory, "ConsortiumInvalidRoles")
          .withArgs(128);
      });

      it("with a scope for a non-provider", async function () {
        await expect(
          factory.deploy([founder(BETA, BETA_NAME, Role.SCORER, [k1], [TAX], expiresAt)], 1),
        )
          .to.be.revertedWithCustomError(factory, "ConsortiumInvalidScope")
          .withArgs(BETA, TAX, expiresAt);
      });

      it("with the zero category", async function () {
        await expect(
          factory.deploy(
            [founder(ALPHA, ALPHA_NAME, Role.PROVIDER, [k1], [TAX, ZeroHash], expiresAt)],
            1,
          ),
        )
          .to.be.revertedWithCustomError(factory, "ConsortiumInvalidScope")
          .withArgs(ALPHA, ZeroHash, expiresAt);
      });
    });
  });

  describe("governance", function () {
    describe("propose", function () {
      it("records the proposal, counts the proposer's approval and does not execute below the threshold", async function () {
        const { consortium, alpha1, delta1 } = await networkHelpers.loadFixture(twoOfThree);
        const payload = Payload.admit(DELTA, DELTA_NAME, Role.LENDER, [delta1.address]);
        const { proposalId, tx } = await propose(consortium, alpha1, Kind.Admit, payload);
        const createdAt = await txTime(tx);
        const expiresAt = createdAt + 7n * DAY;

        expect(proposalId).to.equal(1n);
        expect(await eventsOf(consortium, tx)).to.deep.equal([
          ["ProposalCreated", 1n, ALPHA, BigInt(Kind.Admit), payload, expiresAt],
          ["ProposalApproved", 1n, ALPHA, 1n, 2n],
        ]);
        expect([...(await consortium.proposal(1))]).to.deep.equal([
          1n,
          1n,
          createdAt,
          expiresAt,
          Status.Open,
          BigInt(Kind.Admit),
          payload,
        ]);
        expect(await consortium.hasApproved(1, ALPHA)).to.equal(true);
        expect(await consortium.hasApproved(1, BETA)).to.equal(false);
        expect((await consortium.member(DELTA)).index).to.equal(0n);
      });

      it("numbers proposals sequentially", async function () {
        const { consortium, alpha1, beta1 } = await networkHelpers.loadFixture(twoOfThree);
        expect(
          (await propose(consortium, alpha1, Kind.SetThreshold, Payload.threshold(3))).proposalId,
        ).to.equal(1n);
        expect(
          (await propose(consortium, beta1, Kind.SetThreshold, Payload.threshold(1))).proposalId,
        ).to.equal(2n);
        expect(
          (await propose(consortium, alpha1, Kind.SetThreshold, Payload.threshold(1))).proposalId,
        ).to.equal(3n);
        expect((await consortium.proposal(2)).proposer).to.equal(2n);
      });

      it("executes at once when the threshold is 1", async function () {
        const { consortium, beta1 } = await networkHelpers.loadFixture(oneOfThree);
        const payload = Payload.setRoles(GAMMA, Role.REGULATOR);
        const { tx } = await propose(consortium, beta1, Kind.SetRoles, payload);
        const createdAt = await txTime(tx);
        expect(await eventsOf(consortium, tx)).to.deep.equal([
          ["ProposalCreated", 1n, BETA, BigInt(Kind.SetRoles), payload, createdAt + 7n * DAY],
          ["ProposalApproved", 1n, BETA, 1n, 1n],
          ["MemberRolesChanged", GAMMA, BigInt(Role.REGULATOR)],
          ["ProposalExecuted", 1n],
        ]);
        expect((await consortium.proposal(1)).status).to.equal(Status.Executed);
        expect((await consortium.member(GAMMA)).roles).to.equal(BigInt(Role.REGULATOR));
      });

      it("reverts for an unknown key, a revoked key and a suspended member", async function () {
        const { consortium, alpha1, alpha2, beta1, outsider } =
          await networkHelpers.loadFixture(twoOfThree);
        const payload = Payload.threshold(1);
        await expect(consortium.connect(outsider).propose(Kind.SetThreshold, payload))
          .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownKey")
          .withArgs(outsider.address);

        await consortium.connect(alpha1).revokeOwnKey(alpha2.address);
        await expect(consortium.connect(alpha2).propose(Kind.SetThreshold, payload))
          .to.be.revertedWithCustomError(consortium, "ConsortiumKeyRevoked")
          .withArgs(alpha2.address);

        await enact(consortium, Kind.Suspend, Payload.member(BETA), [alpha1, beta1]);
        await expect(consortium.connect(beta1).propose(Kind.SetThreshold, payload))
          .to.be.revertedWithCustomError(consortium, "ConsortiumMemberSuspended")
          .withArgs(BETA);
      });
    });

    describe("approve", function () {
      it("executes on the approval that reaches the threshold", async function () {
        const { consortium, alpha1, beta1, gamma1, delta1, delta2 } =
          await networkHelpers.loadFixture(twoOfThree);
        const keys = [delta1.address, delta2.address];
        const payload = Payload.admit(DELTA, DELTA_NAME, Role.PROVIDER | Role.LENDER, keys);
        const { proposalId } = await propose(consortium, alpha1, Kind.Admit, payload);

        const tx = await consortium.connect(beta1).approve(proposalId);
        expect(await eventsOf(consortium, tx)).to.deep.equal([
          ["ProposalApproved", proposalId, BETA, 2n, 2n],
          ["MemberAdmitted", DELTA, 4n, DELTA_NAME, 9n, keys],
          ["ProposalExecuted", proposalId],
        ]);
        const p = await consortium.proposal(proposalId);
        expect(p.status).to.equal(Status.Executed);
        expect(p.approvals).to.equal(2n);
        expect(await consortium.hasApproved(proposalId, BETA)).to.equal(true);
        expect(await consortium.hasApproved(proposalId, GAMMA)).to.equal(false);

        await expect(consortium.connect(gamma1).approve(proposalId))
          .to.be.revertedWithCustomError(consortium, "ConsortiumProposalClosed")
          .withArgs(proposalId);
      });

      it("needs every approval with a threshold of 3 of 3", async function () {
        const { consortium, alpha1, beta1, gamma1 } =
          await networkHelpers.loadFixture(threeOfThree);
        const { proposalId } = await propose(
          consortium,
          gamma1,
          Kind.SetThreshold,
          Payload.threshold(2),
        );

        const second = await consortium.connect(alpha1).approve(proposalId);
        expect(await eventsOf(consortium, second)).to.deep.equal([
          ["ProposalApproved", proposalId, ALPHA, 2n, 3n],
        ]);
        expect((await consortium.proposal(proposalId)).status).to.equal(Status.Open);
        expect(await consortium.threshold()).to.equal(3n);

        const third = await consortium.connect(beta1).approve(proposalId);
        expect(await eventsOf(consortium, third)).to.deep.equal([
          ["ProposalApproved", proposalId, BETA, 3n, 3n],
          ["ThresholdChanged", 2n],
          ["ProposalExecuted", proposalId],
        ]);
        expect(await consortium.threshold()).to.equal(2n);
      });

      it("accepts a vote up to and including the expiry second", async function () {
        const { consortium, alpha1, beta1 } = await networkHelpers.loadFixture(twoOfThree);
        const { proposalId } = await propose(
          consortium,
          alpha1,
          Kind.SetThreshold,
          Payload.threshold(3),
        );
        const { expiresAt } = await consortium.proposal(proposalId);
        await networkHelpers.time.setNextBlockTimestamp(expiresAt);
        await expect(consortium.connect(beta1).approve(proposalId))
          .to.emit(consortium, "ProposalExecuted")
          .withArgs(proposalId);
      });

      it("reverts after the voting period", async function () {
        const { consortium, alpha1, beta1 } = await networkHelpers.loadFixture(twoOfThree);
        const { proposalId } = await propose(
          consortium,
          alpha1,
          Kind.SetThreshold,
          Payload.threshold(3),
        );
        const { expiresAt } = await consortium.proposal(proposalId);
        await networkHelpers.time.increaseTo(expiresAt);
        await networkHelpers.time.setNextBlockTimestamp(expiresAt + 1n);
        await expect(consortium.connect(beta1).approve(proposalId))
          .to.be.revertedWithCustomError(consortium, "ConsortiumProposalExpired")
          .withArgs(proposalId, expiresAt);
      });

      it("reverts for an unknown proposal", async function () {
        const { consortium, alpha1, beta1 } = await networkHelpers.loadFixture(twoOfThree);
        await expect(consortium.connect(beta1).approve(0))
          .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownProposal")
          .withArgs(0);
        await propose(consortium, alpha1, Kind.SetThreshold, Payload.threshold(3));
        await expect(consortium.connect(beta1).approve(2))
          .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownProposal")
          .withArgs(2);
      });

      it("reverts for a member that already voted, through any of its keys", async function () {
        const { consortium, alpha1, alpha2 } = await networkHelpers.loadFixture(twoOfThree);
        const { proposalId } = await propose(
          consortium,
          alpha1,
          Kind.SetThreshold,
          Payload.threshold(3),
        );
        await expect(consortium.connect(alpha1).approve(proposalId))
          .to.be.revertedWithCustomError(consortium, "ConsortiumAlreadyVoted")
          .withArgs(proposalId, ALPHA);
        await expect(consortium.connect(alpha2).approve(proposalId))
          .to.be.revertedWithCustomError(consortium, "ConsortiumAlreadyVoted")
          .withArgs(proposalId, ALPHA);
        expect((await consortium.proposal(proposalId)).approvals).to.equal(1n);
      });

      it("reverts for a cancelled proposal", async function () {
        const { consortium, alpha1, beta1 } = await networkHelpers.loadFixture(twoOfThree);
        const { proposalId } = await propose(
          consortium,
          alpha1,
          Kind.SetThreshold,
          Payload.threshold(3),
        );
        await consortium.connect(alpha1).cancel(proposalId);
        await expect(consortium.connect(beta1).approve(proposalId))
          .to.be.revertedWithCustomError(consortium, "ConsortiumProposalClosed")
          .withArgs(proposalId);
      });

      it("reverts for an unknown key, a revoked key and a suspended member", async function () {
        const { consortium, alpha1, alpha2, beta1, gamma1, outsider } =
          await networkHelpers.loadFixture(twoOfThree);
        const { proposalId } = await propose(
          consortium,
          beta1,
          Kind.SetThreshold,
          Payload.threshold(3),
        );

        await expect(consortium.connect(outsider).approve(proposalId))
          .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownKey")
          .withArgs(outsider.address);

        await consortium.connect(alpha1).revokeOwnKey(alpha2.address);
        await expect(consortium.connect(alpha2).approve(proposalId))
          .to.be.revertedWithCustomError(consortium, "ConsortiumKeyRevoked")
          .withArgs(alpha2.address);

        await enact(consortium, Kind.Suspend, Payload.member(GAMMA), [alpha1, beta1]);
        await expect(consortium.connect(gamma1).approve(proposalId))
          .to.be.revertedWithCustomError(consortium, "ConsortiumMemberSuspended")
          .withArgs(GAMMA);
        expect((await consortium.proposal(proposalId)).approvals).to.equal(1n);
      });
    });

    describe("execute", function () {
      it("executes a proposal whose approvals became enough after a suspension", async function () {
        const { consortium, alpha1, beta1, gamma1 } =
          await networkHelpers.loadFixture(threeOfThree);
        const pending = await propose(consortium, alpha1, Kind.SetThreshold, Payload.threshold(1));
        await consortium.connect(beta1).approve(pending.proposalId);
        expect((await consortium.proposal(pending.proposalId)).approvals).to.equal(2n);
        await enact(consortium, Kind.Suspend, Payload.member(GAMMA), [alpha1, beta1, gamma1]);
        expect(await consortium.requiredApprovals()).to.equal(2n);
        expect((await consortium.proposal(pending.proposalId)).status).to.equal(Status.Open);

        const tx = await consortium.connect(beta1).execute(pending.proposalId);
        expect(await eventsOf(consortium, tx)).to.deep.equal([
          ["ThresholdChanged", 1n],
          ["ProposalExecuted", pending.proposalId],
        ]);
        expect((await consortium.proposal(pending.proposalId)).status).to.equal(Status.Executed);
        expect(await consortium.threshold()).to.equal(1n);
      });

      it("reverts without enough approvals, for a closed proposal and for a non-member", async function () {
        const { consortium, alpha1, beta1, outsider } =
          await networkHelpers.loadFixture(twoOfThree);
        const { proposalId } = await propose(
          consortium,
          alpha1,
          Kind.SetThreshold,
          Payload.threshold(3),
        );
        await expect(consortium.connect(alpha1).execute(proposalId))
          .to.be.revertedWithCustomError(consortium, "ConsortiumNotEnoughApprovals")
          .withArgs(proposalId, 1n, 2n);
        await expect(consortium.connect(outsider).execute(proposalId))
          .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownKey")
          .withArgs(outsider.address);
        await consortium.connect(beta1).approve(proposalId);
        await expect(consortium.connect(alpha1).execute(proposalId))
          .to.be.revertedWithCustomError(consortium, "ConsortiumProposalClosed")
          .withArgs(proposalId);
        await expect(consortium.connect(alpha1).execute(99))
          .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownProposal")
          .withArgs(99);
      });

      it("refuses to suspend the last active member (governance would lock itself)", async function () {
        const { consortium, alpha1 } = await networkHelpers.loadFixture(oneOfThree);
        await enact(consortium, Kind.Suspend, Payload.member(BETA), [alpha1]);
        await enact(consortium, Kind.Suspend, Payload.member(GAMMA), [alpha1]);
        expect(await consortium.activeMembers()).to.equal(1n);
        await expect(consortium.connect(alpha1).propose(Kind.Suspend, Payload.member(ALPHA)))
          .to.be.revertedWithCustomError(consortium, "ConsortiumLastActiveMember")
          .withArgs(ALPHA);
        expect(await consortium.activeMembers()).to.equal(1n);
      });
    });

    describe("cancel", function () {
      it("lets the proposer withdraw its open proposal, through any of its keys", async function () {
        const { consortium, alpha1, alpha2 } = await networkHelpers.loadFixture(twoOfThree);
        const { proposalId } = await propose(
          consortium,
          alpha1,
          Kind.SetThreshold,
          Payload.threshold(3),
        );
        const tx = await consortium.connect(alpha2).cancel(proposalId);
        expect(await eventsOf(consortium, tx)).to.deep.equal([["ProposalCancelled", proposalId]]);
        expect((await consortium.proposal(proposalId)).status).to.equal(Status.Cancelled);
        expect(await consortium.threshold()).to.equal(2n);
      });

      it("reverts for another member (ConsortiumNotProposer)", async function () {
        const { consortium, alpha1, beta1 } = await networkHelpers.loadFixture(twoOfThree);
        const { proposalId } = await propose(
          consortium,
          alpha1,
          Kind.SetThreshold,
          Payload.threshold(3),
        );
        await expect(consortium.connect(beta1).cancel(proposalId))
          .to.be.revertedWithCustomError(consortium, "ConsortiumNotProposer")
          .withArgs(proposalId, BETA);
        expect((await consortium.proposal(proposalId)).status).to.equal(Status.Open);
      });

      it("reverts for an unknown, closed or expired proposal and for a non-member", async function () {
        const { consortium, alpha1, beta1, outsider } =
          await networkHelpers.loadFixture(twoOfThree);
        await expect(consortium.connect(alpha1).cancel(1))
          .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownProposal")
          .withArgs(1);

        const executed = await enact(consortium, Kind.SetThreshold, Payload.threshold(3), [
          alpha1,
          beta1,
        ]);
        await expect(consortium.connect(alpha1).cancel(executed.proposalId))
          .to.be.revertedWithCustomError(consortium, "ConsortiumProposalClosed")
          .withArgs(executed.proposalId);

        const cancelled = await propose(
          consortium,
          alpha1,
          Kind.SetThreshold,
          Payload.threshold(2),
        );
        await consortium.connect(alpha1).cancel(cancelled.proposalId);
        await expect(consortium.connect(alpha1).cancel(cancelled.proposalId))
          .to.be.revertedWithCustomError(consortium, "ConsortiumProposalClosed")
          .withArgs(cancelled.proposalId);

        const expired = await propose(consortium, alpha1, Kind.SetThreshold, Payload.threshold(2));
        const { expiresAt } = await consortium.proposal(expired.proposalId);
        await networkHelpers.time.increase(7n * DAY + 1n);
        await expect(consortium.connect(alpha1).cancel(expired.proposalId))
          .to.be.revertedWithCustomError(consortium, "ConsortiumProposalExpired")
          .withArgs(expired.proposalId, expiresAt);

        await expect(consortium.connect(outsider).cancel(expired.proposalId))
          .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownKey")
          .withArgs(outsider.address);
      });
    });

    describe("actions", function () {
      it("Admit admits a member that can then act", async function () {
        const { consortium, alpha1, beta1, delta1, delta2 } =
          await networkHelpers.loadFixture(twoOfThree);
        const keys = [delta1.address, delta2.address];
        const { tx } = await enact(
          consortium,
          Kind.Admit,
          Payload.admit(DELTA, DELTA_NAME, Role.PROVIDER | Role.LENDER, keys),
          [alpha1, beta1],
        );
        await expect(tx)
          .to.emit(consortium, "MemberAdmitted")
          .withArgs(DELTA, 4, DELTA_NAME, 9, keys);
        const admittedAt = await txTime(tx);
        expect([...(await consortium.member(DELTA))]).to.deep.equal([
          4n,
          9n,
          false,
          admittedAt,
          2n,
        ]);
        expect(await consortium.memberId(4)).to.equal(DELTA);
        expect([...(await consortium.keyOf(delta2.address))]).to.deep.equal([DELTA, true]);
        expect(await consortium.activeMembers()).to.equal(4n);
        expect(await consortium.requiredApprovals()).to.equal(2n);
        expect([...(await consortium.authorize(delta2.address, Role.LENDER))]).to.deep.equal([
          4n,
          DELTA,
        ]);
        expect(
          (await propose(consortium, delta1, Kind.SetThreshold, Payload.threshold(4))).proposalId,
        ).to.equal(2n);
      });

      it("SetRoles replaces a member's roles", async function () {
        const { consortium, alpha1, beta1 } = await networkHelpers.loadFixture(twoOfThree);
        expect(await consortium.hasActiveRole(2, Role.LENDER)).to.equal(true);
        const { tx } = await enact(
          consortium,
          Kind.SetRoles,
          Payload.setRoles(BETA, Role.SCORER | Role.REGULATOR),
          [alpha1, beta1],
        );
        await expect(tx).to.emit(consortium, "MemberRolesChanged").withArgs(BETA, 18);
        expect((await consortium.member(BETA)).roles).to.equal(18n);
        expect(await consortium.hasActiveRole(2, Role.LENDER)).to.equal(false);
        expect(await consortium.hasActiveRole(2, Role.REGULATOR)).to.equal(true);
      });

      it("SetScope grants, extends and removes (expiresAt 0) a provider's accreditation", async function () {
        const { consortium, alpha1, beta1, scopeExpiresAt } =
          await networkHelpers.loadFixture(twoOfThree);
        const later = scopeExpiresAt + 100n * DAY;

        const granted = await enact(
          consortium,
          Kind.SetScope,
          Payload.setScope(ALPHA, LOAN, later),
          [alpha1, beta1],
        );
        await expect(granted.tx).to.emit(consortium, "ScopeSet").withArgs(ALPHA, LOAN, later);
        expect(await consortium.scope(ALPHA, LOAN)).to.equal(later);

        const extended = await enact(
          consortium,
          Kind.SetScope,
          Payload.setScope(ALPHA, TAX, later),
          [beta1, alpha1],
        );
        await expect(extended.tx).to.emit(consortium, "ScopeSet").withArgs(ALPHA, TAX, later);
        expect(await consortium.scope(ALPHA, TAX)).to.equal(later);

        const removed = await enact(consortium, Kind.SetScope, Payload.setScope(ALPHA, TAX, 0n), [
          alpha1,
          beta1,
        ]);
        await expect(removed.tx).to.emit(consortium, "ScopeSet").withArgs(ALPHA, TAX, 0);
        expect(await consortium.scope(ALPHA, TAX)).to.equal(0n);
        expect(await consortium.scope(ALPHA, UTILITY)).to.equal(scopeExpiresAt);
      });

      it("SetScope with expiresAt 0 is accepted for a non-provider", async function () {
        const { consortium, alpha1, beta1 } = await networkHelpers.loadFixture(twoOfThree);
        const { tx } = await enact(consortium, Kind.SetScope, Payload.setScope(BETA, TAX, 0n), [
          alpha1,
          beta1,
        ]);
        await expect(tx).to.emit(consortium, "ScopeSet").withArgs(BETA, TAX, 0);
      });

      it("Suspend suspends a member and lowers the active count", async function () {
        const { consortium, alpha1, beta1 } = await networkHelpers.loadFixture(twoOfThree);
        const { tx } = await enact(consortium, Kind.Suspend, Payload.member(GAMMA), [
          alpha1,
          beta1,
        ]);
        await expect(tx).to.emit(consortium, "MemberSuspended").withArgs(GAMMA);
        expect((await consortium.member(GAMMA)).suspended).to.equal(true);
        expect(await consortium.activeMembers()).to.equal(2n);
        expect(await consortium.threshold()).to.equal(2n);
      });

      it("Reinstate reinstates a suspended member", async function () {
        const { consortium, alpha1, beta1, gamma1 } = await networkHelpers.loadFixture(twoOfThree);
        await enact(consortium, Kind.Suspend, Payload.member(GAMMA), [alpha1, beta1]);
        const { tx } = await enact(consortium, Kind.Reinstate, Payload.member(GAMMA), [
          beta1,
          alpha1,
        ]);
        await expect(tx).to.emit(consortium, "MemberReinstated").withArgs(GAMMA);
        expect((await consortium.member(GAMMA)).suspended).to.equal(false);
        expect(await consortium.activeMembers()).to.equal(3n);
        const { tx: byGamma } = await propose(
          consortium,
          gamma1,
          Kind.SetThreshold,
          Payload.threshold(3),
        );
        await expect(byGamma)
          .to.emit(consortium, "ProposalApproved")
          .withArgs(anyValue, GAMMA, 1, 2);
      });

      it("AddKey adds a key that can act for the member", async function () {
        const { consortium, alpha1, beta1, spare1 } = await networkHelpers.loadFixture(twoOfThree);
        const { tx } = await enact(consortium, Kind.AddKey, Payload.key(BETA, spare1.address), [
          alpha1,
          beta1,
        ]);
        await expect(tx).to.emit(consortium, "KeyAdded").withArgs(BETA, spare1.address);
        expect((await consortium.member(BETA)).keyCount).to.equal(2n);
        expect([...(await consortium.keyOf(spare1.address))]).to.deep.equal([BETA, true]);
        expect([...(await consortium.authorize(spare1.address, Role.SCORER))]).to.deep.equal([
          2n,
          BETA,
        ]);
      });

      it("RevokeKey revokes a member's key, recording the executing key as revoker", async function () {
        const { consortium, alpha1, alpha2, beta1, gamma1 } =
          await networkHelpers.loadFixture(twoOfThree);
        const { tx } = await enact(consortium, Kind.RevokeKey, Payload.key(ALPHA, alpha2.address), [
          gamma1,
          beta1,
        ]);
        await expect(tx)
          .to.emit(consortium, "KeyRevoked")
          .withArgs(ALPHA, alpha2.address, beta1.address);
        expect((await consortium.member(ALPHA)).keyCount).to.equal(1n);
        expect([...(await consortium.keyOf(alpha2.address))]).to.deep.equal([ALPHA, false]);
        await expect(consortium.authorize(alpha2.address, Role.OPERATOR))
          .to.be.revertedWithCustomError(consortium, "ConsortiumKeyRevoked")
          .withArgs(alpha2.address);
        expect([...(await consortium.authorize(alpha1.address, Role.OPERATOR))]).to.deep.equal([
          1n,
          ALPHA,
        ]);
      });

      it("SetThreshold changes the approvals needed", async function () {
        const { consortium, alpha1, beta1 } = await networkHelpers.loadFixture(twoOfThree);
        const { tx } = await enact(consortium, Kind.SetThreshold, Payload.threshold(3), [
          alpha1,
          beta1,
        ]);
        await expect(tx).to.emit(consortium, "ThresholdChanged").withArgs(3);
        expect(await consortium.threshold()).to.equal(3n);
        expect(await consortium.requiredApprovals()).to.equal(3n);
      });

      it("SetParameter changes a parameter", async function () {
        const { consortium, alpha1, beta1 } = await networkHelpers.loadFixture(twoOfThree);
        const { tx } = await enact(
          consortium,
          Kind.SetParameter,
          Payload.parameter("disputePeriod", 30n * DAY),
          [alpha1, beta1],
        );
        await expect(tx)
          .to.emit(consortium, "ParameterChanged")
          .withArgs(param("disputePeriod"), 30n * DAY);
        expect(await consortium.parameter(param("disputePeriod"))).to.equal(30n * DAY);
        expect(await consortium.parameter(param("votingPeriod"))).to.equal(7n * DAY);
      });

      it("SetParameter accepts the bounds (1 hour, 0 for a repair period, 3650 days)", async function () {
        const { consortium, alpha1, beta1 } = await networkHelpers.loadFixture(oneOfThree);
        const cases: [string, bigint][] = [
          ["disputePeriod", HOUR],
          ["votingPeriod", HOUR],
          ["repairPeriod.general", 0n],
          ["repairPeriod.serious", 3650n * DAY],
          ["repairPeriod.minor", 3650n * DAY],
          ["votingPeriod", 3650n * DAY],
        ];
        for (const [name, value] of cases) {
          await enact(consortium, Kind.SetParameter, Payload.parameter(name, value), [beta1]);
          expect(await consortium.parameter(param(name))).to.equal(value);
        }
        // the voting period of later proposals follows the parameter
        const { tx } = await propose(consortium, alpha1, Kind.SetThreshold, Payload.threshold(1));
        await expect(tx)
          .to.emit(consortium, "ProposalCreated")
          .withArgs(
            7n,
            ALPHA,
            Kind.SetThreshold,
            Payload.threshold(1),
            (await txTime(tx)) + 3650n * DAY,
          );
      });
    });

    describe("requiredApprovals", function () {
      it("is min(threshold, active members) after suspensions", async function () {
        const { consortium, alpha1, beta1, gamma1 } =
          await networkHelpers.loadFixture(threeOfThree);
        // Gamma votes for its own suspension: 3 of 3
        await enact(consortium, Kind.Suspend, Payload.member(GAMMA), [alpha1, beta1, gamma1]);
        expect(await consortium.threshold()).to.equal(3n);
        expect(await consortium.activeMembers()).to.equal(2n);
        expect(await consortium.requiredApprovals()).to.equal(2n);

        // two approvals now execute
        const { proposalId, tx } = await propose(
          consortium,
          beta1,
          Kind.SetRoles,
          Payload.setRoles(BETA, Role.SCORER),
        );
        await expect(tx).to.emit(consortium, "ProposalApproved").withArgs(proposalId, BETA, 1, 2);
        await expect(consortium.connect(alpha1).approve(proposalId))
          .to.emit(consortium, "ProposalExecuted")
          .withArgs(proposalId);

        // down to a single active member: its proposals execute at once
        await enact(consortium, Kind.Suspend, Payload.member(BETA), [alpha1, beta1]);
        expect(await consortium.requiredApprovals()).to.equal(1n);
        const single = await propose(consortium, alpha1, Kind.Reinstate, Payload.member(GAMMA));
        await expect(single.tx)
          .to.emit(consortium, "ProposalApproved")
          .withArgs(single.proposalId, ALPHA, 1, 1);
        await expect(single.tx).to.emit(consortium, "MemberReinstated").withArgs(GAMMA);
        expect(await consortium.activeMembers()).to.equal(2n);
        expect(await consortium.requiredApprovals()).to.equal(2n);
      });

      it("follows admissions only up to the threshold", async function () {
        const { consortium, alpha1, beta1, delta1 } = await networkHelpers.loadFixture(twoOfThree);
        await enact(
          consortium,
          Kind.Admit,
          Payload.admit(DELTA, DELTA_NAME, Role.LENDER, [delta1.address]),
          [alpha1, beta1],
        );
        expect(await consortium.activeMembers()).to.equal(4n);
        expect(await consortium.requiredApprovals()).to.equal(2n);
      });
    });

    describe("payload validation at propose time", function () {
      type Case = [
        title: string,
        kind: number,
        payload: () => string,
        error: string,
        args: () => unknown[],
      ];

      let f: Awaited<ReturnType<typeof twoOfThree>>;
      beforeEach(async function () {
        f = await networkHelpers.loadFixture(twoOfThree);
        // Beta suspended, Alpha's second key revoked: states some checks need
        await enact(f.consortium, Kind.Suspend, Payload.member(BETA), [f.alpha1, f.gamma1]);
        await f.consortium.connect(f.alpha1).revokeOwnKey(f.alpha2.address);
      });

      const cases: Case[] = [
        [
          "Admit: zero id",
          Kind.Admit,
          () => Payload.admit(ZeroHash, DELTA_NAME, 8, [f.delta1.address]),
          "ConsortiumInvalidMember",
          () => [ZeroHash],
        ],
        [
          "Admit: empty name",
          Kind.Admit,
          () => Payload.admit(DELTA, "", 8, [f.delta1.address]),
          "ConsortiumInvalidMember",
          () => [DELTA],
        ],
        [
          "Admit: no key",
          Kind.Admit,
          () => Payload.admit(DELTA, DELTA_NAME, 8, []),
          "ConsortiumInvalidMember",
          () => [DELTA],
        ],
        [
          "Admit: existing member",
          Kind.Admit,
          () => Payload.admit(GAMMA, GAMMA_NAME, 8, [f.delta1.address]),
          "ConsortiumMemberExists",
          () => [GAMMA],
        ],
        [
          "Admit: no role",
          Kind.Admit,
          () => Payload.admit(DELTA, DELTA_NAME, 0, [f.delta1.address]),
          "ConsortiumInvalidRoles",
          () => [0],
        ],
        [
          "Admit: undefined role bit",
          Kind.Admit,
          () => Payload.admit(DELTA, DELTA_NAME, 64, [f.delta1.address]),
          "ConsortiumInvalidRoles",
          () => [64],
        ],
        [
          "Admit: zero key",
          Kind.Admit,
          () => Payload.admit(DELTA, DELTA_NAME, 8, [f.delta1.address, ZeroAddress]),
          "ConsortiumInvalidKey",
          () => [ZeroAddress],
        ],
        [
          "Admit: another member's key",
          Kind.Admit,
          () => Payload.admit(DELTA, DELTA_NAME, 8, [f.gamma1.address]),
          "ConsortiumKeyInUse",
          () => [f.gamma1.address],
        ],
        [
          "Admit: a revoked key",
          Kind.Admit,
          () => Payload.admit(DELTA, DELTA_NAME, 8, [f.alpha2.address]),
          "ConsortiumKeyInUse",
          () => [f.alpha2.address],
        ],
        [
          "Admit: a key twice",
          Kind.Admit,
          () =>
            Payload.admit(DELTA, DELTA_NAME, 8, [
              f.delta1.address,
              f.delta2.address,
              f.delta2.address,
            ]),
          "ConsortiumKeyInUse",
          () => [f.delta2.address],
        ],
        [
          "SetRoles: unknown member",
          Kind.SetRoles,
          () => Payload.setRoles(DELTA, 8),
          "ConsortiumUnknownMember",
          () => [DELTA],
        ],
        [
          "SetRoles: no role",
          Kind.SetRoles,
          () => Payload.setRoles(GAMMA, 0),
          "ConsortiumInvalidRoles",
          () => [0],
        ],
        [
          "SetRoles: undefined role bit",
          Kind.SetRoles,
          () => Payload.setRoles(GAMMA, 255),
          "ConsortiumInvalidRoles",
          () => [255],
        ],
        [
          "SetScope: unknown member",
          Kind.SetScope,
          () => Payload.setScope(DELTA, TAX, 1n),
          "ConsortiumUnknownMember",
          () => [DELTA],
        ],
        [
          "SetScope: zero category",
          Kind.SetScope,
          () => Payload.setScope(ALPHA, ZeroHash, 1n),
          "ConsortiumInvalidScope",
          () => [ALPHA, ZeroHash, 1n],
        ],
        [
          "SetScope: zero category, expiresAt 0",
          Kind.SetScope,
          () => Payload.setScope(ALPHA, ZeroHash, 0n),
          "ConsortiumInvalidScope",
          () => [ALPHA, ZeroHash, 0n],
        ],
        [
          "SetScope: non-provider",
          Kind.SetScope,
          () => Payload.setScope(GAMMA, TAX, 1n),
          "ConsortiumInvalidScope",
          () => [GAMMA, TAX, 1n],
        ],
        [
          "Suspend: unknown member",
          Kind.Suspend,
          () => Payload.member(DELTA),
          "ConsortiumUnknownMember",
          () => [DELTA],
        ],
        [
          "Suspend: already suspended",
          Kind.Suspend,
          () => Payload.member(BETA),
          "ConsortiumMemberSuspended",
          () => [BETA],
        ],
        [
          "Reinstate: unknown member",
          Kind.Reinstate,
          () => Payload.member(DELTA),
          "ConsortiumUnknownMember",
          () => [DELTA],
        ],
        [
          "Reinstate: not suspended",
          Kind.Reinstate,
          () => Payload.member(GAMMA),
          "ConsortiumMemberNotSuspended",
          () => [GAMMA],
        ],
        [
          "AddKey: unknown member",
          Kind.AddKey,
          () => Payload.key(DELTA, f.delta1.address),
          "ConsortiumUnknownMember",
          () => [DELTA],
        ],
        [
          "AddKey: zero key",
          Kind.AddKey,
          () => Payload.key(GAMMA, ZeroAddress),
          "ConsortiumInvalidKey",
          () => [ZeroAddress],
        ],
        [
          "AddKey: the member's own key",
          Kind.AddKey,
          () => Payload.key(GAMMA, f.gamma1.address),
          "ConsortiumKeyInUse",
          () => [f.gamma1.address],
        ],
        [
          "AddKey: another member's key",
          Kind.AddKey,
          () => Payload.key(GAMMA, f.alpha1.address),
          "ConsortiumKeyInUse",
          () => [f.alpha1.address],
        ],
        [
          "AddKey: another member's revoked key",
          Kind.AddKey,
          () => Payload.key(GAMMA, f.alpha2.address),
          "ConsortiumKeyInUse",
          () => [f.alpha2.address],
        ],
        [
          "AddKey: the member's own revoked key",
          Kind.AddKey,
          () => Payload.key(ALPHA, f.alpha2.address),
          "ConsortiumKeyInUse",
          () => [f.alpha2.address],
        ],
        [
          "RevokeKey: unknown member",
          Kind.RevokeKey,
          () => Payload.key(DELTA, f.alpha1.address),
          "ConsortiumUnknownMember",
          () => [DELTA],
        ],
        [
          "RevokeKey: unknown key",
          Kind.RevokeKey,
          () => Payload.key(GAMMA, f.outsider.address),
          "ConsortiumUnknownKey",
          () => [f.outsider.address],
        ],
        [
          "RevokeKey: another member's key",
          Kind.RevokeKey,
          () => Payload.key(GAMMA, f.alpha1.address),
          "ConsortiumUnknownKey",
          () => [f.alpha1.address],
        ],
        [
          "RevokeKey: a revoked key",
          Kind.RevokeKey,
          () => Payload.key(ALPHA, f.alpha2.address),
          "ConsortiumKeyRevoked",
          () => [f.alpha2.address],
        ],
        [
          "RevokeKey: the last key",
          Kind.RevokeKey,
          () => Payload.key(ALPHA, f.alpha1.address),
          "ConsortiumLastKey",
          () => [ALPHA],
        ],
        [
          "SetThreshold: 0",
          Kind.SetThreshold,
          () => Payload.threshold(0),
          "ConsortiumInvalidThreshold",
          () => [0, 2],
        ],
        [
          "SetThreshold: above the active members",
          Kind.SetThreshold,
          () => Payload.threshold(3),
          "ConsortiumInvalidThreshold",
          () => [3, 2],
        ],
        [
          "SetParameter: unknown name",
          Kind.SetParameter,
          () => Payload.parameter("gracePeriod", DAY),
          "ConsortiumUnknownParameter",
          () => [param("gracePeriod")],
        ],
        [
          "SetParameter: dispute period under an hour",
          Kind.SetParameter,
          () => Payload.parameter("disputePeriod", HOUR - 1n),
          "ConsortiumInvalidParameter",
          () => [param("disputePeriod"), HOUR - 1n],
        ],
        [
          "SetParameter: voting period under an hour",
          Kind.SetParameter,
          () => Payload.parameter("votingPeriod", 0n),
          "ConsortiumInvalidParameter",
          () => [param("votingPeriod"), 0n],
        ],
        [
          "SetParameter: dispute period over 3650 days",
          Kind.SetParameter,
          () => Payload.parameter("disputePeriod", 3650n * DAY + 1n),
          "ConsortiumInvalidParameter",
          () => [param("disputePeriod"), 3650n * DAY + 1n],
        ],
        [
          "SetParameter: voting period over 3650 days",
          Kind.SetParameter,
          () => Payload.parameter("votingPeriod", 3651n * DAY),
          "ConsortiumInvalidParameter",
          () => [param("votingPeriod"), 3651n * DAY],
        ],
        [
          "SetParameter: minor repair period over 3650 days",
          Kind.SetParameter,
          () => Payload.parameter("repairPeriod.minor", 3650n * DAY + 1n),
          "ConsortiumInvalidParameter",
          () => [param("repairPeriod.minor"), 3650n * DAY + 1n],
        ],
        [
          "SetParameter: general repair period over 3650 days",
          Kind.SetParameter,
          () => Payload.parameter("repairPeriod.general", 2n ** 64n - 1n),
          "ConsortiumInvalidParameter",
          () => [param("repairPeriod.general"), 2n ** 64n - 1n],
        ],
        [
          "SetParameter: serious repair period over 3650 days",
          Kind.SetParameter,
          () => Payload.parameter("repairPeriod.serious", 3650n * DAY + 1n),
          "ConsortiumInvalidParameter",
          () => [param("repairPeriod.serious"), 3650n * DAY + 1n],
        ],
      ];

      for (const [title, kind, payload, error, args] of cases) {
        it(`${title} → ${error}`, async function () {
          await expect(f.consortium.connect(f.gamma1).propose(kind, payload()))
            .to.be.revertedWithCustomError(f.consortium, error)
            .withArgs(...args());
        });
      }

      it("creates no proposal when validation fails", async function () {
        await expect(
          f.consortium.connect(f.gamma1).propose(Kind.SetThreshold, Payload.threshold(0)),
        ).to.be.revert(ethers);
        // the two proposals of beforeEach (Suspend executed) leave the next id at 2
        expect(
          (await propose(f.consortium, f.gamma1, Kind.SetThreshold, Payload.threshold(2)))
            .proposalId,
        ).to.equal(2n);
      });
    });

    describe("malformed proposals", function () {
      it("revert without a reason for payload bytes that do not decode", async function () {
        const { consortium, alpha1 } = await networkHelpers.loadFixture(twoOfThree);
        await expect(
          consortium.connect(alpha1).propose(Kind.Admit, "0x1234"),
        ).to.be.revertedWithoutReason(ethers);
        await expect(
          consortium.connect(alpha1).propose(Kind.Suspend, "0x"),
        ).to.be.revertedWithoutReason(ethers);
        await expect(
          consortium
            .connect(alpha1)
            .propose(Kind.SetParameter, abi.encode(["bytes32"], [param("votingPeriod")])),
        ).to.be.revertedWithoutReason(ethers);
      });

      it("revert without a reason for a value out of its type's range", async function () {
        const { consortium, alpha1 } = await networkHelpers.loadFixture(twoOfThree);
        // roles is a uint8: 256 does not fit
        await expect(
          consortium
            .connect(alpha1)
            .propose(Kind.SetRoles, abi.encode(["bytes32", "uint256"], [BETA, 256])),
        ).to.be.revertedWithoutReason(ethers);
        // an address with dirty upper bits
        await expect(
          consortium
            .connect(alpha1)
            .propose(Kind.AddKey, abi.encode(["bytes32", "uint256"], [BETA, 2n ** 160n])),
        ).to.be.revertedWithoutReason(ethers);
      });

      it("revert without a reason for a kind outside ActionKind", async function () {
        const { consortium, alpha1 } = await networkHelpers.loadFixture(twoOfThree);
        await expect(
          consortium.connect(alpha1).propose(9, Payload.threshold(1)),
        ).to.be.revertedWithoutReason(ethers);
      });
    });

    describe("re-validation at execution", function () {
      it("Admit: the second of two admissions of the same member cannot execute", async function () {
        const { consortium, alpha1, beta1, gamma1, delta1, delta2 } =
          await networkHelpers.loadFixture(twoOfThree);
        const first = await propose(
          consortium,
          alpha1,
          Kind.Admit,
          Payload.admit(DELTA, DELTA_NAME, 8, [delta1.address]),
        );
        const second = await propose(
          consortium,
          beta1,
          Kind.Admit,
          Payload.admit(DELTA, DELTA_NAME, 8, [delta2.address]),
        );
        await consortium.connect(gamma1).approve(first.proposalId);
        await expect(consortium.connect(gamma1).approve(second.proposalId))
          .to.be.revertedWithCustomError(consortium, "ConsortiumMemberExists")
          .withArgs(DELTA);
        expect((await consortium.proposal(second.proposalId)).status).to.equal(Status.Open);
        expect(await consortium.hasApproved(second.proposalId, GAMMA)).to.equal(false);
      });

      it("AddKey: a key added by one proposal cannot be added by another", async function () {
        const { consortium, alpha1, beta1, gamma1, spare1 } =
          await networkHelpers.loadFixture(twoOfThree);
        const first = await propose(
          consortium,
          alpha1,
          Kind.AddKey,
          Payload.key(BETA, spare1.address),
        );
        const second = await propose(
          consortium,
          alpha1,
          Kind.AddKey,
          Payload.key(GAMMA, spare1.address),
        );
        await consortium.connect(beta1).approve(first.proposalId);
        await expect(consortium.connect(gamma1).approve(second.proposalId))
          .to.be.revertedWithCustomError(consortium, "ConsortiumKeyInUse")
          .withArgs(spare1.address);
      });

      it("Suspend and Reinstate: a second one of the same cannot execute", async function () {
        const { consortium, alpha1, beta1, gamma1 } = await networkHelpers.loadFixture(twoOfThree);
        const s1 = await propose(consortium, alpha1, Kind.Suspend, Payload.member(GAMMA));
        const s2 = await propose(consortium, beta1, Kind.Suspend, Payload.member(GAMMA));
        await consortium.connect(beta1).approve(s1.proposalId);
        await expect(consortium.connect(alpha1).approve(s2.proposalId))
          .to.be.revertedWithCustomError(consortium, "ConsortiumMemberSuspended")
          .withArgs(GAMMA);

        const r1 = await propose(consortium, alpha1, Kind.Reinstate, Payload.member(GAMMA));
        const r2 = await propose(consortium, beta1, Kind.Reinstate, Payload.member(GAMMA));
        await consortium.connect(beta1).approve(r1.proposalId);
        await expect(consortium.connect(alpha1).approve(r2.proposalId))
          .to.be.revertedWithCustomError(consortium, "ConsortiumMemberNotSuspended")
          .withArgs(GAMMA);
        expect(await consortium.activeMembers()).to.equal(3n);
        const { tx: byGamma } = await propose(
          consortium,
          gamma1,
          Kind.SetThreshold,
          Payload.threshold(3),
        );
        await expect(byGamma)
          .to.emit(consortium, "ProposalApproved")
          .withArgs(anyValue, GAMMA, 1, 2);
      });

      it("SetThreshold: a threshold valid when proposed fails once members are suspended", async function () {
        const { consortium, alpha1, beta1, gamma1 } =
          await networkHelpers.loadFixture(threeOfThree);
        const raise = await propose(consortium, alpha1, Kind.SetThreshold, Payload.threshold(3));
        await enact(consortium, Kind.Suspend, Payload.member(GAMMA), [alpha1, beta1, gamma1]);
        await expect(consortium.connect(beta1).approve(raise.proposalId))
          .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidThreshold")
          .withArgs(3, 2);
      });
    });
  });

  describe("suspended members", function () {
    it("cannot propose, approve, cancel, revoke keys, register schemas or models, nor be authorized", async function () {
      const { consortium, alpha1, alpha2, beta1, gamma1 } =
        await networkHelpers.loadFixture(twoOfThreeWithSchemas);
      const pending = await propose(consortium, alpha1, Kind.SetThreshold, Payload.threshold(3));
      await enact(consortium, Kind.Suspend, Payload.member(ALPHA), [beta1, gamma1]);
      const suspended = (call: Promise<unknown>) =>
        expect(call)
          .to.be.revertedWithCustomError(consortium, "ConsortiumMemberSuspended")
          .withArgs(ALPHA);

      await suspended(consortium.connect(alpha1).propose(Kind.SetThreshold, Payload.threshold(1)));
      await suspended(consortium.connect(alpha2).approve(pending.proposalId));
      await suspended(consortium.connect(alpha1).cancel(pending.proposalId));
      await suspended(consortium.connect(alpha1).revokeOwnKey(alpha2.address));
      await suspended(consortium.connect(alpha1).registerSchema(TAX_NAME, TAX_DEF_V2));
      await suspended(consortium.authorize(alpha1.address, Role.OPERATOR));
      await suspended(consortium.authorize(alpha2.address, Role.PROVIDER));
      await suspended(
        consortium.authorizeProvider(alpha1.address, keccak256(toUtf8Bytes(TAX_DEF))),
      );
      expect(await consortium.hasActiveRole(1, Role.OPERATOR)).to.equal(false);
      expect(await consortium.isAccredited(1, 1)).to.equal(false);
    });

    it("cannot register models", async function () {
      const { consortium, alpha1, beta1 } = await networkHelpers.loadFixture(twoOfThree);
      await enact(consortium, Kind.Suspend, Payload.member(BETA), [alpha1, beta1]);
      await expect(consortium.connect(beta1).registerModel(MODEL, MODEL_URI))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMemberSuspended")
        .withArgs(BETA);
      await expect(consortium.authorize(beta1.address, Role.SCORER))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMemberSuspended")
        .withArgs(BETA);
    });

    it("can act again once reinstated", async function () {
      const { consortium, alpha1, alpha2, beta1, gamma1, taxSchema } =
        await networkHelpers.loadFixture(twoOfThreeWithSchemas);
      await enact(consortium, Kind.Suspend, Payload.member(ALPHA), [beta1, gamma1]);
      await enact(consortium, Kind.Reinstate, Payload.member(ALPHA), [gamma1, beta1]);

      expect(await consortium.hasActiveRole(1, Role.OPERATOR)).to.equal(true);
      expect(await consortium.isAccredited(1, 1)).to.equal(true);
      expect([...(await consortium.authorizeProvider(alpha2.address, taxSchema))]).to.deep.equal([
        1n,
        ALPHA,
        1n,
      ]);
      await expect(consortium.connect(alpha1).registerSchema(TAX_NAME, TAX_DEF_V2)).to.emit(
        consortium,
        "SchemaRegistered",
      );
      const { proposalId } = await propose(
        consortium,
        alpha1,
        Kind.SetThreshold,
        Payload.threshold(3),
      );
      await expect(consortium.connect(beta1).approve(proposalId))
        .to.emit(consortium, "ThresholdChanged")
        .withArgs(3);
      await expect(consortium.connect(alpha1).revokeOwnKey(alpha2.address))
        .to.emit(consortium, "KeyRevoked")
        .withArgs(ALPHA, alpha2.address, alpha1.address);
    });
  });

  describe("keys", function () {
    it("any key of a member acts for it", async function () {
      const { consortium, alpha1, alpha2 } = await networkHelpers.loadFixture(twoOfThree);
      expect([...(await consortium.authorize(alpha1.address, Role.OPERATOR))]).to.deep.equal([
        1n,
        ALPHA,
      ]);
      expect([...(await consortium.authorize(alpha2.address, Role.OPERATOR))]).to.deep.equal([
        1n,
        ALPHA,
      ]);
      const { tx } = await propose(consortium, alpha2, Kind.SetThreshold, Payload.threshold(3));
      await expect(tx).to.emit(consortium, "ProposalApproved").withArgs(1, ALPHA, 1, 2);
    });

    describe("revokeOwnKey", function () {
      it("revokes another key of the caller's member", async function () {
        const { consortium, alpha1, alpha2 } = await networkHelpers.loadFixture(twoOfThree);
        const tx = await consortium.connect(alpha1).revokeOwnKey(alpha2.address);
        expect(await eventsOf(consortium, tx)).to.deep.equal([
          ["KeyRevoked", ALPHA, alpha2.address, alpha1.address],
        ]);
        expect([...(await consortium.keyOf(alpha2.address))]).to.deep.equal([ALPHA, false]);
        expect((await consortium.member(ALPHA)).keyCount).to.equal(1n);
        await expect(consortium.connect(alpha2).propose(Kind.SetThreshold, Payload.threshold(3)))
          .to.be.revertedWithCustomError(consortium, "ConsortiumKeyRevoked")
          .withArgs(alpha2.address);
        await expect(consortium.connect(alpha2).registerSchema(TAX_NAME, TAX_DEF))
          .to.be.revertedWithCustomError(consortium, "ConsortiumKeyRevoked")
          .withArgs(alpha2.address);
      });

      it("revokes the calling key itself", async function () {
        const { consortium, alpha1, alpha2 } = await networkHelpers.loadFixture(twoOfThree);
        await expect(consortium.connect(alpha2).revokeOwnKey(alpha2.address))
          .to.emit(consortium, "KeyRevoked")
          .withArgs(ALPHA, alpha2.address, alpha2.address);
        await expect(consortium.connect(alpha2).revokeOwnKey(alpha1.address))
          .to.be.revertedWithCustomError(consortium, "ConsortiumKeyRevoked")
          .withArgs(alpha2.address);
      });

      it("reverts for another member's key", async function () {
        const { consortium, alpha1, beta1 } = await networkHelpers.loadFixture(twoOfThree);
        await expect(consortium.connect(alpha1).revokeOwnKey(beta1.address))
          .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownKey")
          .withArgs(beta1.address);
        expect([...(await consortium.keyOf(beta1.address))]).to.deep.equal([BETA, true]);
      });

      it("reverts for an unknown key and for an unknown caller", async function () {
        const { consortium, alpha1, outsider } = await networkHelpers.loadFixture(twoOfThree);
        await expect(consortium.connect(alpha1).revokeOwnKey(outsider.address))
          .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownKey")
          .withArgs(outsider.address);
        await expect(consortium.connect(outsider).revokeOwnKey(alpha1.address))
          .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownKey")
          .withArgs(outsider.address);
      });

      it("reverts for the last key", async function () {
        const { consortium, alpha1, alpha2, beta1 } = await networkHelpers.loadFixture(twoOfThree);
        await expect(consortium.connect(beta1).revokeOwnKey(beta1.address))
          .to.be.revertedWithCustomError(consortium, "ConsortiumLastKey")
          .withArgs(BETA);
        await consortium.connect(alpha1).revokeOwnKey(alpha2.address);
        await expect(consortium.connect(alpha1).revokeOwnKey(alpha1.address))
          .to.be.revertedWithCustomError(consortium, "ConsortiumLastKey")
          .withArgs(ALPHA);
      });

      it("reverts for an already revoked key", async function () {
        const { consortium, alpha1, alpha2, beta1, spare1 } =
          await networkHelpers.loadFixture(twoOfThree);
        await enact(consortium, Kind.AddKey, Payload.key(ALPHA, spare1.address), [alpha1, beta1]);
        await consortium.connect(alpha1).revokeOwnKey(alpha2.address);
        await expect(consortium.connect(spare1).revokeOwnKey(alpha2.address))
          .to.be.revertedWithCustomError(consortium, "ConsortiumKeyRevoked")
          .withArgs(alpha2.address);
        expect((await consortium.member(ALPHA)).keyCount).to.equal(2n);
      });
    });

    it("a key added by governance after a revocation keeps the member alive", async function () {
      const { consortium, alpha1, alpha2, beta1, spare1 } =
        await networkHelpers.loadFixture(twoOfThree);
      await consortium.connect(alpha1).revokeOwnKey(alpha2.address);
      await enact(consortium, Kind.AddKey, Payload.key(ALPHA, spare1.address), [alpha1, beta1]);
      expect((await consortium.member(ALPHA)).keyCount).to.equal(2n);
      await expect(consortium.connect(spare1).revokeOwnKey(alpha1.address))
        .to.emit(consortium, "KeyRevoked")
        .withArgs(ALPHA, alpha1.address, spare1.address);
      expect([...(await consortium.authorize(spare1.address, Role.OPERATOR))]).to.deep.equal([
        1n,
        ALPHA,
      ]);
    });

    it("a key of one member is never added to another, even after revocation", async function () {
      const { consortium, alpha1, alpha2, beta1 } = await networkHelpers.loadFixture(twoOfThree);
      await expect(
        consortium.connect(beta1).propose(Kind.AddKey, Payload.key(BETA, alpha2.address)),
      )
        .to.be.revertedWithCustomError(consortium, "ConsortiumKeyInUse")
        .withArgs(alpha2.address);
      await consortium.connect(alpha1).revokeOwnKey(alpha2.address);
      await expect(
        consortium.connect(beta1).propose(Kind.AddKey, Payload.key(BETA, alpha2.address)),
      )
        .to.be.revertedWithCustomError(consortium, "ConsortiumKeyInUse")
        .withArgs(alpha2.address);
      expect([...(await consortium.keyOf(alpha2.address))]).to.deep.equal([ALPHA, false]);
    });
  });

  describe("registerSchema", function () {
    it("registers a schema under the keccak256 of its definition, with sequential indexes", async function () {
      const { consortium, alpha1, alpha2 } = await networkHelpers.loadFixture(twoOfThree);
      const expected = keccak256(toUtf8Bytes(TAX_DEF));
      expect(
        await consortium.connect(alpha1).registerSchema.staticCall(TAX_NAME, TAX_DEF),
      ).to.equal(expected);
      expect(await consortium.schemaIndex(expected)).to.equal(0n);

      const first = await consortium.connect(alpha1).registerSchema(TAX_NAME, TAX_DEF);
      expect(await eventsOf(consortium, first)).to.deep.equal([
        ["SchemaRegistered", expected, TAX, 1n, TAX_NAME, TAX_DEF, ALPHA],
      ]);
      expect(await consortium.schemaIndex(expected)).to.equal(1n);

      // a second version of the same category, registered through Alpha's other key
      const v2 = keccak256(toUtf8Bytes(TAX_DEF_V2));
      await expect(consortium.connect(alpha2).registerSchema(TAX_NAME, TAX_DEF_V2))
        .to.emit(consortium, "SchemaRegistered")
        .withArgs(v2, TAX, 2, TAX_NAME, TAX_DEF_V2, ALPHA);
      expect(await consortium.schemaIndex(v2)).to.equal(2n);
    });

    it("reverts for a non-operator and for a non-member", async function () {
      const { consortium, beta1, outsider } = await networkHelpers.loadFixture(twoOfThree);
      await expect(consortium.connect(beta1).registerSchema(TAX_NAME, TAX_DEF))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
        .withArgs(BETA, Role.OPERATOR);
      await expect(consortium.connect(outsider).registerSchema(TAX_NAME, TAX_DEF))
        .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownKey")
        .withArgs(outsider.address);
    });

    it("reverts for a duplicate definition, whatever its category name", async function () {
      const { consortium, alpha1, taxSchema } =
        await networkHelpers.loadFixture(twoOfThreeWithSchemas);
      await expect(consortium.connect(alpha1).registerSchema(TAX_NAME, TAX_DEF))
        .to.be.revertedWithCustomError(consortium, "ConsortiumSchemaExists")
        .withArgs(taxSchema);
      await expect(consortium.connect(alpha1).registerSchema(UTILITY_NAME, TAX_DEF))
        .to.be.revertedWithCustomError(consortium, "ConsortiumSchemaExists")
        .withArgs(taxSchema);
    });

    it("reverts for an empty category name or definition", async function () {
      const { consortium, alpha1 } = await networkHelpers.loadFixture(twoOfThree);
      await expect(consortium.connect(alpha1).registerSchema("", TAX_DEF))
        .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidSchema")
        .withArgs(keccak256(toUtf8Bytes(TAX_DEF)));
      await expect(consortium.connect(alpha1).registerSchema(TAX_NAME, ""))
        .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidSchema")
        .withArgs(keccak256("0x"));
    });
  });

  describe("registerModel", function () {
    it("registers a model to its scorer", async function () {
      const { consortium, beta1 } = await networkHelpers.loadFixture(twoOfThree);
      expect(await consortium.modelScorer(MODEL)).to.equal(ZeroHash);
      const tx = await consortium.connect(beta1).registerModel(MODEL, MODEL_URI);
      expect(await eventsOf(consortium, tx)).to.deep.equal([
        ["ModelRegistered", MODEL, BETA, MODEL_URI],
      ]);
      expect(await consortium.modelScorer(MODEL)).to.equal(BETA);
    });

    it("reverts for a non-scorer", async function () {
      const { consortium, alpha1 } = await networkHelpers.loadFixture(twoOfThree);
      await expect(consortium.connect(alpha1).registerModel(MODEL, MODEL_URI))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
        .withArgs(ALPHA, Role.SCORER);
    });

    it("reverts for the zero hash", async function () {
      const { consortium, beta1 } = await networkHelpers.loadFixture(twoOfThree);
      await expect(consortium.connect(beta1).registerModel(ZeroHash, MODEL_URI))
        .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidModel")
        .withArgs(ZeroHash);
    });

    it("reverts for a model already registered, by any scorer", async function () {
      const { consortium, alpha1, beta1, gamma1 } = await networkHelpers.loadFixture(twoOfThree);
      await consortium.connect(beta1).registerModel(MODEL, MODEL_URI);
      await expect(consortium.connect(beta1).registerModel(MODEL, "ipfs://other"))
        .to.be.revertedWithCustomError(consortium, "ConsortiumModelExists")
        .withArgs(MODEL);
      await enact(consortium, Kind.SetRoles, Payload.setRoles(GAMMA, Role.SCORER), [
        alpha1,
        gamma1,
      ]);
      await expect(consortium.connect(gamma1).registerModel(MODEL, MODEL_URI))
        .to.be.revertedWithCustomError(consortium, "ConsortiumModelExists")
        .withArgs(MODEL);
      expect(await consortium.modelScorer(MODEL)).to.equal(BETA);
    });
  });

  describe("authorize", function () {
    it("resolves a key to its member when it holds every requested role bit", async function () {
      const { consortium, alpha2, gamma1 } = await networkHelpers.loadFixture(twoOfThree);
      expect([...(await consortium.authorize(alpha2.address, Role.PROVIDER))]).to.deep.equal([
        1n,
        ALPHA,
      ]);
      expect([
        ...(await consortium.authorize(alpha2.address, Role.PROVIDER | Role.OPERATOR)),
      ]).to.deep.equal([1n, ALPHA]);
      expect([
        ...(await consortium.authorize(gamma1.address, Role.REPAIR_AUTHORITY)),
      ]).to.deep.equal([3n, GAMMA]);
    });

    it("reverts for a missing role, including one missing bit of several", async function () {
      const { consortium, alpha1, beta1 } = await networkHelpers.loadFixture(twoOfThree);
      await expect(consortium.authorize(beta1.address, Role.PROVIDER))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
        .withArgs(BETA, Role.PROVIDER);
      await expect(consortium.authorize(alpha1.address, Role.PROVIDER | Role.SCORER))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
        .withArgs(ALPHA, Role.PROVIDER | Role.SCORER);
    });

    it("reverts for an unknown key and a revoked key", async function () {
      const { consortium, alpha1, alpha2, outsider } = await networkHelpers.loadFixture(twoOfThree);
      await expect(consortium.authorize(outsider.address, Role.LENDER))
        .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownKey")
        .withArgs(outsider.address);
      await expect(consortium.authorize(ZeroAddress, Role.LENDER))
        .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownKey")
        .withArgs(ZeroAddress);
      await consortium.connect(alpha1).revokeOwnKey(alpha2.address);
      await expect(consortium.authorize(alpha2.address, Role.PROVIDER))
        .to.be.revertedWithCustomError(consortium, "ConsortiumKeyRevoked")
        .withArgs(alpha2.address);
    });
  });

  describe("authorizeProvider", function () {
    it("resolves an accredited provider's key and the schema's index", async function () {
      const { consortium, alpha1, alpha2, taxSchema } =
        await networkHelpers.loadFixture(twoOfThreeWithSchemas);
      expect([...(await consortium.authorizeProvider(alpha1.address, taxSchema))]).to.deep.equal([
        1n,
        ALPHA,
        1n,
      ]);
      expect([...(await consortium.authorizeProvider(alpha2.address, taxSchema))]).to.deep.equal([
        1n,
        ALPHA,
        1n,
      ]);
    });

    it("reverts for an unknown key, a revoked key and a non-provider", async function () {
      const { consortium, alpha1, alpha2, beta1, outsider, taxSchema } =
        await networkHelpers.loadFixture(twoOfThreeWithSchemas);
      await expect(consortium.authorizeProvider(outsider.address, taxSchema))
        .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownKey")
        .withArgs(outsider.address);
      await expect(consortium.authorizeProvider(beta1.address, taxSchema))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
        .withArgs(BETA, Role.PROVIDER);
      await consortium.connect(alpha1).revokeOwnKey(alpha2.address);
      await expect(consortium.authorizeProvider(alpha2.address, taxSchema))
        .to.be.revertedWithCustomError(consortium, "ConsortiumKeyRevoked")
        .withArgs(alpha2.address);
    });

    it("reverts for a provider whose PROVIDER role was removed", async function () {
      const { consortium, alpha1, beta1, taxSchema } =
        await networkHelpers.loadFixture(twoOfThreeWithSchemas);
      await enact(consortium, Kind.SetRoles, Payload.setRoles(ALPHA, Role.OPERATOR), [
        alpha1,
        beta1,
      ]);
      await expect(consortium.authorizeProvider(alpha1.address, taxSchema))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
        .withArgs(ALPHA, Role.PROVIDER);
    });

    it("reverts for an unknown schema", async function () {
      const { consortium, alpha1 } = await networkHelpers.loadFixture(twoOfThreeWithSchemas);
      const unknown = keccak256(toUtf8Bytes(TAX_DEF_V2));
      await expect(consortium.authorizeProvider(alpha1.address, unknown))
        .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownSchema")
        .withArgs(unknown);
    });

    it("reverts for a category the provider is not accredited for, or no longer", async function () {
      const { consortium, alpha1, beta1, taxSchema, loanSchema } =
        await networkHelpers.loadFixture(twoOfThreeWithSchemas);
      await expect(consortium.authorizeProvider(alpha1.address, loanSchema))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotAccredited")
        .withArgs(ALPHA, LOAN);
      await enact(consortium, Kind.SetScope, Payload.setScope(ALPHA, TAX, 0n), [alpha1, beta1]);
      await expect(consortium.authorizeProvider(alpha1.address, taxSchema))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotAccredited")
        .withArgs(ALPHA, TAX);
    });

    it("reverts once the accreditation has expired, and passes again after renewal", async function () {
      const { consortium, alpha1, beta1, scopeExpiresAt, taxSchema } =
        await networkHelpers.loadFixture(twoOfThreeWithSchemas);
      await networkHelpers.time.increaseTo(scopeExpiresAt - 10n);
      expect([...(await consortium.authorizeProvider(alpha1.address, taxSchema))]).to.deep.equal([
        1n,
        ALPHA,
        1n,
      ]);
      expect(await consortium.isAccredited(1, 1)).to.equal(true);

      await networkHelpers.time.increaseTo(scopeExpiresAt);
      await expect(consortium.authorizeProvider(alpha1.address, taxSchema))
        .to.be.revertedWithCustomError(consortium, "ConsortiumAccreditationExpired")
        .withArgs(ALPHA, TAX, scopeExpiresAt);
      expect(await consortium.isAccredited(1, 1)).to.equal(false);

      const renewed = scopeExpiresAt + 365n * DAY;
      await enact(consortium, Kind.SetScope, Payload.setScope(ALPHA, TAX, renewed), [
        alpha1,
        beta1,
      ]);
      expect([...(await consortium.authorizeProvider(alpha1.address, taxSchema))]).to.deep.equal([
        1n,
        ALPHA,
        1n,
      ]);
      expect(await consortium.isAccredited(1, 1)).to.equal(true);
    });
  });

  describe("isAccredited and hasActiveRole", function () {
    it("isAccredited is true only for an active, accredited provider and a known schema", async function () {
      const { consortium, alpha1, beta1 } = await networkHelpers.loadFixture(twoOfThreeWithSchemas);
      expect(await consortium.isAccredited(1, 1)).to.equal(true); // Alpha, tax
      expect(await consortium.isAccredited(1, 2)).to.equal(false); // Alpha, loan: not accredited
      expect(await consortium.isAccredited(1, 0)).to.equal(false); // no schema 0
      expect(await consortium.isAccredited(1, 3)).to.equal(false); // unknown schema
      expect(await consortium.isAccredited(2, 1)).to.equal(false); // Beta: not a provider
      expect(await consortium.isAccredited(0, 1)).to.equal(false); // no member 0
      expect(await consortium.isAccredited(9, 1)).to.equal(false); // unknown member

      // the scope outlives the PROVIDER role but no longer counts
      await enact(consortium, Kind.SetRoles, Payload.setRoles(ALPHA, Role.OPERATOR), [
        alpha1,
        beta1,
      ]);
      expect(await consortium.scope(ALPHA, TAX)).to.not.equal(0n);
      expect(await consortium.isAccredited(1, 1)).to.equal(false);
    });

    it("hasActiveRole checks every requested bit of an active member", async function () {
      const { consortium } = await networkHelpers.loadFixture(twoOfThree);
      expect(await consortium.hasActiveRole(1, Role.PROVIDER)).to.equal(true);
      expect(await consortium.hasActiveRole(1, Role.PROVIDER | Role.OPERATOR)).to.equal(true);
      expect(await consortium.hasActiveRole(1, Role.PROVIDER | Role.SCORER)).to.equal(false);
      expect(await consortium.hasActiveRole(2, Role.SCORER)).to.equal(true);
      expect(await consortium.hasActiveRole(2, Role.PROVIDER)).to.equal(false);
      expect(await consortium.hasActiveRole(0, Role.PROVIDER)).to.equal(false);
      expect(await consortium.hasActiveRole(4, Role.PROVIDER)).to.equal(false);
    });
  });

  describe("views", function () {
    it("parameter reverts for an unknown name", async function () {
      const { consortium } = await networkHelpers.loadFixture(twoOfThree);
      await expect(consortium.parameter(param("gracePeriod")))
        .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownParameter")
        .withArgs(param("gracePeriod"));
      await expect(consortium.parameter(ZeroHash))
        .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownParameter")
        .withArgs(ZeroHash);
    });

    it("proposal and hasApproved are empty for unknown proposals and members", async function () {
      const { consortium, alpha1 } = await networkHelpers.loadFixture(twoOfThree);
      expect([...(await consortium.proposal(1))]).to.deep.equal([
        0n,
        0n,
        0n,
        0n,
        Status.None,
        0n,
        "0x",
      ]);
      await propose(consortium, alpha1, Kind.SetThreshold, Payload.threshold(3));
      expect(await consortium.hasApproved(1, ALPHA)).to.equal(true);
      expect(await consortium.hasApproved(1, DELTA)).to.equal(false);
      expect(await consortium.hasApproved(1, ZeroHash)).to.equal(false);
      expect(await consortium.hasApproved(2, ALPHA)).to.equal(false);
    });

    it("schemaIndex and modelScorer are 0 when not registered", async function () {
      const { consortium } = await networkHelpers.loadFixture(twoOfThreeWithSchemas);
      expect(await consortium.schemaIndex(keccak256(toUtf8Bytes(LOAN_DEF)))).to.equal(2n);
      expect(await consortium.schemaIndex(keccak256(toUtf8Bytes(TAX_DEF_V2)))).to.equal(0n);
      expect(await consortium.schemaIndex(ZeroHash)).to.equal(0n);
      expect(await consortium.modelScorer(MODEL)).to.equal(ZeroHash);
    });
  });
});
