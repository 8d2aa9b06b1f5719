/**
 * The garbage-collection CronJob and its RBAC, as plain data (see renderGarbageCollection).
 */
import type * as In from "@pulumi/kubernetes/types/input";
import type { Manifest, objectNames } from "./plan";
import type { KubernetesSettings } from "./settings";

/** The registry's config override that refuses writes (distribution reads REGISTRY_* as YAML). */
export const READ_ONLY_ENV = "REGISTRY_STORAGE_MAINTENANCE_READONLY";
/**
 * A map, not REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED=true: distribution wants
 * `readonly` to be a map holding `enabled`, and the flattened form stops it at start.
 */
export const READ_ONLY_VALUE = '{"enabled": true}';
/** How long each switch of the registry's mode may take to roll out. */
export const GC_ROLLOUT_TIMEOUT_SECONDS = 300;
/** How long the collection itself may run (killed in the registry container after it). */
export const GC_COLLECT_TIMEOUT_SECONDS = 3600;
/** The whole Job's limit: both switches, the collection, and slack for the API. */
export const GC_JOB_DEADLINE_SECONDS =
  2 * GC_ROLLOUT_TIMEOUT_SECONDS + GC_COLLECT_TIMEOUT_SECONDS + 600;
/** Time between SIGTERM and SIGKILL: enough to make the registry read-write again. */
export const GC_GRACE_SECONDS = 60;
/** The script's exit code when the collector itself failed (the registry is restored). */
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
 * What `kubectl get pods --output go-template=…` prints for each pod: its name, then
 * " read-only" when its registry container carries the read-only override, then
 * " terminating" when it is being deleted (such a pod still reports phase Running).
 */
const POD_MODES_TEMPLATE =
  `{{range .items}}{{.metadata.name}}` +
  `{{range .spec.containers}}{{range .env}}{{if eq .name "${READ_ONLY_ENV}"}} read-only{{end}}{{end}}{{end}}` +
  `{{if .metadata.deletionTimestamp}} terminating{{end}}{{"\\n"}}{{end}}`;

/**
 * The Job's one container runs this (POSIX sh: the kubectl image's shell may be
 * busybox). Steps: make the registry read-only (a pod template change: it rolls),
 * wait until every running registry pod is read-only, run the collector inside one of
 * them with `kubectl exec` (same container, config, volume and node: no affinity, no
 * second mount of a ReadWriteOnce claim), then make the registry read-write again,
 * which rolls it once more and so also drops its stale blob-descriptor cache.
 *
 * The EXIT trap restores read-write on every way out: success, a failed step, the
 * collector failing or timing out, SIGTERM (eviction, the Job's deadline). Long steps
 * run in the background (kubectl itself, so that killing the child kills it) and
 * `wait` returns at once on SIGTERM, so the trap runs within the grace period; the trap also stops a collector that outlives its
 * `kubectl exec`, before any pod turns read-write.
 */
