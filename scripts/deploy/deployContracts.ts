import type { ContractRunner, Signer } from "ethers";

import {
  Consortium__factory,
  CredtrailForwarder__factory,
  CreditRegistry__factory,
  type Consortium,
  type CredtrailForwarder,
  type CreditRegistry,
} from "../../types/ethers-contracts/index.js";

/** A founding member as the Consortium constructor takes it. */
export interface FounderSpec {
  /** bytes32 member id (core `memberId(name)`). */
  id: string;
  name: string;
  /** role bits (core `Role`). */
  roles: number;
  keys: string[];
  /** category ids (core `categoryId(name)`) the member is accredited for, if a provider. */
  categories: string[];
  /** unix seconds; accreditation expiry of those categories (0 when none). */
  scopeExpiresAt: bigint;
}

export interface DeployOptions {
  founders: FounderSpec[];
  /** approvals a governance proposal needs (1..founders.length). */
  threshold: number;
}

export interface DeployedContracts {
  consortium: Consortium;
  registry: CreditRegistry;
  /** the ERC-2771 forwarder the registry trusts (members' signed requests relayed by a node). */
  forwarder: CredtrailForwarder;
  /** block numbers the contracts were deployed in: where an indexer starts. */
  deployBlock: number;
}

/**
 * Deploys the Consortium (with its founding members), the ERC-2771 forwarder, and the
 * CreditRegistry bound to both.
 */
export async function deployContracts(
  deployer: Signer,
  options: DeployOptions,
): Promise<DeployedContracts> {
  const consortium = await new Consortium__factory(deployer).deploy(
    options.founders,
    options.threshold,
  );
  const receipt = await consortium.deploymentTransaction()?.wait();
  const forwarder = await new CredtrailForwarder__factory(deployer).deploy();
  await forwarder.waitForDeployment();
  const registry = await new CreditRegistry__factory(deployer).deploy(
    await consortium.getAddress(),
    await forwarder.getAddress(),
  );
  await registry.waitForDeployment();
  return { consortium, registry, forwarder, deployBlock: receipt?.blockNumber ?? 0 };
}

/** Attaches to contracts that are already deployed. */
export function attachContracts(
  runner: ContractRunner,
  addresses: { consortium: string; registry: string },
): { consortium: Consortium; registry: CreditRegistry } {
  return {
    consortium: Consortium__factory.connect(addresses.consortium, runner),
    registry: CreditRegistry__factory.connect(addresses.registry, runner),
  };
}
