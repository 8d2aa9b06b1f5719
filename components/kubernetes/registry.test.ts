/**
 * The component under Pulumi's mock runtime, through the whole program: what it
 * registers, the stack outputs, secrets, and the dev stack's render.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { ConfigError } from "../../config/errors";
import {
  reveal,
  runProgram,
  SECRET,
  type ProgramRun,
  type RegisteredResource,
} from "../../tools/runProgram";
import { renderStack } from "../../tools/render";
import { readStackConfig } from "../../tools/stackConfig";
import { allMocks } from "../../tools/mocks";
import {
  podSpecsOf,
  restrictedViolations,
  validateAgainstSchema,
  type KubeObject,
} from "./testing";

const ROOT = path.resolve(__dirname, "../..");
const DEV_STACK_FILE = path.join(ROOT, "Pulumi.dev.yaml");
const COMPONENT = "registry:kubernetes:Registry::registry";

const byType = (run: ProgramRun, type: string): RegisteredResource[] =>
  run.resources.filter((r) => r.type === type);
const one = (run: ProgramRun, type: string): RegisteredResource => {
  const found = byType(run, type);
  expect(found).toHaveLength(1);
  return found[0];
};
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const inputsOf = (r: RegisteredResource, showSecrets = false): any => reveal(r.inputs, showSecrets);

function kubernetesConfig(settings: Record<string, unknown>) {
  return { "registry:backend": "kubernetes", "registry:kubernetes": settings };
}

describe("the dev stack", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    const { config, secretKeys } = readStackConfig(DEV_STACK_FILE);
    run = await runProgram({ stack: "dev", config, secretKeys });
  });

  test("outputs: REGISTRY is 127.0.0.1:<the fixed nodePort>", () => {
    expect(run.backend).toBe("kubernetes");
    expect(run.outputs.REGISTRY).toEqual({ value: "127.0.0.1:30500", secret: false });
    expect(run.outputs.REGISTRY_BACKEND).toEqual({ value: "kubernetes", secret: false });
    expect(run.outputs.REGISTRY_USERNAME).toEqual({ value: "ci", secret: false });
    expect(run.outputs.REGISTRY_CA_CERT).toEqual({ value: "", secret: false });
    expect(Object.keys(run.outputs).sort()).toEqual([
      "REGISTRY",
      "REGISTRY_BACKEND",
      "REGISTRY_CA_CERT",
      "REGISTRY_PASSWORD",
      "REGISTRY_ROLE",
      "REGISTRY_USERNAME",
    ]);
  });

  test("the generated password is a 32-character secret", () => {
    expect(run.outputs.REGISTRY_PASSWORD.secret).toBe(true);
    expect(run.outputs.REGISTRY_PASSWORD.value).toMatch(/^[A-Za-z0-9]{32}$/);
  });

  test("the component and every child it registers, each parented to it", () => {
    const component = one(run, "registry:kubernetes:Registry");
    expect(component.parent).toBeNull();
    expect(component.name).toBe("registry");
    const children = run.resources.filter((r) => r !== component);
    expect(children.map((r) => r.type).sort()).toEqual(
      [
        "kubernetes:apps/v1:Deployment",
        "kubernetes:batch/v1:CronJob",
        "kubernetes:core/v1:ConfigMap",
        "kubernetes:core/v1:Namespace",
        "kubernetes:core/v1:PersistentVolumeClaim",
        "kubernetes:core/v1:Secret",
        "kubernetes:core/v1:Service",
        "kubernetes:core/v1:ServiceAccount",
        "kubernetes:core/v1:ServiceAccount",
        "kubernetes:rbac.authorization.k8s.io/v1:Role",
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        "random:index/randomPassword:RandomPassword",
        "random:index/randomPassword:RandomPassword",
        "random:index/randomString:RandomString",
      ].sort(),
    );
    for (const r of children) expect(r.parent).toBe(COMPONENT);
  });

  test("key properties: namespace, NodePort 30500, Recreate, a 10Gi claim, pods rolling on config change", () => {
    expect(inputsOf(one(run, "kubernetes:core/v1:Namespace")).metadata.name).toBe("registry");
    const service = inputsOf(one(run, "kubernetes:core/v1:Service"));
    expect(service.spec).toMatchObject({
      type: "NodePort",
      ports: [{ port: 5000, nodePort: 30500 }],
    });
    const deployment = inputsOf(one(run, "kubernetes:apps/v1:Deployment"));
    expect(deployment.metadata).toMatchObject({ name: "registry", namespace: "registry" });
    expect(deployment.spec.strategy).toEqual({ type: "Recreate" });
    expect(deployment.spec.template.metadata.annotations["checksum/config-and-secrets"]).toMatch(
      /^[0-9a-f]{64}$/,
    );
    const claim = inputsOf(one(run, "kubernetes:core/v1:PersistentVolumeClaim"));
    expect(claim.spec.resources.requests.storage).toBe("10Gi");
    expect(inputsOf(one(run, "kubernetes:batch/v1:CronJob")).spec.schedule).toBe("0 3 * * 0");
  });

  test("the Secret's values reach the engine as secrets; the ConfigMap holds none", () => {
    const secret = one(run, "kubernetes:core/v1:Secret");
    // The whole stringData is one secret Output (its keys, too, are hidden from the engine's view).
    expect(inputsOf(secret).stringData).toBe(SECRET);
    const shown = inputsOf(secret, true).stringData;
    expect(Object.keys(shown).sort()).toEqual(["htpasswd", "http-secret"]);
    expect(shown.htpasswd).toMatch(/^ci:\$2y\$04\$/);
    const configMap = JSON.stringify(inputsOf(one(run, "kubernetes:core/v1:ConfigMap"), true));
    expect(configMap).not.toContain(shown["http-secret"]);
    expect(configMap).not.toContain(run.outputs.REGISTRY_PASSWORD.value as string);
  });

  test("manifests.yaml lists every object the program applies, with the dev stack's values", () => {
    const docs = parseAllDocuments(run.files["kubernetes/manifests.yaml"]).map((d) => d.toJS());
    const OBJECTS = [
      "Namespace registry/",
      "ConfigMap registry-config/registry",
      "Secret registry-secrets/registry",
      "PersistentVolumeClaim registry-data/registry",
      "ServiceAccount registry/registry",
      "Deployment registry/registry",
      "Service registry/registry",
      "ServiceAccount registry-gc/registry",
      "Role registry-gc/registry",
      "RoleBinding registry-gc/registry",
      "CronJob registry-gc/registry",
    ];
    const id = (o: KubeObject) => `${o.kind} ${o.metadata.name}/${o.metadata.namespace ?? ""}`;
    expect(docs.map(id)).toEqual(OBJECTS);
    const applied = run.resources.filter((r) => r.type.startsWith("kubernetes:"));
    expect(applied.map((r) => id(inputsOf(r))).sort()).toEqual([...OBJECTS].sort());
    const doc = (kind: string) => docs.find((d) => d.kind === kind);
    // The file redacts each secret value, and names its keys.
    expect(doc("Secret").stringData).toEqual({ "http-secret": SECRET, htpasswd: SECRET });
    expect(doc("Service").spec).toMatchObject({
      type: "NodePort",
      ports: [{ name: "http", port: 5000, targetPort: "http", protocol: "TCP", nodePort: 30500 }],
    });
    expect(doc("Deployment").spec.strategy).toEqual({ type: "Recreate" });
    expect(doc("Deployment").spec.template.spec.containers[0]).toMatchObject({
      name: "registry",
      image: "registry:2.8.3",
      args: ["/etc/docker/registry/config.yml"],
    });
    expect(doc("PersistentVolumeClaim").spec.resources.requests.storage).toBe("10Gi");
    expect(doc("CronJob").spec.schedule).toBe("0 3 * * 0");
  });

  test("every object as applied passes the API schemas and the restricted profile", () => {
    const objects = run.resources
      .filter((r) => r.type.startsWith("kubernetes:"))
      .map((r) => inputsOf(r, true) as KubeObject);
    for (const o of objects) expect(() => validateAgainstSchema(o)).not.toThrow();
    const pods = podSpecsOf(objects);
    expect(pods).toHaveLength(2);
    for (const { spec } of pods) expect(restrictedViolations(spec)).toEqual([]);
  });
});

describe("a cluster-allocated NodePort", () => {
  test("REGISTRY comes from the Service's allocated port, on the advertised host", async () => {
    const run = await runProgram({
      stack: "dev",
      config: kubernetesConfig({ advertiseHost: "ci-node.internal", insecureRegistry: true }),
    });
    const service = one(run, "kubernetes:core/v1:Service");
    expect(inputsOf(service).spec.ports[0].nodePort).toBeUndefined();
    const allocated = (service.state.spec as { ports: { nodePort: number }[] }).ports[0].nodePort;
    expect(allocated).toBeGreaterThanOrEqual(30000);
    expect(allocated).toBeLessThanOrEqual(32767);
    expect(run.outputs.REGISTRY.value).toBe(`ci-node.internal:${allocated}`);
  });

  test("an IPv6 advertiseHost is written in brackets (issue 14 item 12)", async () => {
    const fixed = await runProgram({
      stack: "dev",
      config: kubernetesConfig({
        advertiseHost: "fd00::1",
        nodePort: 30500,
        insecureRegistry: true,
      }),
    });
    expect(fixed.outputs.REGISTRY.value).toBe("[fd00::1]:30500");
    const allocated = await runProgram({
      stack: "dev",
      config: kubernetesConfig({ advertiseHost: "::1" }),
    });
    expect(allocated.outputs.REGISTRY.value).toMatch(/^\[::1\]:3[0-9]{4}$/);
  });

  test("in render mode it is a clear placeholder, never an invented port", async () => {
    const run = await runProgram({ stack: "dev", config: kubernetesConfig({}), mode: "render" });
    expect(run.outputs.REGISTRY.value).toBe(
      "127.0.0.1:<known after deploy: nodePort allocated by the cluster>",
    );
  });
});

describe("bad config", () => {
  test("stops the program with the one validation line, before anything is registered", async () => {
    const registered: string[] = [];
    const spy = Object.fromEntries(
      Object.keys(allMocks).map((type) => [type, () => (registered.push(type), {})]),
    );
    await expect(
      runProgram({ stack: "dev", config: kubernetesConfig({ nodePort: 80 }), mocks: spy }),
    ).rejects.toThrow(
      new ConfigError([
        "registry:kubernetes.nodePort must be an integer from 30000 to 32767 (got 80)",
      ]),
    );
    expect(registered).toEqual([]);
  });
});

describe("render", () => {
  const PASSWORD = "known-password-for-the-ci-user";
  const S3_SECRET = "s3-secret-access-key-value";
  const PROXY_PASSWORD = "upstream-proxy-password";
  let dir: string;
  let configFile: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-k8s-"));
    configFile = path.join(dir, "Pulumi.secrets.yaml");
    fs.writeFileSync(
      configFile,
      stringify({
        config: kubernetesConfig({
          nodePort: 30500,
          replicas: 2,
          auth: { password: PASSWORD },
          storage: {
            driver: "s3",
            s3: {
              bucket: "images",
              region: "eu-west-1",
              accessKey: "AKIAEXAMPLEKEY",
              secretKey: S3_SECRET,
            },
          },
          proxy: {
            remoteUrl: "https://registry-1.docker.io",
            username: "puller",
            password: PROXY_PASSWORD,
          },
        }),
      }),
    );
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("the dev stack renders: resources, outputs and manifests.yaml", async () => {
    const out = path.join(dir, "dev");
    const files = await renderStack({
      stack: "dev",
      out,
      configFile: DEV_STACK_FILE,
      showSecrets: false,
    });
    expect(Object.keys(files).sort()).toEqual([
      "files/kubernetes/manifests.yaml",
      "outputs.json",
      "resources.json",
    ]);
    expect(JSON.parse(files["outputs.json"])).toEqual({
      REGISTRY: "127.0.0.1:30500",
      REGISTRY_BACKEND: "kubernetes",
      REGISTRY_ROLE: "registry",
      REGISTRY_USERNAME: "ci",
      REGISTRY_PASSWORD: SECRET,
      REGISTRY_CA_CERT: "",
    });
    const resources = JSON.parse(files["resources.json"]);
    expect(resources[0]).toEqual({
      type: "registry:kubernetes:Registry",
      name: "registry",
      parent: null,
      inputs: {},
    });
    const docs = parseAllDocuments(files["files/kubernetes/manifests.yaml"]).map((d) => d.toJS());
    expect(docs.find((d) => d.kind === "Secret").stringData).toEqual({
      "http-secret": SECRET,
      htpasswd: SECRET,
    });
  });

  test("secret inputs never appear in clear; --show-secrets reveals them", async () => {
    const hidden = await renderStack({
      stack: "secrets",
      out: dir,
      configFile,
      showSecrets: false,
    });
    const everything = Object.values(hidden).join("\n");
    for (const value of [PASSWORD, S3_SECRET, PROXY_PASSWORD])
      expect(everything).not.toContain(value);
    const docs = parseAllDocuments(hidden["files/kubernetes/manifests.yaml"]).map((d) => d.toJS());
    expect(docs.find((d) => d.kind === "Secret").stringData).toEqual({
      "http-secret": SECRET,
      htpasswd: SECRET,
      "s3-access-key": SECRET,
      "s3-secret-key": SECRET,
      "proxy-password": SECRET,
    });

    const shown = Object.values(
      await renderStack({ stack: "secrets", out: dir, configFile, showSecrets: true }),
    ).join("\n");
    for (const value of [PASSWORD, S3_SECRET, PROXY_PASSWORD]) expect(shown).toContain(value);
  });
});
