/**
 * The positional storage of attestations (indexer/attestationCodec.ts): every shape round-trips to
 * the same object, keys in the same order, as its canonical JSON; a shape the codec does not know
 * is stored as canonical JSON.
 */
import { expect } from "chai";

import type { Attestation, Audit } from "../../indexer/index.js";
import { decodeValue, encodeValue, keys } from "../../indexer/index.js";
import { ATTESTATION_TAG, encodeAttestation } from "../../indexer/attestationCodec.js";
import { createOverlay } from "../../indexer/overlay.js";
import { h } from "./fixtures.js";

const audit = (n: number): Audit => ({
  block: BigInt(n),
  blockHash: h(`block:${n}`),
  tx: h(`tx:${n}`),
  logIndex: n % 7,
  sender: n % 2 === 0 ? "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" : null,
});

function attestation(overrides: Partial<Attestation> = {}): Attestation {
  return {
    uid: h("uid"),
    schema: h("schema"),
    category: h("category"),
    subject: h("subject"),
    provider: h("provider"),
    signer: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    relayer: "0x0000000000000000000000000000000000000000",
    dataHash: h("data"),
    observedAt: 1_700_000_000n,
    expiresAt: 0n,
    severity: 0,
    status: "active",
    supersededBy: null,
    supersedes: null,
    revocation: null,
    supersession: null,
    disputed: false,
    disputeSeq: 0,
    repaired: false,
    repairSeq: 0,
    stale: null,
    source: { type: "single" },
    audit: audit(1),
    recordedAudit: null,
    ...overrides,
  };
}

const SHAPES: Record<string, Attestation> = {
  single: attestation(),
  "batch leaf, recorded, of a revoked batch": attestation({
    source: { type: "batchLeaf", root: h("root"), index: 3, recorded: true, batchRevoked: true },
    recordedAudit: audit(2),
    signer: null,
    relayer: null,
  }),
  "batch leaf not uploaded": attestation({
    source: {
      type: "batchLeaf",
      root: h("root"),
      index: null,
      recorded: true,
      batchRevoked: false,
    },
  }),
  "derived, stale": attestation({
    category: null,
    source: { type: "derived", modelHash: h("model"), inputs: [h("a"), h("b"), h("c")] },
    stale: { reason: "revoked", trigger: h("a"), audit: audit(4) },
  }),
  "revoked, disputed, repaired": attestation({
    status: "revoked",
    revocation: { reasonHash: h("why"), by: h("owner"), batchRoot: h("root"), audit: audit(5) },
    disputed: true,
    disputeSeq: 2,
    repaired: true,
    repairSeq: 1,
    severity: 3,
    expiresAt: 1_900_000_000n,
  }),
  superseded: attestation({
    status: "superseded",
    supersededBy: h("new"),
    supersedes: h("older"),
    supersession: { newUid: h("new"), owner: h("owner"), audit: audit(6) },
  }),
};

/** Keys of every object in `value`, depth first (to compare key order too). */
function keyOrder(value: unknown): string[] {
  if (typeof value !== "object" || value === null) return [];
  if (Array.isArray(value)) return value.flatMap(keyOrder);
  return Object.entries(value).flatMap(([key, item]) => [key, ...keyOrder(item)]);
}

describe("indexer attestation codec", () => {
  for (const [name, value] of Object.entries(SHAPES)) {
    it(`stores a ${name} attestation positionally and reads it back as canonical JSON would`, () => {
      const stored = encodeAttestation(value);
      expect(stored).to.be.a("string");
      expect(stored?.startsWith(ATTESTATION_TAG)).to.equal(true);
      const canonical = encodeValue(value);
      expect(stored?.length).to.be.lessThan(canonical.length * 0.75);
      const decoded = decodeValue<Attestation>(stored ?? "");
      expect(decoded).to.deep.equal(value);
      expect(keyOrder(decoded)).to.deep.equal(keyOrder(decodeValue<Attestation>(canonical)));
    });
  }

  it("leaves shapes it does not know to canonical JSON", () => {
    const extra = { ...attestation(), consentId: h("consent") };
    const { stale: _stale, ...missing } = attestation();
    const odd = [
      extra,
      missing,
      { ...attestation(), observedAt: 1_700_000_000 },
      { ...attestation(), audit: { ...audit(1), extra: 1 } },
      { ...attestation(), source: { type: "future" } },
      { ...attestation(), severity: Number.NaN },
      { ...attestation(), subject: undefined },
    ];
    for (const value of odd) expect(encodeAttestation(value)).to.equal(undefined);
  });

  it("the overlay stores attestations positionally, everything else as canonical JSON", async () => {
    const overlay = createOverlay({
      get: () => Promise.resolve(undefined),
      getMany: (wanted) => Promise.resolve(wanted.map(() => undefined)),
      keys: () => ({ [Symbol.asyncIterator]: async function* () {} }),
    });
    const value = SHAPES["derived, stale"];
    overlay.putJson(keys.attestation(value.uid), value);
    overlay.putJson(keys.batch(h("root")), { root: h("root"), count: 2n });
    const odd = { ...attestation({ uid: h("odd") }), extra: true };
    overlay.putJson(keys.attestation(h("odd")), odd);
    const { writes } = await overlay.commit();
    expect(writes.get(keys.attestation(value.uid))?.startsWith(ATTESTATION_TAG)).to.equal(true);
    expect(writes.get(keys.batch(h("root")))).to.equal(encodeValue({ root: h("root"), count: 2n }));
    expect(writes.get(keys.attestation(h("odd")))).to.equal(encodeValue(odd));
    expect(await overlay.getJson(keys.attestation(value.uid))).to.deep.equal(value);
    expect(await overlay.getJson(keys.attestation(h("odd")))).to.deep.equal(odd);
  });
});