// Over 80 lines: one shell script, kept whole so it reads top to bottom as sh runs it.
export function collectionScript(collectArgs: string[]): string {
  return `set -eu
k() { kubectl --namespace "$NAMESPACE" "$@"; }
child=""
pod=""
collecting=""
restored=""

in_background() {
  "$@" &
  child=$!
  if wait "$child"; then child=""; else status=$?; child=""; return "$status"; fi
}

read_write() {
  tries=0
  until k set env "deployment/$DEPLOYMENT" --containers "$CONTAINER" "${READ_ONLY_ENV}-"; do
    tries=$((tries + 1))
    if [ "$tries" -ge 5 ]; then return 1; fi
    sleep "$POLL_SECONDS"
  done
  restored=1
}

on_exit() {
  status=$?
  trap '' TERM INT
  if [ -n "$child" ]; then kill "$child" 2>/dev/null || true; fi
  if [ -n "$collecting" ]; then
    k exec "$pod" --container "$CONTAINER" -- pkill -f "registry garbage-collect" >/dev/null 2>&1 || true
  fi
  if [ -z "$restored" ]; then
    if read_write; then
      echo "the registry is read-write again" >&2
    else
      echo "could not make the registry read-write: run kubectl --namespace $NAMESPACE set env deployment/$DEPLOYMENT --containers $CONTAINER ${READ_ONLY_ENV}-" >&2
      status=1
    fi
  fi
  exit "$status"
}
trap on_exit EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

echo "making the registry read-only"
k set env "deployment/$DEPLOYMENT" --containers "$CONTAINER" '${READ_ONLY_ENV}=${READ_ONLY_VALUE}'
in_background kubectl --namespace "$NAMESPACE" rollout status "deployment/$DEPLOYMENT" --timeout "\${ROLLOUT_TIMEOUT_SECONDS}s"

# Failed and Evicted pods stay listed until pod GC: only Running ones count, and
# none of them may still accept writes (a terminating one may finish an upload).
deadline=$(( $(date +%s) + ROLLOUT_TIMEOUT_SECONDS ))
while :; do
  if pods=$(k get pods --selector "$POD_SELECTOR" --field-selector status.phase=Running --output 'go-template=${POD_MODES_TEMPLATE}'); then
    if [ -n "$pods" ] && ! printf '%s\\n' "$pods" | grep -q -v ' read-only'; then
      pod=$(printf '%s\\n' "$pods" | sed -n 's/^\\([^ ]*\\) read-only$/\\1/p' | head -n 1)
      if [ -n "$pod" ]; then break; fi
    fi
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "registry pods not all read-only after \${ROLLOUT_TIMEOUT_SECONDS}s: no collection" >&2
    exit 1
  fi
  sleep "$POLL_SECONDS"
done

echo "collecting garbage in $pod"
collecting=1
if in_background kubectl --namespace "$NAMESPACE" exec "$pod" --container "$CONTAINER" -- timeout "$COLLECT_TIMEOUT_SECONDS" ${collectArgs.join(" ")}; then
  collecting=""
else
  status=$?
  echo "garbage collection failed (exit $status)" >&2
  exit ${GC_FAILED_EXIT_CODE}
fi

read_write
in_background kubectl --namespace "$NAMESPACE" rollout status "deployment/$DEPLOYMENT" --timeout "\${ROLLOUT_TIMEOUT_SECONDS}s"
echo "garbage collection done; the registry is read-write again"
`;
}

/** What the garbage collection's objects take from the registry's. */
export interface GarbageCollectionInput {
  s: KubernetesSettings;
  names: ReturnType<typeof objectNames>;
  meta: (name: string, component?: string) => Manifest["metadata"];
  labels: (component?: string) => Record<string, string>;
  selectorLabels: (component: string) => Record<string, string>;
  podSpecCommon: Partial<In.core.v1.PodSpec>;
  configPath: string;
  /** The registry's container in the Deployment's pods. */
  registryContainer: string;
  containerSecurity: In.core.v1.SecurityContext;
}

/**
 * The garbage-collection CronJob, its ServiceAccount and the Role it needs.
 *
 * Why read-only and `kubectl exec` rather than scaling the registry to 0 and running
 * the collector in a pod of its own: that pod had to sit on the registry's node (a
 * ReadWriteOnce claim), so it needed a required podAffinity to registry pods, and any
 * replacement pod created after the registry was at 0 could never schedule: the
 * registry stayed down. Here the Job's pod needs no volume and no affinity, the
 * registry never goes to 0 replicas, and pulls keep working while it collects (with
 * a ReadWriteOnce claim the Deployment uses Recreate, so each of the two switches is
 * a restart of a few seconds).
 *
 * Field managers: Pulumi applies the Deployment (server-side apply) and owns what it
 * sets, `.spec.replicas` and every env entry it lists included. The Job's
 * `kubectl set env` owns only the one env entry it adds, which Pulumi never sets (no
 * conflict, and a `pulumi up` during collection keeps the registry read-only); removing
 * the entry ends its ownership. Nothing here writes `.spec.replicas`.
 */
