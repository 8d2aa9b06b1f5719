/**
 * The Compose stack on the host: the registry (pinned) behind nginx (pinned), each
 * with a healthcheck, a restart policy and capped logs. Every file the stack reads is
 * mounted from a path relative to the compose file, so the bundle directory is the
 * whole deployment. Secrets reach the registry through an env_file of their own.
 */
import { stringify } from "yaml";
import {
  REGISTRY_DATA_DIR,
  REGISTRY_HEALTH_URL,
  REGISTRY_HTPASSWD_PATH,
  REGISTRY_PORT,
} from "../shared/registryImage";

/** The bundle's files, relative to the compose file (and to render's files/vm/). */
export const BUNDLE = {
  compose: "docker-compose.yml",
  registryConfig: "config.yml",
  htpasswd: "htpasswd",
  env: "registry.env",
  nginxConfig: "nginx.conf",
  certificate: "certs/server.crt",
  key: "certs/server.key",
  gcsKey: "gcs-key.json",
  acmeCaBundle: "acme-ca.crt",
  acmeEnv: "acme.env",
} as const;

/** Where things live inside the containers. */
export const IN_CONTAINER = {
  registryListen: `:${REGISTRY_PORT}`,
  registryUpstream: `registry:${REGISTRY_PORT}`,
  htpasswd: REGISTRY_HTPASSWD_PATH,
  data: REGISTRY_DATA_DIR,
  gcsKey: "/etc/registry/gcs-key.json",
  nginxConfig: "/etc/nginx/nginx.conf",
  certificate: "/etc/nginx/certs/server.crt",
  key: "/etc/nginx/certs/server.key",
  httpsPort: 443,
  httpPort: 80,
  nginxHealth: "127.0.0.1:8080",
  /** tls.mode acme: the ACME volume as the client sees it, and as nginx does (read-only). */
  acmeClientData: "/data",
  acmeNginxData: "/etc/nginx/acme",
  /** The client's copy of the bundle's certificate: nginx's until the CA's is issued. */
  acmeBootstrapCertificate: "/bootstrap/server.crt",
  acmeBootstrapKey: "/bootstrap/server.key",
  acmeCaBundle: "/etc/lego/ca.crt",
  legoBinary: "/lego",
} as const;

/** The Compose project name: commands pass it explicitly, whatever the directory is called. */
export const COMPOSE_PROJECT = "registry";

export type RegistryData =
  /** A named volume: `docker compose down` keeps it, `down --volumes` deletes it. */
  | { kind: "volume"; name: string }
  /** A host directory, e.g. where the VM's data disk is mounted. */
  | { kind: "hostPath"; path: string }
  /** Object storage (s3, gcs): nothing on the host. */
  | { kind: "none" };

export interface ComposeFileOptions {
  registryImage: string;
  /** Where the image reads config.yml (registryConfigPath: v2 and v3 differ). */
  registryConfigPath: string;
  nginxImage: string;
  /** Host port published to nginx's 443. */
  httpsPort: number;
  /** Host port published to nginx's 80 (redirect to HTTPS); nothing published when unset. */
  httpRedirectPort?: number;
  data: RegistryData;
  /** Mount the htpasswd file (auth on). */
  htpasswd: boolean;
  /** Mount a GCS service-account key. */
  gcsKey: boolean;
  /**
   * SHA-256 (hex) of each bundle file a service reads, by BUNDLE path. They become the
   * service's labels, so `docker compose up -d` recreates exactly the container whose
   * files changed: Compose compares a service's configuration, not its mounted files.
   */
  fileHashes: Partial<Record<BundlePath, string>>;
  /** tls.mode acme: an ACME client service, and nginx on the certificate it installs. */
  acme?: AcmeServiceOptions;
}

export interface AcmeServiceOptions {
  image: string;
  /** The client's shell program (renderAcmeClientScript). */
  clientScript: string;
  /** nginx's shell program (renderNginxReloader). */
  nginxScript: string;
  /** Where accounts, certificates and the challenge webroot live. */
  state: Exclude<RegistryData, { kind: "none" }>;
  /** Mount BUNDLE.acmeCaBundle (a CA for the ACME server's own certificate). */
  caBundle: boolean;
  /** Read BUNDLE.acmeEnv (the external account binding's MAC key). */
  eabEnv: boolean;
}

