/** Scalars, anchoring and connections. */
import { GraphQLScalarType, Kind } from "graphql";

import { ValidationError } from "../../core/index.js";
import type { Audit, Page } from "../../indexer/index.js";

export const BigIntScalar = new GraphQLScalarType<bigint, string>({
  name: "BigInt",
  serialize(value) {
    if (typeof value === "bigint" || typeof value === "number") return value.toString();
    if (typeof value === "string" && /^-?[0-9]+$/.test(value)) return value;
    throw new TypeError("BigInt: not an integer");
  },
  parseValue(value) {
    if (typeof value === "string" && /^-?[0-9]{1,78}$/.test(value)) return BigInt(value);
    if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
    throw new ValidationError("INTEGER_INVALID", "BigInt must be a decimal integer string");
  },
  parseLiteral(ast) {
    if ((ast.kind === Kind.STRING || ast.kind === Kind.INT) && /^-?[0-9]{1,78}$/.test(ast.value))
      return BigInt(ast.value);
    throw new ValidationError("INTEGER_INVALID", "BigInt must be a decimal integer string");
  },
});

export const anchoringResolvers = {
  blockNumber: (a: Audit): bigint => a.block,
  txHash: (a: Audit): string => a.tx,
};

export interface Connection<T> {
  edges: { node: T }[];
  nodes: T[];
  pageInfo: { endCursor: string | null; hasNextPage: boolean };
}

export function toConnection<T>(page: Page<T>): Connection<T> {
  return {
    edges: page.items.map((node) => ({ node })),
    nodes: page.items,
    pageInfo: { endCursor: page.nextCursor, hasNextPage: page.nextCursor !== null },
  };
}

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export function pageArgs(args: PageArgs): { first?: number; after?: string } {
  return {
    ...(args.first === null || args.first === undefined ? {} : { first: args.first }),
    ...(args.after === null || args.after === undefined ? {} : { after: args.after }),
  };
}
