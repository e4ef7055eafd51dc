/**
 * The ABIs the EVM adapter decodes with, from the typechain factories (generated from the compiled
 * contracts, so they cannot drift from what is deployed): events from the interfaces
 * (IConsortium.sol, ICreditRegistry.sol declare every event), errors from the implementations
 * (which add the errors of the OpenZeppelin code they use, e.g. ECDSA).
 */
import { Interface } from "ethers";

import { Consortium__factory } from "../../types/ethers-contracts/factories/contracts/Consortium__factory.js";
import { CredtrailForwarder__factory } from "../../types/ethers-contracts/factories/contracts/CredtrailForwarder__factory.js";
import { CreditRegistry__factory } from "../../types/ethers-contracts/factories/contracts/CreditRegistry__factory.js";
import { IConsortium__factory } from "../../types/ethers-contracts/factories/contracts/interfaces/IConsortium__factory.js";
import { ICreditRegistry__factory } from "../../types/ethers-contracts/factories/contracts/interfaces/ICreditRegistry__factory.js";

export type ContractName = "Consortium" | "CreditRegistry";

/** Where the two contracts live. */
export interface ContractAddresses {
  consortium: string;
  registry: string;
}

/** Event declarations of each contract. */
export const EVENT_INTERFACES: Readonly<Record<ContractName, Interface>> = {
  Consortium: new Interface(IConsortium__factory.abi),
  CreditRegistry: new Interface(ICreditRegistry__factory.abi),
};

/** Contracts whose custom errors a submission can revert with. */
export type ErrorSource = ContractName | "CredtrailForwarder";

/**
 * Custom errors of each contract (a registry call can also revert with a Consortium error, and a
 * relayed one with the forwarder's).
 */
export const ERROR_INTERFACES: Readonly<Record<ErrorSource, Interface>> = {
  Consortium: new Interface(Consortium__factory.abi),
  CreditRegistry: new Interface(CreditRegistry__factory.abi),
  CredtrailForwarder: new Interface(CredtrailForwarder__factory.abi),
};

/** The registry's functions (to tell which operation a relayed call makes). */
export const REGISTRY_INTERFACE = new Interface(CreditRegistry__factory.abi);

/** A registry call as a relayed request's `data` makes it. */
export interface RegistryCall {
  /** The function's name, e.g. "revoke". */
  name: string;
  /** Its arguments by parameter name (structs as objects). */
  args: Record<string, unknown>;
}

/** Decodes calldata of a registry function; null when it is not one (or does not decode). */
export function decodeRegistryCall(data: string): RegistryCall | null {
  try {
    const parsed = REGISTRY_INTERFACE.parseTransaction({ data });
    if (parsed === null) return null;
    return { name: parsed.name, args: parsed.args.toObject(true) };
  } catch {
    return null;
  }
}
