import { parse } from "yaml";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { ICronJob } from "kubernetes-models/batch/v1/CronJob";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { IService } from "kubernetes-models/v1/Service";
import type { IPersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import type { IRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import {
  registryConfigPath,
  registrySecretEnv,
  renderRegistryConfig,
} from "../shared/registryConfig";
import {
  DATA_DIR,
  GCS_KEY_PATH,
  HTPASSWD_PATH,
  manifestList,
  registryConfigSpec,
  registryConfigYaml,
  renderManifests,
  type KubernetesManifests,
} from "./plan";
import { contentChecksum, secretValueNames, type RegistrySecretValues } from "./secretValues";
import { kubernetesSettings } from "./settings";
import {
  podSpecsOf,
  restrictedViolations,
  validateAgainstSchema,
  type KubeObject,
} from "./testing";
import { serviceAccountKeyJson } from "../../tests/support/keyMaterial";

const SECRET_VALUES: Required<Record<keyof RegistrySecretValues, string>> = {
  httpSecret: "http-secret-value",
  htpasswd: "ci:$2y$10$abcdefghijklmnopqrstuv0123456789012345678901234567890\n",
  s3AccessKey: "AKIAEXAMPLE",
  s3SecretKey: "s3-secret-value",
  proxyPassword: "proxy-password-value",
  gcsKeyJson: serviceAccountKeyJson(),
  notificationEndpoints: '[{"name": "deploy", "url": "https://hooks.example.com/r"}]',
};

/** The manifests for raw `registry:kubernetes` settings, with plain secret values. */
function render(raw: Record<string, unknown> = {}) {
  const settings = kubernetesSettings.parse(raw);
  const secretValues: Record<string, string> = {};
  for (const n of secretValueNames(settings)) secretValues[n] = SECRET_VALUES[n];
  const checksum = contentChecksum(registryConfigYaml(settings), secretValues);
  const m = renderManifests({
    instance: "registry",
    settings,
    secretValues: secretValues as unknown as RegistrySecretValues,
    checksum,
  });
  return { settings, m, objects: manifestList(m) as unknown as KubeObject[] };
}

const deploymentOf = (m: KubernetesManifests) => m.deployment as unknown as IDeployment;
const podOf = (m: KubernetesManifests) => deploymentOf(m).spec!.template.spec!;
const registryContainer = (m: KubernetesManifests) => podOf(m).containers[0];
const cronJobOf = (m: KubernetesManifests) => m.garbageCollection!.cronJob as unknown as ICronJob;
const gcPodOf = (m: KubernetesManifests): IPodSpec =>
  cronJobOf(m).spec!.jobTemplate.spec!.template.spec!;

const s3 = {
  driver: "s3",
  s3: {
    bucket: "images",
    region: "eu-west-1",
    accessKey: "AKIAEXAMPLE",
    secretKey: "s3-secret-value",
  },
};
const gcs = { driver: "gcs", gcs: { bucket: "images", keyJson: SECRET_VALUES.gcsKeyJson } };

/** Settings that together reach every branch of the renderers. */
const VARIANTS: Record<string, Record<string, unknown>> = {
  defaults: {},
  "fixed nodePort, gc on a ReadWriteOnce claim": {
    nodePort: 30500,
    garbageCollection: { enabled: true },
  },
  "ReadWriteMany claim with a class, gc": {
    persistence: { accessMode: "ReadWriteMany", storageClass: "nfs", size: "100Gi" },
    garbageCollection: { enabled: true, deleteUntagged: true },
  },
  "existing claim": { persistence: { existingClaim: "registry-images" } },
  "no persistence": { persistence: { enabled: false, size: "2Gi" } },
  "registry v3 image, existing namespace": {
    image: "registry:3.0.0",
    createNamespace: false,
    namespace: "tools",
  },
  "s3, 3 replicas, pdb, gc, proxy, node selector": {
    storage: s3,
    replicas: 3,
    podDisruptionBudget: { enabled: true },
    garbageCollection: { enabled: true },
    proxy: {
      remoteUrl: "https://registry-1.docker.io",
      username: "puller",
      password: "proxy-password-value",
    },
    nodeSelector: { "kubernetes.io/os": "linux" },
    resources: { limits: { cpu: "2" } },
  },
  "gcs with a key file": { storage: gcs, replicas: 2 },
  "metrics, tolerations, affinity, priority, pod annotations, service account annotations": {
    metrics: { enabled: true },
    tolerations: [
      { key: "dedicated", operator: "Equal", value: "registry", effect: "NoSchedule" },
      {
        key: "node.kubernetes.io/unreachable",
        operator: "Exists",
        effect: "NoExecute",
        tolerationSeconds: 60,
      },
    ],
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }] },
          ],
        },
      },
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 50,
            podAffinityTerm: {
              labelSelector: { matchLabels: { "app.kubernetes.io/name": "registry" } },
              topologyKey: "kubernetes.io/hostname",
            },
          },
        ],
      },
    },
    priorityClassName: "infra-critical",
    podAnnotations: { "example.com/team": "platform" },
    serviceAccount: {
      annotations: { "iam.gke.io/gcp-service-account": "registry@acme.iam.gserviceaccount.com" },
    },
    garbageCollection: { enabled: true },
  },
};

