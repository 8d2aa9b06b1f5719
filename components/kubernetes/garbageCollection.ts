/**
 * The garbage-collection CronJob and its RBAC, as plain data (see renderGarbageCollection).
 */
import type * as In from "@pulumi/kubernetes/types/input";
import type { Manifest, objectNames } from "./manifests";
import type { KubernetesSettings } from "./settings";

/** Where the garbage-collection pod's steps hand over the collector's exit status. */
const GC_WORK_DIR = "/work";
/** How long the collection waits for the registry's pods to stop before giving up. */
export const GC_STOP_TIMEOUT_SECONDS = 300;
/** The start step's exit code when collection failed (the Job then fails without retrying). */
export const GC_FAILED_EXIT_CODE = 3;

export interface GarbageCollectionManifests {
  serviceAccount: Manifest<"v1", "ServiceAccount">;
  role: Manifest<"rbac.authorization.k8s.io/v1", "Role"> & { rules: In.rbac.v1.PolicyRule[] };
  roleBinding: Manifest<"rbac.authorization.k8s.io/v1", "RoleBinding"> & {
    roleRef: In.rbac.v1.RoleRef;
    subjects: In.rbac.v1.Subject[];
  };
  cronJob: Manifest<"batch/v1", "CronJob"> & { spec: In.batch.v1.CronJobSpec };
}

/**
 * Garbage collection, done safely. `registry garbage-collect` deletes blobs no
 * manifest references; if the registry accepts a push meanwhile, the new blobs can be
 * deleted under it, and after collection its blob-descriptor cache is stale. So the
 * registry must be stopped (or read-only) while it runs, and restarted after.
 *
 * Our choice: stop it. A CronJob pod (1) scales the Deployment to 0 and waits until
 * its pods are gone, (2) runs the collector against the same storage, (3) scales the
 * Deployment back to the configured replicas, which also starts with a fresh cache.
 * Read-only mode would keep pulls working, but switching it on means a config change
 * and a restart anyway, and back again: twice the restarts for the same safety.
 *
 * Step 3 runs whatever step 2 did (step 2 always exits 0 and leaves its status in a
 * shared emptyDir); step 1 restores the registry itself if the pods do not stop. If
 * the pod is evicted mid-way, the Job retries the whole sequence (which ends by
 * starting the registry); a failed collection fails the Job without retrying, so it
 * costs one short outage, not three. Pushes fail while it runs: schedule it at a
 * quiet hour.
 */
