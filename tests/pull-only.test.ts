/**
 * The pull-only user (auth.pullUser), proven with the real servers: the program's
 * nginx.conf, config.yml and htpasswd as deployed (only paths, ports and the upstream
 * host mapped) served by Debian's nginx and docker-registry on 127.0.0.1. skopeo pushes
 * with the push user and pulls with the pull user; every write with the pull user is
 * refused by nginx (403, distribution's error shape) while the registry keeps the image.
 * Once for the VM backend (nginx with TLS) and once for Docker without TLS (nginx on
 * plain HTTP, there only for the guard).
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { reveal, runProgram, type ProgramRun } from "../tools/runProgram";
import {
  buildImage,
  certDirWith,
  copyImage,
  ociManifest,
  type BuiltImage,
  type RegistryAccess,
} from "./support/images";
import { startNginx, nginxPaths, type RunningNginx } from "./support/nginx";
import { freePort } from "./support/processes";
import { startRegistry, type RunningRegistry } from "./support/registry";
import { describeWithTools } from "./support/tools";
import { startVmStack, type VmStack } from "./support/vmStack";

const PUSH = { username: "ci", password: "pull-only-test-push-password" };
const PULL = { username: "reader", password: "pull-only-test-pull-password" };

interface Served {
  program: ProgramRun;
  /** host:port as clients dial it (REGISTRY). */
  address: string;
  scheme: "http" | "https";
  ca?: string;
  /** skopeo's TLS flags for this registry. */
  tls: Pick<RegistryAccess, "certDir" | "plainHttp">;
  stop(): Promise<void>;
}

/** One HTTP request; `authorization` may be several header lines (an array). */
function request(
  s: Served,
  method: string,
  p: string,
  authorization?: string | string[],
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const client = s.scheme === "https" ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(`${s.scheme}://${s.address}${p}`, {
      method,
      ca: s.ca,
      agent: false,
      timeout: 30_000,
    });
    if (authorization !== undefined) req.setHeader("authorization", authorization);
    // distribution 2.x answers 404 for an OCI manifest to a client that does not accept it.
    req.setHeader("accept", "application/vnd.oci.image.manifest.v1+json");
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error(`timeout: ${method} ${p}`)));
    req.end();
  });
}

const basic = (u: { username: string; password: string }) =>
  `Basic ${Buffer.from(`${u.username}:${u.password}`).toString("base64")}`;

