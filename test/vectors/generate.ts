/**
 * Writes test/vectors/core.json: the shared known-answer vectors of core/ (USCC, canonical JSON,
 * subject ids, attestation and derived uids, a record batch with proofs, EIP-712 signatures,
 * governance payloads). The TypeScript tests (test/core/vectors.test.ts) and the contract tests
 * read the same file; the TypeScript test also checks that this generator reproduces it exactly.
 *
 *   npx tsx test/vectors/generate.ts
 *
 * Everything here is deterministic: fixed keys, fixed inputs, RFC 6979 signatures. uint64/uint256
 * values are written as decimal strings.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

import { Wallet, keccak256, toUtf8Bytes } from "ethers";

import {
  ATTESTATION_TAG,
  ATTEST_TYPE,
  ATTEST_TYPEHASH,
  ActionKind,
  CATEGORIES,
  DERIVATION_TAG,
  LOGIN_TYPE,
  PARAMETER_DEFAULTS,
  PARAMETER_KEYS,
  PARAMETER_NAMES,
  ROLE_NAMES,
  Role,
  SCHEMAS,
  UsccError,
  attestDigest,
  attestStructHash,
  attestationUid,
  buildRecordBatch,
  canonicalJson,
  categoryId,
  completeUscc,
  derivedUid,
  encodeAction,
  gatewayDomain,
  hashCanonical,
  inputsHash,
  loginDigest,
  memberId,
  modelHash,
  normalizeUscc,
  registryDomain,
  schemaId,
  schemaRegistration,
  signAttest,
  signLogin,
  subjectId,
  type GovernanceAction,
  type Hex,
  type RecordLeafInput,
} from "../../core/index.js";
import { TypedDataEncoder } from "ethers";

export const VECTORS_PATH = fileURLToPath(new URL("./core.json", import.meta.url));

/** A bytes32 from a label (keeps the vectors readable: the label says what the value stands for). */
function label(text: string): Hex {
  return keccak256(toUtf8Bytes(text)) as Hex;
}

/** Private key 0x…0n (n small). */
function privateKey(n: number): Hex {
  return `0x${n.toString(16).padStart(64, "0")}`;
}

/** Texts whose keccak256 stands in for schema ids and a model hash in the vectors. */
export const LABEL_TEXTS = [
  "schema:tax.payment.v1",
  "schema:admin.penalty.v1",
  "schema:credit.score.v1",
  "model:scorecard-v1",
] as const;

export const CONSORTIUM_KEY: Hex = label("credtrail test consortium key v1");
export const CHAIN_ID = 31337n;
/** The address of the first contract the Hardhat default account deploys. */
export const VERIFYING_CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

function usccVectors() {
  const generated = [
    "91440300MA5DC1234",
    "12100000400000624",
    "53110000500012345",
    "92320500MA1N2P3Q4",
  ].map(completeUscc);
  // Prefixes whose check character is 0 (sum ≡ 0 mod 31) and Y (value 30): edge cases of the formula.
  const edge: string[] = [];
  for (const wanted of ["0", "Y"]) {
    for (let i = 0; i < 31; i++) {
      const code = completeUscc(`9135010000000${i.toString().padStart(4, "0")}`.slice(0, 17));
      if (code.endsWith(wanted)) {
        edge.push(code);
        break;
      }
    }
  }
  const valid = ["91350100M000100Y43", ...generated, ...edge].map((input) => ({
    input,
    normalized: input,
  }));
  valid.push({ input: " 91350100m000100y43\n", normalized: "91350100M000100Y43" });
  const invalidInputs = [
    "",
    "91350100M000100Y4",
    "91350100M000100Y433",
    "91350100O000100Y43",
    "91350100M000100Y4I",
    "91350100M00010 Y43",
    "９1350100M000100Y43",
    "91350100M000100Y44",
    "91350100M000100Y40",
    "81350100M000100Y43",
  ];
  const invalid = invalidInputs.map((input) => {
    try {
      normalizeUscc(input);
    } catch (error) {
      if (error instanceof UsccError)
        return { input, code: error.code, details: error.details ?? {} };
      throw error;
    }
    throw new Error(`expected ${JSON.stringify(input)} to be invalid`);
  });
  return { valid, invalid };
}

