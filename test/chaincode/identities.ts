/**
 * Real X.509 identities for the chaincode tests: per organisation an ECDSA P-256 CA, and per user
 * a certificate it issued, optionally with fabric-ca attributes (extension 1.2.3.4.5.6.7.8.1, JSON
 * `{"attrs":{...}}`), exactly what a peer hands the chaincode as the creator of a proposal.
 */
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API
import "reflect-metadata";

import type { KeyObject } from "node:crypto";
import { createPrivateKey } from "node:crypto";

import * as x509 from "@peculiar/x509";

// Node's global WebCrypto (typed as the global Crypto that @peculiar/x509 expects)
const webcrypto = globalThis.crypto;
x509.cryptoProvider.set(webcrypto);

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
/** fabric-ca's attribute extension. */
export const FABRIC_ATTRS_OID = "1.2.3.4.5.6.7.8.1";
const NOT_BEFORE = new Date("2025-01-01T00:00:00Z");
const NOT_AFTER = new Date("2035-01-01T00:00:00Z");

export interface TestIdentity {
  mspId: string;
  /** The certificate, PEM. */
  certificate: string;
  /** Signs proposals (ECDSA P-256, DER signatures, as a Fabric client does). */
  privateKey: KeyObject;
  /** The subject's common name. */
  name: string;
}

export interface TestOrganization {
  mspId: string;
  caCertificate: string;
  issue(name: string, attrs?: Record<string, string>): Promise<TestIdentity>;
}

let serial = 1;

function nextSerial(): string {
  serial += 1;
  return serial.toString(16).padStart(2, "0");
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
}

/** A CA for `mspId` ("Org1MSP" → CN=ca.org1). */
export async function createOrganization(mspId: string): Promise<TestOrganization> {
  const org = mspId.replace(/MSP$/, "").toLowerCase();
  const caKeys = await generateKeys();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: `CN=ca.${org}.example.com, O=${org}.example.com`,
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
    ],
  });
  return {
    mspId,
    caCertificate: ca.toString("pem"),
    async issue(name, attrs) {
      const keys = await generateKeys();
      const extensions: x509.Extension[] = [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      ];
      if (attrs !== undefined) {
        const value = Buffer.from(JSON.stringify({ attrs }), "utf8");
        extensions.push(new x509.Extension(FABRIC_ATTRS_OID, false, value));
      }
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: nextSerial(),
        subject: `CN=${name}, OU=client, O=${org}.example.com`,
        issuer: ca.subject,
        notBefore: NOT_BEFORE,
        notAfter: NOT_AFTER,
        signingKey: caKeys.privateKey,
        publicKey: keys.publicKey,
        signingAlgorithm: ALGORITHM,
        extensions,
      });
      const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
      return {
        mspId,
        name,
        certificate: cert.toString("pem"),
        privateKey: createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" }),
      };
    },
  };
}
