/**
 * `registry:kubernetes`: the settings of the Kubernetes backend. Every field has a
 * default except the optional ones, so `registry:kubernetes: {}` is a working
 * single-replica registry with a 10Gi volume on a cluster-allocated NodePort.
 */
import { z } from "zod";
import {
  bool,
  DNS_NAME,
  host,
  integer,
  oneOf,
  pattern,
  pinnedImage,
  quantity,
} from "../../config/fields";
import {
  checkImageReadsSettings,
  checkPullUserRole,
  selfHostedSettings,
} from "../shared/selfHostedSettings";
import { checkNotificationLogging } from "../shared/notifications";
import { checkTls, kubernetesTlsSettings } from "./tlsSettings";
import { DEFAULT_NGINX_IMAGE } from "../shared/nginxConfig";
import { checkMetrics, metricsSettings } from "./metrics";
import { REGISTRY_PORT } from "../shared/registryImage";
import { checkPodPlacement, podPlacementSettings } from "./podPlacement";
import { REGISTRY_LOOPBACK } from "./pullOnlyProxy";

/** Pinned kubectl for the garbage-collection Job: it needs a shell too (Alpine: busybox sh), which registry.k8s.io/kubectl (distroless) lacks. */
export const DEFAULT_KUBECTL_IMAGE = "docker.io/alpine/kubectl:1.34.1";

const dnsLabel = (what: string) =>
  pattern(
    /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
    `${what} (lower-case letters, digits and '-', at most 63 characters)`,
  );

const objectName = (what: string) => pattern(DNS_NAME, `${what} (a DNS name, lower case)`);

const DNS_PREFIX = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*";
const LABEL_NAME = "([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)";
const nodeSelector = () =>
  z.record(
    pattern(
      new RegExp(`^(${DNS_PREFIX}/)?${LABEL_NAME}$`),
      "a label key such as kubernetes.io/hostname",
    ),
    pattern(
      new RegExp(`^${LABEL_NAME}?$`),
      "a label value of at most 63 letters, digits, '-', '_' or '.'",
    ),
    {
      // zod reports a bad key on the record itself: say what a key must be.
      error: (issue) =>
        issue.code === "invalid_key"
          ? "must be a label key such as kubernetes.io/hostname"
          : "must be a map of node label keys to values",
    },
  );

// ---- cron ----------------------------------------------------------------------------

