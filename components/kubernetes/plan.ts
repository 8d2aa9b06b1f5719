/**
 * Every Kubernetes object of the registry, as plain data: settings and secret values
 * in, manifests out. No Pulumi here (the types are only types): the component turns
 * these into resources, `render` writes them to manifests.yaml, and tests validate
 * them against the Kubernetes API schemas.
 *
 * Secret values are `Input<string>`: plain strings in tests, secret Outputs in the
 * component, so the same objects serve both.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as In from "@pulumi/kubernetes/types/input";
import { renderRegistryConfig, type RegistryConfigSpec } from "../shared/registryConfig";
import { selfHostedConfigSpec } from "../shared/selfHostedConfig";
import {
  DATA_DIR,
  GCS_KEY_PATH,
  HTPASSWD_PATH,
  REGISTRY_CONTAINER,
  REGISTRY_PORT,
  manifestContext,
  objectNames,
  type ManifestContext,
} from "./context";
import { podSpecCommon, podStorage, registryDeployment } from "./deployment";
import { renderGarbageCollection, type GarbageCollectionManifests } from "./garbageCollection";
import { RESTRICTED_CONTAINER_SECURITY, RUN_AS } from "./podSecurity";
import { guardPod, hasPullOnlyProxy, podNginxConf, REGISTRY_LOOPBACK } from "./pullOnlyProxy";
import { SECRET_KEYS, type RegistrySecretValues } from "./secretValues";
import type { KubernetesSettings } from "./settings";
import { debugAddress, renderMetrics, type MetricsManifests } from "./metrics";
import { renderServiceAccount } from "./podPlacement";
import {
  registryTlsSpec,
  renderCertificate,
  renderTlsSecret,
  writesTlsSecret,
  type CertificateManifest,
  type TlsSecretValues,
} from "./tls";

export { RUN_AS };
export { DATA_DIR, GCS_KEY_PATH, HTPASSWD_PATH, REGISTRY_CONTAINER, REGISTRY_PORT, objectNames };

/** The registry's config.yml model for these settings (secrets go by env or file, never in it). */
export function registryConfigSpec(s: KubernetesSettings): RegistryConfigSpec {
  // Behind the pull-only guard the registry listens on the pod's loopback, nginx does TLS.
  const guarded = hasPullOnlyProxy(s);
  const spec = selfHostedConfigSpec(s, {
    listenAddress: guarded ? REGISTRY_LOOPBACK : `:${REGISTRY_PORT}`,
    dataDir: DATA_DIR,
    htpasswdPath: HTPASSWD_PATH,
    gcsKeyPath: GCS_KEY_PATH,
  });
  const tls = registryTlsSpec(s);
  const debug = debugAddress(s.metrics);
  return {
    ...spec,
    ...(tls && !guarded ? { tls } : {}),
    ...(debug ? { debugAddress: debug } : {}),
  };
}

export function registryConfigYaml(s: KubernetesSettings): string {
  return renderRegistryConfig(registryConfigSpec(s));
}

export interface ManifestInput {
  /** The component's name: app.kubernetes.io/instance, and the stem of every object name. */
  instance: string;
  settings: KubernetesSettings;
  /** Exactly the values `secretValueNames(settings)` lists. */
  secretValues: RegistrySecretValues;
  /** `contentChecksum` of the config and secret values (and of the TLS Secret this program writes). */
  checksum: pulumi.Input<string>;
  /** The TLS Secret's certificate and key, when `writesTlsSecret(settings)`. */
  tls?: TlsSecretValues;
}

/** A Kubernetes object: its API version and kind, a name, labels. */
export interface Manifest<A extends string = string, K extends string = string> {
  apiVersion: A;
  kind: K;
  metadata: In.meta.v1.ObjectMeta & { name: string };
}

export interface KubernetesManifests {
  namespace?: Manifest<"v1", "Namespace">;
  configMap: Manifest<"v1", "ConfigMap"> & { data: Record<string, string> };
  secret: Manifest<"v1", "Secret"> & {
    type: string;
    stringData: Record<string, pulumi.Input<string>>;
  };
  persistentVolumeClaim?: Manifest<"v1", "PersistentVolumeClaim"> & {
    spec: In.core.v1.PersistentVolumeClaimSpec;
  };
  deployment: Manifest<"apps/v1", "Deployment"> & { spec: In.apps.v1.DeploymentSpec };
  service: Manifest<"v1", "Service"> & { spec: In.core.v1.ServiceSpec };
  podDisruptionBudget?: Manifest<"policy/v1", "PodDisruptionBudget"> & {
    spec: In.policy.v1.PodDisruptionBudgetSpec;
  };
  garbageCollection?: GarbageCollectionManifests;
  serviceAccount: ReturnType<typeof renderServiceAccount>;
  metrics?: MetricsManifests;
  tlsSecret?: ReturnType<typeof renderTlsSecret>;
  certificate?: CertificateManifest;
}