/** JSON texts (parsed with JSON.parse, then canonicalized). */
export const CANONICAL_SOURCES: readonly { name: string; source: string }[] = [
  {
    name: "RFC 8785 3.2.2 (numbers, string escapes, literals)",
    source: String.raw`{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`,
  },
  {
    name: "RFC 8785 3.2.3 (key order by UTF-16 code units)",
    source: String.raw`{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}`,
  },
  {
    name: "number forms (1e21, -0, exponents, extremes)",
    source:
      "[1e21, 1e20, 1E-7, 0.000001, -0, 0.0, 100, 1.5e3, 5e-324, 1.7976931348623157e308, -1.7976931348623157e308, 9007199254740992, 295147905179352830000, 1e23, 0.1, 123456789.123456789]",
  },
  {
    name: "string escapes (controls, quote, backslash, solidus, non-ASCII kept)",
    source: String.raw`["\u0000\u0001\u001f", "\b\f\n\r\t", "\"\\\/", "\u007f\u2028\u2029", "中文 €", "\ud83d\ude00"]`,
  },
  {
    name: "nesting and whitespace",
    source:
      '{ "b" : [ { "z" : 1 , "a" : [ ] } , { } ] , "a" : { "c" : null , "b" : true , "a" : false } , "" : "" }',
  },
  { name: "empty object", source: "{}" },
  { name: "scalar string", source: '"credtrail"' },
  {
    name: "tax.payment record",
    source: JSON.stringify({
      taxPaid: 125000.5,
      subject: label("subject:acme"),
      periodStart: "2025-10-01",
      periodEnd: "2025-12-31",
      taxType: "vat",
      arrears: false,
    }),
  },
];

function canonicalVectors() {
  return CANONICAL_SOURCES.map(({ name, source }) => {
    const canonical = canonicalJson(JSON.parse(source));
    return { name, source, canonical, hash: hashCanonical(JSON.parse(source)) };
  });
}

function subjectVectors(valid: readonly { input: string }[]) {
  const keys: Hex[] = [CONSORTIUM_KEY, `0x${"0f".repeat(48)}`];
  return keys.flatMap((key) =>
    valid.slice(0, 4).map(({ input }) => ({ key, uscc: input, subject: subjectId(key, input) })),
  );
}

const SCHEMA = label("schema:tax.payment.v1");
const PROVIDER = memberId("State Taxation Administration");

const ATTESTATION_CASES = [
  {
    schema: SCHEMA,
    subject: label("subject:acme"),
    dataHash: label("data:1"),
    provider: PROVIDER,
    observedAt: 1_735_689_600n,
    expiresAt: 1_893_456_000n,
    severity: 0,
  },
  {
    schema: label("schema:admin.penalty.v1"),
    subject: label("subject:beta"),
    dataHash: label("data:2"),
    provider: memberId("People's Court"),
    observedAt: 1_700_000_000n,
    expiresAt: 0n,
    severity: 3,
  },
  {
    schema: SCHEMA,
    subject: label("subject:gamma"),
    dataHash: label("data:3"),
    provider: PROVIDER,
    observedAt: 1n,
    expiresAt: (1n << 64n) - 1n,
    severity: 2,
  },
];

function attestationVectors() {
  return ATTESTATION_CASES.map((c) => ({
    ...c,
    observedAt: String(c.observedAt),
    expiresAt: String(c.expiresAt),
    uid: attestationUid(c),
  }));
}

function derivedVectors() {
  const inputs = ATTESTATION_CASES.map((c) => attestationUid(c));
  const cases = [
    { inputs: [inputs[0]], observedAt: 1_735_700_000n },
    { inputs, observedAt: 1_735_700_000n },
    { inputs: [inputs[2], inputs[1], inputs[0]], observedAt: 1_735_700_000n },
  ];
  return cases.map((c) => {
    const params = {
      schema: label("schema:credit.score.v1"),
      subject: label("subject:acme"),
      dataHash: label("score:acme:1"),
      deriver: memberId("Credit Scorer"),
      modelHash: label("model:scorecard-v1"),
      observedAt: c.observedAt,
      inputs: c.inputs,
    };
    return {
      ...params,
      observedAt: String(params.observedAt),
      inputsHash: inputsHash(params.inputs),
      uid: derivedUid(params),
    };
  });
}

