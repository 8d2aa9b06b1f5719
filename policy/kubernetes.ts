/** Policies 2 and 3: registry pods run restricted; NodePorts stay in the default range. */
import { at, isObj, list, podContainers, podSpec, str, UNKNOWN } from "./inspect";
import { resourceRule } from "./rules";

// ---- 2. Registry pods: non-root, read-only, no escalation ---------------------------------

export const podsRestricted = resourceRule(
  {
    name: "pods-restricted",
    description:
      "Every container of a Kubernetes workload runs as non-root (runAsNonRoot, no runAsUser 0) with a read-only root filesystem, allowPrivilegeEscalation false, not privileged, capabilities drop ALL, and seccomp RuntimeDefault (pod or container level).",
    severity: "high",
    tags: ["kubernetes"],
  },
  (r, report) => {
    const spec = podSpec(r.type, r.props);
    if (!spec) return;
    const pod = isObj(spec.securityContext) ? spec.securityContext : {};
    for (const flag of ["hostNetwork", "hostPID", "hostIPC"])
      if (spec[flag] === true) report(`the pod sets ${flag}: true`);
    for (const { kind, container } of podContainers(spec)) {
      if (container.securityContext === UNKNOWN) continue;
      const where = `${kind === "containers" ? "container" : kind.replace(/s$/, "")} ${str(container.name) ?? "?"}`;
      const sc = isObj(container.securityContext) ? container.securityContext : {};
      const effective = (key: string) => (sc[key] !== undefined ? sc[key] : pod[key]);
      const skip = (v: unknown) => v === UNKNOWN;

      if (!skip(sc.readOnlyRootFilesystem) && sc.readOnlyRootFilesystem !== true)
        report(`${where}: securityContext.readOnlyRootFilesystem must be true`);
      if (!skip(sc.allowPrivilegeEscalation) && sc.allowPrivilegeEscalation !== false)
        report(`${where}: securityContext.allowPrivilegeEscalation must be false`);
      if (sc.privileged === true) report(`${where}: securityContext.privileged must not be true`);
      const nonRoot = effective("runAsNonRoot");
      if (!skip(nonRoot) && nonRoot !== true)
        report(`${where}: runAsNonRoot must be true (container or pod securityContext)`);
      if (effective("runAsUser") === 0) report(`${where}: runAsUser must not be 0 (root)`);
      const caps = isObj(sc.capabilities) ? sc.capabilities : {};
      if (sc.capabilities !== UNKNOWN && caps.drop !== UNKNOWN && !list(caps.drop).includes("ALL"))
        report(`${where}: securityContext.capabilities.drop must include ALL`);
      const added = list(caps.add).filter((c) => c !== "NET_BIND_SERVICE");
      if (added.length)
        report(
          `${where}: capabilities.add ${added.join(", ")} (only NET_BIND_SERVICE may be added back)`,
        );
      const seccomp = at(sc, "seccompProfile", "type") ?? at(pod, "seccompProfile", "type");
      if (!skip(seccomp) && seccomp !== "RuntimeDefault" && seccomp !== "Localhost")
        report(
          `${where}: seccompProfile.type must be RuntimeDefault (container or pod securityContext)`,
        );
    }
  },
);

// ---- 3. NodePort range --------------------------------------------------------------------

export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;

export const nodePortInRange = resourceRule(
  {
    name: "nodeport-in-range",
    description: `A Service's nodePort, when set, lies in the default NodePort range ${NODE_PORT_MIN}-${NODE_PORT_MAX}.`,
    severity: "medium",
    tags: ["kubernetes"],
  },
  (r, report) => {
    if (r.type !== "kubernetes:core/v1:Service") return;
    for (const port of list(at(r.props, "spec", "ports"))) {
      const nodePort = at(port, "nodePort");
      if (nodePort === undefined || nodePort === null || nodePort === UNKNOWN) continue;
      const n = typeof nodePort === "number" ? nodePort : Number(nodePort);
      if (!Number.isInteger(n) || n < NODE_PORT_MIN || n > NODE_PORT_MAX)
        report(
          `port ${str(at(port, "name")) ?? at(port, "port")}: nodePort ${String(nodePort)} is outside ${NODE_PORT_MIN}-${NODE_PORT_MAX}`,
        );
    }
  },
);
