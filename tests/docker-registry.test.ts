/**
 * The docker backend's generated files, served by real servers. The program runs
 * under mocks (with a known password in config), and what it uploads into its
 * containers — config.yml, htpasswd, the secret env, and with TLS nginx.conf, the
 * certificate and key — is handed as it is to Debian's docker-registry (CNCF
 * distribution) and nginx on 127.0.0.1. Only listen addresses and file paths are
 * mapped to local ones.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { readStackConfig } from "../tools/stackConfig";
import { reveal, runProgram, type ProgramRun } from "../tools/runProgram";
import { startRegistry, type RunningRegistry } from "./support/registry";
import { buildImage, certDirWith, copyImage, pushAndPull, type BuiltImage } from "./support/images";
import { httpGet } from "./support/http";
import { freePort, ServerProcess, waitForPort } from "./support/processes";
import { describeWithTools, run as runTool, tool } from "./support/tools";

const PASSWORD = "local-stack-test-password";
const ROOT = path.resolve(__dirname, "..");

interface Upload {
  file: string;
  content: string;
}

/** The uploads and env of one container, as the engine would receive them. */
function containerFiles(
  run: ProgramRun,
  name: string,
): { uploads: Upload[]; env: Record<string, string> } {
  const container = run.resources.find(
    (r) => r.type === "docker:index/container:Container" && r.name === name,
  );
  if (!container) throw new Error(`no container ${name}`);
  const lines = (reveal(container.inputs.envs, true) as string[] | undefined) ?? [];
  return {
    uploads: reveal(container.inputs.uploads, true) as Upload[],
    env: Object.fromEntries(
      lines.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    ),
  };
}

function uploaded(uploads: Upload[], file: string): string {
  const found = uploads.find((u) => u.file === file);
  if (!found) throw new Error(`nothing uploaded to ${file}`);
  return found.content;
}

/** Replaces each `from` exactly once, so a change in the generated file's shape fails the test. */
function replaceOnce(text: string, pairs: [string, string][]): string {
  for (const [from, to] of pairs) {
    const count = text.split(from).length - 1;
    if (count !== 1)
      throw new Error(`expected ${JSON.stringify(from)} once in nginx.conf, found ${count}`);
    text = text.replace(from, to);
  }
  return text;
}

describeWithTools(
  "docker backend files, served by docker-registry",
  ["docker-registry", "skopeo", "umoci"],
  () => {
    let work: string;
    let run: ProgramRun;
    let uploads: Upload[];
    let env: Record<string, string>;
    let registry: RunningRegistry;
    let image: BuiltImage;
    const access = { username: "ci", password: PASSWORD, plainHttp: true };

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), "docker-backend-"));
      // The local stack's own config, plus a known password (as `pulumi config set --secret` would).
      const { config } = readStackConfig(path.join(ROOT, "Pulumi.local.yaml"));
      const docker = { ...(config["registry:docker"] as object), auth: { password: PASSWORD } };
      run = await runProgram({
        stack: "local",
        config: { ...config, "registry:docker": docker },
        secretKeys: ["registry:docker"],
        showSecrets: true,
      });
      ({ uploads, env } = containerFiles(run, "registry-registry"));
      registry = await startRegistry({
        configYml: uploaded(uploads, "/etc/docker/registry/config.yml"),
        htpasswd: uploaded(uploads, "/etc/docker/registry/htpasswd"),
        env,
        dir: path.join(work, "registry"),
      });
      image = buildImage(work, { layerSizes: [2 * 1024 * 1024, 4096] });
    });
    afterAll(async () => {
      await registry?.stop();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    test("what the container gets is what render shows", () => {
      expect(uploads.map((u) => u.file)).toEqual([
        "/etc/docker/registry/config.yml",
        "/etc/docker/registry/htpasswd",
      ]);
      expect(uploads[0].content).toBe(run.files["docker/config.yml"]);
      expect(uploads[1].content).toBe(run.files["docker/htpasswd"]);
      expect(Object.keys(env)).toEqual(["REGISTRY_HTTP_SECRET"]);
      // The served file differs from the generated one only in what the harness maps.
      const mapped = parse(uploads[0].content);
      mapped.http.addr = registry.address;
      mapped.storage.filesystem.rootdirectory = registry.dataDir;
      mapped.auth.htpasswd.path = path.join(registry.dir, "htpasswd");
      expect(parse(fs.readFileSync(registry.configPath, "utf8"))).toEqual(mapped);
    });

    test("GET / answers 200 (the container's healthcheck), /v2/ wants the password", async () => {
      const v2 = `http://${registry.address}/v2/`;
      expect((await httpGet(`http://${registry.address}/`)).status).toBe(200);
      const anonymous = await httpGet(v2);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers["www-authenticate"]).toMatch(/^Basic realm="Registry"/);
      expect((await httpGet(v2, { username: "ci", password: "wrong-password-123" })).status).toBe(
        401,
      );
      expect((await httpGet(v2, { username: "ci", password: PASSWORD })).status).toBe(200);
    });

    test("push and pull with the stack's credentials give identical digests", async () => {
      const { pulled } = pushAndPull(image, `${registry.address}/team/app:v1`, access, work);
      expect(pulled.manifestDigest).toBe(image.manifestDigest);
      expect(pulled.layers).toEqual(image.layers);
      const catalog = await httpGet(`http://${registry.address}/v2/_catalog`, {
        username: "ci",
        password: PASSWORD,
      });
      expect(JSON.parse(catalog.body).repositories).toEqual(["team/app"]);
    });

    test("a push without credentials is refused", () => {
      expect(() =>
        copyImage(image.ref, `docker://${registry.address}/team/app:anon`, {
          dest: { plainHttp: true },
        }),
      ).toThrow(/unauthorized|authentication required/i);
    });

    test("the data outlives the process, as the named volume outlives the container", async () => {
      await registry.restart();
      const tags = await httpGet(`http://${registry.address}/v2/team/app/tags/list`, {
        username: "ci",
        password: PASSWORD,
      });
      expect(JSON.parse(tags.body).tags).toEqual(["v1"]);
    });
  },
);

