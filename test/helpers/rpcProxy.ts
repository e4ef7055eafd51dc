/**
 * An HTTP proxy in front of a JSON-RPC node, for tests of processes whose `fetch` cannot be
 * replaced (indexer/main.ts): every request is forwarded unchanged unless `intercept` answers it
 * (e.g. HTTP 503 for eth_getLogs while the node is "down").
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export interface ProxiedCall {
  method: string;
  params: unknown[];
}

/** The answer to send instead of forwarding: an HTTP status and a body. */
export interface ProxyAnswer {
  status: number;
  body: string;
}

export interface RpcProxy {
  url: string;
  /** Decides per request (the calls of a batch, or one call); undefined forwards it. */
  intercept: (calls: ProxiedCall[]) => ProxyAnswer | undefined;
  /** Requests answered by `intercept` so far. */
  intercepted: number;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
    request.on("error", reject);
  });
}

export async function startRpcProxy(target: string): Promise<RpcProxy> {
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = await readBody(request);
    const parsed = JSON.parse(body) as ProxiedCall | ProxiedCall[];
    const calls = (Array.isArray(parsed) ? parsed : [parsed]).map(({ method, params }) => ({
      method,
      params,
    }));
    const answer = proxy.intercept(calls);
    if (answer !== undefined) {
      proxy.intercepted++;
      response.writeHead(answer.status, { "content-type": "text/plain" }).end(answer.body);
      return;
    }
    const forwarded = await fetch(target, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    response
      .writeHead(forwarded.status, { "content-type": "application/json" })
      .end(await forwarded.text());
  };
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(502).end(error instanceof Error ? error.message : String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const proxy: RpcProxy = {
    url: `http://127.0.0.1:${port}`,
    intercept: () => undefined,
    intercepted: 0,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => {
          if (error === undefined) resolve();
          else reject(error);
        });
      }),
  };
  return proxy;
}
