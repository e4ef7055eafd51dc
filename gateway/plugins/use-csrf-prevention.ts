/**
 * CSRF prevention (yoga's plugin): a request that a browser could send cross-site without a
 * preflight (GET, or a "simple" content type) must carry a non-simple header.
 */
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import type { Plugin } from "graphql-yoga";

export const CSRF_HEADERS = ["x-graphql-yoga-csrf", "apollo-require-preflight"];

export function useCsrfPrevention(): Plugin {
  return useCSRFPrevention({ requestHeaders: CSRF_HEADERS });
}
