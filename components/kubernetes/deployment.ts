/**
 * The registry's Deployment: its pod's storage and secret files, its one container, and
 * the pod settings the garbage collection's pods share.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as In from "@pulumi/kubernetes/types/input";
import {
  DATA_DIR,
  GCS_KEY_PATH,
  HTPASSWD_PATH,
  REGISTRY_CONTAINER,
  REGISTRY_PORT,
  type ManifestContext,
} from "./context";
import type { KubernetesManifests } from "./plan";
import { RESTRICTED_CONTAINER_SECURITY, RESTRICTED_POD_SECURITY } from "./podSecurity";
import { podVolumes, type SecretFiles } from "./podVolumes";
import { SECRET_KEYS, type SecretValueName } from "./secretValues";
import type { KubernetesSettings } from "./settings";
import { tlsSecretFiles, writesTlsSecret } from "./tls";
import { metricsContainerPorts } from "./metrics";
import { CHECKSUM_ANNOTATION, registryPodPlacement, sharedScheduling } from "./podPlacement";

/** Where the registry's data lives: a claim (the stack's or an existing one), emptyDir, or none. */
export function podStorage(c: ManifestContext) {
  const { s, names, needed, tlsSecret } = c;
  const filesystem = s.storage.driver === "filesystem";
  const persistent = filesystem && s.persistence.enabled;
  const claimName = s.persistence.existingClaim ?? names.persistentVolumeClaim;
  // A ReadWriteOnce volume is attached to one node: a rolling update's new pod on another
  // node would wait for it forever (Multi-Attach) while the old pod keeps it.
  const singleNodeVolume = persistent && s.persistence.accessMode === "ReadWriteOnce";

  const fromRegistrySecret = (volume: string, n: SecretValueName, file: string): SecretFiles[] =>
    needed.includes(n)
      ? [{ volume, secretName: names.secret, files: [[SECRET_KEYS[n].key, file]] }]
      : [];
  const { volumes, mounts } = podVolumes({
    configMapName: names.configMap,
    configPath: c.configPath,
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
  return { persistent, singleNodeVolume, volumes, mounts };
}

/** What the registry's pods and the garbage collection's pods share. */
export function podSpecCommon(s: KubernetesSettings): Partial<In.core.v1.PodSpec> {
  return {
    securityContext: RESTRICTED_POD_SECURITY,
    // A Service named "registry" would inject REGISTRY_PORT=tcp://... into the pod, and
    // the registry reads every REGISTRY_* variable as a config override.
    enableServiceLinks: false,
    ...(s.nodeSelector ? { nodeSelector: s.nodeSelector } : {}),
    ...sharedScheduling(s),
  };
}

/** The registry's container: its config, port, secret env, mounts, probes and limits. */
function registryContainer(
  c: ManifestContext,
  secretEnv: In.core.v1.EnvVar[],
  mounts: In.core.v1.VolumeMount[],
): In.core.v1.Container {
  const { s, tlsSecret } = c;
  const resources: In.core.v1.ResourceRequirements = {
    requests: { cpu: s.resources.requests.cpu, memory: s.resources.requests.memory },
    limits: {
      ...(s.resources.limits.cpu ? { cpu: s.resources.limits.cpu } : {}),
      memory: s.resources.limits.memory,
    },
  };
  const httpProbe = {
    httpGet: { path: "/", port: "http", ...(tlsSecret ? { scheme: "HTTPS" } : {}) },
    timeoutSeconds: 3,
  };
  return {
    name: REGISTRY_CONTAINER,
    image: s.image,
    imagePullPolicy: "IfNotPresent",
    // The image's entrypoint turns "<file>.yml" into `registry serve <file>.yml`.
    args: [c.configPath],
    ports: [
      { name: "http", containerPort: REGISTRY_PORT, protocol: "TCP" },
      ...metricsContainerPorts(s.metrics),
    ],
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
  };
}

export function registryDeployment(
  c: ManifestContext,
  checksum: pulumi.Input<string>,
  secretEnv: In.core.v1.EnvVar[],
  storage: ReturnType<typeof podStorage>,
): KubernetesManifests["deployment"] {
  const { s, names, tlsSecret, labels, versioned, selectorLabels } = c;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      ...c.meta(names.deployment, "server"),
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
      strategy: storage.singleNodeVolume
        ? { type: "Recreate" }
        : { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels: versioned(labels("server")),
          annotations: { ...s.podAnnotations, [CHECKSUM_ANNOTATION]: checksum },
        },
        spec: {
          ...podSpecCommon(s),
          // Its own ServiceAccount; no API token unless asked (the registry never calls the API).
          ...registryPodPlacement(c.instance, s),
          containers: [registryContainer(c, secretEnv, storage.mounts)],
          volumes: storage.volumes,
        },
      },
    },
  };
}
