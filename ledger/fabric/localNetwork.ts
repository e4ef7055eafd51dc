/**
 * Options for the local network of scripts/fabric-network.sh: its ports (from `FABRIC_PORT_BASE`)
 * and the crypto material cryptogen wrote under its data folder (`FABRIC_DATA`). Identities are
 * named `org1-admin`, `org1-user`, `org2-admin`, `org2-user`.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

import type { FabricIdentity, FabricLedgerOptions } from "./createFabricLedger.js";

export interface LocalNetwork {
  /** The network's data folder (default .data/fabric). */
  dataDir: string;
  /** FABRIC_PORT_BASE (default 17000). */
  portBase: number;
  channel?: string;
  chaincode?: string;
}

function onlyFile(dir: string): string {
  const files = readdirSync(dir);
  if (files.length !== 1) throw new Error(`expected one file in ${dir}, found ${files.length}`);
  return readFileSync(path.join(dir, files[0]), "utf8");
}

function user(crypto: string, org: number, user: string): FabricIdentity {
  const domain = `org${org}.credtrail.test`;
  const msp = path.join(crypto, "peerOrganizations", domain, "users", `${user}@${domain}`, "msp");
  return {
    mspId: `Org${org}MSP`,
    certificate: onlyFile(path.join(msp, "signcerts")),
    privateKey: onlyFile(path.join(msp, "keystore")),
  };
}

export function localNetworkOptions(network: LocalNetwork): FabricLedgerOptions {
  const crypto = path.join(network.dataDir, "crypto");
  const base = network.portBase;
  const peerCa = (org: number) =>
    readFileSync(
      path.join(
        crypto,
        `peerOrganizations/org${org}.credtrail.test/tlsca/tlsca.org${org}.credtrail.test-cert.pem`,
      ),
      "utf8",
    );
  const ordererCa = readFileSync(
    path.join(
      crypto,
      "ordererOrganizations/orderers.credtrail.test/tlsca/tlsca.orderers.credtrail.test-cert.pem",
    ),
    "utf8",
  );
  return {
    channel: network.channel ?? "credtrail",
    chaincode: network.chaincode ?? "credtrail",
    peers: [1, 2].map((org) => ({
      address: `127.0.0.1:${base + 100 + 10 * (org - 1)}`,
      tlsCaCertificate: peerCa(org),
      hostnameOverride: "localhost",
    })),
    orderers: [0, 1, 2].map((i) => ({
      address: `127.0.0.1:${base + 10 * i}`,
      tlsCaCertificate: ordererCa,
      hostnameOverride: "localhost",
    })),
    identities: {
      "org1-admin": user(crypto, 1, "Admin"),
      "org1-user": user(crypto, 1, "User1"),
      "org2-admin": user(crypto, 2, "Admin"),
      "org2-user": user(crypto, 2, "User1"),
    },
  };
}
