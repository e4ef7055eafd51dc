/**
 * Per-request facts the plugins share (principal, caller address, operation, timing), keyed by the
 * fetch Request yoga handles. Entries go away with their request.
 */
import type { Principal } from "./types.js";

export interface RequestState {
  principal: Principal | null;
  ip: string;
  /** performance.now() when the request reached yoga. */
  startedAt: number;
  /** The operation's name (or "anonymous"), once parsed. */
  operation: string;
}

export interface RequestStates {
  get(request: Request): RequestState | undefined;
  /** The state of a request, created on first use. */
  of(request: Request, ip?: string): RequestState;
}

export function createRequestStates(): RequestStates {
  const states = new WeakMap<Request, RequestState>();
  return {
    get: (request) => states.get(request),
    of(request, ip = "unknown") {
      let state = states.get(request);
      if (state === undefined) {
        state = { principal: null, ip, startedAt: performance.now(), operation: "unknown" };
        states.set(request, state);
      }
      return state;
    },
  };
}