type BundlePath = (typeof BUNDLE)[keyof typeof BUNDLE];

/**
 * The files each service reads at start (the registry's env file Compose itself compares).
 * The registry re-reads htpasswd when its mtime changes, but a single-file bind mount keeps
 * the inode the container started with if the copy replaces the file: so it is here too.
 */
export const SERVICE_FILES = {
  registry: [BUNDLE.registryConfig, BUNDLE.htpasswd, BUNDLE.gcsKey],
  nginx: [BUNDLE.nginxConfig, BUNDLE.certificate, BUNDLE.key],
  acmeNginx: [BUNDLE.nginxConfig],
  acme: [BUNDLE.certificate, BUNDLE.key, BUNDLE.acmeCaBundle],
} as const;

/** `bundle.sha256.<file>` labels for the service's files that are in the bundle. */
function fileLabels(
  files: readonly BundlePath[],
  hashes: ComposeFileOptions["fileHashes"],
): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const f of files) if (hashes[f] !== undefined) labels[`bundle.sha256.${f}`] = hashes[f];
  return labels;
}

/** Capped logs (a fresh object per service: a shared one would print as a YAML anchor). */
const logging = () => ({ driver: "json-file", options: { "max-size": "10m", "max-file": "5" } });

export function composeObject(o: ComposeFileOptions): Record<string, unknown> {
  const ro = (file: string, target: string) => `./${file}:${target}:ro`;
  const registryVolumes = [ro(BUNDLE.registryConfig, o.registryConfigPath)];
  if (o.htpasswd) registryVolumes.push(ro(BUNDLE.htpasswd, IN_CONTAINER.htpasswd));
  if (o.gcsKey) registryVolumes.push(ro(BUNDLE.gcsKey, IN_CONTAINER.gcsKey));
  const dataSource =
    o.data.kind === "volume" ? o.data.name : o.data.kind === "hostPath" ? o.data.path : undefined;
  if (dataSource) registryVolumes.push(`${dataSource}:${IN_CONTAINER.data}`);
  // nginx reads the registry's storage (read-only) to send blobs the registry authorised
  // (shared/nginxBlobs.ts): at the same path, where its nginx.conf looks.
  const nginxDataVolumes = dataSource ? [`${dataSource}:${IN_CONTAINER.data}:ro`] : [];

  const ports = [`${o.httpsPort}:${IN_CONTAINER.httpsPort}`];
  if (o.httpRedirectPort !== undefined)
    ports.push(`${o.httpRedirectPort}:${IN_CONTAINER.httpPort}`);

  const volumeOf = (d: RegistryData) =>
    d.kind === "volume" ? { [d.name]: {} } : ({} as Record<string, object>);
  const namedVolumes = { ...volumeOf(o.data), ...(o.acme ? volumeOf(o.acme.state) : {}) };
  const nginx = {
    image: o.nginxImage,
    restart: "unless-stopped",
    depends_on: { registry: { condition: "service_healthy" } },
    labels: fileLabels(SERVICE_FILES.nginx, o.fileHashes),
    ports,
    volumes: [
      ro(BUNDLE.nginxConfig, IN_CONTAINER.nginxConfig),
      ro(BUNDLE.certificate, IN_CONTAINER.certificate),
      ro(BUNDLE.key, IN_CONTAINER.key),
      ...nginxDataVolumes,
    ],
  };
  return {
    services: {
      registry: {
        image: o.registryImage,
        restart: "unless-stopped",
        env_file: [BUNDLE.env],
        labels: fileLabels(SERVICE_FILES.registry, o.fileHashes),
        volumes: registryVolumes,
        // Only nginx is published; the registry is reached on the compose network.
        expose: [String(REGISTRY_PORT)],
        healthcheck: {
          test: ["CMD", "wget", "-q", "-O", "/dev/null", REGISTRY_HEALTH_URL],
          interval: "15s",
          timeout: "5s",
          retries: 3,
          start_period: "10s",
        },
        logging: logging(),
      },
      nginx: {
        ...nginx,
        ...(o.acme ? acmeNginx(o.acme, o.fileHashes, nginxDataVolumes) : {}),
        healthcheck: {
          test: [
            "CMD",
            "wget",
            "-q",
            "-O",
            "/dev/null",
            `http://${IN_CONTAINER.nginxHealth}/healthz`,
          ],
          interval: "15s",
          timeout: "5s",
          retries: 3,
          start_period: "5s",
        },
        logging: logging(),
      },
      ...(o.acme ? { lego: acmeService(o.acme, o.fileHashes) } : {}),
    },
    ...(Object.keys(namedVolumes).length ? { volumes: namedVolumes } : {}),
  };
}