describe.each(Object.entries(VARIANTS))("%s", (_title, raw) => {
  const { m, objects } = render(raw);

  test("every object is valid against the Kubernetes API schema", () => {
    expect(objects.length).toBeGreaterThanOrEqual(4);
    for (const o of objects) expect(() => validateAgainstSchema(o)).not.toThrow();
  });

  test("every pod passes the Pod Security 'restricted' profile", () => {
    const pods = podSpecsOf(objects);
    expect(pods.length).toBe(m.garbageCollection ? 2 : 1);
    for (const { where, spec } of pods)
      expect({ where, violations: restrictedViolations(spec) }).toEqual({ where, violations: [] });
  });

  test("every object carries the app.kubernetes.io labels, and sits in the namespace", () => {
    for (const o of objects) {
      const labels = (o.metadata as { labels?: Record<string, string> }).labels ?? {};
      expect(labels).toMatchObject({
        "app.kubernetes.io/name": "registry",
        "app.kubernetes.io/instance": "registry",
        "app.kubernetes.io/managed-by": "pulumi",
      });
      if (o.kind !== "Namespace")
        expect(o.metadata.namespace).toBe(m.deployment.metadata.namespace);
    }
  });

  test("the Service selects the Deployment's pods", () => {
    const selector = deploymentOf(m).spec!.selector.matchLabels!;
    expect((m.service as unknown as IService).spec!.selector).toEqual(selector);
    expect(deploymentOf(m).spec!.template.metadata!.labels).toMatchObject(selector);
  });
});

describe("the registry Deployment", () => {
  test("a ReadWriteOnce claim means Recreate (a rolling update would deadlock on Multi-Attach)", () => {
    expect(deploymentOf(render().m).spec!.strategy).toEqual({ type: "Recreate" });
  });

  test.each([
    ["a ReadWriteMany claim", { persistence: { accessMode: "ReadWriteMany" } }],
    ["object storage", { storage: s3 }],
    ["an emptyDir", { persistence: { enabled: false } }],
  ])("%s allows a rolling update with no downtime", (_t, raw) => {
    expect(deploymentOf(render(raw).m).spec!.strategy).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
  });

  test("the configured replicas, image and resources", () => {
    const { m } = render({
      storage: s3,
      replicas: 3,
      image: "registry:2.8.2",
      resources: { limits: { cpu: "2" } },
    });
    expect(deploymentOf(m).spec!.replicas).toBe(3);
    expect(registryContainer(m).image).toBe("registry:2.8.2");
    expect(registryContainer(m).resources).toEqual({
      requests: { cpu: "100m", memory: "128Mi" },
      limits: { cpu: "2", memory: "512Mi" },
    });
  });

  test("probes GET / on the registry port (it answers 200 even with auth on)", () => {
    const c = registryContainer(render().m);
    expect(c.ports).toEqual([{ name: "http", containerPort: 5000, protocol: "TCP" }]);
    for (const probe of [c.readinessProbe, c.livenessProbe])
      expect(probe!.httpGet).toEqual({ path: "/", port: "http" });
  });

  test("no service links: a Service named registry would inject REGISTRY_* variables the registry reads as config", () => {
    expect(podOf(render().m).enableServiceLinks).toBe(false);
    expect(podOf(render().m).automountServiceAccountToken).toBe(false);
  });

  test("the pod runs as 1000 with a read-only root, and /tmp as an emptyDir", () => {
    const pod = podOf(render().m);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      fsGroup: 1000,
    });
    expect(registryContainer(render().m).securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(pod.volumes).toContainEqual({ name: "tmp", emptyDir: { sizeLimit: "256Mi" } });
    expect(registryContainer(render().m).volumeMounts).toContainEqual({
      name: "tmp",
      mountPath: "/tmp",
    });
  });

  test("the node selector applies to the registry and the collector", () => {
    const { m } = render({ nodeSelector: { pool: "infra" }, garbageCollection: { enabled: true } });
    expect(podOf(m).nodeSelector).toEqual({ pool: "infra" });
    expect(gcPodOf(m).nodeSelector).toEqual({ pool: "infra" });
    expect(podOf(render().m).nodeSelector).toBeUndefined();
  });
});

