/**
 * The fast path (gateway/fastPath.ts) answers exactly as express + yoga do: the same requests sent
 * to a gateway with it (the default) and to one without it (`fastPath: false`) get the same status,
 * headers and body, and leave the same metrics and audit log behind — successes, GraphQL errors,
 * auth failures, rate limits, armor refusals, malformed variables and bodies.
 */
import { request } from "node:http";

import { expect } from "chai";

import { T0 } from "../indexer/fixtures.js";
import type { World } from "./world.js";
import { PURPOSE, SUBJECT, createWorld } from "./world.js";

interface RawResponse {
  status: number;
  /** `name: value` in the order sent, names lowercased, without Date. */
  headers: string[];
  body: string;
}

function send(url: string, body: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: "POST",
        headers: { "content-length": String(Buffer.byteLength(body)), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const pairs: string[] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            const name = res.rawHeaders[i].toLowerCase();
            if (name !== "date") pairs.push(`${name}: ${res.rawHeaders[i + 1]}`);
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: pairs,
            body: Buffer.concat(chunks).toString("utf8"),
          });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const QUERY = `query Lender($s: ID!) {
  subject(subjectId: $s, purpose: "${PURPOSE}") {
    id
    score { value }
    attestations(first: 2) { nodes { uid state provider { name } anchoring { blockNumber txHash } } }
  }
}`;

