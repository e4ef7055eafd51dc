/** The chaincode's entry: fabric-shim reads `contracts` (the first is the default contract). */
import { ConsortiumContract } from "./consortiumContract.js";
import { RegistryContract } from "./registryContract.js";

export const contracts = [RegistryContract, ConsortiumContract];