const CRON_FIELDS: { min: number; max: number; names?: string[] }[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  {
    min: 1,
    max: 12,
    names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
  },
  { min: 0, max: 6, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
];
const CRON_MACROS = [
  "@yearly",
  "@annually",
  "@monthly",
  "@weekly",
  "@daily",
  "@midnight",
  "@hourly",
];

/** A five-field cron schedule as a Kubernetes CronJob accepts it (or a macro such as @daily). */
export function isCronSchedule(schedule: string): boolean {
  const s = schedule.trim();
  if (CRON_MACROS.includes(s)) return true;
  const parts = s.split(/\s+/);
  if (parts.length !== 5) return false;
  return parts.every((part, i) =>
    part.split(",").every((item) => isCronItem(item, CRON_FIELDS[i])),
  );
}

function isCronItem(item: string, field: (typeof CRON_FIELDS)[number]): boolean {
  const m = /^(\*|\?|([A-Za-z0-9]+)(-([A-Za-z0-9]+))?)(\/([0-9]+))?$/.exec(item);
  if (!m) return false;
  const value = (v: string) => {
    const byName = field.names?.indexOf(v.toUpperCase()) ?? -1;
    if (byName >= 0) return byName + field.min;
    return /^[0-9]+$/.test(v) ? Number(v) : NaN;
  };
  const inRange = (n: number) => Number.isInteger(n) && n >= field.min && n <= field.max;
  if (m[6] !== undefined && Number(m[6]) < 1) return false;
  if (m[1] === "*" || m[1] === "?") return true;
  const from = value(m[2]);
  if (!inRange(from)) return false;
  if (m[4] === undefined) return true;
  const to = value(m[4]);
  return inRange(to) && to >= from;
}

const cronSchedule = () =>
  z
    .string({ error: 'must be a cron schedule of five fields such as "0 3 * * 0"' })
    .refine(isCronSchedule, {
      error: 'must be a cron schedule of five fields such as "0 3 * * 0"',
    });

// ---- quantities ----------------------------------------------------------------------

const SUFFIX: Record<string, number> = {
  "": 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes quantity (as `quantity()` accepts it) in base units: "512Mi" → 536870912. */
export function parseQuantity(q: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)([a-zA-Z]*)$/.exec(q);
  if (!m || !(m[2] in SUFFIX)) throw new Error(`not a quantity: ${q}`);
  return Number(m[1]) * SUFFIX[m[2]];
}

// ---- the schema ----------------------------------------------------------------------

const persistenceSettings = z
  .strictObject({
    /** A PersistentVolumeClaim for the registry's files (default true). Off: an emptyDir, whose data is lost whenever the pod goes. */
    enabled: bool().default(true),
    /** The claim's size (default "10Gi"); also the emptyDir's size limit when persistence is off. */
    size: quantity("10Gi").default("10Gi"),
    /** StorageClass of the claim (default: the cluster's default class). */
    storageClass: objectName("a StorageClass name").optional(),
    /** ReadWriteOnce (default) or ReadWriteMany. With ReadWriteOnce the Deployment uses the Recreate strategy. */
    accessMode: oneOf(["ReadWriteOnce", "ReadWriteMany"]).default("ReadWriteOnce"),
    /** Use this existing claim instead of creating one (set accessMode to the claim's mode). */
    existingClaim: objectName("a PersistentVolumeClaim name").optional(),
  })
  .prefault({});

const resourceSettings = z
  .strictObject({
    requests: z
      .strictObject({
        /** CPU request (default "100m"). */
        cpu: quantity("100m").default("100m"),
        /** Memory request (default "128Mi"). */
        memory: quantity("128Mi").default("128Mi"),
      })
      .prefault({}),
    limits: z
      .strictObject({
        /** CPU limit (default: none, so the registry is never throttled). */
        cpu: quantity("1").optional(),
        /** Memory limit (default "512Mi"). */
        memory: quantity("512Mi").default("512Mi"),
      })
      .prefault({}),
  })
  .prefault({});

const garbageCollectionSettings = z
  .strictObject({
    /** A CronJob that makes the registry read-only, runs `registry garbage-collect` in it, makes it read-write again (default false). */
    enabled: bool().default(false),
    /** When it runs, in the cluster's time zone (default "0 3 * * 0": Sundays at 03:00). */
    schedule: cronSchedule().default("0 3 * * 0"),
    /** Also delete manifests that no tag points to (default false: it breaks images pushed by digest only). */
    deleteUntagged: bool().default(false),
    /** The image the garbage-collection script runs in: kubectl and a POSIX sh (default docker.io/alpine/kubectl:1.34.1). */
    kubectlImage: pinnedImage().default(DEFAULT_KUBECTL_IMAGE),
  })
  .prefault({});

export const kubernetesSettings = z
  .strictObject({
    ...selfHostedSettings,
    /** nginx in the registry pod, only with auth.pullUser (the pull-only guard). */
    nginxImage: pinnedImage().default(DEFAULT_NGINX_IMAGE),
    /** The namespace everything goes in (default "registry"). */
    namespace: dnsLabel("a namespace name such as registry").default("registry"),
    /** Create the namespace (default true); false uses an existing one. */
    createNamespace: bool().default(true),
    /** Registry pods (default 1). More than one needs object storage (storage.driver s3 or gcs). */
    replicas: integer(1, 10).default(1),
    /** A fixed NodePort (default: one the cluster allocates). Fixed, REGISTRY is known before deploy. */
    nodePort: integer(30000, 32767).optional(),
    /** The host clients dial (default 127.0.0.1: nodes answer NodePorts on loopback only with kube-proxy in iptables mode). */
    advertiseHost: host().optional(),
    /** TLS served by the registry itself on the NodePort (default mode none: plain HTTP). */
    tls: kubernetesTlsSettings,
    /** Plain HTTP on a non-loopback advertiseHost: only when every node's Docker/containerd lists REGISTRY in insecure-registries (default false). */
    insecureRegistry: bool().default(false),
    /** Where filesystem storage keeps its files; not used with s3 or gcs storage. */
    persistence: persistenceSettings,
    /** The registry container's requests and limits. */
    resources: resourceSettings,
    /** Scheduled garbage collection (off by default). */
    garbageCollection: garbageCollectionSettings,
    podDisruptionBudget: z
      .strictObject({
        /** A PodDisruptionBudget allowing one pod down at a time (default false; needs replicas > 1). */
        enabled: bool().default(false),
      })
      .prefault({}),
    /** Node labels the registry pods (and the garbage-collection pod) must run on (default: any node). */
    nodeSelector: nodeSelector().optional(),
    ...podPlacementSettings,
    /** Prometheus metrics from the registry's debug server (off by default). */
    metrics: metricsSettings,
  })
  .superRefine((s, ctx) => {
    // Range and format failures do not stop zod from running this: judge only valid values.
    if (ctx.issues.length) return;
    checkImageReadsSettings(s, ctx);
    checkNotificationLogging(s, ctx);
    checkPullUserRole(s, ctx);
    // A NodePort answers on every node's addresses (and the registry allows deletes):
    // without auth that is an open registry to anyone who reaches a node.
    if (!s.auth.enabled)
      ctx.addIssue({
        code: "custom",
        path: ["auth", "enabled"],
        input: false,
        message:
          "must be true on Kubernetes: the NodePort answers on every node's addresses, so anyone who reaches a node could push and delete",
      });
    const filesystem = s.storage.driver === "filesystem";
    // Each replica would keep its own files, and an upload that starts on one pod and
    // continues on another fails with "blob upload unknown": scale-out needs object storage.
    if (s.replicas > 1 && filesystem)
      ctx.addIssue({
        code: "custom",
        path: ["replicas"],
        input: s.replicas,
        message:
          'must be 1 with filesystem storage: every replica would keep its own files, so uploads that reach another replica fail ("blob upload unknown"); set storage.driver to s3 or gcs to scale out',
      });
    // Garbage collection restarts the registry (read-only, then read-write): with an
    // emptyDir that erases every image.
    if (s.garbageCollection.enabled && filesystem && !s.persistence.enabled)
      ctx.addIssue({
        code: "custom",
        path: ["garbageCollection", "enabled"],
        input: true,
        message:
          "must be false when persistence.enabled is false: the files live in the pod's emptyDir, which garbage collection cannot reach and which stopping the registry (as collection must) erases",
      });
    // With one pod, a budget either blocks node drains forever or allows everything.
    if (s.podDisruptionBudget.enabled && s.replicas < 2)
      ctx.addIssue({
        code: "custom",
        path: ["podDisruptionBudget", "enabled"],
        input: true,
        message: `needs replicas of 2 or more (replicas is ${s.replicas}): with one pod a budget either blocks node drains or protects nothing`,
      });
    if (s.persistence.existingClaim && s.persistence.storageClass)
      ctx.addIssue({
        code: "custom",
        path: ["persistence", "storageClass"],
        input: s.persistence.storageClass,
        message: "is only read when a claim is created (persistence.existingClaim is set)",
      });
    const issue = (path: (string | number)[], message: string, input: unknown) =>
      ctx.addIssue({ code: "custom", path, message, input });
    checkTls(s, issue);
    checkPodPlacement(s, issue);
    checkMetrics(
      s.metrics,
      [
        [REGISTRY_PORT, "the registry"],
        [Number(REGISTRY_LOOPBACK.split(":")[1]), "the registry behind the pull-only guard"],
      ],
      issue,
    );
    for (const kind of ["cpu", "memory"] as const) {
      const request = s.resources.requests[kind];
      const limit = s.resources.limits[kind];
      if (limit !== undefined && parseQuantity(request) > parseQuantity(limit))
        ctx.addIssue({
          code: "custom",
          path: ["resources", "requests", kind],
          input: request,
          message: `must not exceed resources.limits.${kind} (${limit})`,
        });
    }
  });

export type KubernetesSettings = z.output<typeof kubernetesSettings>;
