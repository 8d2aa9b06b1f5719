/**
 * What every Kubernetes object of the registry shares: the in-pod paths and port, the
 * object names, and the labels and metadata each renderer stamps on its object.
 */
import { parseImageRef } from "../../config/imageRef";
import { registryConfigPath } from "../shared/registryConfig";
import { REGISTRY_DATA_DIR, REGISTRY_HTPASSWD_PATH, REGISTRY_PORT } from "../shared/registryImage";
import { secretValueNames, type SecretValueName } from "./secretValues";
import type { KubernetesSettings } from "./settings";
import { tlsSecretName } from "./tls";

/** The registry's port inside the pod and on the Service. */
export { REGISTRY_PORT };
export const DATA_DIR = REGISTRY_DATA_DIR;
export const HTPASSWD_PATH = REGISTRY_HTPASSWD_PATH;
export const GCS_KEY_PATH = "/etc/registry-gcs/key.json";
/** The registry's container in the Deployment's pods (garbage collection execs into it). */
export const REGISTRY_CONTAINER = "registry";
/** The object names, derived from the instance name. */
export function objectNames(instance: string) {
  return {
    deployment: instance,
    service: instance,
    configMap: `${instance}-config`,
    secret: `${instance}-secrets`,
    persistentVolumeClaim: `${instance}-data`,
    podDisruptionBudget: instance,
    garbageCollection: `${instance}-gc`,
    metrics: `${instance}-metrics`,
  };
}

/** The version label from the image tag (none for a digest-only reference). */
function imageVersion(image: string): string | undefined {
  const tag = parseImageRef(image).tag;
  // A label value: at most 63 characters.
  return tag !== undefined && /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/.test(tag) ? tag : undefined;
}

/** What every object's renderer needs: the settings, the names, and the label helpers. */
export interface ManifestContext {
  instance: string;
  s: KubernetesSettings;
  names: ReturnType<typeof objectNames>;
  configPath: string;
  /** The TLS Secret's name when the registry serves TLS itself. */
  tlsSecret: string | undefined;
  /** The secret values these settings need (`secretValueNames`). */
  needed: SecretValueName[];
  selectorLabels: (component: string) => Record<string, string>;
  labels: (component?: string) => Record<string, string>;
  /** Adds the version label (only where the image runs). */
  versioned: (l: Record<string, string>) => Record<string, string>;
  meta: (
    name: string,
    component?: string,
  ) => { name: string; namespace: string; labels: Record<string, string> };
}

export function manifestContext(instance: string, s: KubernetesSettings): ManifestContext {
  const namespace = s.namespace;
  const version = imageVersion(s.image);
  const selectorLabels = (component: string) => ({
    "app.kubernetes.io/name": "registry",
    "app.kubernetes.io/instance": instance,
    "app.kubernetes.io/component": component,
  });
  const labels = (component?: string): Record<string, string> => ({
    "app.kubernetes.io/name": "registry",
    "app.kubernetes.io/instance": instance,
    ...(component ? { "app.kubernetes.io/component": component } : {}),
    "app.kubernetes.io/managed-by": "pulumi",
  });
  // The version label goes only where the image runs: on every object, an image bump
  // would show as an update of the namespace, claim, service and RBAC in every preview.
  const versioned = (l: Record<string, string>) =>
    version ? { ...l, "app.kubernetes.io/version": version } : l;
  const meta = (name: string, component?: string) => ({
    name,
    namespace,
    labels: labels(component),
  });
  return {
    instance,
    s,
    names: objectNames(instance),
    configPath: registryConfigPath(s.image),
    tlsSecret: tlsSecretName(instance, s),
    needed: secretValueNames(s),
    selectorLabels,
    labels,
    versioned,
    meta,
  };
}
