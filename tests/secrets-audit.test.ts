/**
 * The secrets audit. Known secret values go into config — every secret each backend
 * accepts: passwords, SSH private keys, a provided TLS key, S3 keys, the pull-through
 * cache's password, a GCS JSON key — and the program generates the rest (random
 * passwords, the http secret, TLS and SSH keys, a GCP service-account key; under the
 * "test" mocks those are concrete values, read back from the run's resources). Then
 * everything render writes with secrets redacted (files/**, resources.json,
 * outputs.json) is scanned for every form of every value: zero occurrences.
 *
 * Each scan is paired with a control that must find the values: the same run rendered
 * with --show-secrets, so a scan that finds nothing is a scan that could have.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { renderedFiles } from "../tools/render";
import { runProgram, type ProgramRun } from "../tools/runProgram";
import { runRefused } from "./support/configErrors";
import { findSecrets, generatedSecrets, readTree } from "./support/secretScan";
import { describeWithTools, tool } from "./support/tools";
import { serviceAccountKeyJson, tlsPair, newTlsPair } from "./support/keyMaterial";

const ROOT = path.resolve(__dirname, "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");

const pem = (kind: string, body: string) =>
  `-----BEGIN ${kind}-----\n${Buffer.from(body).toString("base64")}\n-----END ${kind}-----\n`;

/** A real certificate and key for 127.0.0.1 (Kubernetes checks that the key matches). */
const K8S_TLS = newTlsPair(["127.0.0.1", "localhost"]);

/** Known values, each one unique and long enough that a match is never chance. */
const KNOWN = {
  k8sTlsKey: K8S_TLS.key,
  k8sPassword: "Audit-k8s-Password-5d1f0c",
  vmPassword: "Audit-vm-Password-9a7e3b",
  dockerPassword: "Audit-docker-Password-2c8e4f",
  stackPassword: "Audit-stack-Password-6b0d1a",
  sshPrivateKey: pem("OPENSSH PRIVATE KEY", "audit: the existing host's SSH private key 0001"),
  gcpSshPrivateKey: pem("OPENSSH PRIVATE KEY", "audit: the GCP VM's given SSH private key 0002"),
  tlsKey: tlsPair().key,
  s3AccessKey: "AKIAAUDITACCESSKEY0004",
  s3SecretKey: "audit/S3+secret+access+key+0005+wJalrXUtnFEMI",
  proxyPassword: "audit-proxy-upstream-password-0006",
  gcsKeyJson: serviceAccountKeyJson("audit0007"),
  notifyToken: "audit-notification-token-0008-Xq2",
  pullPassword: "Audit-pull-Password-3f9a2d",
} as const;

const CERT = tlsPair().certificate;
const SSH_PUB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAuditAuditAuditAudit audit@test";
const s3 = (accessKey: string, secretKey: string) => ({
  driver: "s3",
  s3: { bucket: "acme-registry", region: "us-east-1", accessKey, secretKey },
});
const gcs = { driver: "gcs", gcs: { bucket: "acme-registry", keyJson: KNOWN.gcsKeyJson } };
const proxy = {
  remoteUrl: "https://registry-1.docker.io",
  username: "mirror",
  password: KNOWN.proxyPassword,
};
/** A push-notification endpoint with a token (a token needs logLevel warn or error). */
const notify = {
  logLevel: "warn",
  notifications: {
    endpoints: [{ name: "deploy", url: "https://hooks.example.com/r", token: KNOWN.notifyToken }],
  },
};
const gcpHost = {
  mode: "gcp",
  project: "acme-staging-1",
  zone: "europe-west1-b",
  sshSourceRanges: ["198.51.100.0/24"],
};

interface Variant {
  name: string;
  config: Record<string, unknown>;
  /** The KNOWN values this configuration carries. */
  known: (keyof typeof KNOWN)[];
}

