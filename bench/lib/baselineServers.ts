/**
 * The gateway benchmark's baselines, in a process of their own: (a) a raw `node:http` server and
 * (b) a plain express route (express.json() body parsing, as the gateway's body limit does), both
 * reading the POST body and answering with the same precomputed JSON (the gateway's own answer to
 * the benchmark query). Prints `{"raw":URL,"express":URL}` on stdout once both listen; stops on
 * SIGTERM.
 *
 *   node --import tsx bench/lib/baselineServers.ts <response.json>
 */
import { readFile } from "node:fs/promises";
import type { Server } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import express from "express";

const file = process.argv[2];
if (file === undefined) throw new Error("usage: baselineServers.ts <response.json>");
const body = Buffer.from(await readFile(file, "utf8"), "utf8");
const CONTENT_TYPE = "application/json; charset=utf-8";

const raw = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    // read like a server that looks at it would: the body as text
    if (Buffer.concat(chunks).length === 0) {
      res.writeHead(400).end();
      return;
    }
    res.writeHead(200, { "content-type": CONTENT_TYPE, "content-length": body.length });
    res.end(body);
  });
});

const app = express();
app.disable("x-powered-by");
app.post("/graphql", express.json({ limit: 64 * 1024 }), (req, res) => {
  if (req.body === undefined) {
    res.status(400).end();
    return;
  }
  res.type(CONTENT_TYPE).send(body);
});

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`);
    });
  });
}

const expressServer = createServer(app);
const urls = { raw: await listen(raw), express: await listen(expressServer) };
process.stdout.write(`${JSON.stringify(urls)}\n`);
process.once("SIGTERM", () => {
  raw.closeAllConnections();
  expressServer.closeAllConnections();
  raw.close();
  expressServer.close();
});