/** The same proof for every backend: `serve` starts the backend's deployed files. */
function provePullOnly(title: string, serve: (work: string) => Promise<Served>) {
  describeWithTools(title, ["nginx", "docker-registry", "skopeo", "umoci"], () => {
    let work: string;
    let s: Served;
    let image: BuiltImage;
    let other: BuiltImage;
    const repo = () => `docker://${s.address}/team/app`;

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), "pull-only-"));
      s = await serve(work);
      image = buildImage(work, { tag: "v1", layerSizes: [1024 * 1024, 4096] });
      other = buildImage(work, { tag: "v1", layerSizes: [4096] });
    });
    afterAll(async () => {
      await s?.stop();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    test("the stack exports the pull login apart, its password a secret", () => {
      expect(s.program.outputs.REGISTRY_PULL_USERNAME).toEqual({ value: "reader", secret: false });
      expect(s.program.outputs.REGISTRY_PULL_PASSWORD).toEqual({
        value: PULL.password,
        secret: true,
      });
      expect(s.program.outputs.REGISTRY_USERNAME.value).toBe("ci");
    });

    test("the push user pushes; the pull user pulls the same digests", () => {
      copyImage(image.ref, `${repo()}:v1`, { dest: { ...PUSH, ...s.tls } });
      const pulled = path.join(work, "pulled");
      copyImage(`${repo()}:v1`, `oci:${pulled}:v1`, { src: { ...PULL, ...s.tls } });
      expect(ociManifest(pulled, "v1")).toEqual({
        manifestDigest: image.manifestDigest,
        layers: image.layers,
      });
    });

    test("a push with the pull user is refused (denied) and the tag still holds the first image", async () => {
      expect(() => copyImage(other.ref, `${repo()}:v1`, { dest: { ...PULL, ...s.tls } })).toThrow(
        /denied/i,
      );
      const head = await request(s, "HEAD", "/v2/team/app/manifests/v1", basic(PUSH));
      expect(head.status).toBe(200);
      expect(head.headers["docker-content-digest"]).toBe(image.manifestDigest);
    });

    test("a delete with the pull user: 403 in distribution's shape, with the API header; the manifest stays", async () => {
      const del = await request(
        s,
        "DELETE",
        `/v2/team/app/manifests/${image.manifestDigest}`,
        basic(PULL),
      );
      expect(del.status).toBe(403);
      expect(del.headers["content-type"]).toBe("application/json");
      expect(del.headers["docker-distribution-api-version"]).toBe("registry/2.0");
      expect(JSON.parse(del.body).errors[0].code).toBe("DENIED");
      const tags = await request(s, "GET", "/v2/team/app/tags/list", basic(PULL));
      expect([tags.status, JSON.parse(tags.body).tags]).toEqual([200, ["v1"]]);
    });

    test("a blob delete with the pull user is refused before any location (the blob one too); the blob stays", async () => {
      const blob = `/v2/team/app/blobs/${image.layers[0]}`;
      const del = await request(s, "DELETE", blob, basic(PULL));
      expect([del.status, JSON.parse(del.body).errors[0].code]).toEqual([403, "DENIED"]);
      const get = await request(s, "GET", blob, basic(PULL));
      expect(get.status).toBe(200);
      expect(get.headers["docker-content-digest"]).toBe(image.layers[0]);
    });

    test("every method but GET and HEAD is refused to the pull user; reads (catalog too) pass", async () => {
      const statuses: Record<string, number> = {};
      for (const method of ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "GET", "HEAD"])
        statuses[method] = (
          await request(s, method, "/v2/team/app/blobs/uploads/", basic(PULL))
        ).status;
      expect(statuses).toEqual({
        POST: 403,
        PUT: 403,
        PATCH: 403,
        DELETE: 403,
        OPTIONS: 403,
        // The registry itself answers reads of an upload path that is not one.
        GET: 404,
        HEAD: 404,
      });
      expect((await request(s, "GET", "/v2/_catalog", basic(PULL))).status).toBe(200);
    });

    test("walk-arounds: another case, a longer name, two Authorization headers, a wrong password", async () => {
      const post = (auth?: string | string[]) =>
        request(s, "POST", "/v2/team/app/blobs/uploads/", auth).then((a) => a.status);
      expect({
        upperCasePullUser: await post(basic({ ...PULL, username: "READER" })),
        // The push user's name as a prefix of another name is not the push user.
        pushUserPrefix: await post(basic({ ...PUSH, username: "ci-x" })),
        pushUserCase: await post(basic({ ...PUSH, username: "CI" })),
        // nginx refuses a second Authorization header outright.
        pullThenPush: await post([basic(PULL), basic(PUSH)]),
        pushThenPull: await post([basic(PUSH), basic(PULL)]),
        bearer: await post("Bearer x"),
        // No credentials: the registry's own challenge passes through (clients need it).
        anonymous: await post(),
        // The push user's name with a wrong password: nginx lets it by, the registry refuses.
        pushUserWrongPassword: await post(basic({ ...PUSH, password: "wrong-password-0123" })),
      }).toEqual({
        upperCasePullUser: 403,
        pushUserPrefix: 403,
        pushUserCase: 403,
        pullThenPush: 400,
        pushThenPull: 400,
        bearer: 403,
        anonymous: 401,
        pushUserWrongPassword: 401,
      });
      // The pull user's reads are checked by the registry too.
      const wrong = await request(
        s,
        "GET",
        "/v2/_catalog",
        basic({ ...PULL, password: "wrong-password-0123" }),
      );
      expect(wrong.status).toBe(401);
    });

    test("the push user still writes: an upload starts (202) and a delete lands (202)", async () => {
      const upload = await request(s, "POST", "/v2/team/app/blobs/uploads/", basic(PUSH));
      expect(upload.status).toBe(202);
      const del = await request(
        s,
        "DELETE",
        `/v2/team/app/manifests/${image.manifestDigest}`,
        basic(PUSH),
      );
      expect(del.status).toBe(202);
      const head = await request(s, "HEAD", "/v2/team/app/manifests/v1", basic(PULL));
      expect(head.status).toBe(404);
    });
  });
}

provePullOnly("pull-only user, VM backend: nginx (TLS) + docker-registry", async (work) => {
  const stack: VmStack = await startVmStack(work, PUSH.password, {
    settings: { auth: { ...PUSH, pullUser: PULL } },
  });
  return {
    program: stack.program,
    address: stack.address,
    scheme: "https",
    ca: stack.ca,
    tls: { certDir: stack.certDir },
    stop: stack.stop,
  };
});

/** The uploads of one Docker container, as the engine would receive them. */
function uploads(run: ProgramRun, container: string): Record<string, string> {
  const found = run.resources.find(
    (r) => r.type === "docker:index/container:Container" && r.name === container,
  );
  if (!found) throw new Error(`no container ${container}`);
  const list = reveal(found.inputs.uploads, true) as { file: string; content: string }[];
  return Object.fromEntries(list.map((u) => [u.file, u.content]));
}

/** Each `from` exactly once, so a change in the generated file's shape fails the test. */
function replaceOnce(text: string, pairs: [string, string][]): string {
  for (const [from, to] of pairs) {
    const count = text.split(from).length - 1;
    if (count !== 1) throw new Error(`expected ${JSON.stringify(from)} once, found ${count}`);
    text = text.replace(from, () => to);
  }
  return text;
}

