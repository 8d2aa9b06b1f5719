/**
 * Every Kubernetes object of the registry, as plain data: settings and secret values
 * in, manifests out. No Pulumi here (the types are only types): the component turns
 * these into resources, `render` writes them to manifests.yaml, and tests validate
 * them against the Kubernetes API schemas.
 *
 * Secret values are `Input<string>`: plain strings in tests, secret Outputs in the
 * component, so the same objects serve both.
 */
import { createHash } from "node:crypto";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type * as In from "@pulumi/kubernetes/types/input";
import {
  registryConfigPath,
  registrySecretEnv,
  renderRegistryConfig,
  type RegistryConfigSpec,
} from "../shared/registryConfig";
import { selfHostedConfigSpec } from "../shared/selfHostedConfig";
import { renderGarbageCollection, type GarbageCollectionManifests } from "./garbageCollection";
import type { KubernetesSettings } from "./settings";
import {
  registryTlsSpec,
  renderCertificate,
  renderTlsSecret,
  TLS_CERT_PATH,
  TLS_DIR,
  TLS_KEY_PATH,
  tlsSecretName,
  writesTlsSecret,
  type CertificateManifest,
  type TlsSecretValues,
} from "./tls";

/** The registry's port inside the pod and on the Service. */
export const REGISTRY_PORT = 5000;
/** The registry container's user and group: non-root, as Pod Security "restricted" wants. */
export const RUN_AS = 1000;
export const DATA_DIR = "/var/lib/registry";
export const HTPASSWD_PATH = "/auth/htpasswd";
export const GCS_KEY_PATH = "/etc/registry-gcs/key.json";
/** The registry's container in the Deployment's pods (garbage collection execs into it). */
export const REGISTRY_CONTAINER = "registry";
/** The secret values the registry may need, by what they are. */
export interface RegistrySecretValues {
  httpSecret: pulumi.Input<string>;
  htpasswd?: pulumi.Input<string>;
  s3AccessKey?: pulumi.Input<string>;
  s3SecretKey?: pulumi.Input<string>;
  proxyPassword?: pulumi.Input<string>;
  gcsKeyJson?: pulumi.Input<string>;
}
export type SecretValueName = keyof RegistrySecretValues;

/**
 * Each secret value: its key in the Secret, and how the registry reads it (env var or
 * file). A value read by env is stored as the env must receive it: a YAML string
 * (registrySecretEnvVars; the component quotes it).
 */
const SECRET_KEYS: Record<SecretValueName, { key: string; env?: string }> = {
  httpSecret: { key: "http-secret", env: registrySecretEnv.httpSecret },
  htpasswd: { key: "htpasswd" },
  s3AccessKey: { key: "s3-access-key", env: registrySecretEnv.s3AccessKey },
  s3SecretKey: { key: "s3-secret-key", env: registrySecretEnv.s3SecretKey },
  proxyPassword: { key: "proxy-password", env: registrySecretEnv.proxyPassword },
  gcsKeyJson: { key: "gcs-key.json" },
};

/** Which secret values these settings need (the component supplies exactly these). */
export function secretValueNames(s: KubernetesSettings): SecretValueName[] {
  const names: SecretValueName[] = ["httpSecret"];
  if (s.auth.enabled) names.push("htpasswd");
  if (s.storage.driver === "s3" && s.storage.s3?.accessKey) names.push("s3AccessKey");
  if (s.storage.driver === "s3" && s.storage.s3?.secretKey) names.push("s3SecretKey");
  if (s.proxy?.password) names.push("proxyPassword");
  if (s.storage.driver === "gcs" && s.storage.gcs?.keyJson) names.push("gcsKeyJson");
  return names;
}

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

/**
 * A digest of the config and the secret values, put on the pod template so that pods
 * roll when either changes (the registry reads both only at start).
 */
export function contentChecksum(configYaml: string, secrets: Record<string, string>): string {
  const hash = createHash("sha256").update(configYaml);
  for (const key of Object.keys(secrets).sort()) hash.update(`\0${key}\0${secrets[key]}`);
  return hash.digest("hex");
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

const RESTRICTED_POD_SECURITY: In.core.v1.PodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: RUN_AS,
  runAsGroup: RUN_AS,
  // Volumes (the PVC, mounted secrets) become group-owned by 1000, so the registry can use them.
  fsGroup: RUN_AS,
  seccompProfile: { type: "RuntimeDefault" },
};

const RESTRICTED_CONTAINER_SECURITY: In.core.v1.SecurityContext = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};

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

  const volumes: In.core.v1.Volume[] = [
    {
      name: "config",
      configMap: {
        name: names.configMap,
        items: [{ key: "config.yml", path: path.posix.basename(configPath) }],
      },
    },
    { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
  ];
  const mounts: In.core.v1.VolumeMount[] = [
    { name: "config", mountPath: path.posix.dirname(configPath), readOnly: true },
    { name: "tmp", mountPath: "/tmp" },
  ];
  if (filesystem) {
    volumes.push(
      persistent
        ? { name: "data", persistentVolumeClaim: { claimName } }
        : { name: "data", emptyDir: { sizeLimit: s.persistence.size } },
    );
    mounts.push({ name: "data", mountPath: DATA_DIR });
  }
  if (needed.includes("gcsKeyJson")) {
    volumes.push({
      name: "gcs-key",
      secret: {
        secretName: names.secret,
        items: [{ key: SECRET_KEYS.gcsKeyJson.key, path: path.posix.basename(GCS_KEY_PATH) }],
        defaultMode: 0o440,
      },
    });
    mounts.push({ name: "gcs-key", mountPath: path.posix.dirname(GCS_KEY_PATH), readOnly: true });
  }
  if (needed.includes("htpasswd")) {
    volumes.push({
      name: "htpasswd",
      secret: {
        secretName: names.secret,
        items: [{ key: SECRET_KEYS.htpasswd.key, path: path.posix.basename(HTPASSWD_PATH) }],
        defaultMode: 0o440,
      },
    });
    mounts.push({ name: "htpasswd", mountPath: path.posix.dirname(HTPASSWD_PATH), readOnly: true });
  }
  const tlsSecret = tlsSecretName(instance, s);
  if (tlsSecret) {
    const file = (key: string, p: string) => ({ key, path: path.posix.basename(p) });
    volumes.push({
      name: "tls",
      secret: {
        secretName: tlsSecret,
        items: [file("tls.crt", TLS_CERT_PATH), file("tls.key", TLS_KEY_PATH)],
        defaultMode: 0o440,
      },
    });
    mounts.push({ name: "tls", mountPath: TLS_DIR, readOnly: true });
  }

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
