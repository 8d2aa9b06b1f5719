/**
 * The VM backend on day two (issue 11 item 3, issue 14 item 7). `docker compose up -d`
 * recreates a container only when its service's configuration changes, never because a
 * mounted file did: so each service carries the SHA-256 of the files it reads as labels,
 * and a change to config.yml alone recreates the registry and leaves nginx running.
 * Digests are checked with `openssl dgst -sha256` over the files as written, and the
 * compose file with docker-compose.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { reveal, runProgram, type ProgramRun } from "../../tools/runProgram";
import { tlsPair } from "../../tests/support/keyMaterial";
import { describeWithTools, run, tool } from "../../tests/support/tools";

const SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nunused\n-----END OPENSSH PRIVATE KEY-----";
const host = { mode: "existing", address: "203.0.113.7", user: "deploy", privateKey: SSH_KEY };
// A provided certificate stays the same from run to run (the mock's self-signed ones do not).
// Real ones (the settings parse them): one pair per name.
const tlsWith = (name: string) => {
  const { certificate, key } = tlsPair(`${name}.example.com`);
  return { mode: "provided", certificate, key };
};

async function vm(stack: string, settings: Record<string, unknown>): Promise<ProgramRun> {
  return runProgram({
    stack,
    config: { "registry:backend": "vm", "registry:vm": { host, ...settings } },
    secretKeys: ["registry:vm"],
    showSecrets: true,
  });
}

/** Writes the bundle (files/vm/...) to a new directory, as the deploy copies it. */
function writeBundle(program: ProgramRun): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vm-bundle-"));
  for (const [file, text] of Object.entries(program.files)) {
    if (!file.startsWith("vm/") || file === "vm/cloud-init.yaml") continue;
    const target = path.join(dir, file.slice(3));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
  }
  return dir;
}

const labels = (program: ProgramRun, service: string): Record<string, string> =>
  parse(program.files["vm/docker-compose.yml"]).services[service].labels;

const FILES = ["config.yml", "htpasswd", "nginx.conf", "certs/server.crt", "certs/server.key"];

describeWithTools(
  "VM: each service carries the digests of its files",
  ["docker-compose", "openssl"],
  () => {
    const dirs: string[] = [];
    let info: ProgramRun;
    let debug: ProgramRun;
    let rotated: ProgramRun;
    let renewed: ProgramRun;

    beforeAll(async () => {
      const base = { auth: { password: "first-password-0001" }, tls: tlsWith("first") };
      info = await vm("day2", base);
      debug = await vm("day2", { ...base, logLevel: "debug" });
      rotated = await vm("day2", { ...base, auth: { password: "second-password-002" } });
      renewed = await vm("day2", { ...base, tls: tlsWith("second") });
    });
    afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

    test("the labels are the SHA-256 of the files as deployed; docker-compose accepts the file", () => {
      const dir = writeBundle(info);
      dirs.push(dir);
      const sums = Object.fromEntries(
        run(tool("openssl"), ["dgst", "-sha256", "-r", ...FILES], { cwd: dir })
          .trim()
          .split("\n")
          .map((line) => line.split(/ \*?/).reverse()),
      );
      expect(labels(info, "registry")).toEqual({
        "bundle.sha256.config.yml": sums["config.yml"],
        "bundle.sha256.htpasswd": sums.htpasswd,
      });
      expect(labels(info, "nginx")).toEqual({
        "bundle.sha256.nginx.conf": sums["nginx.conf"],
        "bundle.sha256.certs/server.crt": sums["certs/server.crt"],
        "bundle.sha256.certs/server.key": sums["certs/server.key"],
      });
      expect(() =>
        run(tool("docker-compose"), ["-f", path.join(dir, "docker-compose.yml"), "config", "-q"]),
      ).not.toThrow();
    });

    test("logLevel only: the compose file differs in the registry's config.yml label alone", () => {
      const before = info.files["vm/docker-compose.yml"].split("\n");
      const after = debug.files["vm/docker-compose.yml"].split("\n");
      expect(after).toHaveLength(before.length);
      const changed = before.flatMap((line, i) => (line === after[i] ? [] : [[line, after[i]]]));
      expect(changed).toHaveLength(1);
      expect(changed[0][0]).toMatch(/^ {6}bundle\.sha256\.config\.yml: [0-9a-f]{64}$/);
      expect(changed[0][1]).toMatch(/^ {6}bundle\.sha256\.config\.yml: [0-9a-f]{64}$/);
      expect(labels(debug, "nginx")).toEqual(labels(info, "nginx"));
    });

    test("a new password changes the registry's htpasswd label, not nginx's", () => {
      expect(labels(rotated, "registry")["bundle.sha256.htpasswd"]).not.toBe(
        labels(info, "registry")["bundle.sha256.htpasswd"],
      );
      expect(labels(rotated, "registry")["bundle.sha256.config.yml"]).toBe(
        labels(info, "registry")["bundle.sha256.config.yml"],
      );
      expect(labels(rotated, "nginx")).toEqual(labels(info, "nginx"));
    });

    test("a new certificate changes nginx's certificate label, not the registry's", () => {
      expect(labels(renewed, "nginx")["bundle.sha256.certs/server.crt"]).not.toBe(
        labels(info, "nginx")["bundle.sha256.certs/server.crt"],
      );
      expect(labels(renewed, "nginx")["bundle.sha256.nginx.conf"]).toBe(
        labels(info, "nginx")["bundle.sha256.nginx.conf"],
      );
      expect(labels(renewed, "registry")).toEqual(labels(info, "registry"));
    });
  },
);

