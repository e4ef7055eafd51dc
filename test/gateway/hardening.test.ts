/** Bad input: each refused with a clear code, nothing logged as read, the process healthy after. */
import { expect } from "chai";

import { T0 } from "../indexer/fixtures.js";
import type { World } from "./world.js";
import { SUBJECT, USCC, codes, createWorld, gql } from "./world.js";

describe("gateway hardening", function () {
  this.timeout(30_000);
  let world: World;
  let regulator: string;

  before(async () => {
    world = await createWorld({ config: { limits: { maxDepth: 6 } } });
    regulator = await world.token("regulator");
  });
  after(async () => {
    await world.close();
  });

  afterEach(async () => {
    // the process stays healthy: a follow-up query works
    const r = await gql(world.url, "{ _meta { indexedBlock } }", { token: regulator });
    expect(r.status).to.equal(200);
    expect(r.body.errors).to.equal(undefined);
  });

  async function expectCode(
    query: string,
    code: string,
    options: { token?: string; status?: number } = {},
  ): Promise<void> {
    const before = world.audit.entries.length;
    const r = await gql(world.url, query, { token: options.token ?? regulator });
    expect(codes(r), JSON.stringify(r.body)).to.deep.equal([code]);
    if (options.status !== undefined) expect(r.status).to.equal(options.status);
    expect(world.audit.entries.length).to.equal(before);
  }

  it("invalid USCC → USCC_* code", async () => {
    const wrongCheck = USCC.A.slice(0, 17) + (USCC.A.endsWith("0") ? "1" : "0");
    await expectCode(`{ subject(uscc: "${wrongCheck}") { id } }`, "USCC_CHECK_CHARACTER");
    await expectCode('{ subject(uscc: "123") { id } }', "USCC_LENGTH");
    await expectCode('{ subject(uscc: "91440300MA5F00001I") { id } }', "USCC_CHARACTER");
  });

  it("both or neither subject argument, a bad subjectId, a bad purpose", async () => {
    await expectCode("{ subject { id } }", "SUBJECT_ARGUMENT_INVALID");
    await expectCode('{ subject(subjectId: "0x12") { id } }', "HEX_INVALID");
    await expectCode(
      `{ subject(subjectId: "${SUBJECT.A}", purpose: "") { id } }`,
      "PURPOSE_INVALID",
    );
  });

  it("unknown or malformed uid", async () => {
    await expectCode(
      `{ attestation(uid: "0x${"ab".repeat(32)}") { uid } }`,
      "ATTESTATION_NOT_FOUND",
    );
    await expectCode('{ attestation(uid: "nope") { uid } }', "HEX_INVALID");
  });

  it("a bad pagination cursor", async () => {
    await expectCode('{ members(after: "bm90LWEta2V5") { nodes { id } } }', "CURSOR_INVALID");
  });

  it("expired, forged and garbage tokens → 401 with the authenticator's code", async () => {
    const expired = await world.token("bank", { now: T0 - 7200n });
    await expectCode("{ _meta { lagSeconds } }", "TOKEN_EXPIRED", { token: expired, status: 401 });
    const good = await world.token("bank");
    const parsed = JSON.parse(Buffer.from(good, "base64url").toString()) as Record<string, string>;
    parsed.member = `0x${"11".repeat(32)}`;
    const forged = Buffer.from(JSON.stringify(parsed)).toString("base64url");
    const r = await gql(world.url, "{ _meta { lagSeconds } }", { token: forged });
    expect(r.status).to.equal(401);
    expect(codes(r)[0]).to.be.oneOf(["TOKEN_INVALID", "KEY_UNKNOWN"]);
    await expectCode("{ _meta { lagSeconds } }", "TOKEN_INVALID", {
      token: "garbage",
      status: 401,
    });
  });

  it("a suspended member is refused at once", async () => {
    const token = await world.token("suspended");
    await expectCode("{ _meta { lagSeconds } }", "MEMBER_SUSPENDED", { token, status: 401 });
  });

  it("an oversized body → 413 BODY_TOO_LARGE; a non-JSON body → 415; bad JSON → 400", async () => {
    const big = await gql(world.url, `{ _meta { lagSeconds } } # ${"x".repeat(20_000)}`);
    expect(big.status).to.equal(413);
    expect(codes(big)).to.deep.equal(["BODY_TOO_LARGE"]);
    const text = await fetch(world.url, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "{ _meta { lagSeconds } }",
    });
    expect(text.status).to.equal(415);
    const bad = await fetch(world.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(bad.status).to.equal(400);
    expect(
      ((await bad.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions
        .code,
    ).to.equal("BODY_INVALID");
  });

  it("depth, alias, cost, token and directive bombs", async () => {
    const deep = `{ lineage(uid: "${world.records.taxA1}", direction: INPUTS) { nodes { attestation { provider { keys { addedAt { blockNumber } } } } } } }`;
    const depth = await gql(world.url, deep, { token: regulator });
    expect(codes(depth)).to.include("QUERY_TOO_DEEP");
    const aliases = Array.from({ length: 20 }, (_, i) => `a${i}: _meta { lagSeconds }`).join(" ");
    expect(codes(await gql(world.url, `{ ${aliases} }`))).to.include("TOO_MANY_ALIASES");
    const wide = Array.from(
      { length: 12 },
      (_, i) => `m${i}: members(first: 1000) { nodes { keys { address } scopes { category } } }`,
    ).join(" ");
    expect(codes(await gql(world.url, `{ ${wide} }`, { token: regulator }))).to.include.oneOf([
      "QUERY_TOO_COSTLY",
      "TOO_MANY_ALIASES",
    ]);
    const tokens = `{ _meta { ${"lagSeconds ".repeat(1200)} } }`;
    expect(codes(await gql(world.url, tokens))).to.deep.equal(["TOO_MANY_TOKENS"]);
    const directives = `{ _meta { lagSeconds ${"@include(if: true) ".repeat(30)} } }`;
    expect(codes(await gql(world.url, directives))).to.include("TOO_MANY_DIRECTIVES");
  });

  it("malformed GraphQL → GRAPHQL_PARSE_FAILED; unknown field → validation code, no suggestions", async () => {
    const r = await gql(world.url, "{ _meta { lagSeconds }");
    expect(codes(r)).to.deep.equal(["GRAPHQL_PARSE_FAILED"]);
    const unknown = await gql(world.url, "{ _meta { lagSecond } }");
    expect(codes(unknown)).to.deep.equal(["GRAPHQL_VALIDATION_FAILED"]);
    expect(unknown.body.errors?.[0].message).to.not.include("Did you mean");
  });

  it("introspection is off in production", async () => {
    const r = await gql(world.url, "{ __schema { types { name } } }");
    expect(codes(r)).to.not.be.empty;
    expect(new Set(codes(r))).to.deep.equal(new Set(["GRAPHQL_VALIDATION_FAILED"]));
    expect(r.body.data ?? null).to.equal(null);
  });

  it("GET without a CSRF header is refused", async () => {
    const r = await fetch(`${world.url}?query=${encodeURIComponent("{ _meta { lagSeconds } }")}`);
    expect(r.status).to.equal(403);
  });

  it("rate limit per member → 429 RATE_LIMITED", async () => {
    const limited = await createWorld({ config: { rateLimit: { perMinute: 3 } } });
    try {
      const token = await limited.token("regulator");
      const results = [];
      for (let i = 0; i < 5; i++)
        results.push(await gql(limited.url, "{ _meta { lagSeconds } }", { token }));
      expect(results.map((r) => r.status)).to.deep.equal([200, 200, 200, 429, 429]);
      expect(codes(results[3])).to.deep.equal(["RATE_LIMITED"]);
      expect(results[3].headers.get("retry-after")).to.match(/^\d+$/);
      // another member has its own bucket
      const other = await gql(limited.url, "{ _meta { lagSeconds } }", {
        token: await limited.token("tax"),
      });
      expect(other.status).to.equal(200);
      // per IP, before any signature is checked: bad tokens count too (10 × 3 per minute here)
      const statuses = [];
      for (let i = 0; i < 30; i++) {
        statuses.push(
          (await gql(limited.url, "{ _meta { lagSeconds } }", { token: "bad" })).status,
        );
      }
      expect(statuses).to.include(429);
      expect(statuses.filter((s) => s === 401).length).to.be.lessThan(30);
    } finally {
      await limited.close();
    }
  });
});
