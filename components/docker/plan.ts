/**
 * The docker backend's decisions as plain values: names, paths, ports, the registry
 * config spec, the container's healthcheck and log limits. The component only wires
 * these into resources; tests call them directly.
 */
import * as path from "node:path";
import { registryConfigPath, type RegistryConfigSpec } from "../shared/registryConfig";
import { selfHostedConfigSpec } from "../shared/selfHostedConfig";
import type { NginxConfigOptions } from "../shared/nginxConfig";
import type { DockerSettings } from "./settings";
import { hostWithPort } from "../shared/hostPort";
import { REGISTRY_DATA_DIR, REGISTRY_HEALTH_URL, REGISTRY_PORT } from "../shared/registryImage";
import { pullOnlyGuardFor } from "../shared/pullOnlyGuard";

/** The registry listens here inside its container (the image's default). */
export const REGISTRY_CONTAINER_PORT = REGISTRY_PORT;
/** nginx listens here inside its container when TLS is on. */
export const NGINX_CONTAINER_PORT = 443;
/** nginx listens here inside its container without TLS (only the pull-only guard brings it). */
export const NGINX_PLAIN_CONTAINER_PORT = 8000;
/** nginx's plain-HTTP /healthz listener, inside its container only (not published). */
export const NGINX_HEALTH_LISTEN = "127.0.0.1:8080";
/** Where nginx's files go in the official image (directories that exist there). */
export const NGINX_PATHS = {
  config: "/etc/nginx/nginx.conf",
  certificate: "/etc/nginx/registry.crt",
  key: "/etc/nginx/registry.key",
} as const;
/** Where the registry image keeps filesystem storage; the named volume is mounted here. */
export { REGISTRY_DATA_DIR };

export interface PublishedPort {
  ip: string;
  external: number;
  internal: number;
}

export interface DockerRegistryPlan {
  /** REGISTRY: the image prefix clients use, host:port. */
  address: string;
  registryContainerName: string;
  /** Where the image reads its config (v2 and v3 differ); our files sit beside it. */
  configPath: string;
  /** Set when auth is on. */
  htpasswdPath?: string;
  /** Set when GCS storage has a key in config. */
  gcsKeyPath?: string;
  registryConfig: RegistryConfigSpec;
  /** Published registry ports: none when nginx fronts it. */
  registryPorts: PublishedPort[];
  /** The named volume, when storage is on the filesystem (object storage needs none). */
  volume?: { name: string; retainOnDelete: boolean };
  /**
   * Present when TLS is on or a pull-only user is set: nginx on a private network in
   * front of the registry (TLS, and the pull-only guard).
   */
  proxy?: {
    networkName: string;
    nginxContainerName: string;
    nginxPorts: PublishedPort[];
    /** DNS names and IPs in the server certificate; unset: nginx serves plain HTTP. */
    serverNames?: string[];
    /** What the VM backend's nginx renderer is given. */
    nginx: NginxConfigOptions;
  };
}