describe("VM: switching tls.mode between selfSigned and acme", () => {
  const acmeTls = { mode: "acme", email: "ops@example.com" };
  const services = (p: ProgramRun) => parse(p.files["vm/docker-compose.yml"]).services;
  const tlsResources = (p: ProgramRun) =>
    p.resources.filter((r) => r.type.startsWith("tls:")).map((r) => r.name);
  let selfSigned: ProgramRun;
  let acme: ProgramRun;

  beforeAll(async () => {
    const base = { domain: "registry.example.com", auth: { password: "first-password-0001" } };
    selfSigned = await vm("day2-tls-switch", base);
    acme = await vm("day2-tls-switch", { ...base, tls: acmeTls });
  });

  test("the registry's service is untouched (not recreated); nginx changes; lego comes and goes", () => {
    expect(services(acme).registry).toEqual(services(selfSigned).registry);
    expect(Object.keys(services(selfSigned))).toEqual(["registry", "nginx"]);
    expect(Object.keys(services(acme))).toEqual(["registry", "nginx", "lego"]);
    expect(services(acme).nginx.volumes).not.toEqual(services(selfSigned).nginx.volumes);
  });

  test("Pulumi swaps the private CA and its certificate for a bootstrap certificate; the CA output empties", () => {
    expect(tlsResources(selfSigned).sort()).toEqual([
      "registry-ca",
      "registry-ca-key",
      "registry-server-cert",
      "registry-server-csr",
      "registry-server-key",
    ]);
    expect(tlsResources(acme).sort()).toEqual([
      "registry-acme-bootstrap-cert",
      "registry-acme-bootstrap-key",
    ]);
    expect(selfSigned.outputs.REGISTRY_CA_CERT.value).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(acme.outputs.REGISTRY_CA_CERT.value).toBe("");
  });

  test("back to selfSigned, compose-up removes acme.env (the EAB key) left on the host", () => {
    const up = (p: ProgramRun) =>
      reveal(p.resources.find((r) => r.name === "registry-compose-up")!.inputs, true) as {
        create: string;
      };
    expect(up(selfSigned).create).toContain("rm -f -- 'gcs-key.json' 'acme-ca.crt' 'acme.env'");
    expect(up(acme).create).toContain("rm -f -- 'gcs-key.json' 'acme-ca.crt' 'acme.env'");
  });
});

describe("VM: secrets with quotes, $ and newlines (issue 14 item 7)", () => {
  test("are accepted and written to the env file as one-line YAML strings", async () => {
    const program = await vm("day2-secrets", {
      storage: {
        driver: "s3",
        s3: {
          bucket: "images",
          region: "eu-west-1",
          accessKey: "AKIAEXAMPLE",
          secretKey: "line-one\nline-two",
        },
      },
      proxy: {
        remoteUrl: "https://registry-1.docker.io",
        username: "hub",
        password: "It's-a-$ecret-Pw-123",
      },
    });
    const env = program.files["vm/registry.env"].split("\n");
    expect(env).toContain(`REGISTRY_STORAGE_S3_SECRETKEY='"line-one\\x0Aline-two"'`);
    expect(env).toContain(`REGISTRY_PROXY_PASSWORD='"It\\x27s-a-\\x24ecret-Pw-123"'`);
  });
});
