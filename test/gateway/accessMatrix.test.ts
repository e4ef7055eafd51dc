/**
 * The access matrix: every query field × every role. A field readable by a role that should not see
 * it fails the test; so does a refusal without the expected code.
 */
import { expect } from "chai";

import { buildSchema } from "graphql";
import { Interface } from "ethers";

import { Role, forwarderDomain, signForwardRequest } from "../../core/index.js";
import { RELAY_OPERATIONS } from "../../gateway/resolvers/relay.js";
import { typeDefs } from "../../gateway/schema/index.js";
import { CreditRegistry__factory } from "../../types/ethers-contracts/factories/contracts/CreditRegistry__factory.js";
import { h } from "../indexer/fixtures.js";
import type { World, WorldMember } from "./world.js";
import {
  CHAIN_ID,
  FORWARDER,
  MID,
  REGISTRY,
  SUBJECT,
  WALLET,
  codes,
  createWorld,
  gql,
} from "./world.js";

const REGISTRY_ABI = new Interface(CreditRegistry__factory.abi);

const ROLES_OF: Record<WorldMember, number> = {
  tax: Role.PROVIDER,
  court: Role.PROVIDER,
  scorer: Role.SCORER,
  bank: Role.LENDER,
  regulator: Role.REGULATOR,
  suspended: Role.LENDER,
  repair: Role.REPAIR_AUTHORITY,
};

type Caller =
  | "anonymous"
  | "provider"
  | "lenderWithConsent"
  | "lenderWithoutConsent"
  | "lenderExpiredConsent"
  | "regulator"
  | "scorer"
  | "suspended";

const CALLERS: Caller[] = [
  "anonymous",
  "provider",
  "lenderWithConsent",
  "lenderWithoutConsent",
  "lenderExpiredConsent",
  "regulator",
  "scorer",
  "suspended",
];

const MEMBER_OF: Record<Caller, WorldMember | null> = {
  anonymous: null,
  provider: "tax",
  lenderWithConsent: "bank",
  lenderWithoutConsent: "bank",
  lenderExpiredConsent: "bank",
  regulator: "regulator",
  scorer: "scorer",
  suspended: "suspended",
};

/** The subject a caller asks about (lenders: the one whose consent state names the caller). */
function subjectFor(caller: Caller): string {
  if (caller === "lenderWithoutConsent") return SUBJECT.C;
  if (caller === "lenderExpiredConsent") return SUBJECT.B;
  return SUBJECT.A;
}

/** "ok", or the expected extensions.code of the refusal. */
type Expect = string;

interface FieldCase {
  field: string;
  query: (caller: Caller, world: World) => string;
  expect: Record<Caller, Expect>;
  /** Whether an allowed read writes an audit entry. */
  audited?: boolean;
}

const UNAUTH = "UNAUTHENTICATED";
const SUSPENDED = "MEMBER_SUSPENDED";

function lenderCodes(
  ok: Expect,
): Pick<
  Record<Caller, Expect>,
  "lenderWithConsent" | "lenderWithoutConsent" | "lenderExpiredConsent"
> {
  return {
    lenderWithConsent: ok,
    lenderWithoutConsent: ok === "ok" ? "CONSENT_REQUIRED" : ok,
    lenderExpiredConsent: ok === "ok" ? "CONSENT_EXPIRED" : ok,
  };
}

