/**
 * A small consortium deployed on a JSON-RPC node (e.g. {@link startHardhatNode}), for tests that run
 * against a node outside the test process. Same members as test/contracts/fixture.ts:
 *
 * | key (account)        | member           | roles            | accredited for                           |
 * |----------------------|------------------|------------------|------------------------------------------|
 * | tax, taxAlt (1, 2)   | Tax Bureau       | PROVIDER         | tax.payment, tax.grade (2 years)         |
 * | court (3)            | People's Court   | PROVIDER         | judicial.enforcement, admin.penalty      |
 * | scorer (4)           | Credit Scorer    | SCORER           |                                          |
 * | lenderA, lenderB (5, 6) | Bank A, Bank B | LENDER           |                                          |
 * | regulator (7)        | Regulator        | REGULATOR        |                                          |
 * | repairAuthority (8)  | Repair Authority | REPAIR_AUTHORITY |                                          |
 * | operator (9)         | Operator         | OPERATOR         |                                          |
 *
 * Account 0 deploys; `relayer` (10) and `outsider` (11) hold no consortium key. Threshold 2. With
 * `register: true` (default) the operator also registers the schemas of those categories and
 * `credit.score`, and the scorer registers {@link TEST_MODEL}.
 */
import { JsonRpcProvider, Network, NonceManager, Wallet } from "ethers";

import {
  categoryId,
  memberId,
  modelHash,
  Role,
  schemaRegistration,
  SCHEMAS,
  type CategoryName,
  type Hex,
} from "../../core/index.js";
import { deployContracts } from "../../scripts/deploy/deployContracts.js";
import { HARDHAT_KEYS } from "./hardhatNode.js";

export const TEST_MEMBERS = {
  tax: "State Taxation Administration",
  court: "People's Court",
  scorer: "Credit Scorer",
  lenderA: "Bank A",
  lenderB: "Bank B",
  regulator: "Regulator",
  repairAuthority: "Repair Authority",
  operator: "Operator",
} as const;
export type TestMember = keyof typeof TEST_MEMBERS;

/** Private keys by role in the test consortium (Hardhat default accounts). */
export const TEST_KEYS = {
  deployer: HARDHAT_KEYS[0],
  tax: HARDHAT_KEYS[1],
  taxAlt: HARDHAT_KEYS[2],
  court: HARDHAT_KEYS[3],
  scorer: HARDHAT_KEYS[4],
  lenderA: HARDHAT_KEYS[5],
  lenderB: HARDHAT_KEYS[6],
  regulator: HARDHAT_KEYS[7],
  repairAuthority: HARDHAT_KEYS[8],
  operator: HARDHAT_KEYS[9],
  relayer: HARDHAT_KEYS[10],
  outsider: HARDHAT_KEYS[11],
} as const;
export type TestKey = keyof typeof TEST_KEYS;

export const TEST_SCHEMA_CATEGORIES = {
  taxPayment: "tax.payment",
  taxGrade: "tax.grade",
  judicialEnforcement: "judicial.enforcement",
  adminPenalty: "admin.penalty",
  creditScore: "credit.score",
} as const satisfies Record<string, CategoryName>;
export type TestSchema = keyof typeof TEST_SCHEMA_CATEGORIES;

export const TEST_MODEL = {
  name: "credtrail-scorecard",
  version: 1,
  base: { points: 600, odds: 50, pdo: 20 },
  features: [{ name: "taxGrade", bins: [{ value: "A", points: 40 }] }],
};
export const TEST_MODEL_URI = "credtrail://models/scorecard-v1";

export const YEAR_SECONDS = 365n * 86_400n;

export interface TestConsortium {
  url: string;
  chainId: bigint;
  addresses: { consortium: string; registry: string };
  /** Block of the Consortium deployment: an indexer starts after `deployBlock - 1`. */
  deployBlock: number;
  /** Member ids (core memberId). */
  ids: Record<TestMember, Hex>;
  /** Category ids (core categoryId). */
  categories: Record<TestSchema, Hex>;
  /** Schema ids (registered when `register` was true). */
  schemas: Record<TestSchema, Hex>;
  model: Hex;
  /** Accreditation expiry of the providers' scopes. */
  scopeExpiresAt: bigint;
  /** Checksummed address of each test key. */
  address: Record<TestKey, string>;
}

