/**
 * Gateway authentication: login tokens signed by member keys, checked against the indexed
 * membership. The package's only barrel.
 */
export * from "./createAuthenticator.js";
export * from "./errorCodes.js";
export * from "./expiringLru.js";
export * from "./loginToken.js";
