/**
 * A real certificate and its private key for tests of provided TLS, made by openssl
 * (the validation parses them, so placeholders no longer pass). Made once per process.
 */
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tool } from "./tools";

export interface TlsPair {
  /** A self-signed certificate (PEM) for registry.example.com and 203.0.113.7. */
  certificate: string;
  /** Its private key (PKCS#8 PEM). */
  key: string;
}

const made = new Map<string, TlsPair>();

/** A certificate and key; the same pair for the same name within a process. */
export function tlsPair(name = "registry.example.com"): TlsPair {
  const cached = made.get(name);
  if (cached) return cached;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tls-pair-"));
  try {
    const key = path.join(dir, "key.pem");
    const cert = path.join(dir, "cert.pem");
    execFileSync(
      tool("openssl"),
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        "30",
        "-subj",
        `/CN=${name}`,
        "-addext",
        `subjectAltName=DNS:${name},IP:203.0.113.7`,
      ],
      { stdio: "ignore" },
    );
    const pair = { certificate: fs.readFileSync(cert, "utf8"), key: fs.readFileSync(key, "utf8") };
    made.set(name, pair);
    return pair;
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
