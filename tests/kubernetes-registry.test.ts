/**
 * The Kubernetes backend's generated config, served by a real registry: the program
 * runs for the dev stack (with a known password in config), and the ConfigMap's
 * config.yml, the Secret's htpasswd and the env the Deployment sets from it are
 * handed to Debian's docker-registry (CNCF distribution) on 127.0.0.1. Only the listen
 * address, storage root and htpasswd path are mapped to local ones.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { readStackConfig } from "../tools/stackConfig";
import { reveal, runProgram, type ProgramRun, type RegisteredResource } from "../tools/runProgram";
import { startRegistry, type RunningRegistry } from "./support/registry";
import { buildImage, pushAndPull, type BuiltImage } from "./support/images";
import { httpGet } from "./support/http";
import { describeWithTools, run as runTool, tool } from "./support/tools";

const PASSWORD = "dev-stack-test-password";
const ROOT = path.resolve(__dirname, "..");

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const inputsOf = (r: RegisteredResource): any => reveal(r.inputs, true);

describeWithTools(
  "kubernetes backend config, served by docker-registry",
  ["docker-registry", "skopeo", "umoci"],
  () => {
    let work: string;
    let program: ProgramRun;
    let configYml: string;
    let secretData: Record<string, string>;
    let env: Record<string, string>;
    let registry: RunningRegistry;
    let image: BuiltImage;
    const access = { username: "ci", password: PASSWORD, plainHttp: true };
    const basic = { username: "ci", password: PASSWORD };

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), "kubernetes-backend-"));
      // The dev stack's own config, plus a known password (as `pulumi config set --secret` would).
      const { config } = readStackConfig(path.join(ROOT, "Pulumi.dev.yaml"));
      const kubernetes = {
        ...(config["registry:kubernetes"] as object),
        auth: { password: PASSWORD },
      };
      program = await runProgram({
        stack: "dev",
        config: { ...config, "registry:kubernetes": kubernetes },
        secretKeys: ["registry:kubernetes"],
        showSecrets: true,
      });
      const find = (type: string) => program.resources.find((r) => r.type === type)!;
      configYml = inputsOf(find("kubernetes:core/v1:ConfigMap")).data["config.yml"];
      secretData = inputsOf(find("kubernetes:core/v1:Secret")).stringData;
      // The env the Deployment's container gets, resolved from the Secret it names.
      const container = inputsOf(find("kubernetes:apps/v1:Deployment")).spec.template.spec
        .containers[0];
      env = Object.fromEntries(
        container.env.map((e: { name: string; valueFrom: { secretKeyRef: { key: string } } }) => [
          e.name,
          secretData[e.valueFrom.secretKeyRef.key],
        ]),
      );
      registry = await startRegistry({
        configYml,
        htpasswd: secretData.htpasswd,
        env,
        dir: path.join(work, "registry"),
      });
      image = buildImage(work, { tag: "v1", layerSizes: [3 * 1024 * 1024, 8192] });
    });
    afterAll(async () => {
      await registry?.stop();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    test("what the pod gets: config.yml from the ConfigMap, htpasswd and REGISTRY_HTTP_SECRET from the Secret", () => {
      expect(Object.keys(env)).toEqual(["REGISTRY_HTTP_SECRET"]);
      // A YAML string: the registry parses REGISTRY_* values as YAML.
      expect(env.REGISTRY_HTTP_SECRET).toMatch(/^"[A-Za-z0-9]{48}"$/);
      expect(secretData.htpasswd).toMatch(/^ci:\$2y\$10\$/);
      // The served file differs from the generated one only in what the harness maps.
      const served = parse(fs.readFileSync(registry.configPath, "utf8"));
      const generated = parse(configYml);
      for (const key of ["version", "log", "health", "storage"]) {
        if (key === "storage") {
          expect({ ...served.storage, filesystem: undefined }).toEqual({
            ...generated.storage,
            filesystem: undefined,
          });
        } else expect(served[key]).toEqual(generated[key]);
      }
      expect(served.http.headers).toEqual(generated.http.headers);
      expect(served.auth.htpasswd.realm).toBe(generated.auth.htpasswd.realm);
    });

    test("GET /v2/ without credentials is 401, with the CI user's 200, with a wrong password 401", async () => {
      const anonymous = await httpGet(`http://${registry.address}/v2/`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers["www-authenticate"]).toMatch(/^Basic realm="Registry"/);
      expect((await httpGet(`http://${registry.address}/v2/`, basic)).status).toBe(200);
      expect(
        (
          await httpGet(`http://${registry.address}/v2/`, {
            username: "ci",
            password: "wrong-password-123",
          })
        ).status,
      ).toBe(401);
      // The probe path: 200 with auth on, so the kubelet can tell a live registry.
      expect((await httpGet(`http://${registry.address}/`)).status).toBe(200);
      expect(anonymous.headers["x-content-type-options"]).toBe("nosniff");
    });

    test("push and pull a real image: the digests round-trip", () => {
      const { pulled } = pushAndPull(image, `${registry.address}/team/app:v1`, access, work);
      expect(pulled.manifestDigest).toBe(image.manifestDigest);
      expect(pulled.layers).toEqual(image.layers);
    });

    test("garbage collection with the generated config, registry stopped, as the CronJob does it", async () => {
      // A second image, then its manifest deleted through the API (storage.delete is on).
      const doomed = buildImage(work, { tag: "old", layerSizes: [1024 * 1024] });
      pushAndPull(doomed, `${registry.address}/team/old:old`, access, work);
      const manifestUrl = `http://${registry.address}/v2/team/old/manifests/${doomed.manifestDigest}`;
      expect((await httpGet(manifestUrl, { ...basic, method: "DELETE" })).status).toBe(202);
      const blobUrl = (repo: string, digest: string) =>
        `http://${registry.address}/v2/${repo}/blobs/${digest}`;
      expect(
        (await httpGet(blobUrl("team/old", doomed.layers[0]), { ...basic, method: "HEAD" })).status,
      ).toBe(200);

      // Stop, collect, start: the steps of the CronJob's pod.
      await registry.stop();
      const output = runTool(tool("docker-registry"), ["garbage-collect", registry.configPath], {
        env: { ...process.env, ...env },
      });
      expect(output).toContain(`blob eligible for deletion: ${doomed.layers[0]}`);
      for (const layer of image.layers)
        expect(output).not.toContain(`eligible for deletion: ${layer}`);
      await registry.restart();

      // The deleted image's layer is gone; the tagged image is whole and pulls again.
      expect(
        (await httpGet(blobUrl("team/old", doomed.layers[0]), { ...basic, method: "HEAD" })).status,
      ).toBe(404);
      const { pulled } = pushAndPull(image, `${registry.address}/team/app:v1`, access, work);
      expect(pulled.manifestDigest).toBe(image.manifestDigest);
      for (const layer of image.layers)
        expect(
          (await httpGet(blobUrl("team/app", layer), { ...basic, method: "HEAD" })).status,
        ).toBe(200);
    });
  },
);