export const BATCH_LEAVES: readonly RecordLeafInput[] = Array.from({ length: 7 }, (_, i) => ({
  subject: label(`batch:subject:${i}`),
  dataHash: label(`batch:data:${i}`),
  observedAt: 1_735_689_600n + BigInt(i) * 86_400n,
  expiresAt: i % 3 === 0 ? 0n : 1_893_456_000n,
  severity: i % 4,
}));

function batchVectors() {
  const batch = buildRecordBatch(BATCH_LEAVES);
  const anchor = { schema: SCHEMA, provider: PROVIDER };
  return {
    schema: anchor.schema,
    provider: anchor.provider,
    root: batch.root,
    count: batch.length,
    leaves: batch.leaves.map((leaf, i) => ({
      subject: leaf.subject,
      dataHash: leaf.dataHash,
      observedAt: String(leaf.observedAt),
      expiresAt: String(leaf.expiresAt),
      severity: leaf.severity,
      leafHash: batch.leafHash(i),
      proof: batch.proof(i),
      uid: batch.leafUid(i, anchor),
    })),
  };
}

async function eip712Vectors() {
  const domain = registryDomain(CHAIN_ID, VERIFYING_CONTRACT);
  const domainSeparator = TypedDataEncoder.hashDomain(domain);
  const attestCases = [
    { key: 1, request: ATTESTATION_CASES[0], nonce: 1n, deadline: 1_735_693_200n },
    {
      key: 2,
      request: ATTESTATION_CASES[1],
      nonce: (1n << 255n) + 12345n,
      deadline: (1n << 64n) - 1n,
    },
    // the ledger stores times as uint40: the latest expiry a request may carry
    {
      key: 3,
      request: { ...ATTESTATION_CASES[2], expiresAt: (1n << 40n) - 1n },
      nonce: 0n,
      deadline: 1n,
    },
  ];
  const attest = [];
  for (const c of attestCases) {
    const wallet = new Wallet(privateKey(c.key));
    const { provider: _provider, ...request } = c.request;
    const signature = await signAttest(wallet, domain, request, c.nonce, c.deadline);
    attest.push({
      privateKey: privateKey(c.key),
      signer: wallet.address,
      request: {
        ...request,
        observedAt: String(request.observedAt),
        expiresAt: String(request.expiresAt),
      },
      nonce: String(c.nonce),
      deadline: String(c.deadline),
      structHash: attestStructHash(request, c.nonce, c.deadline),
      digest: attestDigest(domain, request, c.nonce, c.deadline),
      signature,
    });
  }
  const gateway = gatewayDomain(CHAIN_ID);
  const login = [];
  for (const key of [1, 4]) {
    const wallet = new Wallet(privateKey(key));
    const message = {
      key: wallet.address,
      member: memberId("Bank A"),
      audience: "https://gateway.credtrail.example",
      issuedAt: 1_735_689_600n,
      expiresAt: 1_735_690_500n,
      nonce: label(`login nonce ${key}`),
    };
    login.push({
      privateKey: privateKey(key),
      signer: wallet.address,
      message: {
        ...message,
        issuedAt: String(message.issuedAt),
        expiresAt: String(message.expiresAt),
      },
      digest: loginDigest(gateway, message),
      signature: await signLogin(wallet, gateway, message),
    });
  }
  return {
    attestType: ATTEST_TYPE,
    attestTypehash: ATTEST_TYPEHASH,
    registryDomain: { ...domain, chainId: String(domain.chainId), separator: domainSeparator },
    attest,
    loginType: LOGIN_TYPE,
    gatewayDomain: {
      ...gateway,
      chainId: String(gateway.chainId),
      separator: TypedDataEncoder.hashDomain(gateway),
    },
    login,
  };
}