const CASES: FieldCase[] = [
  {
    field: "_meta",
    query: () => "{ _meta { indexedBlock } }",
    expect: {
      anonymous: "ok",
      provider: "ok",
      ...lenderCodes("ok"),
      lenderWithoutConsent: "ok",
      lenderExpiredConsent: "ok",
      regulator: "ok",
      scorer: "ok",
      suspended: SUSPENDED,
    },
  },
  {
    field: "subject.attestations",
    query: (c) => `{ subject(subjectId: "${subjectFor(c)}") { attestations { nodes { uid } } } }`,
    expect: {
      anonymous: UNAUTH,
      provider: "ok",
      ...lenderCodes("ok"),
      regulator: "ok",
      scorer: "FORBIDDEN",
      suspended: SUSPENDED,
    },
    audited: true,
  },
  {
    // (subject.score: a field-level FORBIDDEN for providers, see test/scoring/scores.e2e.test.ts)
    field: "subject.disputes/repairs",
    query: (c) => `{ subject(subjectId: "${subjectFor(c)}") { disputes { uid } repairs { uid } } }`,
    expect: {
      anonymous: UNAUTH,
      provider: "ok",
      ...lenderCodes("ok"),
      regulator: "ok",
      scorer: "FORBIDDEN",
      suspended: SUSPENDED,
    },
    audited: true,
  },
  {
    field: "subject.consents",
    query: (c) => `{ subject(subjectId: "${subjectFor(c)}") { consents { nodes { lender } } } }`,
    expect: {
      anonymous: UNAUTH,
      provider: "FORBIDDEN",
      lenderWithConsent: "FORBIDDEN",
      lenderWithoutConsent: "CONSENT_REQUIRED",
      lenderExpiredConsent: "CONSENT_EXPIRED",
      regulator: "ok",
      scorer: "FORBIDDEN",
      suspended: SUSPENDED,
    },
  },
  {
    field: "attestation",
    query: (c, w) =>
      `{ attestation(uid: "${c === "lenderWithoutConsent" ? w.records.taxC : w.records.taxA1}") { uid } }`,
    expect: {
      anonymous: UNAUTH,
      provider: "ok",
      lenderWithConsent: "ok",
      lenderWithoutConsent: "CONSENT_REQUIRED",
      lenderExpiredConsent: "ok",
      regulator: "ok",
      scorer: "FORBIDDEN",
      suspended: SUSPENDED,
    },
    audited: true,
  },
  {
    field: "attestation (another provider's record)",
    query: (_c, w) => `{ attestation(uid: "${w.records.courtA}") { uid } }`,
    expect: {
      anonymous: UNAUTH,
      provider: "FORBIDDEN",
      ...lenderCodes("ok"),
      lenderWithoutConsent: "ok",
      lenderExpiredConsent: "ok",
      regulator: "ok",
      scorer: "FORBIDDEN",
      suspended: SUSPENDED,
    },
  },
  {
    field: "lineage",
    query: (_c, w) => `{ lineage(uid: "${w.records.taxA1}", direction: DEPENDENTS) { root } }`,
    expect: {
      anonymous: UNAUTH,
      provider: "FORBIDDEN",
      ...lenderCodes("FORBIDDEN"),
      regulator: "ok",
      scorer: "FORBIDDEN",
      suspended: SUSPENDED,
    },
  },
  {
    field: "members",
    query: () => "{ members { nodes { id roles keys { address } } } }",
    expect: {
      anonymous: UNAUTH,
      provider: "ok",
      ...lenderCodes("FORBIDDEN"),
      regulator: "ok",
      scorer: "FORBIDDEN",
      suspended: SUSPENDED,
    },
  },
  {
    field: "member",
    query: () => `{ member(id: "${MID.tax}") { name scopes { category } } }`,
    expect: {
      anonymous: UNAUTH,
      provider: "ok",
      ...lenderCodes("FORBIDDEN"),
      regulator: "ok",
      scorer: "FORBIDDEN",
      suspended: SUSPENDED,
    },
  },
  {
    field: "disputes",
    query: () => "{ disputes { nodes { uid } } }",
    expect: {
      anonymous: UNAUTH,
      provider: "FORBIDDEN",
      ...lenderCodes("FORBIDDEN"),
      regulator: "ok",
      scorer: "FORBIDDEN",
      suspended: SUSPENDED,
    },
  },
  {
    field: "repairs",
    query: () => "{ repairs { nodes { uid } } }",
    expect: {
      anonymous: UNAUTH,
      provider: "FORBIDDEN",
      ...lenderCodes("FORBIDDEN"),
      regulator: "ok",
      scorer: "FORBIDDEN",
      suspended: SUSPENDED,
    },
  },
  {
    field: "relayInfo",
    query: () => `{ relayInfo(key: "${WALLET.tax.address}") { nonce } }`,
    expect: {
      anonymous: UNAUTH,
      provider: "ok",
      ...lenderCodes("ok"),
      lenderWithoutConsent: "ok",
      lenderExpiredConsent: "ok",
      regulator: "ok",
      scorer: "ok",
      suspended: SUSPENDED,
    },
  },
  {
    field: "queryAudit",
    query: () => "{ queryAudit { nodes { id } } }",
    expect: {
      anonymous: UNAUTH,
      provider: "FORBIDDEN",
      ...lenderCodes("FORBIDDEN"),
      regulator: "ok",
      scorer: "FORBIDDEN",
      suspended: SUSPENDED,
    },
  },
];

