/**
 * Where and how the registry's pods are scheduled, and the identity they run as: the
 * settings users of the Helm chart expect (tolerations, affinity, priorityClassName, pod
 * annotations, a ServiceAccount with annotations for workload identity), their schema and
 * what they add to the pod spec. Each rule here fails before anything is created.
 */
import { z } from "zod";
import type * as In from "@pulumi/kubernetes/types/input";
import { bool, DNS_NAME, integer, oneOf, pattern, text } from "../../config/fields";

const DNS_PREFIX = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*";
const NAME_PART = "([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)";
const QUALIFIED_NAME = new RegExp(`^(${DNS_PREFIX}/)?${NAME_PART}$`);

/** A label or annotation key: an optional DNS prefix and '/', then a name of at most 63 characters. */
export const qualifiedKey = (example: string) =>
  pattern(QUALIFIED_NAME, `a key such as ${example} (optional DNS prefix and '/', then a name)`);
const labelValue = () =>
  pattern(
    new RegExp(`^${NAME_PART}?$`),
    "a label value of at most 63 letters, digits, '-', '_' or '.'",
  );

/** The pod-template annotation the program sets itself (it rolls pods on config changes). */
export const CHECKSUM_ANNOTATION = "checksum/config-and-secrets";

/** Labels, key → value (e.g. a ServiceMonitor's, so a Prometheus selects it). */
export const labelMap = (example: string) =>
  z.record(qualifiedKey(example), labelValue(), {
    error: (issue) =>
      issue.code === "invalid_key"
        ? `must be a label key such as ${example}`
        : "must be a map of label keys to values",
  });

export const annotations = (example: string) =>
  z.record(qualifiedKey(example), z.string({ error: "must be a string" }), {
    error: (issue) =>
      issue.code === "invalid_key"
        ? `must be an annotation key such as ${example}`
        : "must be a map of annotation keys to strings",
  });

// ---- tolerations ------------------------------------------------------------------------