export function renderGarbageCollection(c: {
  s: KubernetesSettings;
  names: ReturnType<typeof objectNames>;
  meta: (name: string, component?: string) => Manifest["metadata"];
  labels: (component?: string) => Record<string, string>;
  selectorLabels: (component: string) => Record<string, string>;
  podSpecCommon: Partial<In.core.v1.PodSpec>;
  configPath: string;
  resources: In.core.v1.ResourceRequirements;
  storageVolumes: In.core.v1.Volume[];
  storageMounts: In.core.v1.VolumeMount[];
  storageEnv: In.core.v1.EnvVar[];
  containerSecurity: In.core.v1.SecurityContext;
  sameNodeAsRegistry: boolean;
}): GarbageCollectionManifests {
  const { s, names } = c;
  const name = names.garbageCollection;
  const component = "garbage-collector";
  const podSelector = Object.entries(c.selectorLabels("server"))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

  const statusFileEnv = { name: "GC_STATUS_FILE", value: `${GC_WORK_DIR}/gc-status` };
  const kubectlEnv: In.core.v1.EnvVar[] = [
    { name: "NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
    { name: "DEPLOYMENT", value: names.deployment },
    { name: "POD_SELECTOR", value: podSelector },
    { name: "REPLICAS", value: String(s.replicas) },
    { name: "STOP_TIMEOUT_SECONDS", value: String(GC_STOP_TIMEOUT_SECONDS) },
    statusFileEnv,
    // kubectl writes its discovery cache under $HOME; the root filesystem is read-only.
    { name: "HOME", value: "/tmp" },
  ];
  const kubectlResources = {
    requests: { cpu: "10m", memory: "32Mi" },
    limits: { memory: "128Mi" },
  };
  const workMount = { name: "gc-work", mountPath: GC_WORK_DIR };
  const kubectlContainer = (containerName: string, script: string): In.core.v1.Container => ({
    name: containerName,
    image: s.garbageCollection.kubectlImage,
    imagePullPolicy: "IfNotPresent",
    command: ["/bin/bash", "-c", script],
    env: kubectlEnv,
    volumeMounts: [workMount, { name: "tmp", mountPath: "/tmp" }],
    resources: kubectlResources,
    securityContext: c.containerSecurity,
  });

  const stopScript = [
    "set -euo pipefail",
    'kubectl --namespace "$NAMESPACE" scale "deployment/$DEPLOYMENT" --replicas=0',
    "for _ in $(seq 1 $(( (STOP_TIMEOUT_SECONDS + 1) / 2 ))); do",
    // A failed listing must not read as "no pods": only an empty answer counts.
    '  if pods="$(kubectl --namespace "$NAMESPACE" get pods --selector "$POD_SELECTOR" --output name)" && [ -z "$pods" ]; then',
    "    exit 0",
    "  fi",
    "  sleep 2",
    "done",
    'echo "registry pods still running after ${STOP_TIMEOUT_SECONDS}s: starting the registry again, no collection" >&2',
    'kubectl --namespace "$NAMESPACE" scale "deployment/$DEPLOYMENT" --replicas="$REPLICAS"',
    "exit 1",
  ].join("\n");
  const startScript = [
    "set -euo pipefail",
    'kubectl --namespace "$NAMESPACE" scale "deployment/$DEPLOYMENT" --replicas="$REPLICAS"',
    'status="$(cat "$GC_STATUS_FILE" 2>/dev/null || echo missing)"',
    'if [ "$status" != 0 ]; then',
    '  echo "garbage collection failed (status $status); the registry is running again" >&2',
    `  exit ${GC_FAILED_EXIT_CODE}`,
    "fi",
    'echo "garbage collection done; the registry is running again"',
  ].join("\n");
  const collectArgs = [
    "garbage-collect",
    ...(s.garbageCollection.deleteUntagged ? ["--delete-untagged"] : []),
    c.configPath,
  ];

  const podLabels = c.labels(component);
  const cronJob: GarbageCollectionManifests["cronJob"] = {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: c.meta(name, component),
    spec: {
      schedule: s.garbageCollection.schedule,
      // Two collections at once would fight over the registry's replicas.
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels: podLabels },
        spec: {
          backoffLimit: 2,
          podFailurePolicy: {
            rules: [
              {
                action: "FailJob",
                onExitCodes: {
                  containerName: "start-registry",
                  operator: "In",
                  values: [GC_FAILED_EXIT_CODE],
                },
              },
              { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] },
            ],
          },
          template: {
            metadata: { labels: podLabels },
            spec: {
              ...c.podSpecCommon,
              serviceAccountName: name,
              restartPolicy: "Never",
              ...(c.sameNodeAsRegistry
                ? {
                    affinity: {
                      podAffinity: {
                        requiredDuringSchedulingIgnoredDuringExecution: [
                          {
                            labelSelector: { matchLabels: c.selectorLabels("server") },
                            topologyKey: "kubernetes.io/hostname",
                          },
                        ],
                      },
                    },
                  }
                : {}),
              initContainers: [
                kubectlContainer("stop-registry", stopScript),
                {
                  name: "garbage-collect",
                  image: s.image,
                  imagePullPolicy: "IfNotPresent",
                  // Always exits 0 so that the next step starts the registry again.
                  command: [
                    "/bin/sh",
                    "-c",
                    'registry "$@"; echo $? > "$GC_STATUS_FILE"',
                    "registry",
                    ...collectArgs,
                  ],
                  env: [statusFileEnv, ...c.storageEnv],
                  volumeMounts: [...c.storageMounts, workMount],
                  resources: c.resources,
                  securityContext: c.containerSecurity,
                },
              ],
              containers: [kubectlContainer("start-registry", startScript)],
              volumes: [...c.storageVolumes, { name: "gc-work", emptyDir: { sizeLimit: "1Mi" } }],
            },
          },
        },
      },
    },
  };

  return {
    serviceAccount: { apiVersion: "v1", kind: "ServiceAccount", metadata: c.meta(name, component) },
    role: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: c.meta(name, component),
      // Only what the steps do: scale this one Deployment, watch its pods go.
      rules: [
        {
          apiGroups: ["apps"],
          resources: ["deployments"],
          resourceNames: [names.deployment],
          verbs: ["get"],
        },
        {
          apiGroups: ["apps"],
          resources: ["deployments/scale"],
          resourceNames: [names.deployment],
          verbs: ["get", "patch", "update"],
        },
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
      ],
    },
    roleBinding: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: c.meta(name, component),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
      subjects: [{ kind: "ServiceAccount", name, namespace: s.namespace }],
    },
    cronJob,
  };
}
