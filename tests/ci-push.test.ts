/**
 * ci/pushImages.ts for real, the way CI runs it: a child process reading a
 * `pulumi stack output --json --show-secrets` file, logging in to Debian's
 * docker-registry on 127.0.0.1 (htpasswd auth, the project's own config renderer)
 * and pushing an umoci-built image with skopeo. The registry must then list
 * exactly the tags imageTags() computes: no more, no fewer.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderRegistryConfig } from "../components/shared/registryConfig";
import { renderHtpasswd } from "../components/shared/htpasswd";
import { startRegistry, type RunningRegistry } from "./support/registry";
import { buildImage, type BuiltImage } from "./support/images";
import { httpGet } from "./support/http";
import { describeWithTools, run, tool } from "./support/tools";

const ROOT = path.resolve(__dirname, "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
const USER = "ci-pusher";
const PASSWORD = "push-secret-7f3a9c1e";
const SHA = "c0ffee1234567890c0ffee1234567890c0ffee12";
const htpasswd = renderHtpasswd([
  { username: USER, password: PASSWORD, salt: "A1b2C3d4E5f6G7h8I9j0Kl" },
]);
const configYml = renderRegistryConfig({
  listenAddress: ":5000",
  storage: { driver: "filesystem", rootDirectory: "/var/lib/registry" },
  deleteEnabled: false,
  htpasswdPath: "/auth/htpasswd",
  logLevel: "warn",
});

interface PushRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the push script as CI does: env from the (fake) GitHub runner, outputs from a file. */
function pushScript(args: string[], env: Record<string, string>): PushRun {
  const r = spawnSync(TSX, [path.join(ROOT, "ci", "pushImages.ts"), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, GITHUB_ACTIONS: "true", ...env },
    encoding: "utf8",
    timeout: 300_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function writeOutputs(dir: string, outputs: Record<string, string>): string {
  const file = path.join(dir, `outputs-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify(outputs, null, 2));
  return file;
}

async function tagsOf(base: string, name: string, ca?: string): Promise<string[]> {
  const res = await httpGet(`${base}/v2/${name}/tags/list`, {
    username: USER,
    password: PASSWORD,
    ca,
  });
  if (res.status === 404) return [];
  expect(res.status).toBe(200);
  return [...(JSON.parse(res.body).tags as string[])].sort();
}

describeWithTools(
  "push script against a real registry",
  ["docker-registry", "skopeo", "umoci"],
  () => {
    let work: string;
    let registry: RunningRegistry;
    let image: BuiltImage;
    let outputsFile: string;

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), "ci-push-"));
      registry = await startRegistry({
        configYml,
        htpasswd,
        env: { REGISTRY_HTTP_SECRET: "ci-push-test" },
      });
      image = buildImage(work, { layerSizes: [256 * 1024, 1024] });
      outputsFile = writeOutputs(work, {
        REGISTRY: registry.address,
        REGISTRY_BACKEND: "vm",
        REGISTRY_USERNAME: USER,
        REGISTRY_PASSWORD: PASSWORD,
        REGISTRY_CA_CERT: "",
      });
    });
    afterAll(async () => {
      await registry?.stop();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    const github = (ref: Record<string, string>) => ({
      GITHUB_SHA: SHA,
      GITHUB_REF_TYPE: "branch",
      PUSH_CLIENT: "skopeo",
      ...ref,
    });

    test("main pushes main-<sha7> and latest, masks the password and prints it nowhere else", async () => {
      const githubOutput = path.join(work, "github-output-main");
      const r = pushScript(["--outputs", outputsFile, "--images", `team/app=${image.ref}`], {
        ...github({ GITHUB_REF_NAME: "main" }),
        GITHUB_OUTPUT: githubOutput,
      });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(await tagsOf(`http://${registry.address}`, "team/app")).toEqual([
        "latest",
        "main-c0ffee1",
      ]);

      const lines = `${r.stdout}\n${r.stderr}`.split("\n");
      expect(lines[0]).toBe(`::add-mask::${PASSWORD}`);
      expect(lines.filter((l) => l.includes(PASSWORD))).toEqual([`::add-mask::${PASSWORD}`]);
      expect(r.stdout).toContain("< [password]");
      expect(fs.readFileSync(githubOutput, "utf8")).toMatch(/^tags=main-c0ffee1 latest$/m);
    });

    test("feature/x pushes feature-x-<sha7> only", async () => {
      const r = pushScript(
        ["--outputs", outputsFile, "--images", `team/feature=${image.ref}`],
        github({ GITHUB_REF_NAME: "feature/x" }),
      );
      expect(r.status).toBe(0);
      expect(await tagsOf(`http://${registry.address}`, "team/feature")).toEqual([
        "feature-x-c0ffee1",
      ]);
    });

    test("stage pushes stage-<sha7> and stage; two images each get both", async () => {
      const r = pushScript(
        [
          "--outputs",
          outputsFile,
          "--images",
          `team/stage-app=${image.ref}\nteam/stage-web=${image.ref}`,
        ],
        github({ GITHUB_REF_NAME: "stage" }),
      );
      expect(r.status).toBe(0);
      for (const name of ["team/stage-app", "team/stage-web"])
        expect(await tagsOf(`http://${registry.address}`, name)).toEqual([
          "stage",
          "stage-c0ffee1",
        ]);
    });

    test("a pull request from a branch named main pushes the head commit's tag and never latest", async () => {
      const headSha = "facade0000000000000000000000000000000001";
      const event = path.join(work, "event.json");
      fs.writeFileSync(event, JSON.stringify({ pull_request: { head: { sha: headSha } } }));
      const r = pushScript(
        ["--outputs", outputsFile, "--images", `team/pr=${image.ref}`],
        github({ GITHUB_HEAD_REF: "main", GITHUB_REF_NAME: "7/merge", GITHUB_EVENT_PATH: event }),
      );
      expect(r.status).toBe(0);
      expect(await tagsOf(`http://${registry.address}`, "team/pr")).toEqual(["main-facade0"]);
    });

    test("two images, the second missing: the first gets its immutable tag and no latest", async () => {
      const missing = `oci:${path.join(work, "no-such-layout")}:v1`;
      const r = pushScript(
        [
          "--outputs",
          outputsFile,
          "--images",
          `team/mixed-app=${image.ref}\nteam/mixed-web=${missing}`,
        ],
        github({ GITHUB_REF_NAME: "main" }),
      );
      expect(r.status).not.toBe(0);
      expect(await tagsOf(`http://${registry.address}`, "team/mixed-app")).toEqual([
        "main-c0ffee1",
      ]);
      expect(await tagsOf(`http://${registry.address}`, "team/mixed-web")).toEqual([]);
    });

    test("a mirror stack is refused with a clear message, before login, --prepare included", async () => {
      const mirror = writeOutputs(work, {
        REGISTRY: registry.address,
        REGISTRY_BACKEND: "vm",
        REGISTRY_ROLE: "mirror",
        REGISTRY_PULL_USERNAME: USER,
        REGISTRY_PULL_PASSWORD: PASSWORD,
        REGISTRY_MIRROR_URL: `http://${registry.address}`,
      });
      for (const extra of [["--images", `team/mirrored=${image.ref}`], ["--prepare"]]) {
        const r = pushScript(["--outputs", mirror, ...extra], github({ GITHUB_REF_NAME: "main" }));
        expect(r.status).toBe(1);
        expect(r.stderr.trim()).toBe(
          `${mirror}: REGISTRY_ROLE is mirror: ${registry.address} is a pull-through mirror, which refuses every push; push to a stack whose REGISTRY_ROLE is registry (the mirror's login is REGISTRY_PULL_USERNAME/REGISTRY_PULL_PASSWORD, for pulls only)`,
        );
        expect(r.stdout).not.toContain("login");
      }
      expect(await tagsOf(`http://${registry.address}`, "team/mirrored")).toEqual([]);
    });

    test("a wrong password fails at login and pushes nothing", async () => {
      const wrong = writeOutputs(work, {
        REGISTRY: registry.address,
        REGISTRY_BACKEND: "vm",
        REGISTRY_USERNAME: USER,
        REGISTRY_PASSWORD: "not-the-password",
      });
      const r = pushScript(
        ["--outputs", wrong, "--images", `team/denied=${image.ref}`],
        github({ GITHUB_REF_NAME: "main" }),
      );
      expect(r.status).not.toBe(0);
      expect(r.stdout).toContain("skopeo login");
      expect(r.stdout).not.toContain("copy");
      expect(await tagsOf(`http://${registry.address}`, "team/denied")).toEqual([]);
    });
  },
);

