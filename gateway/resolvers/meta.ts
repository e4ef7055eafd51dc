/** `_meta`: open to everyone. */
import type { ResolverDeps } from "./deps.js";

export interface MetaView {
  headBlock: bigint | null;
  indexedBlock: bigint;
  indexedBlockHash: string;
  lagSeconds: number;
}

export function metaResolvers(deps: ResolverDeps) {
  return {
    Query: {
      async _meta(): Promise<MetaView> {
        const s = await deps.status();
        return {
          headBlock: s.head?.number ?? null,
          indexedBlock: s.checkpoint.number,
          indexedBlockHash: s.checkpoint.hash,
          lagSeconds: s.secondsBehind,
        };
      },
    },
  };
}