/** Every secret-bearing option of every backend, in some variant. */
const VARIANTS: Variant[] = [
  {
    name: "kubernetes: password, S3 keys, proxy password, notification token",
    config: {
      "registry:backend": "kubernetes",
      "registry:kubernetes": {
        auth: { password: KNOWN.k8sPassword },
        storage: s3(KNOWN.s3AccessKey, KNOWN.s3SecretKey),
        replicas: 2,
        proxy,
        ...notify,
      },
    },
    known: ["k8sPassword", "s3AccessKey", "s3SecretKey", "proxyPassword", "notifyToken"],
  },
  {
    name: "kubernetes: GCS key file, generated password",
    config: { "registry:backend": "kubernetes", "registry:kubernetes": { storage: gcs } },
    known: ["gcsKeyJson"],
  },
  {
    name: "kubernetes: provided TLS key, generated password",
    config: {
      "registry:backend": "kubernetes",
      "registry:kubernetes": {
        tls: { mode: "provided", certificate: K8S_TLS.certificate, key: KNOWN.k8sTlsKey },
      },
    },
    known: ["k8sTlsKey"],
  },
  {
    name: "kubernetes: generated TLS (selfSigned) and password",
    config: {
      "registry:backend": "kubernetes",
      "registry:kubernetes": { tls: { mode: "selfSigned" } },
    },
    known: [],
  },
  {
    name: "vm existing host: SSH key, provided TLS key, password, S3 keys, proxy password, notification token",
    config: {
      "registry:backend": "vm",
      "registry:vm": {
        host: { mode: "existing", address: "203.0.113.7", privateKey: KNOWN.sshPrivateKey },
        domain: "registry.example.com",
        tls: { mode: "provided", certificate: CERT, key: KNOWN.tlsKey },
        auth: { password: KNOWN.vmPassword },
        storage: s3(KNOWN.s3AccessKey, KNOWN.s3SecretKey),
        proxy,
        ...notify,
      },
    },
    known: [
      "sshPrivateKey",
      "tlsKey",
      "vmPassword",
      "s3AccessKey",
      "s3SecretKey",
      "proxyPassword",
      "notifyToken",
    ],
  },
  {
    name: "vm GCP host: given SSH key pair, GCS key file, generated TLS and password",
    config: {
      "registry:backend": "vm",
      "registry:vm": {
        host: { ...gcpHost, sshPublicKey: SSH_PUB, sshPrivateKey: KNOWN.gcpSshPrivateKey },
        domain: "registry.example.com",
        storage: gcs,
      },
    },
    known: ["gcpSshPrivateKey", "gcsKeyJson"],
  },
  {
    name: "vm GCP host: generated SSH key, TLS and password",
    config: { "registry:backend": "vm", "registry:vm": { host: gcpHost } },
    known: [],
  },
  {
    name: "docker: password, S3 keys, proxy password, notification token, generated TLS",
    config: {
      "registry:backend": "docker",
      "registry:docker": {
        auth: { password: KNOWN.dockerPassword },
        storage: s3(KNOWN.s3AccessKey, KNOWN.s3SecretKey),
        proxy,
        tls: { enabled: true },
        ...notify,
      },
    },
    known: ["dockerPassword", "s3AccessKey", "s3SecretKey", "proxyPassword", "notifyToken"],
  },
  {
    name: "docker: GCS key file, generated password",
    config: { "registry:backend": "docker", "registry:docker": { storage: gcs } },
    known: ["gcsKeyJson"],
  },
  {
    name: "pull-only user: docker (plain nginx) with a given pull password",
    config: {
      "registry:backend": "docker",
      "registry:docker": {
        auth: { pullUser: { username: "reader", password: KNOWN.pullPassword } },
      },
    },
    known: ["pullPassword"],
  },
  {
    name: "pull-only user: vm with a given pull password",
    config: {
      "registry:backend": "vm",
      "registry:vm": {
        host: { mode: "existing", address: "203.0.113.7", privateKey: KNOWN.sshPrivateKey },
        auth: { pullUser: { username: "reader", password: KNOWN.pullPassword } },
      },
    },
    known: ["sshPrivateKey", "pullPassword"],
  },
  {
    name: "pull-only user: kubernetes (nginx sidecar, selfSigned TLS), generated pull password",
    config: {
      "registry:backend": "kubernetes",
      "registry:kubernetes": {
        tls: { mode: "selfSigned" },
        auth: { pullUser: { username: "reader" } },
      },
    },
    known: [],
  },
  {
    name: "gcp: generated service-account key",
    config: {
      "registry:backend": "gcp",
      "registry:gcp": { project: "acme-ci-prod", location: "europe-west1" },
    },
    known: [],
  },
];

