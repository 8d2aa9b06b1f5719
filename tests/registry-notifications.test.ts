/**
 * Push notifications with the real registry. The program runs under mocks with
 * notification endpoints in config; the docker backend's container (config.yml as
 * uploaded, and the secret env, REGISTRY_NOTIFICATIONS_ENDPOINTS included) is handed to
 * Debian's docker-registry (distribution 2.8.2) on 127.0.0.1, only the listen address,
 * storage and htpasswd paths mapped. The receivers are node https servers on 127.0.0.1
 * with a test CA the registry trusts (SSL_CERT_FILE, as a host trusts its CA store);
 * each checks the token header and answers 401 to anything else. skopeo pushes and
 * pulls a umoci-built image. The VM's env file and the Kubernetes Secret carry the same
 * value, checked at the end.
 */
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { reveal, runProgram, type ProgramRun } from "../tools/runProgram";
import { buildImage, copyImage, type BuiltImage } from "./support/images";
import { newTlsPair } from "./support/keyMaterial";
import { freePort } from "./support/processes";
import { startRegistry, type RunningRegistry } from "./support/registry";
import { describeWithTools, run, tool } from "./support/tools";

const PASSWORD = "notify-test-password-123";
const TOKEN = "deploy-token-7f3a9c2e5b1d4086";
const AUDIT_TOKEN = "audit-token-Qm4Xv8Rt2Lp6Wz0N";
const STALE_TOKEN = "stale-token-0000000000000000";
const SSH_KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----";
const EVENTS_TYPE = "application/vnd.docker.distribution.events.v1+json";

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  status: number;
  events: {
    id: string;
    action: string;
    target: {
      mediaType?: string;
      repository: string;
      tag?: string;
      digest: string;
      url?: string;
    };
    actor: { name?: string };
    request: { method?: string };
  }[];
}

