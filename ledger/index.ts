/**
 * credtrail ledger adapters: the one interface (types.ts) and its back ends. The package's only
 * barrel; import from "ledger/index.js".
 */
export * from "./types.js";
export * from "./errors.js";
export { createEvmLedger, type EvmLedger, type EvmLedgerOptions } from "./evm/createEvmLedger.js";
export { decodeRegistryCall, type ContractAddresses, type RegistryCall } from "./evm/abi.js";
export type { EvmWriter } from "./evm/evmWriter.js";
export { createLogDecoder, type LogDecoder, type RawLog } from "./evm/decodeLog.js";
export { decodeRevertData, type DecodedRevert } from "./evm/revertError.js";
export type { FetchFunction } from "./evm/jsonRpc.js";
export type { LedgerLogger } from "./evm/logger.js";