/** The repository's stacks, each with a known password where its backend takes one. */
function stackVariants(): Variant[] {
  const stacks = fs
    .readdirSync(ROOT)
    .map((f) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => !!s)
    .sort();
  return stacks.map((stack) => {
    const config = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8"))
      .config as Record<string, unknown>;
    const backend = config["registry:backend"] as string;
    const settings = { ...((config[`registry:${backend}`] as object) ?? {}) } as Record<
      string,
      unknown
    >;
    const takesPassword = backend !== "gcp";
    if (takesPassword)
      settings.auth = { ...(settings.auth as object), password: KNOWN.stackPassword };
    return {
      name: `stack ${stack} (${backend})`,
      config: { ...config, [`registry:${backend}`]: settings },
      known: takesPassword ? ["stackPassword"] : [],
    };
  });
}

const ALL = [...VARIANTS, ...stackVariants()];

function knownOf(v: Variant): Record<string, string> {
  return Object.fromEntries(v.known.map((k) => [k, KNOWN[k]]));
}

describe("rendered with secrets redacted, no secret value appears anywhere", () => {
  test("the stacks are all here (dev, local, prod, staging)", () => {
    expect(stackVariants().map((v) => v.name.split(" ")[1])).toEqual(
      expect.arrayContaining(["dev", "local", "prod", "staging"]),
    );
  });

  test.each(ALL.map((v) => [v.name, v] as const))("%s", async (_, v) => {
    const run: ProgramRun = await runProgram({ stack: "audit", config: v.config });
    const generated = generatedSecrets(run.resources);
    // Every configuration generates at least one secret (the http secret, or a key).
    expect(Object.keys(generated).length).toBeGreaterThan(0);
    const secrets = { ...knownOf(v), ...generated };

    const redacted = renderedFiles(run, false);
    expect(Object.keys(redacted)).toEqual(
      expect.arrayContaining(["resources.json", "outputs.json"]),
    );
    expect(Object.keys(redacted).filter((f) => f.startsWith("files/")).length).toBeGreaterThan(0);
    expect(findSecrets(redacted, secrets)).toEqual([]);
    // A mirror (proxy set) exports its login as the pull login.
    const outputs = JSON.parse(redacted["outputs.json"]);
    const password =
      outputs.REGISTRY_ROLE === "mirror" ? "REGISTRY_PULL_PASSWORD" : "REGISTRY_PASSWORD";
    expect([password, outputs[password]]).toEqual([password, "[secret]"]);

    // Control: the same run with secrets shown gives every known value away, and at
    // least one value of every secret-producing resource type (so the scan can find
    // them). By type: the GCP key slot that is not the current credential hands its
    // key to nothing, by design.
    const shown = renderedFiles(run, true);
    const found = new Set(findSecrets(shown, secrets).map((f) => f.secret));
    for (const k of v.known) expect([k, found.has(k)]).toEqual([k, true]);
    const producerTypes = new Set(Object.keys(generated).map((k) => k.split("::")[0]));
    for (const t of producerTypes)
      expect([t, [...found].some((f) => f.startsWith(`${t}::`))]).toEqual([t, true]);
  });
});