describeWithTools(
  "docker backend with TLS: nginx.conf, certificate and registry files as generated, served for real",
  ["docker-registry", "nginx", "skopeo", "umoci", "openssl"],
  () => {
    let work: string;
    let run: ProgramRun;
    let registry: RunningRegistry;
    let nginx: ServerProcess | undefined;
    let tlsPort: number;
    let healthPort: number;
    let caPem: string;

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), "docker-backend-tls-"));
      run = await runProgram({
        stack: "local",
        config: {
          "registry:backend": "docker",
          "registry:docker": {
            containerName: "reg",
            auth: { password: PASSWORD },
            tls: { enabled: true },
          },
        },
        secretKeys: ["registry:docker"],
        showSecrets: true,
      });
      caPem = String(run.outputs.REGISTRY_CA_CERT.value);

      const backend = containerFiles(run, "registry-registry");
      registry = await startRegistry({
        configYml: uploaded(backend.uploads, "/etc/docker/registry/config.yml"),
        htpasswd: uploaded(backend.uploads, "/etc/docker/registry/htpasswd"),
        env: backend.env,
        dir: path.join(work, "registry"),
      });

      // nginx.conf exactly as uploaded, with only the container's addresses and paths mapped.
      const front = containerFiles(run, "registry-tls-nginx").uploads;
      const nginxDir = path.join(work, "nginx");
      fs.mkdirSync(nginxDir);
      const certPath = path.join(nginxDir, "registry.crt");
      const keyPath = path.join(nginxDir, "registry.key");
      fs.writeFileSync(certPath, uploaded(front, "/etc/nginx/registry.crt"));
      fs.writeFileSync(keyPath, uploaded(front, "/etc/nginx/registry.key"), { mode: 0o600 });
      tlsPort = await freePort();
      healthPort = await freePort();
      const conf = replaceOnce(uploaded(front, "/etc/nginx/nginx.conf"), [
        ["user nginx;\n", ""], // the official image's worker user; Debian has none
        ["server reg:5000;", `server ${registry.address};`],
        ["listen 443 ssl reuseport;", `listen 127.0.0.1:${tlsPort} ssl reuseport;`],
        ["listen 127.0.0.1:8080;", `listen 127.0.0.1:${healthPort};`],
        ["ssl_certificate /etc/nginx/registry.crt;", `ssl_certificate ${certPath};`],
        ["ssl_certificate_key /etc/nginx/registry.key;", `ssl_certificate_key ${keyPath};`],
        ["pid /var/run/nginx.pid;", `pid ${path.join(nginxDir, "nginx.pid")};`],
        ["error_log /var/log/nginx/error.log", `error_log ${path.join(nginxDir, "error.log")}`],
        [
          "access_log /var/log/nginx/access.log;",
          `access_log ${path.join(nginxDir, "access.log")};`,
        ],
        // The registry's volume, mounted read-only in nginx at /var/lib/registry.
        ["alias /var/lib/registry/", `alias ${registry.dataDir}/`],
      ]);
      // nginx's workers (nobody) read the registry's storage: open the temp dirs on the way,
      // as the volume's directories are (0755, the registry's umask).
      for (const dir of [work, registry.dir]) fs.chmodSync(dir, 0o755);
      const confPath = path.join(nginxDir, "nginx.conf");
      fs.writeFileSync(confPath, conf);
      runTool(tool("nginx"), ["-t", "-q", "-p", nginxDir, "-c", confPath]);
      nginx = new ServerProcess("nginx", tool("nginx"), [
        "-p",
        nginxDir,
        "-c",
        confPath,
        "-g",
        "daemon off;",
      ]);
      await waitForPort(tlsPort, 15_000, nginx);
    });
    afterAll(async () => {
      await nginx?.stop();
      await registry?.stop();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    test("REGISTRY is the TLS port; the server certificate verifies against REGISTRY_CA_CERT", () => {
      expect(run.outputs.REGISTRY.value).toBe("localhost:5443");
      const ca = path.join(work, "ca.pem");
      fs.writeFileSync(ca, caPem);
      const out = runTool(tool("openssl"), [
        "verify",
        "-CAfile",
        ca,
        path.join(work, "nginx", "registry.crt"),
      ]);
      expect(out).toContain(": OK");
    });

    test("through nginx: 401 without the password, 200 with it, the API header on both", async () => {
      const v2 = `https://localhost:${tlsPort}/v2/`;
      const anonymous = await httpGet(v2, { ca: caPem });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers["docker-distribution-api-version"]).toBe("registry/2.0");
      const ok = await httpGet(v2, { ca: caPem, username: "ci", password: PASSWORD });
      expect(ok.status).toBe(200);
      expect(ok.headers["docker-distribution-api-version"]).toBe("registry/2.0");
      // Without the CA the certificate is not trusted.
      await expect(httpGet(v2)).rejects.toThrow(
        /self[- ]signed|unable to (get|verify)|certificate/i,
      );
    });

    test("nginx's healthcheck target answers", async () => {
      expect((await httpGet(`http://127.0.0.1:${healthPort}/healthz`)).status).toBe(200);
    });

    test("a 5 MiB layer pushes and pulls through TLS with identical digests; nginx sends the layers from the volume", async () => {
      const image = buildImage(work, { layerSizes: [5 * 1024 * 1024, 1024] });
      const access = {
        username: "ci",
        password: PASSWORD,
        certDir: certDirWith(path.join(work, "certs"), caPem),
      };
      const { pulled } = pushAndPull(image, `localhost:${tlsPort}/team/app:v1`, access, work);
      expect(pulled.manifestDigest).toBe(image.manifestDigest);
      expect(pulled.layers).toEqual(image.layers);
      // nginx answered each layer GET (its access log) and the registry saw only the HEAD
      // that authorised it (its access log, read once skopeo's requests are all logged).
      await new Promise((r) => setTimeout(r, 1000));
      const nginxLog = fs.readFileSync(path.join(work, "nginx", "access.log"), "utf8");
      const registryLog = registry.process.log(100_000);
      for (const layer of image.layers) {
        const line = (method: string) => `"${method} /v2/team/app/blobs/${layer} HTTP/1.1" 200`;
        expect(nginxLog).toContain(line("GET"));
        expect(registryLog).toContain(line("HEAD"));
        expect(registryLog).not.toContain(line("GET"));
      }
    });

    test("nginx mounts the registry's volume read-only, where its nginx.conf reads blobs", () => {
      const front = run.resources.find((r) => r.name === "registry-tls-nginx")!;
      expect(reveal(front.inputs.volumes, true)).toEqual([
        { volumeName: "registry-data", containerPath: "/var/lib/registry", readOnly: true },
      ]);
    });
  },
);
