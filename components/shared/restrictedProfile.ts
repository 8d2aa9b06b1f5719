/**
 * The Pod Security Standards "restricted" profile (which includes "baseline"), as
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/ lists it, over a
 * pod spec as plain data: one check for the Kubernetes tests (every rendered pod) and
 * the policy pack (`pods-restricted`, which also wants a read-only root filesystem and
 * skips values the engine does not know yet in a preview).
 */

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
const SECCOMP_TYPES = ["RuntimeDefault", "Localhost"];

export interface RestrictedOptions {
  /** Also require `readOnlyRootFilesystem: true` (this project's rule; not in the profile). */
  readOnlyRootFilesystem?: boolean;
  /** A value not known yet (a preview): the checks that read it are skipped. */
  isUnknown?: (value: unknown) => boolean;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {};
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
/** `v[key]`, or `v` itself when it is not known yet (so an unknown parent reads as unknown). */
const field = (v: unknown, key: string, unknown: (x: unknown) => boolean): unknown =>
  unknown(v) ? v : obj(v)[key];

/** Each violation as one line: `the pod …`, or `<container kind> <name>: …`. */
export function restrictedViolations(podSpec: unknown, options: RestrictedOptions = {}): string[] {
  const unknown = options.isUnknown ?? (() => false);
  const pod = obj(podSpec);
  const psc = obj(pod.securityContext);
  const v: string[] = [];
  for (const flag of ["hostNetwork", "hostPID", "hostIPC"])
    if (pod[flag] === true) v.push(`the pod sets ${flag}: true`);
  for (const volume of list(pod.volumes)
    .filter((x) => !unknown(x))
    .map(obj)) {
    const type = Object.keys(volume).find((k) => k !== "name");
    if (!type || !RESTRICTED_VOLUME_TYPES.includes(type))
      v.push(`the pod: volume ${text(volume.name) ?? "?"} has a forbidden type ${type}`);
  }
  for (const sysctl of list(psc.sysctls).map(obj))
    if (!unknown(sysctl.name) && !SAFE_SYSCTLS.includes(text(sysctl.name) ?? ""))
      v.push(`the pod: sysctl ${text(sysctl.name) ?? "?"} is not safe`);
  if (psc.runAsUser === 0) v.push("the pod: runAsUser must not be 0 (root)");
  const podSeccomp = field(psc.seccompProfile, "type", unknown);
  if (
    podSeccomp !== undefined &&
    !unknown(podSeccomp) &&
    !SECCOMP_TYPES.includes(String(podSeccomp))
  )
    v.push("the pod: seccompProfile.type must be RuntimeDefault or Localhost");
  v.push(...contextViolations("the pod", psc, unknown));

  for (const kind of ["initContainers", "containers", "ephemeralContainers"])
    for (const c of list(pod[kind])
      .filter((x) => !unknown(x))
      .map(obj)) {
      if (unknown(c.securityContext)) continue;
      const where = `${kind === "containers" ? "container" : kind.replace(/s$/, "")} ${text(c.name) ?? "?"}`;
      v.push(...containerViolations(where, c, psc, options, unknown));
    }
  return v;
}

/** SELinux and AppArmor, which the profile limits at pod and container level alike. */
function contextViolations(where: string, sc: Obj, unknown: (v: unknown) => boolean): string[] {
  const v: string[] = [];
  const seLinux = sc.seLinuxOptions;
  const seLinuxType = field(seLinux, "type", unknown);
  if (
    seLinux !== undefined &&
    !unknown(seLinuxType) &&
    !SELINUX_TYPES.includes(text(seLinuxType) ?? "")
  )
    v.push(`${where}: seLinuxOptions.type is not allowed`);
  if (obj(sc.appArmorProfile).type === "Unconfined")
    v.push(`${where}: appArmorProfile must not be Unconfined`);
  return v;
}

function containerViolations(
  where: string,
  c: Obj,
  psc: Obj,
  options: RestrictedOptions,
  unknown: (value: unknown) => boolean,
): string[] {
  const sc = obj(c.securityContext);
  const effective = (key: string) => (sc[key] !== undefined ? sc[key] : psc[key]);
  const v: string[] = [];
  if (
    options.readOnlyRootFilesystem &&
    !unknown(sc.readOnlyRootFilesystem) &&
    sc.readOnlyRootFilesystem !== true
  )
    v.push(`${where}: securityContext.readOnlyRootFilesystem must be true`);
  if (!unknown(sc.allowPrivilegeEscalation) && sc.allowPrivilegeEscalation !== false)
    v.push(`${where}: securityContext.allowPrivilegeEscalation must be false`);
  if (sc.privileged === true) v.push(`${where}: securityContext.privileged must not be true`);
  const nonRoot = effective("runAsNonRoot");
  if (!unknown(nonRoot) && nonRoot !== true)
    v.push(`${where}: runAsNonRoot must be true (container or pod securityContext)`);
  if (sc.runAsUser === 0) v.push(`${where}: runAsUser must not be 0 (root)`);
  const caps = obj(sc.capabilities);
  if (!unknown(sc.capabilities) && !unknown(caps.drop) && !list(caps.drop).includes("ALL"))
    v.push(`${where}: securityContext.capabilities.drop must include ALL`);
  const added = list(caps.add).filter((cap) => cap !== "NET_BIND_SERVICE");
  if (added.length)
    v.push(
      `${where}: capabilities.add ${added.join(", ")} (only NET_BIND_SERVICE may be added back)`,
    );
  const seccomp =
    field(sc.seccompProfile, "type", unknown) ?? field(psc.seccompProfile, "type", unknown);
  if (!unknown(seccomp) && !SECCOMP_TYPES.includes(String(seccomp)))
    v.push(
      `${where}: seccompProfile.type must be RuntimeDefault (container or pod securityContext)`,
    );
  if (sc.procMount !== undefined && !unknown(sc.procMount) && sc.procMount !== "Default")
    v.push(`${where}: procMount must be Default`);
  v.push(...contextViolations(where, sc, unknown));
  for (const port of list(c.ports).map(obj))
    if (port.hostPort && !unknown(port.hostPort))
      v.push(`${where}: must not use hostPort ${String(port.hostPort)}`);
  return v;
}
