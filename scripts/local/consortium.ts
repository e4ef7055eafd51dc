/**
 * The demo consortium of the local stack: who its members are, their keys (Hardhat's funded
 * default accounts), and how it is founded and grown by governance.
 *
 * Founders (in the Consortium constructor): the operator, the regulator and the tax bureau, with
 * a threshold of 2. Every other member is admitted by a governance proposal of the operator that
 * the regulator approves, and each provider's accreditation (scope) is another proposal. Then the
 * operator registers every data category's schema and the scorer registers its model.
 */
import { HDNodeWallet, Mnemonic, Wallet, type Signer } from "ethers";

import type { CategoryName, Hex } from "../../core/index.js";
import {
  Role,
  SCHEMAS,
  categoryId,
  memberId,
  modelRegistration,
  schemaRegistration,
} from "../../core/index.js";
import type { LedgerWriter } from "../../ledger/index.js";
import { createEvmLedger } from "../../ledger/index.js";
import { deployContracts } from "../deploy/deployContracts.js";

export const MNEMONIC = "test test test test test test test test test test test junk";

export interface DemoMember {
  key: string;
  name: string;
  roles: number;
  /** Data categories it is accredited to provide. */
  categories: CategoryName[];
  /** Founding member (in the constructor) or admitted by governance. */
  founder: boolean;
}

export const DEMO_MEMBERS = {
  operator: { name: "Consortium Operator", roles: Role.OPERATOR, categories: [], founder: true },
  regulator: {
    name: "People's Bank Credit Regulator",
    roles: Role.REGULATOR,
    categories: [],
    founder: true,
  },
  tax: {
    name: "State Taxation Administration",
    roles: Role.PROVIDER,
    categories: ["tax.payment", "tax.grade"],
    founder: true,
  },
  customs: {
    name: "General Administration of Customs",
    roles: Role.PROVIDER,
    categories: ["customs.trade"],
    founder: false,
  },
  court: {
    name: "Supreme People's Court Enforcement Office",
    roles: Role.PROVIDER,
    categories: ["judicial.case", "judicial.enforcement", "judicial.dishonest"],
    founder: false,
  },
  social: {
    name: "Social Insurance Agency",
    roles: Role.PROVIDER,
    categories: ["social.insurance"],
    founder: false,
  },
  market: {
    name: "Administration for Market Regulation",
    roles: Role.PROVIDER,
    categories: ["admin.penalty"],
    founder: false,
  },
  utility: {
    name: "State Grid Power Supply",
    roles: Role.PROVIDER,
    categories: ["utility.payment"],
    founder: false,
  },
  finance: {
    name: "Ministry of Finance Subsidy Office",
    roles: Role.PROVIDER,
    categories: ["gov.subsidy"],
    founder: false,
  },
  ecology: {
    name: "Ministry of Ecology and Environment",
    roles: Role.PROVIDER,
    categories: ["carbon.emission"],
    founder: false,
  },
  bankA: {
    name: "Bank A (Industrial Bank of Example)",
    roles: Role.LENDER | Role.PROVIDER,
    categories: ["loan.repayment"],
    founder: false,
  },
  bankB: {
    name: "Bank B (Merchants Bank of Example)",
    roles: Role.LENDER,
    categories: [],
    founder: false,
  },
  repair: {
    name: "Credit Repair Authority",
    roles: Role.REPAIR_AUTHORITY,
    categories: [],
    founder: false,
  },
  scorer: { name: "Credtrail Scoring Service", roles: Role.SCORER, categories: [], founder: false },
} as const satisfies Record<string, Omit<DemoMember, "key">>;

export type DemoMemberName = keyof typeof DEMO_MEMBERS;

/** Keys: Hardhat's default accounts from index 1 (index 0 deploys). */
export function demoKeys(): { deployer: string } & Record<DemoMemberName, string> {
  const at = (i: number) =>
    HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(MNEMONIC), `m/44'/60'/0'/0/${i}`).privateKey;
  const names = Object.keys(DEMO_MEMBERS) as DemoMemberName[];
  return {
    deployer: at(0),
    ...(Object.fromEntries(names.map((name, i) => [name, at(i + 1)])) as Record<
      DemoMemberName,
      string
    >),
  };
}

