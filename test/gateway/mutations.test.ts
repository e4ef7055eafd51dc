/**
 * submitAttestation: a provider's signed attestation is checked (signature, key, schema, scope,
 * deadline, nonce, record) and relayed; every refusal has a code and sends nothing; only providers
 * may call it.
 */
import { expect } from "chai";
import { hexlify, randomBytes } from "ethers";

import type { AttestationRequestInput } from "../../core/index.js";
import { attestationUid, registryDomain, signAttest } from "../../core/index.js";
import { DAY, SCHEMA, T0, h } from "../indexer/fixtures.js";
import type { World, WorldMember } from "./world.js";
import {
  CHAIN_ID,
  EXISTING_DATA_HASH,
  MID,
  REGISTRY,
  SUBJECT,
  WALLET,
  codes,
  createWorld,
  gql,
} from "./world.js";

const MUTATION = `mutation Submit($input: SignedAttestationInput!) {
  submitAttestation(input: $input) { uid txHash blockNumber }
}`;

interface Signed {
  request: Record<string, string | number>;
  signer: string;
  nonce: string;
  deadline: string;
  signature: string;
}

async function signed(
  options: {
    by?: WorldMember;
    schema?: string;
    label?: string;
    dataHash?: string;
    deadline?: bigint;
    nonce?: bigint;
  } = {},
): Promise<Signed> {
  const by = options.by ?? "tax";
  const request: AttestationRequestInput = {
    schema: options.schema ?? SCHEMA.tax.schemaId,
    subject: SUBJECT.C,
    dataHash: options.dataHash ?? h(`new record:${options.label ?? hexlify(randomBytes(8))}`),
    observedAt: T0 - 60n,
    expiresAt: 0n,
    severity: 0,
  };
  const nonce = options.nonce ?? BigInt(hexlify(randomBytes(16)));
  const deadline = options.deadline ?? T0 + DAY;
  const signature = await signAttest(
    WALLET[by],
    registryDomain(CHAIN_ID, REGISTRY),
    request,
    nonce,
    deadline,
  );
  return {
    request: {
      schema: request.schema,
      subject: request.subject,
      dataHash: request.dataHash,
      observedAt: String(request.observedAt),
      expiresAt: "0",
      severity: 0,
    },
    signer: WALLET[by].address,
    nonce: nonce.toString(),
    deadline: deadline.toString(),
    signature,
  };
}

describe("gateway mutations: submitAttestation", function () {
  this.timeout(30_000);
  let world: World;

  before(async () => {
    world = await createWorld();
  });
  after(async () => {
    await world.close();
  });

  async function refused(input: Signed, code: string, member: WorldMember = "tax"): Promise<void> {
    const before = world.relayed.length;
    const r = await gql(world.url, MUTATION, {
      token: await world.token(member),
      variables: { input },
    });
    expect(codes(r), JSON.stringify(r.body)).to.deep.equal([code]);
    expect(world.relayed.length).to.equal(before);
  }

  it("relays a provider's signed attestation and returns its uid and tx hash", async () => {
    const input = await signed({ label: "ok" });
    const r = await gql(world.url, MUTATION, {
      token: await world.token("tax"),
      variables: { input },
    });
    expect(r.body.errors).to.equal(undefined);
    const result = r.body.data?.submitAttestation as { uid: string; txHash: string };
    expect(result.uid).to.equal(
      attestationUid({
        schema: SCHEMA.tax.schemaId,
        subject: SUBJECT.C,
        dataHash: h("new record:ok"),
        provider: MID.tax,
        observedAt: T0 - 60n,
        expiresAt: 0n,
        severity: 0,
      }),
    );
    expect(result.txHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(world.relayed.at(-1)?.signer).to.equal(WALLET.tax.address);
  });

  it("refuses a replayed nonce", async () => {
    const input = await signed({ label: "replay" });
    const token = await world.token("tax");
    const first = await gql(world.url, MUTATION, { token, variables: { input } });
    expect(first.body.errors).to.equal(undefined);
    await refused(
      { ...(await signed({ label: "replay-2", nonce: BigInt(input.nonce) })) },
      "NONCE_USED",
    );
  });

  it("refuses a bad signature, another member's key, an unknown schema, a missing scope, a passed deadline, an existing record", async () => {
    const good = await signed();
    await refused({ ...good, request: { ...good.request, severity: 1 } }, "SIGNATURE_INVALID");
    await refused({ ...good, signature: "0x1234" }, "SIGNATURE_INVALID");
    await refused(await signed({ by: "court" }), "SIGNER_NOT_MEMBER");
    await refused(await signed({ schema: h("no such schema") }), "SCHEMA_UNKNOWN");
    await refused(await signed({ schema: SCHEMA.penalty.schemaId }), "SCOPE_MISSING");
    await refused(await signed({ deadline: T0 - 1n }), "DEADLINE_PASSED");
    await refused(
      { ...good, request: { ...good.request, subject: "0x12" } },
      "ATTESTATION_INVALID",
    );
    await refused(await signed({ dataHash: EXISTING_DATA_HASH }), "RECORD_EXISTS");
  });

  for (const member of ["bank", "regulator", "scorer", "repair"] as const) {
    it(`refuses ${member} with FORBIDDEN`, async () => {
      await refused(await signed({ by: "tax" }), "FORBIDDEN", member);
    });
  }

  it("refuses anonymous callers and suspended members", async () => {
    const before = world.relayed.length;
    const anonymous = await gql(world.url, MUTATION, { variables: { input: await signed() } });
    expect(codes(anonymous)).to.deep.equal(["UNAUTHENTICATED"]);
    const suspended = await gql(world.url, MUTATION, {
      token: await world.token("suspended"),
      variables: { input: await signed() },
    });
    expect(codes(suspended)).to.deep.equal(["MEMBER_SUSPENDED"]);
    expect(world.relayed.length).to.equal(before);
  });

  it("refuses writes when the gateway has no writer", async () => {
    const readOnly = await createWorld({ writes: false });
    try {
      const r = await gql(readOnly.url, MUTATION, {
        token: await readOnly.token("tax"),
        variables: { input: await signed() },
      });
      expect(codes(r)).to.deep.equal(["WRITES_DISABLED"]);
    } finally {
      await readOnly.close();
    }
  });
});
