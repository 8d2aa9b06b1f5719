/**
 * Registry metrics on the Kubernetes backend, proven with the real registry: the dev
 * stack with `metrics.enabled`, its ConfigMap's config.yml, Secret and env served by
 * Debian's docker-registry (CNCF distribution 2.8). Only the listen address, the debug
 * listener's address (5001 → a free port), the storage root and the htpasswd path are
 * mapped. Prometheus text comes from the debug port only, never from the registry's port.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { readStackConfig } from "../tools/stackConfig";
import { reveal, runProgram, type ProgramRun, type RegisteredResource } from "../tools/runProgram";
import { freePort } from "./support/processes";
import { startRegistry, type RunningRegistry } from "./support/registry";
import { buildImage, pushAndPull } from "./support/images";
import { httpGet } from "./support/http";
import { describeWithTools } from "./support/tools";

const PASSWORD = "metrics-test-password-8642";
const ROOT = path.resolve(__dirname, "..");
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const inputsOf = (r: RegisteredResource): any => reveal(r.inputs, true);

describeWithTools(
  "kubernetes metrics: the debug server of the rendered config, scraped from the real registry",
  ["docker-registry", "skopeo", "umoci"],
  () => {
    let work: string;
    let program: ProgramRun;
    let registry: RunningRegistry;
    let debugPort: number;
    const one = (type: string, name?: string) =>
      inputsOf(program.resources.find((r) => r.type === type && (!name || r.name === name))!);

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), "kubernetes-metrics-"));
      const { config } = readStackConfig(path.join(ROOT, "Pulumi.dev.yaml"));
      const settings = {
        ...(config["registry:kubernetes"] as object),
        auth: { password: PASSWORD },
        metrics: { enabled: true },
      };
      program = await runProgram({
        stack: "dev",
        config: { ...config, "registry:kubernetes": settings },
        secretKeys: ["registry:kubernetes"],
        showSecrets: true,
      });
      const secretData = one("kubernetes:core/v1:Secret").stringData;
      const container = one("kubernetes:apps/v1:Deployment").spec.template.spec.containers[0];
      const env = Object.fromEntries(
        container.env.map((e: { name: string; valueFrom: { secretKeyRef: { key: string } } }) => [
          e.name,
          secretData[e.valueFrom.secretKeyRef.key],
        ]),
      );
      debugPort = await freePort();
      registry = await startRegistry({
        configYml: one("kubernetes:core/v1:ConfigMap").data["config.yml"],
        htpasswd: secretData.htpasswd,
        env,
        debugPort,
        dir: path.join(work, "registry"),
      });
      // Traffic for the counters: a real push and pull.
      const image = buildImage(work, { tag: "v1", layerSizes: [1024 * 1024, 4096] });
      pushAndPull(
        image,
        `${registry.address}/team/app:v1`,
        { username: "ci", password: PASSWORD, plainHttp: true },
        work,
      );
    });
    afterAll(async () => {
      await registry?.stop();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    test("as deployed: the debug listener on the container's metrics port, which the metrics Service targets", () => {
      const generated = parse(one("kubernetes:core/v1:ConfigMap").data["config.yml"]);
      expect(generated.http.debug).toEqual({
        addr: ":5001",
        prometheus: { enabled: true, path: "/metrics" },
      });
      const served = parse(fs.readFileSync(registry.configPath, "utf8"));
      expect(served.http.debug).toEqual({
        addr: `127.0.0.1:${debugPort}`,
        prometheus: { enabled: true, path: "/metrics" },
      });
      const container = one("kubernetes:apps/v1:Deployment").spec.template.spec.containers[0];
      expect(container.ports).toContainEqual({
        name: "metrics",
        containerPort: 5001,
        protocol: "TCP",
      });
      expect(one("kubernetes:core/v1:Service", "registry-metrics").spec.ports).toEqual([
        { name: "metrics", port: 5001, targetPort: "metrics", protocol: "TCP" },
      ]);
    });

    test("GET /metrics on the debug port: Prometheus text with the requests just made", async () => {
      const res = await httpGet(`http://127.0.0.1:${debugPort}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
      // distribution's own series (registry_ namespace), counting the push and the pull.
      const requests = res.body
        .split("\n")
        .filter((l) => l.startsWith("registry_http_requests_total{"));
      // One push (2 layers + config: 3 blobs, each POST, PATCH, PUT; one manifest) and one pull.
      expect(
        requests.filter((l) => !l.includes('code="401"') && !l.includes('code="404"')),
      ).toEqual([
        'registry_http_requests_total{code="200",handler="blob",method="get"} 3',
        'registry_http_requests_total{code="200",handler="manifest",method="get"} 1',
        'registry_http_requests_total{code="201",handler="blob_upload_chunk",method="put"} 3',
        'registry_http_requests_total{code="201",handler="manifest",method="put"} 1',
        'registry_http_requests_total{code="202",handler="blob_upload",method="post"} 3',
        'registry_http_requests_total{code="202",handler="blob_upload_chunk",method="patch"} 3',
      ]);
      expect(res.body).toMatch(/^registry_storage_action_seconds_count\{/m);
    });

    test("the registry's own port serves no metrics; the debug port also serves pprof (so it stays off the NodePort)", async () => {
      const onMain = await httpGet(`http://${registry.address}/metrics`);
      expect(onMain.status).toBe(404);
      expect(onMain.body).not.toContain("registry_http_requests_total");
      expect((await httpGet(`http://127.0.0.1:${debugPort}/debug/pprof/`)).status).toBe(200);
    });
  },
);
