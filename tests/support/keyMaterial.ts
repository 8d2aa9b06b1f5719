/**
 * Real key material for tests (the validation parses it, so placeholders no longer pass):
 * a CA-signed certificate and its key made by openssl (once per process), keys that match
 * nothing, a service-account JSON key.
 */
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { tool } from "./tools";

export interface TlsPair {
  /** A server certificate (PEM) for the name and 203.0.113.7, signed by `ca`. */
  certificate: string;
  /** Its private key (PKCS#8 PEM). */
  key: string;
  /** The private CA that signed it (PEM). */
  ca: string;
}

const made = new Map<string, TlsPair>();

/** A CA and a server certificate and key it signed; the same for the same name within a process. */
export function tlsPair(name = "registry.example.com"): TlsPair {
  const cached = made.get(name);
  if (cached) return cached;
  const pair = newTlsPair([name, "203.0.113.7"]);
  made.set(name, pair);
  return pair;
}

/** A new CA and a server certificate for these names (DNS names or IPs; the first is the CN). */
export function newTlsPair(names: string[]): TlsPair {
  const name = names[0];
  const san = names.map((n) => (net.isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tls-pair-"));
  const at = (f: string) => path.join(dir, f);
  const openssl = (args: string[]) => execFileSync(tool("openssl"), args, { stdio: "ignore" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  try {
    openssl(
      ["req", "-x509", ...ec, "-keyout", at("ca.key"), "-out", at("ca.pem"), "-days", "30"].concat([
        "-subj",
        "/CN=Test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
      ]),
    );
    openssl(
      ["req", "-x509", ...ec, "-keyout", at("key.pem"), "-out", at("cert.pem"), "-days", "30"]
        .concat(["-CA", at("ca.pem"), "-CAkey", at("ca.key"), "-subj", `/CN=${name}`])
        .concat(["-addext", `subjectAltName=${san}`]),
    );
    const read = (f: string) => fs.readFileSync(at(f), "utf8");
    return { certificate: read("cert.pem"), key: read("key.pem"), ca: read("ca.pem") };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A fresh private key (PKCS#8 PEM) that matches no certificate. */
export function strayKey(): string {
  return generateKeyPairSync("ec", { namedCurve: "P-256" })
    .privateKey.export({ type: "pkcs8", format: "pem" })
    .toString();
}

/** The base64 lines of a PEM block: the part that is secret in a key. */
export function pemBody(pem: string): string[] {
  return pem.split("\n").filter((l) => l && !l.startsWith("-----"));
}

/** A service-account JSON key as Google issues it (its private key is fresh and real). */
export function serviceAccountKeyJson(privateKeyId = "0123456789abcdef"): string {
  return JSON.stringify({
    type: "service_account",
    project_id: "acme-ci",
    private_key_id: privateKeyId,
    private_key: strayKey(),
    client_email: "registry@acme-ci.iam.gserviceaccount.com",
    client_id: "100000000000000000001",
  });
}