describe("gateway access matrix", function () {
  this.timeout(60_000);
  let world: World;
  const tokens = new Map<WorldMember, string>();

  before(async () => {
    world = await createWorld();
    for (const m of ["tax", "bank", "regulator", "scorer", "suspended"] as const) {
      tokens.set(m, await world.token(m));
    }
  });
  after(async () => {
    await world.close();
  });

  it("covers every Query field and every relay mutation of the schema", () => {
    const schema = buildSchema(typeDefs.join("\n"));
    const covered = new Set(CASES.map((c) => c.field.split(/[ .]/)[0]));
    const fields = Object.keys(schema.getQueryType()?.getFields() ?? {});
    expect(fields.filter((f) => !covered.has(f))).to.deep.equal([]);
    const mutations = Object.keys(schema.getMutationType()?.getFields() ?? {});
    expect(mutations.filter((m) => m !== "submitAttestation").sort()).to.deep.equal(
      Object.keys(RELAY_OPERATIONS).sort(),
    );
  });

  // Every relay mutation × every caller: a request signed with the caller's own key, calling the
  // mutation's own registry function on one of the tax bureau's records. Roles the mutation is
  // not open to are refused with FORBIDDEN before anything else; for the others the role check
  // passes (what follows — ownership, the ledger's dry run — is tested in relay.e2e.test.ts).
  const RELAY_ARGS: Record<string, (w: World) => unknown[]> = {
    anchorBatch: () => [h("schema"), h("root"), 3, "s3://x"],
    revoke: (w) => [w.records.taxA1, h("x")],
    revokeBatch: () => [h("root"), h("x")],
    supersede: (w) => [
      w.records.taxA1,
      {
        schema: h("schema"),
        subject: SUBJECT.A,
        dataHash: h("d"),
        observedAt: 1n,
        expiresAt: 0n,
        severity: 0,
      },
    ],
    answerDispute: (w) => [w.records.taxA1, 1, h("x")],
    openDispute: (w) => [w.records.taxA1, h("x")],
    withdrawDispute: (w) => [w.records.taxA1],
    requestRepair: (w) => [w.records.taxA1, h("x")],
    decideRepair: (w) => [w.records.taxA1, true, h("x")],
    recordConsent: () => [SUBJECT.A, h("purpose"), 10n ** 10n, h("evidence")],
    revokeConsent: () => [SUBJECT.A, h("purpose")],
  };
  for (const [mutation, operation] of Object.entries(RELAY_OPERATIONS)) {
    for (const caller of CALLERS) {
      const member = MEMBER_OF[caller];
      const roles = member === null ? 0 : ROLES_OF[member];
      const allowed = (roles & operation.roles) !== 0;
      const expected =
        member === null
          ? UNAUTH
          : caller === "suspended"
            ? SUSPENDED
            : allowed
              ? "role accepted"
              : "FORBIDDEN";
      it(`mutation ${mutation} × ${caller} → ${expected}`, async () => {
        const token = member === null ? undefined : tokens.get(member);
        const wallet = WALLET[member ?? "tax"];
        const request = await signForwardRequest(wallet, forwarderDomain(CHAIN_ID, FORWARDER), {
          from: wallet.address,
          to: REGISTRY,
          gas: 500_000n,
          nonce: BigInt(world.forwarded.filter((r) => r.from === wallet.address).length),
          deadline: 10n ** 10n,
          data: REGISTRY_ABI.encodeFunctionData(operation.fn, RELAY_ARGS[operation.fn](world)),
        });
        const sent = world.forwarded.length;
        const r = await gql(
          world.url,
          `mutation M($request: ForwardRequestInput!) { ${mutation}(request: $request) { txHash } }`,
          {
            token,
            variables: {
              request: {
                from: request.from,
                to: request.to,
                data: request.data,
                signature: request.signature,
                gas: String(request.gas),
                nonce: String(request.nonce),
                deadline: String(request.deadline),
              },
            },
          },
        );
        if (expected === "role accepted") {
          // past the role check: either relayed, or refused by a later check (not the role's)
          const got = codes(r);
          if (got.length === 0) {
            const relayed = r.body.data?.[mutation] as { txHash?: unknown } | undefined;
            expect(relayed?.txHash, JSON.stringify(r.body)).to.be.a("string");
            expect(world.forwarded.length).to.equal(sent + 1);
          } else {
            expect(got, JSON.stringify(r.body)).to.have.length(1);
            expect(got[0]).to.be.oneOf(["NOT_OWNER", "BATCH_NOT_FOUND"]);
            expect(world.forwarded.length).to.equal(sent);
          }
        } else {
          expect(codes(r), JSON.stringify(r.body)).to.deep.equal([expected]);
          expect(world.forwarded.length).to.equal(sent);
        }
      });
    }
  }

  for (const c of CASES) {
    for (const caller of CALLERS) {
      const expected = c.expect[caller];
      it(`${c.field} × ${caller} → ${expected}`, async () => {
        const member = MEMBER_OF[caller];
        const token = member === null ? undefined : tokens.get(member);
        const before = world.audit.entries.length;
        const r = await gql(world.url, c.query(caller, world), { token });
        if (expected === "ok") {
          expect(r.body.errors, JSON.stringify(r.body.errors)).to.equal(undefined);
          expect(r.body.data).to.not.equal(null);
          if (c.audited === true) {
            expect(world.audit.entries.length).to.be.greaterThan(before);
            const entry = world.audit.entries.at(-1);
            expect(entry?.member).to.equal(MID[member as WorldMember]);
          }
        } else {
          expect(codes(r), JSON.stringify(r.body)).to.deep.equal([expected]);
          const data = r.body.data ?? {};
          for (const value of Object.values(data)) expect(value).to.equal(null);
          if (c.audited === true) expect(world.audit.entries.length).to.equal(before);
        }
      });
    }
  }

  it("a provider sees only its own records of a subject", async () => {
    const r = await gql(
      world.url,
      `{ subject(subjectId: "${SUBJECT.A}") { attestations { nodes { uid provider { id } } } disputes { uid } } }`,
      { token: tokens.get("tax") },
    );
    const s = r.body.data?.subject as {
      attestations: { nodes: { uid: string; provider: { id: string } }[] };
      disputes: unknown[];
    };
    expect(s.attestations.nodes.map((n) => n.uid)).to.deep.equal([
      world.records.taxA2,
      world.records.taxA1,
      world.records.revokedA,
    ]);
    expect(s.disputes).to.deep.equal([]);
  });
});
