/**
 * credtrail core: the ledger-neutral domain. No I/O, no clock, no randomness, no environment.
 * This is the package's only barrel; import from "core/index.js".
 */
export * from "./abiValues.js";
export * from "./attestationRequest.js";
export * from "./canonicalJson.js";
export * from "./eip712.js";
export * from "./errors.js";
export * from "./events.js";
export * from "./forwardRequest.js";
export * from "./governance.js";
export * from "./ids.js";
export * from "./keccak.js";
export * from "./ledgerEnums.js";
export * from "./merkle.js";
export * from "./parameters.js";
export * from "./roles.js";
export * from "./schemas.js";
export * from "./scoring/index.js";
export * from "./severity.js";
export * from "./subjectId.js";
export * from "./uscc.js";