provePullOnly(
  "pull-only user, Docker backend without TLS: nginx (plain HTTP) + docker-registry",
  async (work) => {
    const port = await freePort();
    const program = await runProgram({
      stack: "local",
      config: {
        "registry:backend": "docker",
        "registry:docker": { port, auth: { ...PUSH, pullUser: PULL } },
      },
      secretKeys: ["registry:docker"],
      showSecrets: true,
    });
    const backend = uploads(program, "registry-registry");
    const env = reveal(
      program.resources.find((r) => r.name === "registry-registry")?.inputs.envs,
      true,
    ) as string[];
    let registry: RunningRegistry | undefined;
    let nginx: RunningNginx | undefined;
    try {
      registry = await startRegistry({
        configYml: backend["/etc/docker/registry/config.yml"],
        htpasswd: backend["/etc/docker/registry/htpasswd"],
        env: Object.fromEntries(
          env.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
        ),
        dir: path.join(work, "registry"),
      });
      const paths = nginxPaths(path.join(work, "nginx"));
      fs.mkdirSync(paths.dir, { recursive: true });
      const conf = replaceOnce(uploads(program, "registry-proxy-nginx")["/etc/nginx/nginx.conf"], [
        ["user nginx;", "user nobody nogroup;"],
        ["server registry:5000;", `server ${registry.address};`],
        ["listen 8000 reuseport;", `listen 127.0.0.1:${port} reuseport;`],
        ["listen 127.0.0.1:8080;", `listen 127.0.0.1:${await freePort()};`],
        ["pid /var/run/nginx.pid;", `pid ${paths.pidPath};`],
        ["error_log /var/log/nginx/error.log", `error_log ${paths.errorLogPath}`],
        ["access_log /var/log/nginx/access.log;", `access_log ${paths.accessLogPath};`],
      ]);
      nginx = await startNginx({ paths, port, config: conf, certificatePem: "", keyPem: "" });
    } catch (err) {
      await registry?.stop();
      throw err;
    }
    const [r, n] = [registry, nginx];
    return {
      program,
      address: String(program.outputs.REGISTRY.value).replace("localhost", "127.0.0.1"),
      scheme: "http",
      tls: { plainHttp: true },
      stop: async () => {
        await n.stop();
        await r.stop();
      },
    };
  },
);

provePullOnly(
  "pull-only user, Kubernetes backend with selfSigned TLS: the nginx sidecar (TLS) + docker-registry on loopback",
  async (work) => {
    const program = await runProgram({
      stack: "dev",
      config: {
        "registry:backend": "kubernetes",
        "registry:kubernetes": {
          nodePort: 30500,
          auth: { ...PUSH, pullUser: PULL },
          tls: { mode: "selfSigned" },
        },
      },
      showSecrets: true,
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const inputs = (type: string, name: string): any =>
      reveal(program.resources.find((r) => r.type === type && r.name === name)!.inputs, true);
    const config = inputs("kubernetes:core/v1:ConfigMap", "registry-config").data;
    const secret = inputs("kubernetes:core/v1:Secret", "registry-secrets").stringData;
    const tls = inputs("kubernetes:core/v1:Secret", "registry-tls").stringData;
    const [registryContainer] = inputs("kubernetes:apps/v1:Deployment", "registry").spec.template
      .spec.containers;
    const env = Object.fromEntries(
      registryContainer.env.map(
        (e: { name: string; valueFrom: { secretKeyRef: { key: string } } }) => [
          e.name,
          secret[e.valueFrom.secretKeyRef.key],
        ],
      ),
    );
    const ca = String(program.outputs.REGISTRY_CA_CERT.value);
    const port = await freePort();
    let registry: RunningRegistry | undefined;
    let nginx: RunningNginx | undefined;
    try {
      registry = await startRegistry({
        configYml: config["config.yml"],
        htpasswd: secret.htpasswd,
        env,
        dir: path.join(work, "registry"),
      });
      const paths = nginxPaths(path.join(work, "nginx"));
      const conf = replaceOnce(config["nginx.conf"], [
        ["listen 5000 ssl reuseport;", `listen 127.0.0.1:${port} ssl reuseport;`],
        ["server 127.0.0.1:5010;", `server ${registry.address};`],
        ["ssl_certificate /etc/registry-tls/tls.crt;", `ssl_certificate ${paths.certificatePath};`],
        ["ssl_certificate_key /etc/registry-tls/tls.key;", `ssl_certificate_key ${paths.keyPath};`],
        ["pid /tmp/nginx/nginx.pid;", `pid ${paths.pidPath};`],
        ["error_log /var/log/nginx/error.log", `error_log ${paths.errorLogPath}`],
        ["access_log /var/log/nginx/access.log;", `access_log ${paths.accessLogPath};`],
      ]);
      nginx = await startNginx({
        paths,
        port,
        config: conf,
        certificatePem: tls["tls.crt"],
        keyPem: tls["tls.key"],
      });
    } catch (err) {
      await registry?.stop();
      throw err;
    }
    const [r, n] = [registry, nginx];
    if (program.outputs.REGISTRY.value !== "127.0.0.1:30500")
      throw new Error(`unexpected REGISTRY ${program.outputs.REGISTRY.value}`);
    return {
      program,
      // The NodePort (30500) as this host serves it.
      address: `127.0.0.1:${port}`,
      scheme: "https",
      ca,
      tls: { certDir: certDirWith(path.join(work, "certs.d"), ca) },
      stop: async () => {
        await n.stop();
        await r.stop();
      },
    };
  },
);
