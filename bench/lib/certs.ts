/**
 * One CA and one server certificate for 127.0.0.1, made with openssl, used by every
 * configuration (the registry's own listener and each nginx): ECDSA P-256, as the
 * project's VM and Docker backends make them with @pulumi/tls.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { run, tool } from "../../tests/support/tools";

export interface BenchTls {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export function makeTls(dir: string): BenchTls {
  fs.mkdirSync(dir, { recursive: true });
  const p = (f: string) => path.join(dir, f);
  const openssl = (args: string[]) => run(tool("openssl"), args);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    p("ca.key"),
    "-out",
    p("ca.crt"),
    "-subj",
    "/CN=registry bench CA",
    "-days",
    "2",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  openssl([
    "req",
    ...ec,
    "-keyout",
    p("server.key"),
    "-out",
    p("server.csr"),
    "-subj",
    "/CN=127.0.0.1",
  ]);
  fs.writeFileSync(
    p("server.ext"),
    [
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      "",
    ].join("\n"),
  );
  openssl([
    "x509",
    "-req",
    "-in",
    p("server.csr"),
    "-CA",
    p("ca.crt"),
    "-CAkey",
    p("ca.key"),
    "-CAcreateserial",
    "-out",
    p("server.crt"),
    "-days",
    "2",
    "-extfile",
    p("server.ext"),
  ]);
  return {
    caPem: fs.readFileSync(p("ca.crt"), "utf8"),
    certPem: fs.readFileSync(p("server.crt"), "utf8"),
    keyPem: fs.readFileSync(p("server.key"), "utf8"),
  };
}
