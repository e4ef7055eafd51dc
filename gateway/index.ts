/** credtrail gateway: GraphQL over the indexer, with ledger-based access control. */
export * from "./config.js";
export * from "./errors.js";
export * from "./server.js";
export type { GatewayWrites } from "./resolvers/index.js";
export type * from "./types.js";
export type { GatewayContext } from "./context.js";