describe("gateway fast path", function () {
  this.timeout(60_000);
  let fast: World;
  let slow: World;
  let bank: string;

  before(async () => {
    fast = await createWorld();
    slow = await createWorld({ config: { fastPath: false } });
    bank = await fast.token("bank");
  });
  after(async () => {
    await fast.close();
    await slow.close();
  });

  /** Sends the request to both gateways; their answers must be the same. */
  async function both(
    body: string,
    headers: Record<string, string> = {},
    worlds: [World, World] = [slow, fast],
  ): Promise<RawResponse> {
    const h = { "content-type": "application/json", ...headers };
    const expected = await send(worlds[0].url, body, h);
    const actual = await send(worlds[1].url, body, h);
    expect(actual, body.slice(0, 200)).to.deep.equal(expected);
    return actual;
  }

  const json = (query: string, variables?: unknown, extra: object = {}): string =>
    JSON.stringify({ query, variables, ...extra });

  function fastServed(world: World): Promise<number> {
    return world.metrics
      .getSingleMetric("credtrail_gateway_fast_path_requests_total")
      ?.get()
      .then((m) => m.values[0]?.value ?? 0) as Promise<number>;
  }

  it("answers a known document itself, with the same answer as yoga", async () => {
    const auth = { authorization: `Bearer ${bank}` };
    const before = await fastServed(fast);
    const first = await both(json(QUERY, { s: SUBJECT.A }), auth);
    expect(first.status).to.equal(200);
    expect(JSON.parse(first.body)).to.have.nested.property("data.subject.id", SUBJECT.A);
    // first sight: yoga parsed and validated it; from now on the fast path answers
    expect(await fastServed(fast)).to.equal(before);
    for (let i = 0; i < 3; i++) await both(json(QUERY, { s: SUBJECT.A }), auth);
    expect(await fastServed(fast)).to.equal(before + 3);
    expect(await fastServed(slow)).to.equal(0);
    // every read is in the audit log, on both
    expect(fast.audit.entries.length).to.equal(slow.audit.entries.length);
    expect(fast.audit.entries.map((e) => [e.member, e.subject, e.operation])).to.deep.equal(
      slow.audit.entries.map((e) => [e.member, e.subject, e.operation]),
    );
  });

  it("GraphQL errors: consent, bad and missing variables, masked codes", async () => {
    const auth = { authorization: `Bearer ${bank}` };
    await both(json(QUERY, { s: SUBJECT.A }), auth);
    const before = await fastServed(fast);
    const consent = await both(json(QUERY, { s: SUBJECT.C }), auth);
    expect(consent.body).to.include("CONSENT_REQUIRED");
    const expired = await both(json(QUERY, { s: SUBJECT.B }), auth);
    expect(expired.body).to.include("CONSENT_EXPIRED");
    const hex = await both(json(QUERY, { s: "0x12" }), auth);
    expect(hex.body).to.include("HEX_INVALID");
    const missing = await both(json(QUERY, {}), auth);
    expect(missing.body).to.include("GRAPHQL_VALIDATION_FAILED");
    await both(json(QUERY), auth);
    await both(json(QUERY, null), auth);
    await both(json(QUERY, { s: { not: "an id" } }), auth);
    await both(json(QUERY, { s: 5 }), auth);
    await both(json(QUERY, { s: SUBJECT.A, extra: true }), auth);
    // anonymous callers get to execution and are refused by the resolver
    const anonymous = await both(json(QUERY, { s: SUBJECT.A }));
    expect(anonymous.body).to.include("UNAUTHENTICATED");
    expect(await fastServed(fast)).to.equal(before + 10);
  });

  it("auth failures: garbage, expired, suspended, wrong scheme → the same 401", async () => {
    await both(json(QUERY, { s: SUBJECT.A }), { authorization: `Bearer ${bank}` });
    const before = await fastServed(fast);
    const garbage = await both(json(QUERY, { s: SUBJECT.A }), { authorization: "Bearer nope" });
    expect(garbage.status).to.equal(401);
    const expired = await fast.token("bank", { now: T0 - 7200n });
    const old = await both(json(QUERY, { s: SUBJECT.A }), { authorization: `Bearer ${expired}` });
    expect(old.body).to.include("TOKEN_EXPIRED");
    const suspended = await fast.token("suspended");
    const refused = await both(json(QUERY, { s: SUBJECT.A }), {
      authorization: `Bearer ${suspended}`,
    });
    expect(refused.status).to.equal(401);
    expect(refused.body).to.include("MEMBER_SUSPENDED");
    await both(json(QUERY, { s: SUBJECT.A }), { authorization: `Basic ${bank}` });
    expect(await fastServed(fast)).to.equal(before + 4);
  });

  it("shapes it leaves to yoga: operationName, extensions, batches, variables as text, bad JSON", async () => {
    const auth = { authorization: `Bearer ${bank}` };
    const two = `query A { _meta { lagSeconds } } query B { _meta { indexedBlock } }`;
    for (let i = 0; i < 2; i++) {
      await both(json(two, undefined, { operationName: "B" }), auth);
      await both(json(two, undefined, { operationName: "C" }), auth);
      await both(json(two), auth);
      await both(json(QUERY, { s: SUBJECT.A }, { extensions: { persistedQuery: null } }), auth);
      await both(json(QUERY, JSON.stringify({ s: SUBJECT.A })), auth);
      await both(json(QUERY, [SUBJECT.A]), auth);
      await both(json(QUERY, { s: SUBJECT.A }, { operationName: 7 }), auth);
      await both(json(QUERY, { s: SUBJECT.A }, { other: 1 }), auth);
      await both(JSON.stringify([{ query: "{ _meta { lagSeconds } }" }]), auth);
      await both("{not json", auth);
      await both('"a string"', auth);
      await both(`\ufeff${json("{ _meta { lagSeconds } }")}`, auth);
      await both(json("{ _meta { lagSeconds } }"), {
        ...auth,
        accept: "application/graphql-response+json",
      });
      await both(json("{ _meta { lagSeconds } }"), { ...auth, origin: "https://example.org" });
      for (const accept of ["*/*", "application/json", "application/json, */*", "text/html"])
        await both(json(QUERY, { s: SUBJECT.A }), { ...auth, accept });
      await both(json("{ _meta { lagSeconds } }"), {
        ...auth,
        "content-type": "application/json; charset=utf-8",
      });
      await both(json("{ _meta { lagSeconds } }"), { ...auth, "content-type": "text/plain" });
      await both(json(`mutation { submitAttestation(input: {}) { uid } }`), auth);
    }
  });

  it("armor and validation refusals are never cached and answer the same", async () => {
    const regulator = { authorization: `Bearer ${await fast.token("regulator")}` };
    const aliases = Array.from({ length: 20 }, (_, i) => `a${i}: _meta { lagSeconds }`).join(" ");
    const before = await fastServed(fast);
    for (let i = 0; i < 2; i++) {
      await both(json(`{ ${aliases} }`), regulator);
      await both(json(`{ _meta { ${"lagSeconds ".repeat(1200)} } }`), regulator);
      await both(json(`{ _meta { lagSeconds ${"@include(if: true) ".repeat(30)} } }`), regulator);
      await both(json("{ __schema { types { name } } }"), regulator);
      await both(json("{ _meta { lagSecond } }"), regulator);
      await both(json("{ _meta { lagSeconds }"), regulator);
    }
    expect(await fastServed(fast)).to.equal(before);
  });

  it("rate limits: the same buckets and the same 429s", async () => {
    const limitedSlow = await createWorld({
      config: { fastPath: false, rateLimit: { perMinute: 3 } },
    });
    const limitedFast = await createWorld({ config: { rateLimit: { perMinute: 3 } } });
    try {
      const pair: [World, World] = [limitedSlow, limitedFast];
      const token = { authorization: `Bearer ${await limitedFast.token("regulator")}` };
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push((await both(json("{ _meta { lagSeconds } }"), token, pair)).status);
      expect(statuses).to.deep.equal([200, 200, 200, 429, 429]);
      // per IP, before any signature is checked (10 × 3 per minute)
      const ip: number[] = [];
      for (let i = 0; i < 30; i++)
        ip.push(
          (await both(json("{ _meta { lagSeconds } }"), { authorization: "bad" }, pair)).status,
        );
      expect(ip).to.include(429);
      expect(await fastServed(limitedFast)).to.be.greaterThan(20);
    } finally {
      await limitedSlow.close();
      await limitedFast.close();
    }
  });

  it("leaves the same metrics behind", async () => {
    const names = ["credtrail_gateway_requests_total", "credtrail_gateway_errors_total"];
    for (const name of names) {
      const a = await slow.metrics.getSingleMetricAsString(name);
      const b = await fast.metrics.getSingleMetricAsString(name);
      expect(b, name).to.equal(a);
    }
    const count = async (w: World) =>
      (await w.metrics.getSingleMetric("credtrail_gateway_request_duration_seconds")?.get())?.values
        .filter((v) => (v as { metricName?: string }).metricName?.endsWith("_count"))
        .map((v) => [v.labels.operation, v.value]);
    expect(await count(fast)).to.deep.equal(await count(slow));
  });
});
