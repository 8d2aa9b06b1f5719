/**
 * The Helm-chart parity fields: ServiceAccount, tolerations, affinity, priorityClassName,
 * pod annotations, fsGroupChangePolicy, and metrics (debug server, its Service, the
 * ServiceMonitor), each as the rendered objects carry them, with literal expected values.
 */
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { ICronJob } from "kubernetes-models/batch/v1/CronJob";
import { parse } from "yaml";
import { manifestList, registryConfigYaml, renderManifests } from "./plan";
import { secretValueNames, type RegistrySecretValues } from "./secretValues";
import { kubernetesSettings } from "./settings";
import {
  restrictedViolations,
  settingsProblems,
  validateAgainstSchema,
  type KubeObject,
} from "./testing";

function render(raw: Record<string, unknown>) {
  const settings = kubernetesSettings.parse(raw);
  const secretValues: Record<string, string> = {};
  for (const n of secretValueNames(settings)) secretValues[n] = `${n}-value`;
  const m = renderManifests({
    instance: "registry",
    settings,
    secretValues: secretValues as unknown as RegistrySecretValues,
    checksum: "c0ffee",
  });
  const pod = (m.deployment as unknown as IDeployment).spec!.template;
  return { settings, m, pod, objects: manifestList(m) as unknown as KubeObject[] };
}
const K = "registry:kubernetes";

describe("the registry's own ServiceAccount", () => {
  test("by default: created, no token, the pods run as it (not the namespace's default)", () => {
    const { m, pod } = render({});
    expect(m.serviceAccount).toEqual({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: {
        name: "registry",
        namespace: "registry",
        labels: {
          "app.kubernetes.io/name": "registry",
          "app.kubernetes.io/instance": "registry",
          "app.kubernetes.io/component": "server",
          "app.kubernetes.io/managed-by": "pulumi",
        },
      },
      automountServiceAccountToken: false,
    });
    expect(pod.spec!.serviceAccountName).toBe("registry");
    expect(pod.spec!.automountServiceAccountToken).toBe(false);
    expect(() => validateAgainstSchema(m.serviceAccount as unknown as KubeObject)).not.toThrow();
  });

  test("annotations for workload identity, and the token only when asked", () => {
    const { m, pod } = render({
      serviceAccount: {
        annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/registry" },
        automountToken: true,
      },
    });
    expect(m.serviceAccount.metadata.annotations).toEqual({
      "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/registry",
    });
    expect(m.serviceAccount.automountServiceAccountToken).toBe(true);
    expect(pod.spec!.automountServiceAccountToken).toBe(true);
  });

  test("the garbage-collection pod keeps its own ServiceAccount", () => {
    const { m } = render({ garbageCollection: { enabled: true } });
    const gc = m.garbageCollection!.cronJob as unknown as ICronJob;
    expect(gc.spec!.jobTemplate.spec!.template.spec!.serviceAccountName).toBe("registry-gc");
  });
});

describe("scheduling", () => {
  const TOLERATIONS = [
    { key: "dedicated", operator: "Equal", value: "registry", effect: "NoSchedule" },
  ];
  const AFFINITY = {
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        {
          labelSelector: { matchLabels: { "app.kubernetes.io/component": "server" } },
          topologyKey: "kubernetes.io/hostname",
        },
      ],
    },
  };
  const { m, pod } = render({
    tolerations: TOLERATIONS,
    affinity: AFFINITY,
    priorityClassName: "infra-critical",
    podAnnotations: { "example.com/team": "platform" },
    garbageCollection: { enabled: true },
  });
  const gcPod = (m.garbageCollection!.cronJob as unknown as ICronJob).spec!.jobTemplate.spec!
    .template.spec!;

  test("tolerations and the priority class on the registry and the collector; affinity on the registry only", () => {
    expect(pod.spec!.tolerations).toEqual(TOLERATIONS);
    expect(pod.spec!.priorityClassName).toBe("infra-critical");
    expect(pod.spec!.affinity).toEqual(AFFINITY);
    expect(gcPod.tolerations).toEqual(TOLERATIONS);
    expect(gcPod.priorityClassName).toBe("infra-critical");
    expect(gcPod.affinity).toBeUndefined();
  });

  test("pod annotations beside the program's checksum, which they cannot replace", () => {
    expect(pod.metadata!.annotations).toEqual({
      "example.com/team": "platform",
      "checksum/config-and-secrets": "c0ffee",
    });
    expect(settingsProblems({ podAnnotations: { "checksum/config-and-secrets": "x" } })).toEqual([
      `${K}.podAnnotations must not set checksum/config-and-secrets: the program sets it (it rolls the pods when the config or a secret changes); choose another key`,
    ]);
  });

  test("volumes are chowned only when their root is not group 1000 already", () => {
    expect(pod.spec!.securityContext).toMatchObject({
      fsGroup: 1000,
      fsGroupChangePolicy: "OnRootMismatch",
    });
    expect(restrictedViolations(pod.spec!)).toEqual([]);
    expect(restrictedViolations(gcPod)).toEqual([]);
  });

  test("unset, the pod spec has none of these fields", () => {
    const plain = render({}).pod.spec!;
    for (const k of ["tolerations", "affinity", "priorityClassName"])
      expect(plain).not.toHaveProperty(k);
  });
});