/** Compose interpolates "$": a literal one in a command is written "$$". */
const literal = (script: string) => script.replace(/\$/g, "$$$$");

const stateMount = (state: AcmeServiceOptions["state"], target: string, mode = "") =>
  `${state.kind === "volume" ? state.name : state.path}:${target}${mode}`;

/** nginx under tls.mode acme: the client's live certificate, and a watcher that reloads it. */
function acmeNginx(
  a: AcmeServiceOptions,
  hashes: ComposeFileOptions["fileHashes"],
  dataVolumes: string[],
) {
  return {
    // Started once the client has put a (bootstrap) certificate in place.
    depends_on: {
      registry: { condition: "service_healthy" },
      lego: { condition: "service_healthy" },
    },
    labels: fileLabels(SERVICE_FILES.acmeNginx, hashes),
    volumes: [
      `./${BUNDLE.nginxConfig}:${IN_CONTAINER.nginxConfig}:ro`,
      stateMount(a.state, IN_CONTAINER.acmeNginxData, ":ro"),
      ...dataVolumes,
    ],
    command: ["/bin/sh", "-c", literal(a.nginxScript)],
  };
}

/** The ACME client (lego): orders, renews and installs the certificate; nothing is published. */
function acmeService(a: AcmeServiceOptions, hashes: ComposeFileOptions["fileHashes"]) {
  const ro = (file: string, target: string) => `./${file}:${target}:ro`;
  return {
    image: a.image,
    restart: "unless-stopped",
    ...(a.eabEnv ? { env_file: [BUNDLE.acmeEnv] } : {}),
    labels: fileLabels(SERVICE_FILES.acme, hashes),
    entrypoint: ["/bin/sh", "-c", literal(a.clientScript)],
    volumes: [
      stateMount(a.state, IN_CONTAINER.acmeClientData),
      ro(BUNDLE.certificate, IN_CONTAINER.acmeBootstrapCertificate),
      ro(BUNDLE.key, IN_CONTAINER.acmeBootstrapKey),
      ...(a.caBundle ? [ro(BUNDLE.acmeCaBundle, IN_CONTAINER.acmeCaBundle)] : []),
    ],
    healthcheck: {
      test: ["CMD-SHELL", `test -s ${IN_CONTAINER.acmeClientData}/live/server.crt`],
      interval: "5s",
      timeout: "5s",
      retries: 3,
      start_period: "5s",
    },
    logging: logging(),
  };
}

export function renderComposeFile(o: ComposeFileOptions): string {
  return `# Generated: the registry behind nginx (TLS). Deploy with: docker compose -p ${COMPOSE_PROJECT} up -d\n${stringify(
    composeObject(o),
    { lineWidth: 0 },
  )}`;
}

/**
 * An env_file: NAME=value lines. Values that Compose v2 would interpolate or split
 * ($, quotes, spaces, #) are single-quoted, which Compose reads literally.
 */
export function renderEnvFile(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([name, value]) => {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) throw new Error(`env_file: bad variable name ${name}`);
      if (/[\n\r]/.test(value)) throw new Error(`env_file: ${name} must be one line`);
      if (/^[A-Za-z0-9._/+=:@,-]*$/.test(value)) return `${name}=${value}\n`;
      if (value.includes("'"))
        throw new Error(`env_file: ${name} cannot hold both special characters and "'"`);
      return `${name}='${value}'\n`;
    })
    .join("");
}