const toleration = z
  .strictObject({
    /** The taint key (unset with operator Exists: tolerate every taint). */
    key: qualifiedKey("node-role.kubernetes.io/registry").optional(),
    operator: oneOf(["Equal", "Exists"]).default("Equal"),
    value: labelValue().optional(),
    effect: oneOf(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
    /** How long the pod stays on a node after a NoExecute taint appears (seconds). */
    tolerationSeconds: integer(0, 31_536_000).optional(),
  })
  .superRefine((t, ctx) => {
    const issue = (path: string, message: string, input: unknown) =>
      ctx.addIssue({ code: "custom", path: [path], message, input });
    if (t.operator === "Exists" && t.value !== undefined)
      issue("value", "must be unset when operator is Exists (it matches any value)", t.value);
    if (t.key === undefined && t.operator !== "Exists")
      issue(
        "operator",
        'must be Exists when key is unset (an empty key tolerates every taint, which only "Exists" says)',
        t.operator,
      );
    if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute")
      issue(
        "tolerationSeconds",
        "is only read when effect is NoExecute (Kubernetes rejects it otherwise)",
        t.tolerationSeconds,
      );
  });

// ---- affinity -----------------------------------------------------------------------------

const requirement = <const O extends readonly [string, ...string[]]>(operators: O) =>
  z
    .strictObject({
      key: qualifiedKey("kubernetes.io/hostname"),
      operator: oneOf(operators),
      values: z.array(text("a value"), { error: "must be a list of strings" }).optional(),
    })
    .superRefine((r, ctx) => {
      const n = r.values?.length ?? 0;
      const issue = (message: string) =>
        ctx.addIssue({ code: "custom", path: ["values"], message, input: r.values });
      if ((r.operator === "In" || r.operator === "NotIn") && n === 0)
        issue(`must hold at least one value with operator ${r.operator}`);
      if ((r.operator === "Exists" || r.operator === "DoesNotExist") && n > 0)
        issue(`must be unset with operator ${r.operator}`);
      if (
        (r.operator === "Gt" || r.operator === "Lt") &&
        !(n === 1 && /^-?[0-9]+$/.test(r.values![0]))
      )
        issue(`must be one integer with operator ${r.operator}`);
    });

const nodeSelectorTerm = z.strictObject({
  matchExpressions: z
    .array(requirement(["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]))
    .optional(),
  matchFields: z.array(requirement(["In", "NotIn"])).optional(),
});
const labelSelector = z.strictObject({
  matchLabels: z.record(qualifiedKey("app.kubernetes.io/name"), labelValue()).optional(),
  matchExpressions: z.array(requirement(["In", "NotIn", "Exists", "DoesNotExist"])).optional(),
});
const podAffinityTerm = z.strictObject({
  labelSelector: labelSelector.optional(),
  namespaces: z.array(pattern(DNS_NAME, "a namespace name")).optional(),
  namespaceSelector: labelSelector.optional(),
  /** Required: the node label that defines "the same place", e.g. kubernetes.io/hostname. */
  topologyKey: qualifiedKey("kubernetes.io/hostname"),
});
const weight = () => integer(1, 100);
const podAffinity = z.strictObject({
  requiredDuringSchedulingIgnoredDuringExecution: z.array(podAffinityTerm).optional(),
  preferredDuringSchedulingIgnoredDuringExecution: z
    .array(z.strictObject({ weight: weight(), podAffinityTerm }))
    .optional(),
});

/** The pod's affinity, as the Kubernetes API spells it (core/v1 Affinity). */
const affinity = z.strictObject({
  nodeAffinity: z
    .strictObject({
      requiredDuringSchedulingIgnoredDuringExecution: z
        .strictObject({
          nodeSelectorTerms: z
            .array(nodeSelectorTerm)
            .min(1, { error: "must hold at least one term" }),
        })
        .optional(),
      preferredDuringSchedulingIgnoredDuringExecution: z
        .array(z.strictObject({ weight: weight(), preference: nodeSelectorTerm }))
        .optional(),
    })
    .optional(),
  podAffinity: podAffinity.optional(),
  podAntiAffinity: podAffinity.optional(),
});

// ---- the settings ---------------------------------------------------------------------------

export const podPlacementSettings = {
  /** Taints the registry pods (and the garbage-collection pod) tolerate (default: none). */
  tolerations: z.array(toleration, { error: "must be a list of tolerations" }).optional(),
  /** Node and pod (anti-)affinity of the registry pods, as in a pod spec (default: none). */
  affinity: affinity.optional(),
  /** A PriorityClass for the registry pods and the garbage-collection pod (default: none). */
  priorityClassName: pattern(DNS_NAME, "a PriorityClass name (a DNS name, lower case)").optional(),
  /** Extra annotations on the registry pods (default: none). */
  podAnnotations: annotations("prometheus.io/scrape").optional(),
  serviceAccount: z
    .strictObject({
      /** Annotations on the registry's ServiceAccount, e.g. iam.gke.io/gcp-service-account or eks.amazonaws.com/role-arn. */
      annotations: annotations("iam.gke.io/gcp-service-account").optional(),
      /** Mount the ServiceAccount's API token into the pods (default false: the registry never calls the Kubernetes API). */
      automountToken: bool().default(false),
    })
    .prefault({}),
};

type Settings = z.output<z.ZodObject<typeof podPlacementSettings>>;

/** Cross-field rules of these settings (from the backend's superRefine). */
export function checkPodPlacement(
  s: Settings,
  issue: (path: (string | number)[], message: string, input: unknown) => void,
): void {
  if (s.podAnnotations && CHECKSUM_ANNOTATION in s.podAnnotations)
    issue(
      ["podAnnotations"],
      `must not set ${CHECKSUM_ANNOTATION}: the program sets it (it rolls the pods when the config or a secret changes); choose another key`,
      undefined,
    );
}

/** The ServiceAccount the registry pods run as (not the namespace's `default`). */
export function serviceAccountName(instance: string): string {
  return instance;
}

/** Scheduling fields both the registry pods and the garbage-collection pod take. */
export function sharedScheduling(s: Settings): Partial<In.core.v1.PodSpec> {
  return {
    ...(s.tolerations ? { tolerations: s.tolerations } : {}),
    ...(s.priorityClassName ? { priorityClassName: s.priorityClassName } : {}),
  };
}

/** What only the registry pods take: their ServiceAccount, token mount and affinity. */
export function registryPodPlacement(instance: string, s: Settings): Partial<In.core.v1.PodSpec> {
  return {
    serviceAccountName: serviceAccountName(instance),
    automountServiceAccountToken: s.serviceAccount.automountToken,
    ...(s.affinity ? { affinity: s.affinity } : {}),
  };
}

/** The registry pods' own ServiceAccount: annotations for workload identity, no token by default. */
export function renderServiceAccount(
  instance: string,
  s: Settings,
  meta: (
    name: string,
    component?: string,
  ) => { name: string; namespace: string; labels: Record<string, string> },
) {
  const m: ReturnType<typeof meta> & { annotations?: Record<string, string> } = meta(
    serviceAccountName(instance),
    "server",
  );
  if (s.serviceAccount.annotations) m.annotations = s.serviceAccount.annotations;
  return {
    apiVersion: "v1" as const,
    kind: "ServiceAccount" as const,
    metadata: m,
    automountServiceAccountToken: s.serviceAccount.automountToken,
  };
}