describe("metrics", () => {
  test("off by default: no debug server, no port, no Service", () => {
    const { m, pod } = render({});
    expect(parse(registryConfigYaml(kubernetesSettings.parse({}))).http.debug).toBeUndefined();
    expect(pod.spec!.containers[0].ports).toEqual([
      { name: "http", containerPort: 5000, protocol: "TCP" },
    ]);
    expect(m.metrics).toBeUndefined();
  });

  test("on: the debug server with Prometheus at /metrics on 5001, a container port, a ClusterIP Service", () => {
    const { settings, m, pod } = render({ metrics: { enabled: true } });
    expect(parse(registryConfigYaml(settings)).http.debug).toEqual({
      addr: ":5001",
      prometheus: { enabled: true, path: "/metrics" },
    });
    expect(pod.spec!.containers[0].ports).toEqual([
      { name: "http", containerPort: 5000, protocol: "TCP" },
      { name: "metrics", containerPort: 5001, protocol: "TCP" },
    ]);
    expect(m.metrics!.service.spec).toEqual({
      type: "ClusterIP",
      selector: {
        "app.kubernetes.io/name": "registry",
        "app.kubernetes.io/instance": "registry",
        "app.kubernetes.io/component": "server",
      },
      ports: [{ name: "metrics", port: 5001, targetPort: "metrics", protocol: "TCP" }],
    });
    expect(m.metrics!.service.metadata.name).toBe("registry-metrics");
    // The NodePort Service keeps one port: the debug server (no auth, pprof) stays in-cluster.
    expect(m.service.spec.ports).toHaveLength(1);
    expect(m.metrics!.serviceMonitor).toBeUndefined();
    expect(() => validateAgainstSchema(m.metrics!.service as unknown as KubeObject)).not.toThrow();
  });

  test("a ServiceMonitor on the metrics Service, with the labels a Prometheus selects by", () => {
    const { m, objects } = render({
      metrics: {
        enabled: true,
        port: 9090,
        serviceMonitor: { enabled: true, interval: "30s", labels: { release: "prom" } },
      },
    });
    const serviceLabels = {
      "app.kubernetes.io/name": "registry",
      "app.kubernetes.io/instance": "registry",
      "app.kubernetes.io/component": "metrics",
      "app.kubernetes.io/managed-by": "pulumi",
    };
    // No kubernetes-models schema for monitoring.coreos.com here: the object, literally.
    expect(m.metrics!.serviceMonitor).toEqual({
      apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor",
      metadata: {
        name: "registry-metrics",
        namespace: "registry",
        labels: { ...serviceLabels, release: "prom" },
      },
      spec: {
        selector: { matchLabels: serviceLabels },
        namespaceSelector: { matchNames: ["registry"] },
        endpoints: [{ port: "metrics", path: "/metrics", scheme: "http", interval: "30s" }],
      },
    });
    expect(m.metrics!.service.metadata.labels).toEqual(serviceLabels);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toContain(
      "ServiceMonitor/registry-metrics",
    );
  });
});

describe("refused before anything is created", () => {
  test.each([
    [
      { tolerations: [{ key: "a", operator: "Exists", value: "b" }] },
      `${K}.tolerations[0].value must be unset when operator is Exists (it matches any value) (got "b")`,
    ],
    [
      { tolerations: [{ value: "b" }] },
      `${K}.tolerations[0].operator must be Exists when key is unset (an empty key tolerates every taint, which only "Exists" says) (got "Equal")`,
    ],
    [
      { tolerations: [{ key: "a", effect: "NoSchedule", tolerationSeconds: 5 }] },
      `${K}.tolerations[0].tolerationSeconds is only read when effect is NoExecute (Kubernetes rejects it otherwise) (got 5)`,
    ],
    [
      {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: "disk", operator: "In" }] }],
            },
          },
        },
      },
      `${K}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values must hold at least one value with operator In`,
    ],
    [
      { priorityClassName: "Infra_Critical" },
      `${K}.priorityClassName must be a PriorityClass name (a DNS name, lower case) (got "Infra_Critical")`,
    ],
    [
      { metrics: { serviceMonitor: { enabled: true } } },
      `${K}.metrics.serviceMonitor.enabled needs metrics.enabled true: the ServiceMonitor scrapes the metrics Service (got true)`,
    ],
    [
      { metrics: { enabled: true, port: 5000 } },
      `${K}.metrics.port must differ from the registry's port 5000: the debug server listens on its own port (got 5000)`,
    ],
    [
      { metrics: { enabled: true, port: 5010 } },
      `${K}.metrics.port must differ from the registry behind the pull-only guard's port 5010: the debug server listens on its own port (got 5010)`,
    ],
  ])("%j", (raw, line) => {
    expect(settingsProblems(raw)).toEqual([line]);
  });
});
