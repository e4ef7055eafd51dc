/** Relay-style connection types (cursor per page: `pageInfo.endCursor` continues after the last node). */
export function connection(node: string): string {
  return `
type ${node}Edge {
  node: ${node}!
}

type ${node}Connection {
  edges: [${node}Edge!]!
  nodes: [${node}!]!
  pageInfo: PageInfo!
}
`;
}

export const pageInfoSdl = /* GraphQL */ `
  type PageInfo {
    "Pass as \`after\` to read the next page; null on the last page."
    endCursor: String
    hasNextPage: Boolean!
  }
`;
