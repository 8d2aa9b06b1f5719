/** Certificates made by openssl for tests: a CA and a server certificate it signs. */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { tool } from "./tools";

export interface TestCertificates {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** A P-256 CA and a server certificate for these names (DNS or IP), valid for `days`. */
export function caSignedCertificate(names: string[], days = 30): TestCertificates {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "test-certs-"));
  const f = (n: string) => path.join(dir, n);
  const openssl = (args: string[]) => execFileSync(tool("openssl"), args, { stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  try {
    openssl(
      ["req", "-x509", ...ec, "-keyout", f("ca.key"), "-out", f("ca.crt")].concat([
        "-subj",
        "/CN=test CA",
        "-days",
        String(days),
      ]),
    );
    openssl(
      ["req", ...ec, "-keyout", f("server.key"), "-out", f("server.csr")].concat([
        "-subj",
        `/CN=${names[0]}`,
      ]),
    );
    const san = names.map((n) => (net.isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
    fs.writeFileSync(f("ext.cnf"), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
    openssl(
      ["x509", "-req", "-in", f("server.csr"), "-CA", f("ca.crt"), "-CAkey", f("ca.key")]
        .concat(["-CAcreateserial", "-days", String(days), "-extfile", f("ext.cnf")])
        .concat(["-out", f("server.crt")]),
    );
    const read = (n: string) => fs.readFileSync(f(n), "utf8");
    return { caPem: read("ca.crt"), certPem: read("server.crt"), keyPem: read("server.key") };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `openssl s_client` at one TLS version, verifying against caFile. The client's own
 * floor is lowered (SECLEVEL=0), so a refused TLS 1.1 is the server's doing: OpenSSL 3
 * would refuse it by itself otherwise (REFERENCE section 1).
 */
export function tlsHandshake(address: string, version: string, caFile: string) {
  return spawnSync(
    tool("openssl"),
    [
      "s_client",
      "-connect",
      address,
      version,
      "-cipher",
      "DEFAULT@SECLEVEL=0",
      "-CAfile",
      caFile,
      "-verify_return_error",
    ],
    { input: "", encoding: "utf8", timeout: 20_000 },
  );
}

/** The server refuses TLS 1.1, and TLS 1.2 and 1.3 connect and verify against caFile. */
export function expectTls12AndUp(address: string, caFile: string): void {
  const old = tlsHandshake(address, "-tls1_1", caFile);
  expect(old.status).not.toBe(0);
  expect(old.stdout + old.stderr).toMatch(
    /alert protocol version|unsupported protocol|no protocols available/,
  );
  for (const version of ["-tls1_2", "-tls1_3"]) {
    const ok = tlsHandshake(address, version, caFile);
    expect([version, ok.status]).toEqual([version, 0]);
    expect(ok.stdout).toMatch(/Verify return code: 0 \(ok\)/);
  }
}