function governanceVectors() {
  const member = memberId("Bank C");
  const keys = [new Wallet(privateKey(5)).address, new Wallet(privateKey(6)).address];
  const actions: GovernanceAction[] = [
    { kind: "Admit", member, name: "Bank C", roles: Role.LENDER | Role.PROVIDER, keys },
    { kind: "SetRoles", member, roles: Role.LENDER },
    { kind: "SetScope", member, category: categoryId("loan.repayment"), expiresAt: 1_800_000_000n },
    { kind: "Suspend", member },
    { kind: "Reinstate", member },
    { kind: "AddKey", member, key: new Wallet(privateKey(7)).address },
    { kind: "RevokeKey", member, key: keys[1] },
    { kind: "SetThreshold", threshold: 3 },
    { kind: "SetParameter", name: "disputePeriod", value: 30n * 86_400n },
  ];
  return actions.map((action) => {
    const encoded = encodeAction(action);
    const json = Object.fromEntries(
      Object.entries(action).map(([k, v]) => [
        k,
        typeof v === "bigint" ? String(v) : (v as unknown),
      ]),
    );
    return { action: json, kind: encoded.kind, payload: encoded.payload };
  });
}

export const MODEL_DOCUMENT = {
  name: "credtrail-scorecard",
  version: 1,
  base: { points: 600, odds: 50, pdo: 20 },
  features: [{ name: "taxGrade", bins: [{ value: "A", points: 40 }] }],
};

function idVectors() {
  const names = [
    "State Taxation Administration",
    "People's Court",
    "Credit Scorer",
    "Bank A",
    "中国人民银行",
  ];
  return {
    attestationTag: ATTESTATION_TAG,
    derivationTag: DERIVATION_TAG,
    members: names.map((name) => ({ name, id: memberId(name) })),
    categories: CATEGORIES.map((name) => ({ name, id: categoryId(name) })),
    schemas: CATEGORIES.map((category) => {
      const registration = schemaRegistration(SCHEMAS[category]);
      return { ...registration, name: SCHEMAS[category].name };
    }),
    models: [
      {
        document: MODEL_DOCUMENT,
        modelHash: modelHash(MODEL_DOCUMENT),
        schemaIdOfSame: schemaId(MODEL_DOCUMENT),
      },
    ],
    roles: Object.fromEntries(ROLE_NAMES.map((name) => [name, Role[name]])),
    parameters: PARAMETER_NAMES.map((name) => ({
      name,
      key: PARAMETER_KEYS[name],
      default: String(PARAMETER_DEFAULTS[name]),
    })),
    actionKinds: ActionKind,
  };
}

/** Every vector, as the object written to core.json. */
export async function buildVectors() {
  const uscc = usccVectors();
  return {
    description:
      "credtrail core/ known-answer vectors; regenerate with `npx tsx test/vectors/generate.ts`",
    /** The texts behind the label hashes used below (keccak256 of the UTF-8 text). */
    labels: Object.fromEntries(LABEL_TEXTS.map((text) => [text, label(text)])),
    consortiumKey: CONSORTIUM_KEY,
    chainId: String(CHAIN_ID),
    verifyingContract: VERIFYING_CONTRACT,
    uscc,
    canonicalJson: canonicalVectors(),
    subjectId: subjectVectors(uscc.valid),
    ids: idVectors(),
    attestationUid: attestationVectors(),
    derivedUid: derivedVectors(),
    recordBatch: batchVectors(),
    eip712: await eip712Vectors(),
    governance: governanceVectors(),
  };
}

export type CoreVectors = Awaited<ReturnType<typeof buildVectors>>;

/** The exact text of core.json. */
export async function renderVectors(): Promise<string> {
  return `${JSON.stringify(await buildVectors(), null, 2)}\n`;
}

const entry = process.argv.at(1);
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  writeFileSync(VECTORS_PATH, await renderVectors());
  console.log(`wrote ${VECTORS_PATH}`);
}