describe("the render command writes no secret it was given", () => {
  let tmp: string;
  const results: { v: Variant; code: number | null; stderr: string; out: string }[] = [];

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "secrets-audit-"));
    const jobs = ALL.filter((v) => v.known.length > 0).map((v, i) => ({ v, i }));
    const one = ({ v, i }: { v: Variant; i: number }) =>
      new Promise<void>((resolve) => {
        const file = path.join(tmp, `Pulumi.audit${i}.yaml`);
        fs.writeFileSync(file, JSON.stringify({ config: v.config }));
        const out = path.join(tmp, `out${i}`);
        const child = spawn(
          TSX,
          ["tools/render.ts", "audit", "--config-file", file, "--out", out],
          {
            cwd: ROOT,
            stdio: ["ignore", "ignore", "pipe"],
          },
        );
        let stderr = "";
        child.stderr.on("data", (b) => (stderr += b));
        const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
        child.on("close", (code) => {
          clearTimeout(timer);
          results.push({ v, code, stderr, out });
          resolve();
        });
      });
    const queue = [...jobs];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await one(next);
    };
    await Promise.all([worker(), worker()]);
  }, 180_000);

  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test("every written file (files/**, resources.json, outputs.json) of every configuration with known values", () => {
    expect(results.length).toBeGreaterThanOrEqual(8);
    for (const r of results) {
      expect([r.v.name, r.code, r.stderr]).toEqual([r.v.name, 0, ""]);
      const written = readTree(r.out);
      expect(Object.keys(written)).toEqual(
        expect.arrayContaining(["resources.json", "outputs.json"]),
      );
      expect([r.v.name, findSecrets(written, knownOf(r.v))]).toEqual([r.v.name, []]);
    }
  });
});

