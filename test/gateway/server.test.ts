/** The server: routes, `_meta`, readiness, metrics, and a lender's and a regulator's reads. */
import { expect } from "chai";

import type { World } from "./world.js";
import { PURPOSE, SUBJECT, USCC, codes, createWorld, gql } from "./world.js";

describe("gateway server", function () {
  this.timeout(20_000);
  let world: World;

  before(async () => {
    world = await createWorld();
  });
  after(async () => {
    await world.close();
  });

  it("answers /healthz and serves security headers", async () => {
    const response = await fetch(`${world.base}/healthz`);
    expect(response.status).to.equal(200);
    expect(await response.json()).to.deep.equal({ status: "ok" });
    expect(response.headers.get("x-content-type-options")).to.equal("nosniff");
    expect(response.headers.get("x-powered-by")).to.equal(null);
  });

  it("serves _meta to anonymous callers", async () => {
    const r = await gql(
      world.url,
      "{ _meta { headBlock indexedBlock indexedBlockHash lagSeconds } }",
    );
    expect(r.status).to.equal(200);
    expect(r.body.errors).to.equal(undefined);
    const meta = r.body.data?._meta as Record<string, unknown>;
    expect(meta.indexedBlock).to.equal("3");
    expect(meta.indexedBlockHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(meta.lagSeconds).to.equal(0);
  });

  it("/readyz flips when the indexer lags more than maxLagSeconds, and back", async () => {
    expect((await fetch(`${world.base}/readyz`)).status).to.equal(200);
    world.setLag(31);
    const lagging = await fetch(`${world.base}/readyz`);
    expect(lagging.status).to.equal(503);
    expect(await lagging.json()).to.include({ status: "lagging", lagSeconds: 31 });
    world.setLag(30);
    expect((await fetch(`${world.base}/readyz`)).status).to.equal(200);
    world.setLag(null);
  });

  it("reads a subject by USCC for a lender with consent, newest first, paginated", async () => {
    const token = await world.token("bank");
    const query = `query Lender($uscc: String!, $after: String) {
      subject(uscc: $uscc, purpose: "${PURPOSE}") {
        id
        score { value }
        attestations(first: 2, after: $after) {
          nodes { uid observedAt status state provider { name } anchoring { blockNumber blockHash txHash logIndex } }
          pageInfo { hasNextPage endCursor }
        }
      }
    }`;
    const first = await gql(world.url, query, { token, variables: { uscc: USCC.A } });
    expect(first.body.errors).to.equal(undefined);
    const subject = first.body.data?.subject as {
      id: string;
      score: null;
      attestations: {
        nodes: { uid: string; observedAt: string; state: string; provider: { name: string } }[];
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    };
    expect(subject.id).to.equal(SUBJECT.A);
    expect(subject.score).to.equal(null);
    const page1 = subject.attestations;
    expect(page1.nodes.map((n) => n.uid)).to.deep.equal([
      world.records.scoreA,
      world.records.courtA,
    ]);
    expect(page1.pageInfo.hasNextPage).to.equal(true);
    const second = await gql(world.url, query, {
      token,
      variables: { uscc: USCC.A, after: page1.pageInfo.endCursor },
    });
    const page2 = (second.body.data?.subject as typeof subject).attestations;
    expect(page2.nodes.map((n) => n.uid)).to.deep.equal([world.records.taxA2, world.records.taxA1]);
    const third = await gql(world.url, query, {
      token,
      variables: { uscc: USCC.A, after: page2.pageInfo.endCursor },
    });
    const page3 = (third.body.data?.subject as typeof subject).attestations;
    expect(page3.nodes.map((n) => [n.uid, n.state])).to.deep.equal([
      [world.records.revokedA, "REVOKED"],
    ]);
    expect(page3.pageInfo.hasNextPage).to.equal(false);
  });

  it("filters a subject's attestations by category and status", async () => {
    const token = await world.token("bank");
    const r = await gql(
      world.url,
      `{ subject(subjectId: "${SUBJECT.A}") {
          tax: attestations(filter: { category: "tax.payment", status: ACTIVE }) { nodes { uid } }
          disputes { uid status overdue }
          repairs { uid status }
        } }`,
      { token },
    );
    expect(r.body.errors).to.equal(undefined);
    const s = r.body.data?.subject as {
      tax: { nodes: { uid: string }[] };
      disputes: { uid: string; status: string; overdue: boolean }[];
      repairs: { uid: string; status: string }[];
    };
    expect(s.tax.nodes.map((n) => n.uid)).to.deep.equal([world.records.taxA2, world.records.taxA1]);
    expect(s.disputes).to.deep.equal([
      { uid: world.records.courtA, status: "OPEN", overdue: false },
    ]);
    expect(s.repairs).to.deep.equal([{ uid: world.records.courtA, status: "REQUESTED" }]);
  });

  it("shows an attestation with its provider, status, source and anchoring", async () => {
    const token = await world.token("bank");
    const r = await gql(
      world.url,
      `{ attestation(uid: "${world.records.scoreA}") {
          uid subject status state disputed repaired stale expired supersededBy
          provider { name roles }
          source { type modelHash inputs }
          anchoring { blockNumber blockHash txHash logIndex }
        } }`,
      { token },
    );
    expect(r.body.errors).to.equal(undefined);
    const a = r.body.data?.attestation as Record<string, unknown>;
    expect(a).to.include({ uid: world.records.scoreA, status: "ACTIVE", state: "ACTIVE" });
    expect(a.provider).to.deep.equal({ name: "Credit Scorer", roles: ["SCORER"] });
    expect(a.source).to.deep.include({ type: "DERIVED" });
    expect((a.source as { inputs: string[] }).inputs).to.have.members([
      world.records.taxA1,
      world.records.courtA,
    ]);
    expect((a.anchoring as { blockNumber: string }).blockNumber).to.equal("3");
  });

  it("walks lineage for a regulator with node states and providers", async () => {
    const token = await world.token("regulator");
    const r = await gql(
      world.url,
      `{ lineage(uid: "${world.records.taxA1}", direction: DEPENDENTS, depth: 2) {
          root nodes { uid depth state provider { name } } edges { derived input } truncated
        } }`,
      { token },
    );
    expect(r.body.errors).to.equal(undefined);
    const l = r.body.data?.lineage as {
      nodes: { uid: string; depth: number; state: string }[];
      edges: { derived: string; input: string }[];
    };
    expect(l.nodes.map((n) => [n.uid, n.depth])).to.deep.equal([
      [world.records.taxA1, 0],
      [world.records.scoreA, 1],
    ]);
    expect(l.edges).to.deep.equal([{ derived: world.records.scoreA, input: world.records.taxA1 }]);
  });

  it("writes an audit entry for every subject read, before answering", async () => {
    const before = world.audit.entries.length;
    const token = await world.token("bank");
    await gql(world.url, `{ subject(uscc: "${USCC.A}") { id } }`, { token });
    const entry = world.audit.entries.at(-1);
    expect(world.audit.entries.length).to.equal(before + 1);
    expect(entry).to.include({ subject: SUBJECT.A, purpose: PURPOSE, operation: "subject{id}" });
    const regulator = await world.token("regulator");
    const r = await gql(
      world.url,
      `{ queryAudit(subject: "${SUBJECT.A}", first: 1) { nodes { subject purpose operation member } } }`,
      { token: regulator },
    );
    expect(r.body.errors).to.equal(undefined);
    expect((r.body.data?.queryAudit as { nodes: unknown[] }).nodes).to.have.length(1);
  });

  it("refuses USCC lookups without a consortium key, with a code; subjectId still works", async () => {
    const keyless = await createWorld({ config: { consortiumKey: undefined } });
    try {
      const token = await keyless.token("regulator");
      const byUscc = await gql(keyless.url, `{ subject(uscc: "${USCC.A}") { id } }`, { token });
      expect(codes(byUscc)).to.deep.equal(["SUBJECT_KEY_UNAVAILABLE"]);
      const byId = await gql(keyless.url, `{ subject(subjectId: "${SUBJECT.A}") { id } }`, {
        token,
      });
      expect(byId.body.errors).to.equal(undefined);
    } finally {
      await keyless.close();
    }
  });

  it("exposes counters at /metrics", async () => {
    await gql(world.url, "query MetaProbe { _meta { indexedBlock } }");
    const text = await (await fetch(`${world.base}/metrics`)).text();
    expect(text).to.match(
      /credtrail_gateway_requests_total\{operation="MetaProbe",status="200"\} [1-9]/,
    );
    expect(text).to.include("credtrail_gateway_request_duration_seconds_bucket");
    expect(text).to.match(/credtrail_indexer_lag_seconds \d/);
    await gql(world.url, `{ subject(subjectId: "${SUBJECT.A}") { id } }`);
    const after = await (await fetch(`${world.base}/metrics`)).text();
    expect(after).to.match(/credtrail_gateway_errors_total\{code="UNAUTHENTICATED"\} [1-9]/);
  });

  it("answers an anonymous read of member data with 401 UNAUTHENTICATED (no http extension leaked)", async () => {
    const r = await gql(world.url, `{ subject(subjectId: "${SUBJECT.A}") { id } }`);
    expect(r.status).to.equal(401);
    expect(codes(r)).to.deep.equal(["UNAUTHENTICATED"]);
    expect(r.body.errors?.[0].extensions).to.deep.equal({ code: "UNAUTHENTICATED" });
  });

  it("masks unexpected errors as INTERNAL without their message", async () => {
    const token = await world.token("regulator");
    world.fail("listRepairs", new Error("leveldb exploded at /secret/path"));
    try {
      const r = await gql(world.url, "{ repairs { nodes { uid } } }", { token });
      expect(codes(r)).to.deep.equal(["INTERNAL"]);
      expect(JSON.stringify(r.body)).to.not.include("secret");
      expect(r.body.errors?.[0].message).to.equal("Unexpected error.");
    } finally {
      world.fail("listRepairs", null);
    }
    const ok = await gql(world.url, "{ repairs { nodes { uid } } }", { token });
    expect(ok.body.errors).to.equal(undefined);
  });

  it("in development: GraphiQL on GET and introspection on", async () => {
    const dev = await createWorld({ config: { production: false } });
    try {
      const page = await fetch(dev.url, { headers: { accept: "text/html" } });
      expect(page.status).to.equal(200);
      expect(await page.text()).to.match(/graphiql/i);
      const r = await gql(dev.url, "{ __schema { queryType { name } } }");
      expect(r.body.errors).to.equal(undefined);
    } finally {
      await dev.close();
    }
  });
});