export function planDockerRegistry(s: DockerSettings): DockerRegistryPlan {
  const configPath = registryConfigPath(s.image);
  const configDir = path.posix.dirname(configPath);
  const htpasswdPath = s.auth.enabled ? `${configDir}/htpasswd` : undefined;
  const gcsKeyPath =
    s.storage.driver === "gcs" && s.storage.gcs?.keyJson !== undefined
      ? `${configDir}/gcs-key.json`
      : undefined;
  const publishedPort = s.tls.enabled ? s.tls.port : s.port;
  const address = hostWithPort(s.advertiseHost ?? "localhost", publishedPort, true);
  const pullOnly = pullOnlyGuardFor(s.auth);
  const proxy = s.tls.enabled || pullOnly !== undefined;
  const nginxPort = s.tls.enabled ? NGINX_CONTAINER_PORT : NGINX_PLAIN_CONTAINER_PORT;

  const registryConfig = selfHostedConfigSpec(s, {
    listenAddress: `:${REGISTRY_CONTAINER_PORT}`,
    dataDir: REGISTRY_DATA_DIR,
    htpasswdPath: `${configDir}/htpasswd`,
    gcsKeyPath: `${configDir}/gcs-key.json`,
  });

  return {
    address,
    registryContainerName: s.containerName,
    configPath,
    htpasswdPath,
    gcsKeyPath,
    registryConfig,
    registryPorts: proxy
      ? []
      : [{ ip: s.bindAddress, external: s.port, internal: REGISTRY_CONTAINER_PORT }],
    volume:
      s.storage.driver === "filesystem"
        ? { name: s.volumeName, retainOnDelete: s.keepVolumeOnDestroy }
        : undefined,
    proxy: proxy
      ? {
          networkName: `${s.containerName}-net`,
          nginxContainerName: `${s.containerName}-nginx`,
          nginxPorts: [{ ip: s.bindAddress, external: publishedPort, internal: nginxPort }],
          serverNames: s.tls.enabled ? s.tls.serverNames : undefined,
          // nginx reaches the registry by its container name on the private network.
          nginx: {
            ...nginxOptions(
              `${s.containerName}:${REGISTRY_CONTAINER_PORT}`,
              s.tls.port,
              s.storage.driver === "filesystem",
            ),
            ...(s.tls.enabled
              ? {}
              : {
                  listenPort: nginxPort,
                  publicHttpsPort: undefined,
                  certificatePath: undefined,
                  keyPath: undefined,
                }),
            pullOnly,
          },
        }
      : undefined,
  };
}

/**
 * nginx in its container: TLS on 443 (published on tls.port), the registry reached by
 * its container name on the private network, logs where the image sends them to docker logs.
 */
export function nginxOptions(
  upstream: string,
  publicHttpsPort: number,
  /** Filesystem storage: the data volume is mounted read-only in nginx at REGISTRY_DATA_DIR. */
  blobsFromStorage: boolean,
): NginxConfigOptions {
  return {
    upstream,
    listenPort: NGINX_CONTAINER_PORT,
    publicHttpsPort,
    certificatePath: NGINX_PATHS.certificate,
    keyPath: NGINX_PATHS.key,
    healthListen: NGINX_HEALTH_LISTEN,
    user: "nginx",
    pidPath: "/var/run/nginx.pid",
    // The official image links these to the container's stderr and stdout (docker logs).
    errorLogPath: "/var/log/nginx/error.log",
    accessLogPath: "/var/log/nginx/access.log",
    // nginx sends authorised blob GETs from the volume (shared/nginxBlobs.ts).
    ...(blobsFromStorage ? { blobStorageRoot: REGISTRY_DATA_DIR } : {}),
  };
}

/**
 * Docker's healthcheck for the registry: `GET /` answers 200 whether or not auth is
 * on. The distribution image is alpine-based, so busybox wget is there.
 */
export function registryHealthcheck() {
  return {
    tests: ["CMD", "wget", "-q", "--spider", REGISTRY_HEALTH_URL],
    interval: "30s",
    timeout: "5s",
    retries: 3,
    startPeriod: "10s",
  };
}

/** Docker's healthcheck for nginx: its own /healthz listener, so a bad TLS setup cannot hide it. */
export function nginxHealthcheck() {
  return {
    tests: ["CMD", "wget", "-q", "--spider", `http://${NGINX_HEALTH_LISTEN}/healthz`],
    interval: "30s",
    timeout: "5s",
    retries: 3,
    startPeriod: "5s",
  };
}

/** json-file log rotation, so a busy registry cannot fill the disk with logs. */
export function logOptions(
  s: Pick<DockerSettings, "logMaxSize" | "logMaxFile">,
): Record<string, string> {
  return { "max-size": s.logMaxSize, "max-file": String(s.logMaxFile) };
}

/** Secret env vars as `NAME=value` lines, in a stable order (a reorder would recreate the container). */
export function envLines(vars: Record<string, string>): string[] {
  return Object.keys(vars)
    .sort()
    .map((k) => `${k}=${vars[k]}`);
}