describe("a refused secret is never printed", () => {
  const BAD: { name: string; backend: string; settings: unknown; value: string; key: string }[] = [
    {
      name: "a password one character short",
      backend: "kubernetes",
      settings: { auth: { password: "Audit-short-pw1" } },
      value: "Audit-short-pw1",
      key: "auth.password",
    },
    {
      name: "a password with a colon",
      backend: "docker",
      settings: { auth: { password: "Audit:colon-password-0008" } },
      value: "Audit:colon-password-0008",
      key: "auth.password",
    },
    {
      name: "a password with a space",
      backend: "vm",
      settings: {
        host: { mode: "existing", address: "203.0.113.7", privateKey: KNOWN.sshPrivateKey },
        auth: { password: "Audit password with spaces 0009" },
      },
      value: "Audit password with spaces 0009",
      key: "auth.password",
    },
    {
      name: "an SSH key that is not PEM",
      backend: "vm",
      settings: {
        host: { mode: "existing", address: "203.0.113.7", privateKey: "audit-raw-ssh-key-0010" },
      },
      value: "audit-raw-ssh-key-0010",
      key: "host.privateKey",
    },
    {
      name: "a GCP VM's SSH key that is not PEM",
      backend: "vm",
      settings: {
        host: { ...gcpHost, sshPublicKey: SSH_PUB, sshPrivateKey: "audit-raw-gcp-ssh-0011" },
      },
      value: "audit-raw-gcp-ssh-0011",
      key: "host.sshPrivateKey",
    },
    {
      name: "a TLS key that is a certificate",
      backend: "vm",
      settings: {
        host: { mode: "existing", address: "203.0.113.7", privateKey: KNOWN.sshPrivateKey },
        tls: { mode: "provided", certificate: CERT, key: `${CERT}audit-tls-0012` },
      },
      value: "audit-tls-0012",
      key: "tls.key",
    },
    {
      name: "an S3 secret key that is a number",
      backend: "kubernetes",
      settings: {
        storage: {
          ...s3(KNOWN.s3AccessKey, "x"),
          s3: { ...s3("a", "b").s3, secretKey: 98765432100013 },
        },
      },
      value: "98765432100013",
      key: "storage.s3.secretKey",
    },
    {
      name: "a GCS key file given as an object",
      backend: "docker",
      settings: {
        storage: { driver: "gcs", gcs: { bucket: "b", keyJson: { private_key: "audit-0014" } } },
      },
      value: "audit-0014",
      key: "storage.gcs.keyJson",
    },
  ];

  test.each(BAD.map((b) => [b.name, b] as const))("%s", async (_, b) => {
    const refused = await runRefused({
      "registry:backend": b.backend,
      [`registry:${b.backend}`]: b.settings,
    });
    expect(refused.lines).toHaveLength(1);
    expect(refused.lines[0]).toMatch(
      new RegExp(
        `^registry:${b.backend}\\.${b.key.replace(/\./g, "\\.")} must .* \\(got \\[secret\\]\\)$`,
      ),
    );
    expect(refused.lines[0]).not.toContain(b.value);
    expect(refused.registered).toEqual([]);
  });

  test("nor on render's stderr", () => {
    const b = BAD[0];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secrets-audit-bad-"));
    try {
      const file = path.join(dir, "Pulumi.bad.yaml");
      fs.writeFileSync(
        file,
        JSON.stringify({
          config: { "registry:backend": b.backend, [`registry:${b.backend}`]: b.settings },
        }),
      );
      const r = spawnSync(
        TSX,
        ["tools/render.ts", "bad", "--config-file", file, "--out", path.join(dir, "out")],
        {
          cwd: ROOT,
          encoding: "utf8",
          timeout: 90_000,
        },
      );
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("(got [secret])");
      expect(r.stderr + r.stdout).not.toContain(b.value);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeWithTools("the htpasswd carries bcrypt hashes only", ["htpasswd"], () => {
  // bcrypt cost 10 for a password given in config, 4 for a generated one (docs/PERFORMANCE.md).
  const htpasswdLine = (cost: "10" | "04") =>
    new RegExp(`^([A-Za-z0-9][A-Za-z0-9._-]*):(\\$2y\\$${cost}\\$[./A-Za-z0-9]{53})$`);

  /** The htpasswd a run generated, from wherever the backend puts it (shown secrets). */
  function htpasswdOf(run: ProgramRun): string {
    const files = run.files;
    if (files["vm/htpasswd"] !== undefined) return files["vm/htpasswd"];
    if (files["docker/htpasswd"] !== undefined) return files["docker/htpasswd"];
    const docs = files["kubernetes/manifests.yaml"]
      .split(/^---$/m)
      .map((d) => parse(d) as { kind?: string; stringData?: Record<string, string> });
    return docs.find((d) => d?.kind === "Secret")!.stringData!.htpasswd;
  }

  function verify(file: string, user: string, password: string): number | null {
    return spawnSync(tool("htpasswd"), ["-vb", file, user, password], { encoding: "utf8" }).status;
  }

  const cases = [
    {
      backend: "kubernetes",
      settings: (password?: string) => ({ auth: password ? { password } : {} }),
      redactedFile: "files/kubernetes/manifests.yaml",
    },
    {
      backend: "vm",
      settings: (password?: string) => ({
        host: { mode: "existing", address: "203.0.113.7", privateKey: KNOWN.sshPrivateKey },
        auth: password ? { password } : {},
      }),
      redactedFile: "files/vm/htpasswd",
    },
    {
      backend: "docker",
      settings: (password?: string) => ({ auth: password ? { password } : {} }),
      redactedFile: "files/docker/htpasswd",
    },
  ];

  let tmp: string;
  beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "htpasswd-audit-"))));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test.each(cases.map((c) => [c.backend, c] as const))(
    "%s: a given and a generated password, each only as a $2y$ hash that htpasswd -vb verifies",
    async (backend, c) => {
      for (const given of [`Audit-htpasswd-${backend}-0015`, undefined]) {
        const config = { "registry:backend": backend, [`registry:${backend}`]: c.settings(given) };
        const run = await runProgram({ stack: "audit", config, showSecrets: true });
        const password = run.outputs.REGISTRY_PASSWORD.value as string;
        if (given) expect(password).toBe(given);
        else expect(password).toMatch(/^[A-Za-z0-9]{32}$/);

        const htpasswd = htpasswdOf(run);
        const lines = htpasswd.split("\n").filter(Boolean);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(htpasswdLine(given ? "10" : "04"));
        expect(htpasswd).not.toContain(password);
        const file = path.join(tmp, `${backend}-${given ? "given" : "generated"}`);
        fs.writeFileSync(file, htpasswd);
        expect(verify(file, "ci", password)).toBe(0);
        // The check bites: a wrong password or user is refused.
        expect(verify(file, "ci", `${password}x`)).not.toBe(0);
        expect(verify(file, "admin", password)).not.toBe(0);

        // Redacted, the file (or the Secret's field) shows neither password nor hash.
        const redacted = renderedFiles(
          await runProgram({ stack: "audit", config: { ...config } }),
          false,
        );
        const text = redacted[c.redactedFile];
        expect(text).toContain("[secret]");
        expect(text).not.toMatch(/\$2y\$/);
        if (given) expect(JSON.stringify(redacted)).not.toContain(given);
      }
    },
  );
});
