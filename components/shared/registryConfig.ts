/**
 * The registry's config.yml, one renderer for every self-hosted backend (Kubernetes,
 * VM, Docker). Secrets never go in this file: they reach the registry as
 * REGISTRY_* environment variables (see registrySecretEnv), so the file itself can be
 * shown in a pull-request diff.
 */
import { stringify } from "yaml";
import { parseImageRef } from "../../config/imageRef";

export type StorageSpec =
  | { driver: "filesystem"; rootDirectory: string }
  | {
      driver: "s3";
      bucket: string;
      region: string;
      regionEndpoint?: string;
      rootDirectory?: string;
      encrypt: boolean;
      forcePathStyle?: boolean;
      /** false: plain HTTP to regionEndpoint (default true). */
      secure?: boolean;
      skipVerify?: boolean;
    }
  | { driver: "gcs"; bucket: string; rootDirectory?: string; keyfile?: string };

export interface RegistryConfigSpec {
  /** Where the registry listens, e.g. ":5000" or "127.0.0.1:5000". */
  listenAddress: string;
  storage: StorageSpec;
  /** Allow deleting manifests and blobs through the API (needed before garbage collection). */
  deleteEnabled: boolean;
  /** Turn on the registry's own htpasswd auth, reading this file. */
  htpasswdPath?: string;
  /** Pull-through cache of another registry (its password comes by environment). */
  proxy?: { remoteUrl: string; username?: string; ttl?: string };
  /** The registry's own TLS listener (used where nothing terminates TLS in front). */
  tls?: { certificate: string; key: string; minimumTls?: "tls1.2" | "tls1.3" };
  /** Maintenance mode: refuse writes, e.g. while garbage collection runs. */
  readOnly?: boolean;
  /** Answer with relative Location headers (behind a TLS proxy with a different host:port). */
  relativeUrls?: boolean;
  /** Debug and Prometheus metrics listener, e.g. ":5001". */
  debugAddress?: string;
  logLevel: "error" | "warn" | "info" | "debug";
  /** notifications.events (the endpoints themselves come by env: REGISTRY_NOTIFICATIONS_ENDPOINTS). */
  notifications?: { includeReferences: boolean };
}

/** The environment variables that carry secrets into the registry (values come from a secret store). */
export const registrySecretEnv = {
  httpSecret: "REGISTRY_HTTP_SECRET",
  s3AccessKey: "REGISTRY_STORAGE_S3_ACCESSKEY",
  s3SecretKey: "REGISTRY_STORAGE_S3_SECRETKEY",
  proxyPassword: "REGISTRY_PROXY_PASSWORD",
  notificationEndpoints: "REGISTRY_NOTIFICATIONS_ENDPOINTS",
} as const;

/** The secret values that reach the registry by environment, as plain text. */
export interface RegistrySecretEnvValues {
  httpSecret: string;
  s3AccessKey?: string;
  s3SecretKey?: string;
  proxyPassword?: string;
  /** The whole endpoint list, already YAML (notificationEndpointsEnv): passed as is. */
  notificationEndpoints?: string;
}

/**
 * The registry's secret environment, variable name → value, for every self-hosted
 * backend. distribution parses each REGISTRY_* value as YAML (configuration/parser.go):
 * a raw `!x` becomes empty, `*x` stops the registry, `0123` or `yes` change meaning. So
 * each value is written as a YAML string that parses back to exactly itself.
 */
export function registrySecretEnvVars(v: RegistrySecretEnvValues): Record<string, string> {
  const env: Record<string, string> = { [registrySecretEnv.httpSecret]: yamlString(v.httpSecret) };
  if (v.s3AccessKey) env[registrySecretEnv.s3AccessKey] = yamlString(v.s3AccessKey);
  if (v.s3SecretKey) env[registrySecretEnv.s3SecretKey] = yamlString(v.s3SecretKey);
  if (v.proxyPassword) env[registrySecretEnv.proxyPassword] = yamlString(v.proxyPassword);
  if (v.notificationEndpoints)
    env[registrySecretEnv.notificationEndpoints] = v.notificationEndpoints;
  return env;
}

