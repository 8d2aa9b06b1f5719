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
import {
  registryConfigPath,
  renderRegistryConfig,
  type RegistryConfigSpec,
} from "../shared/registryConfig";
import { selfHostedConfigSpec } from "../shared/selfHostedConfig";
import { renderGarbageCollection, type GarbageCollectionManifests } from "./garbageCollection";
import { RESTRICTED_CONTAINER_SECURITY, RESTRICTED_POD_SECURITY, RUN_AS } from "./podSecurity";
import { podVolumes, type SecretFiles } from "./podVolumes";
import {
  SECRET_KEYS,
  secretValueNames,
  type RegistrySecretValues,
  type SecretValueName,
} from "./secretValues";
import type { KubernetesSettings } from "./settings";
import {
  registryTlsSpec,
  renderCertificate,
  renderTlsSecret,
  tlsSecretFiles,
  tlsSecretName,
  writesTlsSecret,
  type CertificateManifest,
  type TlsSecretValues,
} from "./tls";

export { RUN_AS };

/** The registry's port inside the pod and on the Service. */
export const REGISTRY_PORT = 5000;
export const DATA_DIR = "/var/lib/registry";
export const HTPASSWD_PATH = "/auth/htpasswd";
export const GCS_KEY_PATH = "/etc/registry-gcs/key.json";
/** The registry's container in the Deployment's pods (garbage collection execs into it). */
export const REGISTRY_CONTAINER = "registry";
/** The registry's config.yml model for these settings (secrets go by env or file, never in it). */
export function registryConfigSpec(s: KubernetesSettings): RegistryConfigSpec {
  const spec = selfHostedConfigSpec(s, {
    listenAddress: `:${REGISTRY_PORT}`,
    dataDir: DATA_DIR,
    htpasswdPath: HTPASSWD_PATH,
    gcsKeyPath: GCS_KEY_PATH,
  });
  const tls = registryTlsSpec(s);
  return tls ? { ...spec, tls } : spec;
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
  tlsSecret?: ReturnType<typeof renderTlsSecret>;
  certificate?: CertificateManifest;
}

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
  };
}

