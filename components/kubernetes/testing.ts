/**
 * Test helpers (used by the *.test.ts files only): Kubernetes objects checked offline
 * against the API's schemas (kubernetes-models), and the Pod Security Standards'
 * "restricted" profile as a checker that lists each violation.
 */
import {
  ConfigMap,
  Namespace,
  PersistentVolumeClaim,
  Secret,
  Service,
  ServiceAccount,
} from "kubernetes-models/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { CronJob } from "kubernetes-models/batch/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { Role, RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { ConfigError } from "../../config/errors";
import { readBackendSettings } from "../../config/load";
import { kubernetesSettings, type KubernetesSettings } from "./settings";

/** Parses `registry:kubernetes` as the program does; returns the settings. */
export function loadSettings(value: unknown): KubernetesSettings {
  const config: Record<string, string> = {
    "registry:backend": "kubernetes",
    "registry:kubernetes": JSON.stringify(value),
  };
  return readBackendSettings(
    "kubernetes",
    kubernetesSettings,
    (k) => config[k],
    Object.keys(config),
  );
}

/** The error lines `registry:kubernetes` gets (none: it is valid). */
export function settingsProblems(value: unknown): string[] {
  try {
    loadSettings(value);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

type ModelClass = new (data: never) => { validate(): void };

const MODELS: Record<string, ModelClass> = {
  "v1/Namespace": Namespace,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
  "apps/v1/Deployment": Deployment,
  "batch/v1/CronJob": CronJob,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "rbac.authorization.k8s.io/v1/Role": Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": RoleBinding,
};

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

/** Validates one object against its API schema; throws naming the object and the problem. */
export function validateAgainstSchema(obj: KubeObject): void {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!Model) throw new Error(`no schema known for ${obj.apiVersion} ${obj.kind}`);
  try {
    new Model(structuredClone(obj) as never).validate();
  } catch (err) {
    throw new Error(`${obj.kind}/${obj.metadata.name}: ${(err as Error).message}`, { cause: err });
  }
}

/** The pod specs inside workload objects, with where each one sits. */
export function podSpecsOf(objects: KubeObject[]): { where: string; spec: IPodSpec }[] {
  const found: { where: string; spec: IPodSpec }[] = [];
  for (const o of objects) {
    const x = o as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (o.kind === "Deployment")
      found.push({ where: `Deployment/${o.metadata.name}`, spec: x.spec.template.spec });
    if (o.kind === "CronJob")
      found.push({
        where: `CronJob/${o.metadata.name}`,
        spec: x.spec.jobTemplate.spec.template.spec,
      });
    if (o.kind === "Pod") found.push({ where: `Pod/${o.metadata.name}`, spec: x.spec });
  }
  return found;
}

const RESTRICTED_VOLUME_TYPES = [
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
];
const SAFE_SYSCTLS = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
];
const SELINUX_TYPES = [
  "",
  "container_t",
  "container_init_t",
  "container_kvm_t",
  "container_engine_t",
];

/**
 * Violations of the Pod Security Standards "restricted" profile (which includes
 * "baseline"), as https://kubernetes.io/docs/concepts/security/pod-security-standards/
 * lists them. An empty list means the pod would be admitted in an enforcing namespace.
 */
export function restrictedViolations(pod: IPodSpec): string[] {
  const v: string[] = [];
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) v.push("host namespaces must not be shared");
  for (const vol of pod.volumes ?? []) {
    const type = Object.keys(vol).find((k) => k !== "name");
    if (!type || !RESTRICTED_VOLUME_TYPES.includes(type))
      v.push(`volume ${vol.name} has a forbidden type ${type}`);
  }
  const psc = pod.securityContext ?? {};
  for (const s of psc.sysctls ?? [])
    if (!SAFE_SYSCTLS.includes(s.name)) v.push(`sysctl ${s.name} is not safe`);
  if (psc.runAsUser === 0) v.push("pod runAsUser must not be 0");
  if (psc.seccompProfile && !["RuntimeDefault", "Localhost"].includes(psc.seccompProfile.type))
    v.push("pod seccompProfile must be RuntimeDefault or Localhost");
  if (psc.seLinuxOptions && !SELINUX_TYPES.includes(psc.seLinuxOptions.type ?? ""))
    v.push("pod seLinuxOptions.type is not allowed");
  if (psc.appArmorProfile?.type === "Unconfined")
    v.push("pod appArmorProfile must not be Unconfined");

  const containers = [
    ...(pod.initContainers ?? []).map((c) => ({ c, kind: "init container" })),
    ...pod.containers.map((c) => ({ c, kind: "container" })),
    ...(pod.ephemeralContainers ?? []).map((c) => ({ c, kind: "ephemeral container" })),
  ];
  for (const { c, kind } of containers) {
    const sc = c.securityContext ?? {};
    const at = `${kind} ${c.name}`;
    if (sc.privileged) v.push(`${at} must not be privileged`);
    if (sc.allowPrivilegeEscalation !== false)
      v.push(`${at} must set allowPrivilegeEscalation: false`);
    if (sc.runAsNonRoot === false || (sc.runAsNonRoot !== true && psc.runAsNonRoot !== true))
      v.push(`${at} must run as non-root (runAsNonRoot: true on the pod or the container)`);
    if (sc.runAsUser === 0) v.push(`${at} runAsUser must not be 0`);
    const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
    if (!seccomp || !["RuntimeDefault", "Localhost"].includes(seccomp))
      v.push(`${at} must have seccompProfile RuntimeDefault or Localhost`);
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) v.push(`${at} must drop ALL capabilities`);
    for (const cap of sc.capabilities?.add ?? [])
      if (cap !== "NET_BIND_SERVICE") v.push(`${at} must not add capability ${cap}`);
    if (sc.procMount && sc.procMount !== "Default") v.push(`${at} procMount must be Default`);
    if (sc.seLinuxOptions && !SELINUX_TYPES.includes(sc.seLinuxOptions.type ?? ""))
      v.push(`${at} seLinuxOptions.type is not allowed`);
    if (sc.appArmorProfile?.type === "Unconfined")
      v.push(`${at} appArmorProfile must not be Unconfined`);
    for (const p of ("ports" in c ? c.ports : undefined) ?? [])
      if (p.hostPort) v.push(`${at} must not use hostPort ${p.hostPort}`);
  }
  return v;
}
