/**
 * Registered schema definitions by schema id, parsed once: the record-contents check validates
 * against them, and the scoring service needs each record's schema **name** (ledger schema ids
 * are hashes). A schema never changes once registered, so found definitions are cached for good.
 */
import type { Hex, SchemaDefinition } from "../../core/index.js";
import type { ReadApi } from "../readModels.js";

export interface SchemaDefinitions {
  /** The definition registered under `schema`, or null when the indexer has none. */
  get(schema: Hex): Promise<SchemaDefinition | null>;
}

export function createSchemaDefinitions(reads: Pick<ReadApi, "getSchema">): SchemaDefinitions {
  const cache = new Map<Hex, SchemaDefinition>();
  return {
    async get(schema) {
      const cached = cache.get(schema);
      if (cached !== undefined) return cached;
      const stored = await reads.getSchema(schema);
      if (stored === null) return null;
      const definition = JSON.parse(stored.definition) as SchemaDefinition;
      cache.set(schema, definition);
      return definition;
    },
  };
}
