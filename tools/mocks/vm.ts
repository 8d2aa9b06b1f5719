/**
 * What the providers compute for the vm backend's resources (see types.ts for the modes):
 * @pulumi/tls keys and certificates, the GCP VM's address and links, @pulumi/command
 * outputs.
 *
 * TLS in "test" mode is real: keys from node:crypto and certificates from `openssl`,
 * honouring the inputs (CA flag, subject, SANs, key usages, signing by the CA), so
 * tests can serve TLS with the generated CA and verify it. In "render" mode every
 * generated key and certificate is an afterDeploy placeholder: a real deploy makes new
 * ones, and placeholders keep the rendered files the same from run to run (real PEMs
 * would change every render and make its diffs noise).
 */
import { execFileSync } from "node:child_process";
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterDeploy } from "../../components/shared/contract";
import { seeded, type MockTable } from "./types";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** An input as the program gave it: secrets arrive wrapped by the engine. */
function plain(value: unknown): unknown {
  if (value && typeof value === "object" && SECRET_SIG in value)
    return (value as unknown as { value: unknown }).value;
  return value;
}

const str = (v: unknown) => plain(v) as string | undefined;
const list = (v: unknown) =>
  ((plain(v) as unknown[] | undefined) ?? []).map((x) => String(plain(x)));

// ---- keys ---------------------------------------------------------------------------

function sshString(data: Buffer | string): Buffer {
  const body = typeof data === "string" ? Buffer.from(data) : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function sshMpint(b64url: string): Buffer {
  let bytes = Buffer.from(b64url, "base64url");
  while (bytes.length > 1 && bytes[0] === 0 && !(bytes[1] & 0x80)) bytes = bytes.subarray(1);
  if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return sshString(bytes);
}

const CURVES: Record<string, { node: string; ssh: string }> = {
  P224: { node: "P-224", ssh: "nistp224" },
  P256: { node: "prime256v1", ssh: "nistp256" },
  P384: { node: "secp384r1", ssh: "nistp384" },
  P521: { node: "secp521r1", ssh: "nistp521" },
};

/** The OpenSSH wire form of a public key ("ssh-ed25519 AAAA..." is its base64). */
function sshPublicBlob(
  publicKey: KeyObject,
  algorithm: string,
  curve: string,
): { type: string; blob: Buffer } {
  const jwk = publicKey.export({ format: "jwk" });
  if (algorithm === "ED25519") {
    const type = "ssh-ed25519";
    return {
      type,
      blob: Buffer.concat([sshString(type), sshString(Buffer.from(jwk.x!, "base64url"))]),
    };
  }
  if (algorithm === "RSA") {
    const type = "ssh-rsa";
    return { type, blob: Buffer.concat([sshString(type), sshMpint(jwk.e!), sshMpint(jwk.n!)]) };
  }
  const name = CURVES[curve].ssh;
  const type = `ecdsa-sha2-${name}`;
  const point = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x!, "base64url"),
    Buffer.from(jwk.y!, "base64url"),
  ]);
  return { type, blob: Buffer.concat([sshString(type), sshString(name), sshString(point)]) };
}