export interface DeployTestConsortiumOptions {
  /** Register the schemas and the model too (default true). */
  register?: boolean;
  /** Approvals a proposal needs (default 2). */
  threshold?: number;
}

/** Deploys the test consortium on the node at `url`. */
export async function deployTestConsortium(
  url: string,
  options: DeployTestConsortiumOptions = {},
): Promise<TestConsortium> {
  const probe = new JsonRpcProvider(url);
  const chainId = (await probe.getNetwork()).chainId;
  probe.destroy();
  const network = Network.from(chainId);
  const provider = new JsonRpcProvider(url, network, {
    staticNetwork: network,
    cacheTimeout: -1,
    pollingInterval: 100,
  });
  try {
    const signer = (key: TestKey) => new NonceManager(new Wallet(TEST_KEYS[key], provider));
    const address = Object.fromEntries(
      Object.entries(TEST_KEYS).map(([name, key]) => [name, new Wallet(key).address]),
    ) as Record<TestKey, string>;
    const ids = Object.fromEntries(
      Object.entries(TEST_MEMBERS).map(([k, name]) => [k, memberId(name)]),
    ) as Record<TestMember, Hex>;
    const categories = Object.fromEntries(
      Object.entries(TEST_SCHEMA_CATEGORIES).map(([k, name]) => [k, categoryId(name)]),
    ) as Record<TestSchema, Hex>;

    const latest = await provider.getBlock("latest");
    const scopeExpiresAt = BigInt(latest?.timestamp ?? 0) + 2n * YEAR_SECONDS;
    const founder = (name: TestMember, keys: string[], cats: Hex[] = []) => ({
      id: ids[name],
      name: TEST_MEMBERS[name],
      roles: ROLES[name],
      keys,
      categories: cats,
      scopeExpiresAt: cats.length > 0 ? scopeExpiresAt : 0n,
    });
    const { consortium, registry, deployBlock } = await deployContracts(signer("deployer"), {
      threshold: options.threshold ?? 2,
      founders: [
        founder("tax", [address.tax, address.taxAlt], [categories.taxPayment, categories.taxGrade]),
        founder(
          "court",
          [address.court],
          [categories.judicialEnforcement, categories.adminPenalty],
        ),
        founder("scorer", [address.scorer]),
        founder("lenderA", [address.lenderA]),
        founder("lenderB", [address.lenderB]),
        founder("regulator", [address.regulator]),
        founder("repairAuthority", [address.repairAuthority]),
        founder("operator", [address.operator]),
      ],
    });

    const schemas = {} as Record<TestSchema, Hex>;
    for (const key of Object.keys(TEST_SCHEMA_CATEGORIES) as TestSchema[]) {
      const registration = schemaRegistration(SCHEMAS[TEST_SCHEMA_CATEGORIES[key]]);
      schemas[key] = registration.schemaId;
      if (options.register !== false) {
        const operator = consortium.connect(signer("operator"));
        await (
          await operator.registerSchema(registration.categoryName, registration.definition)
        ).wait();
      }
    }
    const model = modelHash(TEST_MODEL);
    if (options.register !== false) {
      await (
        await consortium.connect(signer("scorer")).registerModel(model, TEST_MODEL_URI)
      ).wait();
    }
    return {
      url,
      chainId,
      addresses: {
        consortium: await consortium.getAddress(),
        registry: await registry.getAddress(),
      },
      deployBlock,
      ids,
      categories,
      schemas,
      model,
      scopeExpiresAt,
      address,
    };
  } finally {
    provider.destroy();
  }
}

const ROLES: Record<TestMember, number> = {
  tax: Role.PROVIDER,
  court: Role.PROVIDER,
  scorer: Role.SCORER,
  lenderA: Role.LENDER,
  lenderB: Role.LENDER,
  regulator: Role.REGULATOR,
  repairAuthority: Role.REPAIR_AUTHORITY,
  operator: Role.OPERATOR,
};