describeWithTools(
  "push script over TLS with a private CA from REGISTRY_CA_CERT",
  ["docker-registry", "skopeo", "umoci", "openssl"],
  () => {
    let work: string;
    let registry: RunningRegistry;
    let caPem: string;

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), "ci-push-tls-"));
      const f = (n: string) => path.join(work, n);
      const openssl = (...args: string[]) => run(tool("openssl"), args, { cwd: work });
      openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        f("ca.key"),
        "-out",
        f("ca.crt"),
        "-days",
        "1",
        "-subj",
        "/CN=ci-push test CA",
      );
      openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        f("srv.key"),
        "-out",
        f("srv.csr"),
        "-subj",
        "/CN=127.0.0.1",
      );
      fs.writeFileSync(f("ext.cnf"), "subjectAltName=IP:127.0.0.1\n");
      openssl(
        "x509",
        "-req",
        "-in",
        f("srv.csr"),
        "-CA",
        f("ca.crt"),
        "-CAkey",
        f("ca.key"),
        "-CAcreateserial",
        "-out",
        f("srv.crt"),
        "-days",
        "1",
        "-extfile",
        f("ext.cnf"),
      );
      caPem = fs.readFileSync(f("ca.crt"), "utf8");
      registry = await startRegistry({
        configYml,
        htpasswd,
        tls: {
          certPem: fs.readFileSync(f("srv.crt"), "utf8"),
          keyPem: fs.readFileSync(f("srv.key"), "utf8"),
        },
        env: { REGISTRY_HTTP_SECRET: "ci-push-tls-test" },
      });
    });
    afterAll(async () => {
      await registry?.stop();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    test("the CA lands in <certs-dir>/<host:port>/ca.crt and the push verifies TLS against it", async () => {
      const image = buildImage(work, { layerSizes: [64 * 1024] });
      const certsDir = path.join(work, "certs.d");
      const outputs = writeOutputs(work, {
        REGISTRY: `${registry.address}/tls`,
        REGISTRY_BACKEND: "kubernetes",
        REGISTRY_USERNAME: USER,
        REGISTRY_PASSWORD: PASSWORD,
        REGISTRY_CA_CERT: caPem,
      });
      const r = pushScript(
        ["--outputs", outputs, "--images", `app=${image.ref}`, "--certs-dir", certsDir],
        {
          GITHUB_SHA: SHA,
          GITHUB_REF_NAME: "main",
          PUSH_CLIENT: "skopeo",
        },
      );
      expect(r.status).toBe(0);
      expect(fs.readFileSync(path.join(certsDir, registry.address, "ca.crt"), "utf8")).toBe(caPem);
      expect(r.stdout).not.toContain("tls-verify=false");
      expect(await tagsOf(`https://${registry.address}`, "tls/app", caPem)).toEqual([
        "latest",
        "main-c0ffee1",
      ]);
    });

    test("a CA that did not sign the server's certificate is refused: the certificate is really checked", () => {
      const image = buildImage(work, { layerSizes: [1024] });
      const other = path.join(work, "other-ca");
      fs.mkdirSync(other);
      run(tool("openssl"), [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        path.join(other, "ca.key"),
        "-out",
        path.join(other, "ca.crt"),
        "-days",
        "1",
        "-subj",
        "/CN=another CA",
      ]);
      const outputs = writeOutputs(work, {
        REGISTRY: `${registry.address}/tls`,
        REGISTRY_USERNAME: USER,
        REGISTRY_PASSWORD: PASSWORD,
        REGISTRY_CA_CERT: fs.readFileSync(path.join(other, "ca.crt"), "utf8"),
      });
      const r = pushScript(
        [
          "--outputs",
          outputs,
          "--images",
          `wrongca=${image.ref}`,
          "--certs-dir",
          path.join(work, "certs-other"),
        ],
        {
          GITHUB_SHA: SHA,
          GITHUB_REF_NAME: "main",
          PUSH_CLIENT: "skopeo",
        },
      );
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/certificate/i);
    });
  },
);
