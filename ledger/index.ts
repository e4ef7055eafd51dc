/**
 * credtrail ledger adapters: the one interface (types.ts) and the EVM back end. The Fabric back
 * end has its own entry, "ledger/fabric/index.js", so that EVM processes do not load gRPC and the
 * Fabric protobufs.
 */
export * from "./types.js";
export * from "./errors.js";
export { createEvmLedger, type EvmLedger, type EvmLedgerOptions } from "./evm/createEvmLedger.js";
export { decodeRegistryCall, type ContractAddresses, type RegistryCall } from "./evm/abi.js";
export type { EvmWriter } from "./evm/evmWriter.js";
export * from "./evm/evmReader.js";
export { createLogDecoder, type LogDecoder, type RawLog } from "./evm/decodeLog.js";
export { decodeRevertData, type DecodedRevert } from "./evm/revertError.js";
export type { FetchFunction } from "./evm/jsonRpc.js";
export type { LedgerLogger } from "./evm/logger.js";
