/** Replace facts of pulumi-kubernetes; format and method in ./index.ts. */
import type { TypeRule } from "./types";

const K8S_SRC =
  "pulumi/pulumi-kubernetes HEAD 94977969d641 (v4.32.0+27; node_modules has @pulumi/kubernetes 4.34.2) " +
  "provider/pkg/provider/diff.go forceNewProperties + provider.go Diff";

/** pulumi-kubernetes: `.metadata.name` and `.metadata.namespace` always replace (diff.go metadataForceNewProperties). */
const K8S_IDENTITY = ["metadata.name", "metadata.namespace", "apiVersion", "kind"];
const K8S_IDENTITY_NOTE =
  "metadata.name/namespace replace for every kind; apiVersion/kind are part of the type token, so a change is a new type " +
  "(listed as replace); a replacement of an explicitly named object is delete-before-replace (provider.go Diff)";

/** A kind with no entry in pulumi-kubernetes' forceNew table: everything but identity updates. */
function k8sAllUpdate(kind: string, updates: string[], notes: string[] = []): TypeRule {
  return {
    source: `${K8S_SRC} (${kind} has no entry in the forceNew table)`,
    replaces: K8S_IDENTITY,
    updates,
    notes: [K8S_IDENTITY_NOTE, ...notes],
  };
}

export const kubernetesRules: Record<string, TypeRule> = {
  "kubernetes:core/v1:Namespace": k8sAllUpdate(
    "Namespace",
    ["metadata", "spec"],
    ["a replaced Namespace deletes everything in it"],
  ),
  "kubernetes:core/v1:ServiceAccount": k8sAllUpdate("ServiceAccount", [
    "metadata",
    "automountServiceAccountToken",
    "imagePullSecrets",
    "secrets",
  ]),
  "kubernetes:core/v1:ConfigMap": {
    source: `${K8S_SRC}: forceNewProperties adds .binaryData/.data when !enableConfigMapMutable || immutable; enableConfigMapMutable defaults to false (provider.go)`,
    replaces: [...K8S_IDENTITY, "data", "binaryData"],
    updates: ["metadata", "immutable"],
    notes: [
      K8S_IDENTITY_NOTE,
      "data/binaryData changes REPLACE by default (provider option enableConfigMapMutable / PULUMI_K8S_ENABLE_CONFIGMAP_MUTABLE=true makes them updates unless immutable: true)",
      "an auto-named ConfigMap is create-before-delete under a new name, so Pods referencing it roll; an explicitly named one is delete-before-replace",
    ],
  },
  "kubernetes:core/v1:Secret": {
    source: `${K8S_SRC}: forceNewProperties adds .type/.stringData/.data when !enableSecretMutable || immutable (else .type only); enableSecretMutable defaults to false (provider.go)`,
    replaces: [...K8S_IDENTITY, "type", "data", "stringData"],
    updates: ["metadata", "immutable"],
    notes: [
      K8S_IDENTITY_NOTE,
      "data/stringData changes REPLACE by default (enableSecretMutable / PULUMI_K8S_ENABLE_SECRET_MUTABLE=true makes them updates unless immutable: true); type always replaces",
    ],
  },
  "kubernetes:core/v1:PersistentVolumeClaim": {
    source: `${K8S_SRC}: core/v1 PersistentVolumeClaim = .spec.accessModes, .spec.selector, .spec.storageClassName, .spec.volumeName`,
    replaces: [
      ...K8S_IDENTITY,
      "spec.accessModes",
      "spec.selector",
      "spec.storageClassName",
      "spec.volumeName",
    ],
    updates: ["metadata", "spec"],
    notes: [
      K8S_IDENTITY_NOTE,
      "spec.resources.requests.storage is planned as an update; Kubernetes API validation only lets it grow (StorageClass allowVolumeExpansion), so a shrink fails at apply",
      "other spec fields (volumeMode, dataSource, ...) are planned as updates by Pulumi but the API treats a bound claim's spec as immutable: such an update fails at apply",
      "a replaced PVC is a new empty volume (data lost)",
    ],
  },
  "kubernetes:core/v1:Service": {
    source: `${K8S_SRC}: core/v1 Service = .spec.clusterIP`,
    replaces: [...K8S_IDENTITY, "spec.clusterIP"],
    updates: ["metadata", "spec"],
    notes: [
      K8S_IDENTITY_NOTE,
      "spec.type, ports (incl. nodePort) and selector update in place; only spec.clusterIP replaces",
    ],
  },
  "kubernetes:apps/v1:Deployment": {
    source: `${K8S_SRC}: apps/v1 Deployment = .spec.selector (+ matchLabels/matchExpressions)`,
    replaces: [...K8S_IDENTITY, "spec.selector"],
    updates: ["metadata", "spec"],
    notes: [
      K8S_IDENTITY_NOTE,
      "spec.template changes update in place and roll the Pods per spec.strategy (Recreate: all Pods down first)",
    ],
  },
  "kubernetes:batch/v1:CronJob": k8sAllUpdate(
    "CronJob",
    ["metadata", "spec"],
    [
      "the Job kind has forceNew fields (.spec.template, .spec.selector, ...) but CronJob has none: jobTemplate changes update",
    ],
  ),
  "kubernetes:rbac.authorization.k8s.io/v1:Role": k8sAllUpdate("Role", ["metadata", "rules"]),
  "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": {
    source: `${K8S_SRC}: rbac.authorization.k8s.io/v1 RoleBinding = .roleRef`,
    replaces: [...K8S_IDENTITY, "roleRef"],
    updates: ["metadata", "subjects"],
    notes: [K8S_IDENTITY_NOTE, "roleRef is immutable in the API: any change replaces"],
  },
  "kubernetes:policy/v1:PodDisruptionBudget": k8sAllUpdate(
    "policy/v1 PodDisruptionBudget",
    ["metadata", "spec"],
    [
      "only policy/v1beta1 PodDisruptionBudget is in the table (whole .spec replaces); policy/v1 spec updates in place",
    ],
  ),
  "kubernetes:networking.k8s.io/v1:Ingress": k8sAllUpdate("Ingress", ["metadata", "spec"]),
  "kubernetes:cert-manager.io/v1:Certificate": k8sAllUpdate(
    "cert-manager Certificate (CustomResource)",
    ["metadata", "spec"],
    ["CustomResources only get the identity rule; cert-manager itself re-issues on spec changes"],
  ),
  "kubernetes:monitoring.coreos.com/v1:ServiceMonitor": k8sAllUpdate(
    "prometheus-operator ServiceMonitor (CustomResource)",
    ["metadata", "spec"],
    ["CustomResources only get the identity rule; prometheus-operator re-reads the spec"],
  ),
  "kubernetes:cert-manager.io/v1:Issuer": k8sAllUpdate("cert-manager Issuer (CustomResource)", [
    "metadata",
    "spec",
  ]),
  "kubernetes:cert-manager.io/v1:ClusterIssuer": k8sAllUpdate(
    "cert-manager ClusterIssuer (CustomResource)",
    ["metadata", "spec"],
    ["cluster-scoped: metadata.namespace is cleared by the provider"],
  ),
};