export interface DeployedDemo {
  addresses: { consortium: string; registry: string; forwarder: string };
  deployBlock: number;
  modelHash: Hex;
  schemas: Record<CategoryName, Hex>;
}

const TWO_YEARS = 2n * 365n * 86_400n;

/**
 * Deploys the contracts with the founders, admits the other members and scopes them by
 * governance, registers the schemas and the model. `writer(name)` gives a member's writer.
 */
export async function foundDemoConsortium(options: {
  deployer: Signer;
  /** The chain's JSON-RPC URL (the members' writers submit there). */
  rpc: string;
  model: unknown;
  modelUri: string;
  now: bigint;
  log: (message: string) => void;
}): Promise<DeployedDemo> {
  const { log } = options;
  const keys = demoKeys();
  const names = Object.keys(DEMO_MEMBERS) as DemoMemberName[];
  const address = (name: DemoMemberName) => new Wallet(keys[name]).address;
  const scopeExpiresAt = options.now + TWO_YEARS;
  const founders = names
    .filter((name) => DEMO_MEMBERS[name].founder)
    .map((name) => ({
      id: memberId(DEMO_MEMBERS[name].name),
      name: DEMO_MEMBERS[name].name,
      roles: DEMO_MEMBERS[name].roles,
      keys: [address(name)],
      categories: DEMO_MEMBERS[name].categories.map((c) => categoryId(c)),
      scopeExpiresAt: DEMO_MEMBERS[name].categories.length > 0 ? scopeExpiresAt : 0n,
    }));
  const deployed = await deployContracts(options.deployer, { founders, threshold: 2 });
  const addresses = {
    consortium: await deployed.consortium.getAddress(),
    registry: await deployed.registry.getAddress(),
    forwarder: await deployed.forwarder.getAddress(),
  };
  log(`deployed: consortium ${addresses.consortium}, registry ${addresses.registry}`);
  const ledger = await createEvmLedger({ rpcUrl: options.rpc, addresses });
  const writers = new Map<DemoMemberName, LedgerWriter>();
  const writer = (name: DemoMemberName): LedgerWriter => {
    let w = writers.get(name);
    if (w === undefined) {
      w = ledger.writer(keys[name]);
      writers.set(name, w);
    }
    return w;
  };
  try {
    // governance: the operator proposes, the regulator's approval reaches the threshold of 2
    const govern = async (action: Parameters<LedgerWriter["propose"]>[0]) => {
      const { proposalId } = await writer("operator").propose(action);
      await writer("regulator").approve(proposalId);
    };
    for (const name of names.filter((n) => !DEMO_MEMBERS[n].founder)) {
      const member = DEMO_MEMBERS[name];
      const id = memberId(member.name);
      await govern({
        kind: "Admit",
        member: id,
        name: member.name,
        roles: member.roles,
        keys: [address(name)],
      });
      for (const category of member.categories) {
        await govern({
          kind: "SetScope",
          member: id,
          category: categoryId(category),
          expiresAt: scopeExpiresAt,
        });
      }
      log(`admitted by governance: ${member.name}`);
    }
    const schemas = {} as Record<CategoryName, Hex>;
    for (const category of Object.keys(SCHEMAS) as CategoryName[]) {
      const registration = schemaRegistration(SCHEMAS[category]);
      await writer("operator").registerSchema(registration.categoryName, registration.definition);
      schemas[category] = registration.schemaId;
    }
    const { modelHash } = modelRegistration(options.model);
    await writer("scorer").registerModel(modelHash, options.modelUri);
    log(`registered ${Object.keys(schemas).length} schemas and the scoring model ${modelHash}`);
    return { addresses, deployBlock: deployed.deployBlock, modelHash, schemas };
  } finally {
    ledger.close();
  }
}
