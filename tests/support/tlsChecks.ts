/** TLS checks with openssl: which protocol versions a server accepts, verified against a CA. */
import { spawnSync } from "node:child_process";
import { tool } from "./tools";

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
