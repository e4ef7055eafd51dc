/** The Fabric back end of the Ledger interface (see docs/fabric.md). */
export {
  createFabricLedger,
  type FabricIdentity,
  type FabricLedger,
  type FabricLedgerOptions,
} from "./createFabricLedger.js";
export { localNetworkOptions, type LocalNetwork } from "./localNetwork.js";
export type { FabricNode } from "./connections.js";
export type { FabricWriter } from "./fabricWriter.js";
export { fabricIdentityAddress } from "./identityAddress.js";
