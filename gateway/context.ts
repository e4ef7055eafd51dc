/** What every resolver sees about the request. */
import type { Principal } from "./types.js";

export interface GatewayContext {
  /** The authenticated member, or null for an anonymous caller. */
  principal: Principal | null;
  /** The caller's address as express saw it. */
  ip: string;
}

/** What express hands yoga with each request. */
export interface ServerContext {
  req: import("express").Request;
  res: import("express").Response;
}