describe("config and secrets", () => {
  test("config.yml is the shared renderer's, mounted where the image reads it", () => {
    for (const image of ["registry:2.8.3", "registry:3.0.0"]) {
      const { m, settings } = render({ image });
      expect(m.configMap.data["config.yml"]).toBe(
        renderRegistryConfig(registryConfigSpec(settings)),
      );
      const file = registryConfigPath(image);
      expect(registryContainer(m).args).toEqual([file]);
      const mount = registryContainer(m).volumeMounts!.find((v) => v.name === "config")!;
      const volume = podOf(m).volumes!.find((v) => v.name === "config")!;
      expect(`${mount.mountPath}/${volume.configMap!.items![0].path}`).toBe(file);
    }
  });

  test("the config turns on delete, htpasswd auth, nosniff and the storage health check", () => {
    const config = parse(render().m.configMap.data["config.yml"]);
    expect(config.storage.delete).toEqual({ enabled: true });
    expect(config.storage.filesystem).toEqual({ rootdirectory: DATA_DIR });
    expect(config.auth.htpasswd.path).toBe(HTPASSWD_PATH);
    expect(config.http.headers["X-Content-Type-Options"]).toEqual(["nosniff"]);
    expect(config.health.storagedriver.enabled).toBe(true);
    expect(config.http.addr).toBe(":5000");
  });

  test("no secret value ever lands in the ConfigMap", () => {
    const { m } = render({ ...VARIANTS["s3, 3 replicas, pdb, gc, proxy, node selector"] });
    const text = JSON.stringify(m.configMap);
    for (const value of Object.values(SECRET_VALUES)) expect(text).not.toContain(value.trim());
    expect(parse(m.configMap.data["config.yml"]).http.secret).toBeUndefined();
  });

  test("the Secret holds exactly what the settings need; env vars and files point at it", () => {
    const { m } = render({
      storage: s3,
      proxy: {
        remoteUrl: "https://registry-1.docker.io",
        username: "puller",
        password: "proxy-password-value",
      },
    });
    expect(m.secret.stringData).toEqual({
      "http-secret": SECRET_VALUES.httpSecret,
      htpasswd: SECRET_VALUES.htpasswd,
      "s3-access-key": SECRET_VALUES.s3AccessKey,
      "s3-secret-key": SECRET_VALUES.s3SecretKey,
      "proxy-password": SECRET_VALUES.proxyPassword,
    });
    const env = Object.fromEntries(
      registryContainer(m).env!.map((e) => [e.name, e.valueFrom!.secretKeyRef!]),
    );
    expect(env).toEqual({
      [registrySecretEnv.httpSecret]: { name: "registry-secrets", key: "http-secret" },
      [registrySecretEnv.s3AccessKey]: { name: "registry-secrets", key: "s3-access-key" },
      [registrySecretEnv.s3SecretKey]: { name: "registry-secrets", key: "s3-secret-key" },
      [registrySecretEnv.proxyPassword]: { name: "registry-secrets", key: "proxy-password" },
    });
    const htpasswdMount = registryContainer(m).volumeMounts!.find((v) => v.name === "htpasswd")!;
    expect(htpasswdMount).toEqual({ name: "htpasswd", mountPath: "/auth", readOnly: true });
  });

  test("notifications: the endpoint list reaches the registry from the Secret, never the ConfigMap", () => {
    const { m } = render({
      logLevel: "warn",
      notifications: {
        endpoints: [{ name: "deploy", url: "https://hooks.example.com/r", token: "t".repeat(20) }],
      },
    });
    expect(m.secret.stringData["notification-endpoints"]).toBe(SECRET_VALUES.notificationEndpoints);
    expect(registryContainer(m).env).toContainEqual({
      name: "REGISTRY_NOTIFICATIONS_ENDPOINTS",
      valueFrom: { secretKeyRef: { name: "registry-secrets", key: "notification-endpoints" } },
    });
    expect(m.configMap.data["config.yml"]).not.toContain("hooks.example.com");
    expect(parse(m.configMap.data["config.yml"]).notifications).toBeUndefined();
  });

  test("a GCS key is mounted as the file the config names", () => {
    const { m } = render({ storage: gcs });
    expect(parse(m.configMap.data["config.yml"]).storage.gcs.keyfile).toBe(GCS_KEY_PATH);
    expect(m.secret.stringData["gcs-key.json"]).toBe(SECRET_VALUES.gcsKeyJson);
    expect(registryContainer(m).volumeMounts).toContainEqual({
      name: "gcs-key",
      mountPath: "/etc/registry-gcs",
      readOnly: true,
    });
    // Object storage: no data volume at all.
    expect(podOf(m).volumes!.map((v) => v.name)).not.toContain("data");
    expect(m.persistentVolumeClaim).toBeUndefined();
  });

  test("the checksum changes with the config or any secret value, and only then", () => {
    const spec = registryConfigYaml(kubernetesSettings.parse({}));
    const a = contentChecksum(spec, { httpSecret: "x", htpasswd: "y" });
    expect(contentChecksum(spec, { htpasswd: "y", httpSecret: "x" })).toBe(a);
    expect(contentChecksum(spec, { httpSecret: "x", htpasswd: "z" })).not.toBe(a);
    expect(contentChecksum(`${spec}#`, { httpSecret: "x", htpasswd: "y" })).not.toBe(a);
    expect(
      deploymentOf(render().m).spec!.template.metadata!.annotations!["checksum/config-and-secrets"],
    ).toMatch(/^[0-9a-f]{64}$/);
  });

  test("renderManifests refuses to run without a secret value it needs", () => {
    const settings = kubernetesSettings.parse({});
    expect(() =>
      renderManifests({
        instance: "registry",
        settings,
        secretValues: { httpSecret: "x" },
        checksum: "c",
      }),
    ).toThrow("secret value htpasswd is missing");
  });
});

