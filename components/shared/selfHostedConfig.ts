/**
 * The shared settings of a self-hosted registry → the config.yml model, once for the
 * Kubernetes, VM and Docker backends. A backend only says where things are in its
 * container; secrets stay out (they go by env: registrySecretEnv).
 */
import * as pulumi from "@pulumi/pulumi";
import { registrySecretEnvVars, type RegistryConfigSpec, type StorageSpec } from "./registryConfig";
import { notificationEndpointsEnv } from "./notifications";
import type { SelfHostedSettings, StorageSettings } from "./selfHostedSettings";

/** Where the registry listens and finds its files, inside its container or pod. */
export interface RegistryPlacement {
  listenAddress: string;
  /** Filesystem storage root (the mounted volume). */
  dataDir: string;
  htpasswdPath: string;
  /** Where a GCS key file is mounted (used only when storage.gcs.keyJson is set). */
  gcsKeyPath: string;
}

export function storageSpec(storage: StorageSettings, at: RegistryPlacement): StorageSpec {
  if (storage.driver === "s3" && storage.s3) {
    const { bucket, region, regionEndpoint, rootDirectory, encrypt, forcePathStyle } = storage.s3;
    const { secure, skipVerify } = storage.s3;
    return {
      driver: "s3",
      bucket,
      region,
      regionEndpoint,
      rootDirectory,
      encrypt,
      forcePathStyle,
      ...(secure !== undefined ? { secure } : {}),
      ...(skipVerify !== undefined ? { skipVerify } : {}),
    };
  }
  if (storage.driver === "gcs" && storage.gcs) {
    const { bucket, rootDirectory, keyJson } = storage.gcs;
    return { driver: "gcs", bucket, rootDirectory, ...(keyJson ? { keyfile: at.gcsKeyPath } : {}) };
  }
  return { driver: "filesystem", rootDirectory: at.dataDir };
}

export function selfHostedConfigSpec(
  s: SelfHostedSettings,
  at: RegistryPlacement,
): RegistryConfigSpec {
  return {
    listenAddress: at.listenAddress,
    storage: storageSpec(s.storage, at),
    deleteEnabled: s.storage.deleteEnabled,
    htpasswdPath: s.auth.enabled ? at.htpasswdPath : undefined,
    proxy: s.proxy && {
      remoteUrl: s.proxy.remoteUrl,
      username: s.proxy.username,
      ttl: s.proxy.ttl,
    },
    logLevel: s.logLevel,
    ...(s.notifications
      ? { notifications: { includeReferences: s.notifications.includeReferences } }
      : {}),
  };
}

/**
 * The registry's secret environment for these settings (registrySecretEnvVars: each value
 * a YAML string), a Pulumi secret. Every self-hosted backend uses this.
 */
export function selfHostedSecretEnv(
  s: SelfHostedSettings,
  httpSecret: pulumi.Input<string>,
): pulumi.Output<Record<string, string>> {
  const values = pulumi.output({
    httpSecret,
    s3AccessKey: s.storage.driver === "s3" ? s.storage.s3?.accessKey : undefined,
    s3SecretKey: s.storage.driver === "s3" ? s.storage.s3?.secretKey : undefined,
    proxyPassword: s.proxy?.password,
    notificationEndpoints: s.notifications
      ? pulumi
          .output(s.notifications.endpoints.map((e) => e.token))
          .apply((tokens) => notificationEndpointsEnv(s.notifications!.endpoints, tokens))
      : undefined,
  });
  return pulumi.secret(values.apply(registrySecretEnvVars));
}
