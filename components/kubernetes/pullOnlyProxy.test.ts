/**
 * The nginx sidecar that `auth.pullUser` brings into the registry pod: objects valid
 * against the Kubernetes API schemas, the pod within Pod Security "restricted", nginx on
 * the Service's port with the registry on loopback, and without a pull user the pod as
 * it always was.
 */
import { parse } from "yaml";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import { manifestList, registryConfigYaml, renderManifests } from "./plan";
import { contentChecksum, secretValueNames, type RegistrySecretValues } from "./secretValues";
import { kubernetesSettings } from "./settings";
import {
  podSpecsOf,
  restrictedViolations,
  validateAgainstSchema,
  type KubeObject,
} from "./testing";

const PULL = { pullUser: { username: "reader" } };

function render(raw: Record<string, unknown>) {
  const settings = kubernetesSettings.parse(raw);
  const secretValues = Object.fromEntries(secretValueNames(settings).map((n) => [n, `${n}-value`]));
  const m = renderManifests({
    instance: "registry",
    settings,
    secretValues: secretValues as unknown as RegistrySecretValues,
    checksum: contentChecksum(registryConfigYaml(settings), secretValues),
    tls: { certificate: "cert-pem", key: "key-pem" },
  });
  const objects = manifestList(m) as unknown as KubeObject[];
  const pod = (m.deployment as unknown as IDeployment).spec!.template.spec!;
  return { m, objects, pod };
}

describe.each([
  ["no TLS, gc on", { auth: PULL, garbageCollection: { enabled: true } }],
  ["selfSigned TLS", { auth: PULL, tls: { mode: "selfSigned" } }],
])("pull-only user, %s", (_title, raw) => {
  const { m, objects, pod } = render(raw);

  test("every object is valid against the Kubernetes API schema", () => {
    for (const o of objects) expect(() => validateAgainstSchema(o)).not.toThrow();
  });

  test("every pod passes Pod Security 'restricted'", () => {
    for (const { where, spec } of podSpecsOf(objects))
      expect({ where, violations: restrictedViolations(spec) }).toEqual({ where, violations: [] });
  });

  test("nginx takes the port named http (the Service's target); the registry has none, on loopback", () => {
    expect(pod.containers.map((c) => c.name)).toEqual(["registry", "nginx"]);
    const [registry, nginx] = pod.containers;
    expect(registry.ports).toBeUndefined();
    expect(nginx.ports).toEqual([{ name: "http", containerPort: 5000, protocol: "TCP" }]);
    expect(m.service.spec.ports).toEqual([
      { name: "http", port: 5000, targetPort: "http", protocol: "TCP" },
    ]);
    const config = parse(m.configMap.data["config.yml"]);
    expect(config.http.addr).toBe("127.0.0.1:5010");
    // nginx terminates TLS: the registry serves none.
    expect(config.http.tls).toBeUndefined();
    expect(registry.readinessProbe?.exec?.command).toEqual([
      "wget",
      "-q",
      "--spider",
      "http://127.0.0.1:5010/",
    ]);
  });

  test("nginx: explicit command past the image's entrypoint, read-only root, writes only to emptyDirs", () => {
    const nginx = pod.containers[1];
    expect(nginx.command).toEqual([
      "nginx",
      "-c",
      "/etc/registry-nginx/nginx.conf",
      "-g",
      "daemon off;",
    ]);
    expect(nginx.securityContext?.readOnlyRootFilesystem).toBe(true);
    const volumes = Object.fromEntries(pod.volumes!.map((v) => [v.name, v]));
    const writable = nginx.volumeMounts!.filter((v) => !v.readOnly);
    expect(writable.map((v) => [v.mountPath, Object.keys(volumes[v.name])[1]])).toEqual([
      ["/var/cache/nginx", "emptyDir"],
      ["/tmp/nginx", "emptyDir"],
    ]);
    const conf = m.configMap.data["nginx.conf"];
    expect(conf).toContain("pid /tmp/nginx/nginx.pid;");
    expect(conf).toContain("server 127.0.0.1:5010;");
    expect(conf).toContain('"~^1:[^:]+:ci$" 0;');
  });
});

test("TLS: nginx listens with the mounted Secret's files; the probes keep HTTPS", () => {
  const { m, pod } = render({ auth: PULL, tls: { mode: "selfSigned" } });
  const conf = m.configMap.data["nginx.conf"];
  expect(conf).toContain("listen 5000 ssl reuseport;");
  expect(conf).toContain("ssl_certificate /etc/registry-tls/tls.crt;");
  const nginx = pod.containers[1];
  expect(nginx.volumeMounts).toContainEqual({
    name: "tls",
    mountPath: "/etc/registry-tls",
    readOnly: true,
  });
  expect(nginx.readinessProbe?.httpGet).toEqual({ path: "/", port: "http", scheme: "HTTPS" });
});

test("without a pull user: one container, no nginx.conf, the registry on :5000", () => {
  const { m, pod } = render({});
  expect(pod.containers.map((c) => c.name)).toEqual(["registry"]);
  expect(Object.keys(m.configMap.data)).toEqual(["config.yml"]);
  expect(parse(m.configMap.data["config.yml"]).http.addr).toBe(":5000");
});