/** An https receiver that accepts only `Authorization: Bearer <token>` (or the given header). */
async function startReceiver(
  tls: { certificate: string; key: string },
  accept: Record<string, { header: string; value: string }>,
) {
  const received: Received[] = [];
  const server = https.createServer({ cert: tls.certificate, key: tls.key }, (req, res) => {
    let body = "";
    req.on("data", (b) => (body += b));
    req.on("end", () => {
      const rule = accept[req.url ?? ""];
      const ok = rule !== undefined && req.headers[rule.header] === rule.value;
      const status = ok ? 200 : 401;
      received.push({
        path: req.url ?? "",
        headers: req.headers,
        status,
        events: (JSON.parse(body) as { events: Received["events"] }).events,
      });
      res.writeHead(status).end();
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: (p: string) => `https://127.0.0.1:${port}${p}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Waits (bounded) until `done` holds for what was received. */
async function until(what: string, done: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function containerOf(run: ProgramRun) {
  const c = run.resources.find((r) => r.type === "docker:index/container:Container")!;
  const uploads = reveal(c.inputs.uploads, true) as { file: string; content: string }[];
  const envs = reveal(c.inputs.envs, true) as string[];
  return {
    configYml: uploads.find((u) => u.file === "/etc/docker/registry/config.yml")!.content,
    htpasswd: uploads.find((u) => u.file === "/etc/docker/registry/htpasswd")!.content,
    env: Object.fromEntries(
      envs.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    ),
  };
}

describeWithTools(
  "push notifications from the real registry",
  ["docker-registry", "skopeo", "umoci", "openssl"],
  () => {
    let work: string;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let registry: RunningRegistry;
    let container: ReturnType<typeof containerOf>;
    let image: BuiltImage;
    let notifications: Record<string, unknown>;
    const access = { username: "ci", password: PASSWORD, plainHttp: true };

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), "notify-"));
      const tls = newTlsPair(["127.0.0.1"]);
      fs.writeFileSync(path.join(work, "ca.pem"), tls.ca);
      receiver = await startReceiver(tls, {
        "/deploy": { header: "authorization", value: `Bearer ${TOKEN}` },
        "/audit": { header: "x-registry-token", value: AUDIT_TOKEN },
        // the stale endpoint posts here with an old token: the receiver refuses it
        "/stale": { header: "authorization", value: `Bearer ${TOKEN}` },
      });
      notifications = {
        endpoints: [
          { name: "deploy", url: receiver.url("/deploy"), token: TOKEN },
          {
            name: "audit",
            url: receiver.url("/audit"),
            token: AUDIT_TOKEN,
            tokenHeader: "X-Registry-Token",
            actions: ["push", "pull", "delete"],
          },
          {
            name: "stale",
            url: receiver.url("/stale"),
            token: STALE_TOKEN,
            threshold: 2,
            backoff: "1s",
            timeout: "2s",
          },
        ],
      };
      const run = await runProgram({
        stack: "local",
        config: {
          "registry:backend": "docker",
          "registry:docker": { auth: { password: PASSWORD }, logLevel: "warn", notifications },
        },
        secretKeys: ["registry:docker"],
        showSecrets: true,
      });
      container = containerOf(run);
      registry = await startRegistry({
        configYml: container.configYml,
        htpasswd: container.htpasswd,
        // The host's trust store holds the receiver's CA (Go reads SSL_CERT_FILE).
        env: { ...container.env, SSL_CERT_FILE: path.join(work, "ca.pem") },
        dir: path.join(work, "registry"),
      });
      image = buildImage(work, { tag: "v1", layerSizes: [64 * 1024, 4096] });
    }, 120_000);
    afterAll(async () => {
      await registry?.stop();
      await receiver?.close();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    test("the endpoints reach the registry by the secret env only, not config.yml", () => {
      expect(container.configYml).not.toContain("notifications");
      expect(container.configYml).not.toContain(TOKEN);
      expect(Object.keys(container.env).sort()).toEqual([
        "REGISTRY_HTTP_SECRET",
        "REGISTRY_NOTIFICATIONS_ENDPOINTS",
      ]);
    });

    test("a push: the receiver gets a push event envelope for the repository and tag, with the token", async () => {
      copyImage(image.ref, `docker://${registry.address}/team/app:v1`, { dest: access });
      const deploy = () => receiver.received.filter((r) => r.path === "/deploy");
      await until("a push event at /deploy", () => deploy().length > 0);
      const [first] = deploy();
      expect(first.status).toBe(200);
      expect(first.headers["content-type"]).toBe(EVENTS_TYPE);
      expect(first.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(first.events.map((e) => [e.action, e.target.repository, e.target.tag])).toEqual([
        ["push", "team/app", "v1"],
      ]);
      expect(first.events[0].target.digest).toBe(image.manifestDigest);
      expect(first.events[0].actor).toEqual({ name: "ci" });
      expect(first.events[0].target.url).toMatch(/\/v2\/team\/app\/manifests\/sha256:/);
      expect(first.events[0].request.method).toBe("PUT");
      // Manifests only by default: no blob (layer) events reached this endpoint.
      expect(deploy().flatMap((r) => r.events.map((e) => e.target.mediaType))).not.toContain(
        "application/octet-stream",
      );
    }, 60_000);

    test("a wrong token is refused by the receiver (401), and the registry retries", async () => {
      const stale = () => receiver.received.filter((r) => r.path === "/stale");
      await until("two tries at /stale", () => stale().length >= 2);
      expect(stale().every((r) => r.status === 401)).toBe(true);
      expect(stale()[0].headers.authorization).toBe(`Bearer ${STALE_TOKEN}`);
      // the same event again: distribution retries until the endpoint accepts it
      expect(stale()[1].events[0].id).toBe(stale()[0].events[0].id);
    }, 30_000);

    test("the events filter filters: a pull reaches the audit endpoint, not deploy", async () => {
      const target = `docker://${registry.address}/team/app:v1`;
      copyImage(target, `oci:${path.join(work, "pulled")}:v1`, { src: access });
      const audit = () => receiver.received.filter((r) => r.path === "/audit");
      const pulls = () =>
        audit().flatMap((r) =>
          r.events.filter((e) => e.action === "pull" && e.target.tag === "v1"),
        );
      await until("a pull event at /audit", () => pulls().length > 0);
      expect(audit().every((r) => r.status === 200)).toBe(true);
      expect(audit()[0].headers["x-registry-token"]).toBe(AUDIT_TOKEN);
      expect(audit()[0].headers.authorization).toBeUndefined();
      // deploy (push only) got no pull, even now that audit has one
      const deployActions = receiver.received
        .filter((r) => r.path === "/deploy")
        .flatMap((r) => r.events.map((e) => e.action));
      expect(deployActions).toEqual(["push"]);
    }, 60_000);

    test("a delete reaches audit (deletes carry no media type: the blob filter keeps them), not deploy", async () => {
      run(tool("skopeo"), [
        "delete",
        "--tls-verify=false",
        "--creds",
        `ci:${PASSWORD}`,
        `docker://${registry.address}/team/app@${image.manifestDigest}`,
      ]);
      const deletes = () =>
        receiver.received
          .filter((r) => r.path === "/audit")
          .flatMap((r) => r.events.filter((e) => e.action === "delete"));
      await until("a delete event at /audit", () => deletes().length > 0);
      expect(deletes()[0].target.repository).toBe("team/app");
      expect(deletes()[0].target.mediaType).toBeUndefined();
      const deployActions = receiver.received
        .filter((r) => r.path === "/deploy")
        .flatMap((r) => r.events.map((e) => e.action));
      expect(deployActions).toEqual(["push"]);
    }, 60_000);

    test("the registry's log holds no token at warn, and does at info (why a token needs warn)", async () => {
      expect(registry.process.log()).not.toContain(TOKEN);
      await registry.stop();
      // The same config and env, with the log level the program refuses beside a token.
      registry = await startRegistry({
        configYml: container.configYml,
        htpasswd: container.htpasswd,
        env: {
          ...container.env,
          REGISTRY_LOG_LEVEL: "info",
          SSL_CERT_FILE: path.join(work, "ca.pem"),
        },
        dir: path.join(work, "registry"),
      });
      await until("the start-up log", () =>
        registry.process.log().includes("configuring endpoint"),
      );
      expect(registry.process.log()).toContain(`Bearer ${TOKEN}`);
    }, 60_000);

    test("the registry checks the receiver's certificate: without its CA, nothing is delivered", async () => {
      await registry.stop();
      registry = await startRegistry({
        configYml: container.configYml,
        htpasswd: container.htpasswd,
        env: container.env, // no SSL_CERT_FILE: the machine's public CAs only
        dir: path.join(work, "registry"),
      });
      const before = receiver.received.length;
      copyImage(image.ref, `docker://${registry.address}/team/app:v2`, { dest: access });
      await until("a certificate error in the registry's log", () =>
        /x509: certificate signed by unknown authority/.test(registry.process.log()),
      );
      expect(receiver.received.length).toBe(before);
    }, 60_000);

    test("the VM's env file and the Kubernetes Secret carry the same endpoint list", async () => {
      const value = container.env.REGISTRY_NOTIFICATIONS_ENDPOINTS;
      expect(parse(value).map((e: { name: string }) => e.name)).toEqual([
        "deploy",
        "audit",
        "stale",
      ]);
      const vm = await runProgram({
        stack: "staging",
        config: {
          "registry:backend": "vm",
          "registry:vm": {
            host: { mode: "existing", address: "203.0.113.7", privateKey: SSH_KEY },
            auth: { password: PASSWORD },
            logLevel: "warn",
            notifications,
          },
        },
        secretKeys: ["registry:vm"],
        showSecrets: true,
      });
      expect(vm.files["vm/registry.env"]).toContain(
        `REGISTRY_NOTIFICATIONS_ENDPOINTS='${value}'\n`,
      );
      const k8s = await runProgram({
        stack: "dev",
        config: {
          "registry:backend": "kubernetes",
          "registry:kubernetes": { auth: { password: PASSWORD }, logLevel: "warn", notifications },
        },
        secretKeys: ["registry:kubernetes"],
        showSecrets: true,
      });
      const secret = k8s.resources.find(
        (r) => r.type === "kubernetes:core/v1:Secret" && r.name === "registry-secrets",
      )!;
      const stringData = reveal(secret.inputs.stringData, true) as Record<string, string>;
      expect(stringData["notification-endpoints"]).toBe(value);
    }, 60_000);
  },
);