describe("storage objects", () => {
  test("a claim of the configured size, class and mode", () => {
    const { m } = render({
      persistence: { size: "50Gi", storageClass: "fast", accessMode: "ReadWriteMany" },
    });
    const pvc = m.persistentVolumeClaim as unknown as IPersistentVolumeClaim;
    expect(pvc.spec).toEqual({
      accessModes: ["ReadWriteMany"],
      resources: { requests: { storage: "50Gi" } },
      storageClassName: "fast",
    });
    expect(podOf(m).volumes).toContainEqual({
      name: "data",
      persistentVolumeClaim: { claimName: "registry-data" },
    });
    expect(registryContainer(m).volumeMounts).toContainEqual({ name: "data", mountPath: DATA_DIR });
  });

  test("an existing claim is used, not created", () => {
    const { m } = render({ persistence: { existingClaim: "old-images" } });
    expect(m.persistentVolumeClaim).toBeUndefined();
    expect(podOf(m).volumes).toContainEqual({
      name: "data",
      persistentVolumeClaim: { claimName: "old-images" },
    });
  });

  test("persistence off: an emptyDir capped at the configured size", () => {
    const { m } = render({ persistence: { enabled: false, size: "2Gi" } });
    expect(m.persistentVolumeClaim).toBeUndefined();
    expect(podOf(m).volumes).toContainEqual({ name: "data", emptyDir: { sizeLimit: "2Gi" } });
  });
});

describe("namespace, Service, disruption budget", () => {
  test("a created namespace enforces the restricted profile", () => {
    const ns = render({ namespace: "ci-registry" }).m.namespace!;
    expect(ns.metadata.name).toBe("ci-registry");
    expect(ns.metadata.labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "restricted",
    });
    expect(render({ createNamespace: false }).m.namespace).toBeUndefined();
  });

  test("a NodePort Service on 5000, with the fixed nodePort when configured", () => {
    const fixed = render({ nodePort: 30500 }).m.service as unknown as IService;
    expect(fixed.spec!.type).toBe("NodePort");
    expect(fixed.spec!.ports).toEqual([
      { name: "http", port: 5000, targetPort: "http", protocol: "TCP", nodePort: 30500 },
    ]);
    const allocated = render().m.service as unknown as IService;
    expect(allocated.spec!.ports![0].nodePort).toBeUndefined();
  });

  test("a budget allowing one pod down at a time, only when enabled", () => {
    const { m } = render({ storage: s3, replicas: 3, podDisruptionBudget: { enabled: true } });
    expect(m.podDisruptionBudget!.spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: deploymentOf(m).spec!.selector.matchLabels },
    });
    expect(render().m.podDisruptionBudget).toBeUndefined();
  });
});

