/** Policies 2 and 3: registry pods run restricted; NodePorts stay in the default range. */
import { at, list, podSpec, str, UNKNOWN } from "./inspect";
import { restrictedViolations } from "../components/shared/restrictedProfile";
import { resourceRule } from "./rules";

// ---- 2. Registry pods: non-root, read-only, no escalation ---------------------------------

export const podsRestricted = resourceRule(
  {
    name: "pods-restricted",
    description:
      "Every container of a Kubernetes workload runs as non-root (runAsNonRoot, no runAsUser 0) with a read-only root filesystem, allowPrivilegeEscalation false, not privileged, capabilities drop ALL, and seccomp RuntimeDefault (pod or container level); and the rest of the Pod Security Standards restricted profile: no host namespaces or host ports, only its volume types and safe sysctls, no SELinux, AppArmor or procMount overrides.",
    severity: "high",
    tags: ["kubernetes"],
  },
  (r, report) => {
    const spec = podSpec(r.type, r.props);
    if (!spec) return;
    const options = { readOnlyRootFilesystem: true, isUnknown: (v: unknown) => v === UNKNOWN };
    for (const violation of restrictedViolations(spec, options)) report(violation);
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
