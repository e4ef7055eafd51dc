/**
 * The two ledger legs of the conformance suite, each a `Ledger` with the same consortium:
 *
 * | actor     | member            | roles                                        | accredited for           |
 * |-----------|-------------------|----------------------------------------------|--------------------------|
 * | provider  | Tax Bureau        | PROVIDER                                     | tax.payment, tax.grade   |
 * | court     | People's Court    | PROVIDER                                     | judicial.enforcement, admin.penalty |
 * | authority | Credit Authority  | SCORER, REPAIR_AUTHORITY, REGULATOR, OPERATOR |                          |
 * | lender    | Bank A            | LENDER                                       |                          |
 *
 * Threshold 2. The Tax Bureau also holds the `signer` key, an Ethereum key on both legs (it signs
 * EIP-712 attestations that another member relays). Keys differ per leg — Hardhat accounts on the
 * EVM, X.509 identities of Org1/Org2 on Fabric (provider = org1-user, authority = org1-admin,
 * lender = org2-admin, court = org2-user) — everything else (member ids, schema ids, record uids,
 * scope expiry) is the same.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { NonceManager, Wallet, JsonRpcProvider } from "ethers";

import {
  categoryId,
  memberId,
  registryDomain,
  Role,
  type Hex,
  type RegistryDomain,
} from "../../core/index.js";
import { fabricRegistryDomain } from "../../chaincode/src/domain.js";
import {
  createFabricLedger,
  localNetworkOptions,
  type FabricLedger,
} from "../../ledger/fabric/index.js";
import { createEvmLedger, type Ledger, type LedgerWriter } from "../../ledger/index.js";
import { deployContracts } from "../../scripts/deploy/deployContracts.js";
import { HARDHAT_KEYS, REPO_ROOT, startHardhatNode } from "../helpers/hardhatNode.js";

export const ACTORS = ["provider", "court", "authority", "lender"] as const;
export type Actor = (typeof ACTORS)[number];

export const MEMBER_NAMES: Record<Actor, string> = {
  provider: "Tax Bureau",
  court: "People's Court",
  authority: "Credit Authority",
  lender: "Bank A",
};

export const MEMBER_ROLES: Record<Actor, number> = {
  provider: Role.PROVIDER,
  court: Role.PROVIDER,
  authority: Role.SCORER | Role.REPAIR_AUTHORITY | Role.REGULATOR | Role.OPERATOR,
  lender: Role.LENDER,
};

export const MEMBER_CATEGORIES: Record<Actor, Hex[]> = {
  provider: [categoryId("tax.payment"), categoryId("tax.grade")],
  court: [categoryId("judicial.enforcement"), categoryId("admin.penalty")],
  authority: [],
  lender: [],
};

/** Accreditation expiry of the providers (fixed, so both legs store the same). */
export const SCOPE_EXPIRES_AT = 4_000_000_000n;
export const THRESHOLD = 2;
/** The Ethereum key that signs attestations for the Tax Bureau (Hardhat account 5). */
export const SIGNER_KEY = HARDHAT_KEYS[5];

export interface Leg {
  name: "hardhat" | "fabric";
  ledger: Ledger;
  writers: Record<Actor, LedgerWriter>;
  /** Each actor's key address, and the signer's. */
  keys: Record<Actor | "signer", string>;
  /** The EIP-712 domain signed attestations must use on this leg. */
  domain: RegistryDomain;
  /** An empty indexer starts after this block. */
  fromBlock: bigint;
  stop(): Promise<void>;
}

function founders(keys: Record<Actor | "signer", string>) {
  return ACTORS.map((actor) => ({
    id: memberId(MEMBER_NAMES[actor]),
    name: MEMBER_NAMES[actor],
    roles: MEMBER_ROLES[actor],
    keys: actor === "provider" ? [keys.provider, keys.signer] : [keys[actor]],
    categories: MEMBER_CATEGORIES[actor],
    scopeExpiresAt: MEMBER_CATEGORIES[actor].length > 0 ? SCOPE_EXPIRES_AT : 0n,
  }));
}