describe("garbage collection", () => {
  test("off by default", () => {
    expect(render().m.garbageCollection).toBeUndefined();
  });

  test("a CronJob on the schedule, never two at once, each run bounded in time", () => {
    const cron = cronJobOf(
      render({ garbageCollection: { enabled: true, schedule: "15 4 * * 6" } }).m,
    );
    expect(cron.spec!.schedule).toBe("15 4 * * 6");
    expect(cron.spec!.concurrencyPolicy).toBe("Forbid");
    expect(cron.spec!.startingDeadlineSeconds).toBe(3600);
    const job = cron.spec!.jobTemplate.spec!;
    // Two rollouts of at most 300 s, a collection of at most 3600 s, 600 s of slack.
    expect(job.activeDeadlineSeconds).toBe(4800);
    expect(job.template.spec!.restartPolicy).toBe("Never");
    expect(job.template.spec!.terminationGracePeriodSeconds).toBe(60);
    // Evictions are retried (the trap restored the registry); a failed script is not.
    expect(job.podFailurePolicy!.rules).toEqual([
      { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] },
      {
        action: "FailJob",
        onExitCodes: { containerName: "garbage-collect", operator: "NotIn", values: [0] },
      },
    ]);
  });

  test("one kubectl container with no volume but /tmp and no affinity: it can always schedule", () => {
    for (const raw of [
      {},
      { persistence: { accessMode: "ReadWriteMany" } },
      { storage: s3, replicas: 3 },
    ]) {
      const pod = gcPodOf(render({ ...raw, garbageCollection: { enabled: true } }).m);
      expect(pod.affinity).toBeUndefined();
      expect(pod.initContainers).toBeUndefined();
      expect(pod.volumes).toEqual([{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }]);
      expect(pod.containers.map((c) => [c.name, c.image, c.command!.slice(0, 2)])).toEqual([
        ["garbage-collect", "docker.io/alpine/kubectl:1.34.1", ["/bin/sh", "-c"]],
      ]);
    }
  });

  test("the script is pointed at the Deployment, its pods and its registry container", () => {
    const { m } = render({ garbageCollection: { enabled: true } });
    const env = Object.fromEntries(gcPodOf(m).containers[0].env!.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      DEPLOYMENT: m.deployment.metadata.name,
      CONTAINER: registryContainer(m).name,
      ROLLOUT_TIMEOUT_SECONDS: "300",
      COLLECT_TIMEOUT_SECONDS: "3600",
    });
    expect(env.POD_SELECTOR).toBe(
      Object.entries(deploymentOf(m).spec!.selector.matchLabels!)
        .map(([k, v]) => `${k}=${v}`)
        .join(","),
    );
    // The collector runs in the registry container with the config file it serves.
    const script = gcPodOf(m).containers[0].command![2];
    expect(script).toContain(
      `-- timeout "$COLLECT_TIMEOUT_SECONDS" registry garbage-collect ${registryContainer(m).args![0]};`,
    );
  });

  test("--delete-untagged only when asked", () => {
    const script = (raw: object) =>
      gcPodOf(render({ garbageCollection: { enabled: true, ...raw } }).m).containers[0].command![2];
    expect(script({ deleteUntagged: true })).toContain(
      "registry garbage-collect --delete-untagged /etc/docker/registry/config.yml;",
    );
    expect(script({})).not.toContain("--delete-untagged");
  });

  test("the Role allows switching this one Deployment's env, watching its rollout, exec into pods", () => {
    const { m } = render({ garbageCollection: { enabled: true } });
    const role = m.garbageCollection!.role as unknown as IRole;
    expect(role.rules).toEqual([
      {
        apiGroups: ["apps"],
        resources: ["deployments"],
        resourceNames: ["registry"],
        verbs: ["get", "list", "watch", "patch"],
      },
      { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] },
      { apiGroups: [""], resources: ["pods/exec"], verbs: ["create", "get"] },
    ]);
    // Nothing may scale the registry: .spec.replicas stays Pulumi's alone.
    expect(JSON.stringify(role.rules)).not.toContain("scale");
    expect(m.garbageCollection!.roleBinding.subjects).toEqual([
      { kind: "ServiceAccount", name: "registry-gc", namespace: "registry" },
    ]);
    expect(gcPodOf(m).serviceAccountName).toBe("registry-gc");
  });

  test("the Deployment asks Pulumi to apply with force: fields kubectl took are taken back", () => {
    for (const raw of [{}, { garbageCollection: { enabled: true } }])
      expect(render(raw).m.deployment.metadata.annotations).toEqual({
        "pulumi.com/patchForce": "true",
      });
  });
});

describe("the schema checker itself", () => {
  test("the schema check rejects a wrong type", () => {
    const { m } = render();
    const broken = structuredClone(m.service) as unknown as IService;
    (broken.spec!.ports![0] as { port: unknown }).port = "5000";
    expect(() => validateAgainstSchema(broken as unknown as KubeObject)).toThrow(
      /Service\/registry: .*port must be integer/,
    );
  });
});