/** The registry's Secret (every needed value, checked present) and the env that reads it. */
function registrySecret(
  c: ManifestContext,
  secretValues: RegistrySecretValues,
): { secret: KubernetesManifests["secret"]; secretEnv: In.core.v1.EnvVar[] } {
  const { needed, names } = c;
  for (const n of needed)
    if (secretValues[n] === undefined)
      throw new Error(`renderManifests: secret value ${n} is missing`);
  const stringData: Record<string, pulumi.Input<string>> = {};
  for (const n of needed) stringData[SECRET_KEYS[n].key] = secretValues[n]!;
  const secretEnv: In.core.v1.EnvVar[] = needed
    .filter((n) => SECRET_KEYS[n].env)
    .map((n) => ({
      name: SECRET_KEYS[n].env!,
      valueFrom: { secretKeyRef: { name: names.secret, key: SECRET_KEYS[n].key } },
    }));
  const secret: KubernetesManifests["secret"] = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: c.meta(names.secret, "server"),
    type: "Opaque",
    stringData,
  };
  return { secret, secretEnv };
}

function registryService(c: ManifestContext): KubernetesManifests["service"] {
  const { s } = c;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: c.meta(c.names.service, "server"),
    spec: {
      type: "NodePort",
      selector: c.selectorLabels("server"),
      ports: [
        {
          name: "http",
          port: REGISTRY_PORT,
          targetPort: "http",
          protocol: "TCP",
          ...(s.nodePort !== undefined ? { nodePort: s.nodePort } : {}),
        },
      ],
    },
  };
}

function namespaceManifest(c: ManifestContext): NonNullable<KubernetesManifests["namespace"]> {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: c.s.namespace,
      labels: {
        ...c.labels(),
        // Every pod here passes the restricted profile: have the cluster enforce it.
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
      },
    },
  };
}

function persistentVolumeClaim(
  c: ManifestContext,
): NonNullable<KubernetesManifests["persistentVolumeClaim"]> {
  const { s } = c;
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      ...c.meta(c.names.persistentVolumeClaim, "server"),
      // A WaitForFirstConsumer class binds only once the pod exists: Pulumi waiting for
      // "Bound" would wait for the Deployment, which waits for this claim.
      annotations: { "pulumi.com/skipAwait": "true" },
    },
    spec: {
      accessModes: [s.persistence.accessMode],
      resources: { requests: { storage: s.persistence.size } },
      ...(s.persistence.storageClass ? { storageClassName: s.persistence.storageClass } : {}),
    },
  };
}

function podDisruptionBudget(
  c: ManifestContext,
): NonNullable<KubernetesManifests["podDisruptionBudget"]> {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: c.meta(c.names.podDisruptionBudget, "server"),
    spec: { maxUnavailable: 1, selector: { matchLabels: c.selectorLabels("server") } },
  };
}

export function renderManifests(input: ManifestInput): KubernetesManifests {
  const { instance, settings: s } = input;
  const c = manifestContext(instance, s);
  const { secret, secretEnv } = registrySecret(c, input.secretValues);
  const storage = podStorage(c);

  const manifests: KubernetesManifests = {
    configMap: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: c.meta(c.names.configMap, "server"),
      data: {
        "config.yml": registryConfigYaml(s),
        ...(hasPullOnlyProxy(s) ? { "nginx.conf": podNginxConf(s, REGISTRY_PORT) } : {}),
      },
    },
    secret,
    deployment: registryDeployment(c, input.checksum, secretEnv, storage),
    service: registryService(c),
    serviceAccount: renderServiceAccount(instance, s, c.meta),
  };
  const metrics = renderMetrics(c.names.metrics, s.metrics, c.meta, c.selectorLabels("server"));
  if (metrics) manifests.metrics = metrics;

  if (hasPullOnlyProxy(s))
    guardPod(manifests.deployment, c.names.configMap, REGISTRY_PORT, s, c.tlsSecret);

  if (writesTlsSecret(s)) {
    if (!input.tls) throw new Error("renderManifests: the TLS certificate and key are missing");
    manifests.tlsSecret = renderTlsSecret(c.tlsSecret!, c.meta, input.tls);
  }
  manifests.certificate = renderCertificate(instance, s, c.meta);
  if (s.createNamespace) manifests.namespace = namespaceManifest(c);
  if (storage.persistent && !s.persistence.existingClaim)
    manifests.persistentVolumeClaim = persistentVolumeClaim(c);
  if (s.podDisruptionBudget.enabled) manifests.podDisruptionBudget = podDisruptionBudget(c);
  if (s.garbageCollection.enabled)
    manifests.garbageCollection = renderGarbageCollection({
      s,
      names: c.names,
      meta: c.meta,
      labels: c.labels,
      selectorLabels: c.selectorLabels,
      podSpecCommon: podSpecCommon(s),
      configPath: c.configPath,
      registryContainer: REGISTRY_CONTAINER,
      containerSecurity: RESTRICTED_CONTAINER_SECURITY,
    });
  return manifests;
}

/** Every object, in the order `kubectl apply` would want them. */
export function manifestList(m: KubernetesManifests): Manifest[] {
  const gc = m.garbageCollection;
  const all: (Manifest | undefined)[] = [
    m.namespace,
    m.configMap,
    m.secret,
    m.tlsSecret,
    m.certificate,
    m.persistentVolumeClaim,
    m.serviceAccount,
    m.deployment,
    m.service,
    m.metrics?.service,
    m.metrics?.serviceMonitor,
    m.podDisruptionBudget,
    gc?.serviceAccount,
    gc?.role,
    gc?.roleBinding,
    gc?.cronJob,
  ];
  return all.filter((x): x is Manifest => x !== undefined);
}