export async function startHardhatLeg(): Promise<Leg> {
  const node = await startHardhatNode();
  const actorKeys: Record<Actor, string> = {
    provider: HARDHAT_KEYS[1],
    court: HARDHAT_KEYS[2],
    authority: HARDHAT_KEYS[3],
    lender: HARDHAT_KEYS[4],
  };
  const keys = Object.fromEntries([
    ...ACTORS.map((a) => [a, new Wallet(actorKeys[a]).address]),
    ["signer", new Wallet(SIGNER_KEY).address],
  ]) as Record<Actor | "signer", string>;
  const provider = new JsonRpcProvider(node.url, undefined, { cacheTimeout: -1 });
  let deployed;
  try {
    deployed = await deployContracts(new NonceManager(new Wallet(HARDHAT_KEYS[0], provider)), {
      threshold: THRESHOLD,
      founders: founders(keys),
    });
  } finally {
    provider.destroy();
  }
  const addresses = {
    consortium: await deployed.consortium.getAddress(),
    registry: await deployed.registry.getAddress(),
  };
  const ledger = await createEvmLedger({ rpcUrl: node.url, addresses, pollIntervalMs: 50 });
  const writers = {} as Record<Actor, LedgerWriter>;
  for (const actor of ACTORS) writers[actor] = ledger.writer(actorKeys[actor]);
  return {
    name: "hardhat",
    ledger,
    writers,
    keys,
    domain: registryDomain(ledger.chainId, addresses.registry),
    fromBlock: BigInt(deployed.deployBlock - 1),
    async stop() {
      ledger.close();
      await node.stop();
    },
  };
}

const FABRIC_SCRIPT = path.join(REPO_ROOT, "scripts/fabric-network.sh");

/** Whether the Fabric leg can run here, and if not, why. */
export function fabricLegAvailability(): { run: boolean; reason: string } {
  if (!existsSync(path.join(REPO_ROOT, ".tools/fabric/bin/peer")))
    return {
      run: false,
      reason: "no Fabric binaries (.tools/fabric/bin): run scripts/fabric-install.sh",
    };
  if (process.env.FABRIC_E2E === "0") return { run: false, reason: "FABRIC_E2E=0" };
  return { run: true, reason: "Fabric binaries installed" };
}

export interface FabricNetworkHandle {
  dataDir: string;
  portBase: number;
  /** Runs scripts/fabric-network.sh with this network's data folder and ports. */
  script(...args: string[]): Promise<string>;
}

/**
 * Test networks live under $FABRIC_TEST_DATA (default: <tmpdir>/credtrail-fabric), not in .data:
 * other suites clean .data while these run.
 */
export function fabricNetwork(name: string, portBase: number): FabricNetworkHandle {
  const dataDir = path.join(
    process.env.FABRIC_TEST_DATA ?? path.join(tmpdir(), "credtrail-fabric"),
    name,
  );
  return {
    dataDir,
    portBase,
    async script(...args) {
      const { stdout } = await promisify(execFile)(FABRIC_SCRIPT, args, {
        cwd: REPO_ROOT,
        env: { ...process.env, FABRIC_DATA: dataDir, FABRIC_PORT_BASE: String(portBase) },
        maxBuffer: 16 * 1024 * 1024,
      });
      return stdout;
    },
  };
}

const FABRIC_IDENTITY: Record<Actor, string> = {
  provider: "org1-user",
  authority: "org1-admin",
  lender: "org2-admin",
  court: "org2-user",
};

export interface FabricLeg extends Leg {
  ledger: FabricLedger;
  network: FabricNetworkHandle;
}

/** A fresh network (reset, up), the consortium bootstrapped by the authority. */
export async function startFabricLeg(
  options: { name?: string; portBase?: number; keep?: boolean } = {},
): Promise<FabricLeg> {
  const network = fabricNetwork(options.name ?? "fabric-conformance", options.portBase ?? 29000);
  await network.script("reset");
  await network.script("up");
  const ledger = createFabricLedger({
    ...localNetworkOptions({ dataDir: network.dataDir, portBase: network.portBase }),
    retryDelayMs: 200,
  });
  const keys = {} as Record<Actor | "signer", string>;
  for (const actor of ACTORS) keys[actor] = await ledger.addressOf(FABRIC_IDENTITY[actor]);
  keys.signer = new Wallet(SIGNER_KEY).address;
  const fromBlock = (await ledger.head()).number;
  await ledger.writer(FABRIC_IDENTITY.authority).submit("Consortium:bootstrap", [
    JSON.stringify({
      chaincodeName: "credtrail",
      threshold: THRESHOLD,
      founders: founders(keys).map((f) => ({ ...f, scopeExpiresAt: f.scopeExpiresAt.toString() })),
    }),
  ]);
  const writers = {} as Record<Actor, LedgerWriter>;
  for (const actor of ACTORS) {
    writers[actor] = ledger.writer(FABRIC_IDENTITY[actor]);
    // the address the adapter computes from the certificate is the chaincode's
    if (writers[actor].identity !== keys[actor])
      throw new Error(
        `${actor}: writer identity ${writers[actor].identity} ≠ whoAmI ${keys[actor]}`,
      );
  }
  return {
    name: "fabric",
    ledger,
    network,
    writers,
    keys,
    domain: fabricRegistryDomain("credtrail", "credtrail"),
    fromBlock,
    async stop() {
      ledger.close();
      await network.script(options.keep === true ? "down" : "reset");
    },
  };
}