/** The version label from the image tag (none for a digest-only reference). */
function imageVersion(image: string): string | undefined {
  const tag = /:([A-Za-z0-9_][A-Za-z0-9_.-]{0,62})(@sha256:[a-f0-9]+)?$/.exec(
    image.replace(/^[^/]*:[0-9]+\//, ""),
  );
  return tag?.[1];
}

export function renderManifests(input: ManifestInput): KubernetesManifests {
  const { instance, settings: s } = input;
  const names = objectNames(instance);
  const namespace = s.namespace;
  const configPath = registryConfigPath(s.image);
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

  // ---- secret values ----
  const needed = secretValueNames(s);
  for (const n of needed)
    if (input.secretValues[n] === undefined)
      throw new Error(`renderManifests: secret value ${n} is missing`);
  const stringData: Record<string, pulumi.Input<string>> = {};
  for (const n of needed) stringData[SECRET_KEYS[n].key] = input.secretValues[n]!;
  const secretEnv: In.core.v1.EnvVar[] = needed
    .filter((n) => SECRET_KEYS[n].env)
    .map((n) => ({
      name: SECRET_KEYS[n].env!,
      valueFrom: { secretKeyRef: { name: names.secret, key: SECRET_KEYS[n].key } },
    }));

  // ---- storage ----
  const filesystem = s.storage.driver === "filesystem";
  const persistent = filesystem && s.persistence.enabled;
  const claimName = s.persistence.existingClaim ?? names.persistentVolumeClaim;
  // A ReadWriteOnce volume is attached to one node: a rolling update's new pod on another
  // node would wait for it forever (Multi-Attach) while the old pod keeps it.
  const singleNodeVolume = persistent && s.persistence.accessMode === "ReadWriteOnce";

  const tlsSecret = tlsSecretName(instance, s);
  const fromRegistrySecret = (volume: string, n: SecretValueName, file: string): SecretFiles[] =>
    needed.includes(n)
      ? [{ volume, secretName: names.secret, files: [[SECRET_KEYS[n].key, file]] }]
      : [];
  const { volumes, mounts } = podVolumes({
    configMapName: names.configMap,
    configPath,
    data: filesystem
      ? {
          dataDir: DATA_DIR,
          claimName: persistent ? claimName : undefined,
          emptyDirSize: s.persistence.size,
        }
      : undefined,
    secretFiles: [
      ...fromRegistrySecret("gcs-key", "gcsKeyJson", GCS_KEY_PATH),
      ...fromRegistrySecret("htpasswd", "htpasswd", HTPASSWD_PATH),
      ...(tlsSecret ? [tlsSecretFiles(tlsSecret)] : []),
    ],
  });

  const resources: In.core.v1.ResourceRequirements = {
    requests: { cpu: s.resources.requests.cpu, memory: s.resources.requests.memory },
    limits: {
      ...(s.resources.limits.cpu ? { cpu: s.resources.limits.cpu } : {}),
      memory: s.resources.limits.memory,
    },
  };

  const podSpecCommon: Partial<In.core.v1.PodSpec> = {
    securityContext: RESTRICTED_POD_SECURITY,
    // A Service named "registry" would inject REGISTRY_PORT=tcp://... into the pod, and
    // the registry reads every REGISTRY_* variable as a config override.
    enableServiceLinks: false,
    ...(s.nodeSelector ? { nodeSelector: s.nodeSelector } : {}),
  };

  const httpProbe = {
    httpGet: { path: "/", port: "http", ...(tlsSecret ? { scheme: "HTTPS" } : {}) },
    timeoutSeconds: 3,
  };
  const deployment: KubernetesManifests["deployment"] = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      ...meta(names.deployment, "server"),
      labels: versioned(labels("server")),
      // Server-side apply without force fails on a field another manager took, such as
      // .spec.replicas after a `kubectl scale` (by a person, or by the garbage collection
      // of earlier releases): pulumi-kubernetes#2491, #3312. The stack's values win.
      annotations: {
        "pulumi.com/patchForce": "true",
        // A Secret someone else renews (cert-manager, a user): the registry serves a new
        // certificate only from new pods, which Reloader starts if the cluster runs it.
        ...(tlsSecret && !writesTlsSecret(s)
          ? { "secret.reloader.stakater.com/reload": tlsSecret }
          : {}),
      },
    },
    spec: {
      replicas: s.replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selectorLabels("server") },
      strategy: singleNodeVolume
        ? { type: "Recreate" }
        : { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels: versioned(labels("server")),
          annotations: { "checksum/config-and-secrets": input.checksum },
        },
        spec: {
          ...podSpecCommon,
          // The registry never talks to the Kubernetes API.
          automountServiceAccountToken: false,
          containers: [
            {
              name: REGISTRY_CONTAINER,
              image: s.image,
              imagePullPolicy: "IfNotPresent",
              // The image's entrypoint turns "<file>.yml" into `registry serve <file>.yml`.
              args: [configPath],
              ports: [{ name: "http", containerPort: REGISTRY_PORT, protocol: "TCP" }],
              env: secretEnv,
              volumeMounts: mounts,
              readinessProbe: { ...httpProbe, periodSeconds: 5, failureThreshold: 3 },
              livenessProbe: {
                ...httpProbe,
                initialDelaySeconds: 10,
                periodSeconds: 10,
                failureThreshold: 3,
              },
              resources,
              securityContext: RESTRICTED_CONTAINER_SECURITY,
            },
          ],
          volumes,
        },
      },
    },
  };

  const service: KubernetesManifests["service"] = {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(names.service, "server"),
    spec: {
      type: "NodePort",
      selector: selectorLabels("server"),
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

  const manifests: KubernetesManifests = {
    configMap: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: meta(names.configMap, "server"),
      data: { "config.yml": registryConfigYaml(s) },
    },
    secret: {
      apiVersion: "v1",
      kind: "Secret",
      metadata: meta(names.secret, "server"),
      type: "Opaque",
      stringData,
    },
    deployment,
    service,
  };

  if (writesTlsSecret(s)) {
    if (!input.tls) throw new Error("renderManifests: the TLS certificate and key are missing");
    manifests.tlsSecret = renderTlsSecret(tlsSecret!, meta, input.tls);
  }
  manifests.certificate = renderCertificate(instance, s, meta);

  if (s.createNamespace)
    manifests.namespace = {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: namespace,
        labels: {
          ...labels(),
          // Every pod here passes the restricted profile: have the cluster enforce it.
          "pod-security.kubernetes.io/enforce": "restricted",
          "pod-security.kubernetes.io/enforce-version": "latest",
        },
      },
    };

  if (persistent && !s.persistence.existingClaim)
    manifests.persistentVolumeClaim = {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: {
        ...meta(names.persistentVolumeClaim, "server"),
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

  if (s.podDisruptionBudget.enabled)
    manifests.podDisruptionBudget = {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: meta(names.podDisruptionBudget, "server"),
      spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels("server") } },
    };

  if (s.garbageCollection.enabled)
    manifests.garbageCollection = renderGarbageCollection({
      s,
      names,
      meta,
      labels,
      selectorLabels,
      podSpecCommon,
      configPath,
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
    m.deployment,
    m.service,
    m.podDisruptionBudget,
    gc?.serviceAccount,
    gc?.role,
    gc?.roleBinding,
    gc?.cronJob,
  ];
  return all.filter((x): x is Manifest => x !== undefined);
}
