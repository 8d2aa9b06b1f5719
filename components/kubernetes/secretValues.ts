/**
 * The secret values the Kubernetes registry may need, the Secret keys that hold them,
 * and the checksum that rolls the pods when any of them (or the config) changes.
 */
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { registrySecretEnv } from "../shared/registryConfig";
import type { KubernetesSettings } from "./settings";

/** The secret values the registry may need, by what they are. */
export interface RegistrySecretValues {
  httpSecret: pulumi.Input<string>;
  htpasswd?: pulumi.Input<string>;
  s3AccessKey?: pulumi.Input<string>;
  s3SecretKey?: pulumi.Input<string>;
  proxyPassword?: pulumi.Input<string>;
  notificationEndpoints?: pulumi.Input<string>;
  gcsKeyJson?: pulumi.Input<string>;
}
export type SecretValueName = keyof RegistrySecretValues;

/**
 * Each secret value: its key in the Secret, and how the registry reads it (env var or
 * file). A value read by env is stored as the env must receive it: a YAML string
 * (registrySecretEnvVars; the component quotes it).
 */
export const SECRET_KEYS: Record<SecretValueName, { key: string; env?: string }> = {
  httpSecret: { key: "http-secret", env: registrySecretEnv.httpSecret },
  htpasswd: { key: "htpasswd" },
  s3AccessKey: { key: "s3-access-key", env: registrySecretEnv.s3AccessKey },
  s3SecretKey: { key: "s3-secret-key", env: registrySecretEnv.s3SecretKey },
  proxyPassword: { key: "proxy-password", env: registrySecretEnv.proxyPassword },
  gcsKeyJson: { key: "gcs-key.json" },
  notificationEndpoints: {
    key: "notification-endpoints",
    env: registrySecretEnv.notificationEndpoints,
  },
};

/** Which secret values these settings need (the component supplies exactly these). */
export function secretValueNames(s: KubernetesSettings): SecretValueName[] {
  const names: SecretValueName[] = ["httpSecret"];
  if (s.auth.enabled) names.push("htpasswd");
  if (s.storage.driver === "s3" && s.storage.s3?.accessKey) names.push("s3AccessKey");
  if (s.storage.driver === "s3" && s.storage.s3?.secretKey) names.push("s3SecretKey");
  if (s.proxy?.password) names.push("proxyPassword");
  if (s.storage.driver === "gcs" && s.storage.gcs?.keyJson) names.push("gcsKeyJson");
  if (s.notifications) names.push("notificationEndpoints");
  return names;
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