/**
 * A YAML double-quoted scalar holding exactly `value`, on one line of printable ASCII
 * with no `'`, no `$` and no backslash pair: so it also passes unchanged through a
 * Compose env_file in single quotes (compose v2 reads them literally; docker-compose 1.x
 * turns `\\` into `\`) and through a container's `NAME=value` env. `"` is written `\"`,
 * a backslash `\x5C`, and every other character outside printable ASCII, `'` and `$`
 * as a YAML escape (\xXX, \uXXXX, \UXXXXXXXX).
 */
export function yamlString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (cp >= 0x20 && cp < 0x7f && !"\\'$".includes(ch)) out += ch;
    else if (cp <= 0xff) out += `\\x${hex(cp, 2)}`;
    else if (cp <= 0xffff) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return `${out}"`;
}

const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, "0");

/** The distribution major version an image's tag names (2 when the tag does not say). */
export function registryMajor(image: string): number {
  const tag = parseImageRef(image).tag ?? "";
  return Number(/^v?(\d+)/.exec(tag)?.[1] ?? "2");
}

/** Where the registry image reads its config: v3 images moved it. */
export function registryConfigPath(image: string): string {
  return registryMajor(image) >= 3
    ? "/etc/distribution/config.yml"
    : "/etc/docker/registry/config.yml";
}

export function registryConfigObject(spec: RegistryConfigSpec): Record<string, unknown> {
  const storage: Record<string, unknown> = {
    delete: { enabled: spec.deleteEnabled },
    ...(spec.readOnly ? { maintenance: { readonly: { enabled: true } } } : {}),
  };
  switch (spec.storage.driver) {
    case "filesystem":
      storage.filesystem = { rootdirectory: spec.storage.rootDirectory };
      break;
    case "s3": {
      const s = spec.storage;
      storage.s3 = {
        bucket: s.bucket,
        region: s.region,
        encrypt: s.encrypt,
        secure: s.secure ?? true,
        ...(s.skipVerify ? { skipverify: true } : {}),
        ...(s.regionEndpoint ? { regionendpoint: s.regionEndpoint } : {}),
        ...(s.rootDirectory ? { rootdirectory: s.rootDirectory } : {}),
        ...(s.forcePathStyle !== undefined ? { forcepathstyle: s.forcePathStyle } : {}),
      };
      break;
    }
    case "gcs": {
      const s = spec.storage;
      storage.gcs = {
        bucket: s.bucket,
        ...(s.rootDirectory ? { rootdirectory: s.rootDirectory } : {}),
        ...(s.keyfile ? { keyfile: s.keyfile } : {}),
      };
      break;
    }
  }
  // The in-memory blob-descriptor cache: fast, and rebuilt on restart (see GC notes).
  storage.cache = { blobdescriptor: "inmemory" };

  const http: Record<string, unknown> = {
    addr: spec.listenAddress,
    headers: { "X-Content-Type-Options": ["nosniff"] },
    ...(spec.relativeUrls ? { relativeurls: true } : {}),
    ...(spec.tls
      ? {
          tls: {
            certificate: spec.tls.certificate,
            key: spec.tls.key,
            ...(spec.tls.minimumTls ? { minimumtls: spec.tls.minimumTls } : {}),
          },
        }
      : {}),
    ...(spec.debugAddress
      ? { debug: { addr: spec.debugAddress, prometheus: { enabled: true, path: "/metrics" } } }
      : {}),
  };

  return {
    version: 0.1,
    log: { level: spec.logLevel, fields: { service: "registry" } },
    storage,
    http,
    ...(spec.htpasswdPath
      ? { auth: { htpasswd: { realm: "Registry", path: spec.htpasswdPath } } }
      : {}),
    health: { storagedriver: { enabled: true, interval: "10s", threshold: 3 } },
    ...(spec.proxy
      ? {
          proxy: {
            remoteurl: spec.proxy.remoteUrl,
            ...(spec.proxy.username ? { username: spec.proxy.username } : {}),
            ...(spec.proxy.ttl ? { ttl: spec.proxy.ttl } : {}),
          },
        }
      : {}),
    ...(spec.notifications?.includeReferences
      ? { notifications: { events: { includereferences: true } } }
      : {}),
  };
}

export function renderRegistryConfig(spec: RegistryConfigSpec): string {
  return stringify(registryConfigObject(spec));
}