export function renderGarbageCollection(c: GarbageCollectionInput): GarbageCollectionManifests {
  const { s, names } = c;
  const name = names.garbageCollection;
  const component = "garbage-collector";
  const podSelector = Object.entries(c.selectorLabels("server"))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  const collectArgs = [
    "registry",
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
      // Two collections at once would switch the registry's mode under each other.
      // A Job that cannot finish is ended by its deadline, so it never blocks the next.
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels: podLabels },
        spec: {
          activeDeadlineSeconds: GC_JOB_DEADLINE_SECONDS,
          backoffLimit: 2,
          podFailurePolicy: {
            rules: [
              // Evicted or preempted (the trap made the registry read-write): try again.
              { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] },
              // Any failure of the script itself: the registry is read-write again;
              // retrying would cost two more restarts for the same outcome.
              {
                action: "FailJob",
                onExitCodes: { containerName: "garbage-collect", operator: "NotIn", values: [0] },
              },
            ],
          },
          template: {
            metadata: { labels: podLabels },
            spec: {
              ...c.podSpecCommon,
              serviceAccountName: name,
              restartPolicy: "Never",
              terminationGracePeriodSeconds: GC_GRACE_SECONDS,
              containers: [collectorContainer(c, podSelector, collectArgs)],
              volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
            },
          },
        },
      },
    },
  };

  return {
    ...collectorAccess(c, name, component),
    cronJob,
  };
}

/** The Job's one container: kubectl running collectionScript with what it needs in env. */
function collectorContainer(
  c: GarbageCollectionInput,
  podSelector: string,
  collectArgs: string[],
): In.core.v1.Container {
  const { s, names } = c;
  return {
    name: "garbage-collect",
    image: s.garbageCollection.kubectlImage,
    imagePullPolicy: "IfNotPresent",
    command: ["/bin/sh", "-c", collectionScript(collectArgs)],
    env: [
      {
        name: "NAMESPACE",
        valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } },
      },
      { name: "DEPLOYMENT", value: names.deployment },
      { name: "CONTAINER", value: c.registryContainer },
      { name: "POD_SELECTOR", value: podSelector },
      { name: "ROLLOUT_TIMEOUT_SECONDS", value: String(GC_ROLLOUT_TIMEOUT_SECONDS) },
      { name: "COLLECT_TIMEOUT_SECONDS", value: String(GC_COLLECT_TIMEOUT_SECONDS) },
      { name: "POLL_SECONDS", value: "2" },
      // kubectl writes its discovery cache under $HOME; the root filesystem is read-only.
      { name: "HOME", value: "/tmp" },
    ],
    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
    resources: {
      requests: { cpu: "10m", memory: "32Mi" },
      limits: { memory: "128Mi" },
    },
    securityContext: c.containerSecurity,
  };
}

/** The Job's account may patch and watch the registry's Deployment and exec into its pods, nothing else. */
function collectorAccess(
  c: GarbageCollectionInput,
  name: string,
  component: string,
): Omit<GarbageCollectionManifests, "cronJob"> {
  const { s, names } = c;
  return {
    serviceAccount: { apiVersion: "v1", kind: "ServiceAccount", metadata: c.meta(name, component) },
    role: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: c.meta(name, component),
      rules: [
        // set env (get, patch) and rollout status (a watch by metadata.name) on this one Deployment.
        {
          apiGroups: ["apps"],
          resources: ["deployments"],
          resourceNames: [names.deployment],
          verbs: ["get", "list", "watch", "patch"],
        },
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] },
        // exec: POST (create) over SPDY; websocket clients are authorized as get by older API servers.
        { apiGroups: [""], resources: ["pods/exec"], verbs: ["create", "get"] },
      ],
    },
    roleBinding: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: c.meta(name, component),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
      subjects: [{ kind: "ServiceAccount", name, namespace: s.namespace }],
    },
  };
}