/** An unencrypted openssh-key-v1 file (what `ssh-keygen` writes) for an ED25519 key. */
function opensshEd25519(privateKey: KeyObject, publicBlob: Buffer): string {
  const jwk = privateKey.export({ format: "jwk" });
  const seed = Buffer.from(jwk.d!, "base64url");
  const pub = Buffer.from(jwk.x!, "base64url");
  const check = randomBytes(4);
  let section = Buffer.concat([
    check,
    check,
    sshString("ssh-ed25519"),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString("generated"),
  ]);
  const pad = (8 - (section.length % 8)) % 8;
  section = Buffer.concat([section, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(1);
  const body = Buffer.concat([
    Buffer.from("openssh-key-v1\0"),
    sshString("none"),
    sshString("none"),
    sshString(""),
    count,
    sshString(publicBlob),
    sshString(section),
  ]);
  const lines = body
    .toString("base64")
    .match(/.{1,70}/g)!
    .join("\n");
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

function realPrivateKey(inputs: Record<string, unknown>): Record<string, unknown> {
  const algorithm = str(inputs.algorithm) ?? "RSA";
  const curve = str(inputs.ecdsaCurve) ?? "P224";
  const pair =
    algorithm === "ED25519"
      ? generateKeyPairSync("ed25519")
      : algorithm === "ECDSA"
        ? generateKeyPairSync("ec", { namedCurve: CURVES[curve].node })
        : generateKeyPairSync("rsa", { modulusLength: Number(plain(inputs.rsaBits) ?? 2048) });
  const pkcs8 = pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  // The provider writes RSA keys as PKCS#1 and ECDSA keys as SEC 1, ED25519 as PKCS#8.
  const privateKeyPem =
    algorithm === "RSA"
      ? pair.privateKey.export({ type: "pkcs1", format: "pem" }).toString()
      : algorithm === "ECDSA"
        ? pair.privateKey.export({ type: "sec1", format: "pem" }).toString()
        : pkcs8;
  const { type, blob } = sshPublicBlob(pair.publicKey, algorithm, curve);
  const md5 = createHash("md5").update(blob).digest("hex").match(/../g)!.join(":");
  return {
    algorithm,
    ecdsaCurve: curve,
    privateKeyPem,
    privateKeyPemPkcs8: pkcs8,
    privateKeyOpenssh:
      algorithm === "ED25519" ? opensshEd25519(pair.privateKey, blob) : privateKeyPem,
    publicKeyPem: pair.publicKey.export({ type: "spki", format: "pem" }).toString(),
    publicKeyOpenssh: `${type} ${blob.toString("base64")}\n`,
    publicKeyFingerprintSha256: `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`,
    publicKeyFingerprintMd5: md5,
  };
}

// ---- certificates (openssl) ---------------------------------------------------------

const KEY_USAGE: Record<string, string> = {
  digital_signature: "digitalSignature",
  content_commitment: "nonRepudiation",
  key_encipherment: "keyEncipherment",
  data_encipherment: "dataEncipherment",
  key_agreement: "keyAgreement",
  cert_signing: "keyCertSign",
  crl_signing: "cRLSign",
  encipher_only: "encipherOnly",
  decipher_only: "decipherOnly",
};
const EXT_KEY_USAGE: Record<string, string> = {
  server_auth: "serverAuth",
  client_auth: "clientAuth",
  code_signing: "codeSigning",
  email_protection: "emailProtection",
  timestamping: "timeStamping",
  ocsp_signing: "OCSPSigning",
};
const SUBJECT_FIELDS: [string, string][] = [
  ["country", "C"],
  ["province", "ST"],
  ["locality", "L"],
  ["organization", "O"],
  ["organizationalUnit", "OU"],
  ["commonName", "CN"],
];

function subjectArg(subject: unknown): string {
  const s = (plain(subject) as Record<string, unknown> | undefined) ?? {};
  const parts = SUBJECT_FIELDS.filter(([k]) => plain(s[k])).map(
    ([k, short]) => `/${short}=${String(plain(s[k])).replace(/[/\\]/g, "\\$&")}`,
  );
  return parts.join("") || "/";
}

/** Extension lines (openssl config syntax) for a certificate's uses, CA flag and names. */
function extensionLines(inputs: Record<string, unknown>, withNames: boolean): string[] {
  const uses = list(inputs.allowedUses);
  const isCa = plain(inputs.isCaCertificate) === true;
  const lines = [
    `basicConstraints = critical, CA:${isCa ? "TRUE" : "FALSE"}`,
    "subjectKeyIdentifier = hash",
  ];
  const ku = uses.map((u) => KEY_USAGE[u]).filter(Boolean);
  const eku = uses.map((u) => EXT_KEY_USAGE[u]).filter(Boolean);
  if (ku.length) lines.push(`keyUsage = critical, ${ku.join(", ")}`);
  if (eku.length) lines.push(`extendedKeyUsage = ${eku.join(", ")}`);
  if (withNames) {
    const sans = [
      ...list(inputs.dnsNames).map((n) => `DNS:${n}`),
      ...list(inputs.ipAddresses).map((a) => `IP:${a}`),
    ];
    if (sans.length) lines.push(`subjectAltName = ${sans.join(", ")}`);
  }
  return lines;
}

function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tls-mock-"));
  try {
    return fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function openssl(args: string[]): string {
  return execFileSync("openssl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

const days = (inputs: Record<string, unknown>) =>
  String(Math.max(1, Math.ceil(Number(plain(inputs.validityPeriodHours) ?? 24) / 24)));

/**
 * The provider's renewal rule, which the mock plays: a certificate is ready for
 * renewal once `at` is past its end minus earlyRenewalHours (or past its end). On a
 * real `pulumi up` the provider reports it from the stored state and the engine then
 * replaces the certificate; tests call this with a later clock to ask the same question.
 */
export function readyForRenewal(
  state: { validityEndTime?: unknown; earlyRenewalHours?: unknown },
  at: Date,
): boolean {
  const end = Date.parse(String(plain(state.validityEndTime)));
  const early = Number(plain(state.earlyRenewalHours) ?? 0) * 3_600_000;
  return at.getTime() >= end - early;
}

/** The state's validity, from the run's clock (the PEM's own dates are openssl's clock). */
function validity(inputs: Record<string, unknown>, now = new Date()): Record<string, unknown> {
  const hours = Number(plain(inputs.validityPeriodHours) ?? 24);
  const end = new Date(now.getTime() + hours * 3_600_000);
  const times = { validityStartTime: now.toISOString(), validityEndTime: end.toISOString() };
  return {
    ...times,
    readyForRenewal: readyForRenewal(
      { ...times, earlyRenewalHours: inputs.earlyRenewalHours },
      now,
    ),
  };
}

function realSelfSignedCert(inputs: Record<string, unknown>, now?: Date): Record<string, unknown> {
  return withTempDir((dir) => {
    fs.writeFileSync(path.join(dir, "key.pem"), str(inputs.privateKeyPem) ?? "");
    const certPem = openssl([
      "req",
      "-x509",
      "-new",
      "-key",
      path.join(dir, "key.pem"),
      "-subj",
      subjectArg(inputs.subject),
      "-days",
      days(inputs),
      "-set_serial",
      `0x${randomBytes(8).toString("hex")}`,
      "-config",
      "/dev/null",
      ...extensionLines(inputs, true).flatMap((line) => ["-addext", line]),
    ]);
    return { certPem, ...validity(inputs, now) };
  });
}

function realCertRequest(inputs: Record<string, unknown>): Record<string, unknown> {
  return withTempDir((dir) => {
    fs.writeFileSync(path.join(dir, "key.pem"), str(inputs.privateKeyPem) ?? "");
    const sans = [
      ...list(inputs.dnsNames).map((n) => `DNS:${n}`),
      ...list(inputs.ipAddresses).map((a) => `IP:${a}`),
    ];
    const certRequestPem = openssl([
      "req",
      "-new",
      "-key",
      path.join(dir, "key.pem"),
      "-subj",
      subjectArg(inputs.subject),
      "-config",
      "/dev/null",
      ...(sans.length ? ["-addext", `subjectAltName=${sans.join(",")}`] : []),
    ]);
    return { certRequestPem };
  });
}

function realLocallySignedCert(
  inputs: Record<string, unknown>,
  now?: Date,
): Record<string, unknown> {
  return withTempDir((dir) => {
    const file = (n: string, content: string | undefined) => {
      fs.writeFileSync(path.join(dir, n), content ?? "");
      return path.join(dir, n);
    };
    fs.writeFileSync(
      path.join(dir, "ext.cnf"),
      `[ext]\n${[...extensionLines(inputs, false), "authorityKeyIdentifier = keyid"].join("\n")}\n`,
    );
    // The names come from the request, as the provider copies them.
    const certPem = openssl([
      "x509",
      "-req",
      "-in",
      file("csr.pem", str(inputs.certRequestPem)),
      "-CA",
      file("ca.pem", str(inputs.caCertPem)),
      "-CAkey",
      file("ca-key.pem", str(inputs.caPrivateKeyPem)),
      "-set_serial",
      `0x${randomBytes(8).toString("hex")}`,
      "-days",
      days(inputs),
      "-extfile",
      path.join(dir, "ext.cnf"),
      "-extensions",
      "ext",
      "-copy_extensions",
      "copy",
    ]);
    return { certPem, ...validity(inputs, now) };
  });
}

// ---- GCP: the VM's address and links -----------------------------------------------

function selfLink(inputs: Record<string, unknown>, name: string, collection: string): string {
  const project = str(inputs.project) ?? "project";
  const where = inputs.zone
    ? `zones/${str(inputs.zone)}`
    : inputs.region
      ? `regions/${str(inputs.region)}`
      : "global";
  return `https://www.googleapis.com/compute/v1/projects/${project}/${where}/${collection}/${name}`;
}

export const vmMocks: MockTable = {
  "tls:index/privateKey:PrivateKey": ({ inputs, name }, mode) =>
    mode === "render"
      ? {
          privateKeyPem: afterDeploy(`private key ${name}`),
          privateKeyPemPkcs8: afterDeploy(`private key ${name}`),
          privateKeyOpenssh: afterDeploy(`private key ${name}`),
          publicKeyPem: afterDeploy(`public key ${name}`),
          publicKeyOpenssh: afterDeploy(`public key ${name}`),
        }
      : realPrivateKey(inputs),
  "tls:index/selfSignedCert:SelfSignedCert": ({ inputs, name }, mode, now) =>
    mode === "render"
      ? { certPem: afterDeploy(`certificate ${name}`) }
      : realSelfSignedCert(inputs, now),
  "tls:index/certRequest:CertRequest": ({ inputs, name }, mode) =>
    mode === "render"
      ? { certRequestPem: afterDeploy(`certificate request ${name}`) }
      : realCertRequest(inputs),
  "tls:index/locallySignedCert:LocallySignedCert": ({ inputs, name }, mode, now) =>
    mode === "render"
      ? { certPem: afterDeploy(`certificate ${name}`) }
      : realLocallySignedCert(inputs, now),

  "gcp:compute/address:Address": ({ inputs, name }, mode) => ({
    // 203.0.113.0/24 is for documentation (RFC 5737): never a real host.
    address:
      mode === "render"
        ? afterDeploy(`static IP of ${name}`)
        : `203.0.113.${1 + (parseInt(seeded(name, 2, "0123456789abcdef"), 16) % 254)}`,
    selfLink: selfLink(inputs, name, "addresses"),
  }),
  "gcp:compute/disk:Disk": ({ inputs, name }) => ({ selfLink: selfLink(inputs, name, "disks") }),
  "gcp:compute/firewall:Firewall": ({ inputs, name }) => ({
    selfLink: selfLink(inputs, name, "firewalls"),
  }),
  "gcp:compute/instance:Instance": ({ inputs, name }) => ({
    selfLink: selfLink(inputs, name, "instances"),
    instanceId: seeded(name, 19, "0123456789"),
  }),

  "command:remote:Command": () => ({ stdout: "", stderr: "" }),
  "command:local:Command": () => ({ stdout: "", stderr: "" }),
};
