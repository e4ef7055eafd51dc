/**
 * The key address the chaincode gives a Fabric identity (core/ids fabricKeyAddress), where id is
 * fabric-shim's `x509::/K=v/K=v…::/K=v…` (subject and issuer attributes in certificate order, the
 * first "/" of each value escaped). Computed here from the certificate, so a writer knows its identity without
 * asking a peer; `FabricLedger.addressOf` asks the chaincode (`Consortium:whoAmI`).
 */
import { X509Certificate } from "node:crypto";

import { fabricKeyAddress } from "../../core/index.js";

function formatDN(name: string): string {
  return name
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const at = line.indexOf("=");
      return `/${line.slice(0, at)}=${line.slice(at + 1).replace("/", "\\/")}`;
    })
    .join("");
}

export function fabricIdentityAddress(mspId: string, certificatePem: string): string {
  const certificate = new X509Certificate(certificatePem);
  const id = `x509::${formatDN(certificate.subject)}::${formatDN(certificate.issuer)}`;
  return fabricKeyAddress(mspId, id);
}
