/** What the providers compute for the kubernetes backend's resources (see types.ts for the modes). */
import { afterDeploy } from "../../components/shared/contract";
import { seeded, type ComputedOutputs, type MockTable } from "./types";

/** What the API server adds to every object: a uid, and the default namespace. */
function withMetadata(namespaced: boolean): ComputedOutputs {
  return ({ inputs, name }) => {
    const metadata = (inputs.metadata ?? {}) as Record<string, unknown>;
    return {
      metadata: {
        ...metadata,
        name: metadata.name ?? name,
        ...(namespaced ? { namespace: metadata.namespace ?? "default" } : {}),
        uid: seeded(`uid-${name}`, 32, "0123456789abcdef"),
      },
    };
  };
}

/**
 * A Service of type NodePort gets a port from 30000-32767 for every port that names
 * none; a real allocation is only known after deploy.
 */
const service: ComputedOutputs = (args, mode) => {
  const spec = (args.inputs.spec ?? {}) as { type?: string; ports?: Record<string, unknown>[] };
  const nodePorts = spec.type === "NodePort" || spec.type === "LoadBalancer";
  const ports = (spec.ports ?? []).map((port, i) => {
    if (!nodePorts || port.nodePort !== undefined) return port;
    const allocated =
      mode === "render"
        ? afterDeploy("nodePort allocated by the cluster")
        : 30000 + (Number.parseInt(seeded(`${args.name}-${i}`, 4, "0123456789"), 10) % 2768);
    return { ...port, nodePort: allocated };
  });
  const clusterIP = mode === "render" ? afterDeploy("cluster IP") : "10.96.0.42";
  return {
    ...withMetadata(true)(args, mode),
    spec: { ...spec, ports, clusterIP, clusterIPs: [clusterIP] },
  };
};

const NAMESPACED = [
  "kubernetes:core/v1:ConfigMap",
  "kubernetes:core/v1:Secret",
  "kubernetes:core/v1:PersistentVolumeClaim",
  "kubernetes:core/v1:ServiceAccount",
  "kubernetes:apps/v1:Deployment",
  "kubernetes:batch/v1:CronJob",
  "kubernetes:policy/v1:PodDisruptionBudget",
  "kubernetes:rbac.authorization.k8s.io/v1:Role",
  "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
  "kubernetes:cert-manager.io/v1:Certificate",
];

export const kubernetesMocks: MockTable = {
  "kubernetes:core/v1:Namespace": withMetadata(false),
  ...Object.fromEntries(NAMESPACED.map((type) => [type, withMetadata(true)])),
  "kubernetes:core/v1:Service": service,
};
