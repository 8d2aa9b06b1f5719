/**
 * nginx terminating TLS in front of a registry: a whole nginx.conf, built on
 * distribution's nginx recipe (as-is in bench/fixtures/recipe-nginx.conf). nginx checks no password:
 * the registry does its own htpasswd auth, so the bcrypt support of nginx's libc
 * does not matter. Plain values in, text out: the VM and Docker backends use it.
 * Without a certificate it serves plain HTTP: only the pull-only guard needs nginx then.
 */
import { type PullOnlyGuardOptions, pullOnlyGuardMaps, pullOnlyServerLines } from "./pullOnlyGuard";

import { blobsFromStorageHttpLines, blobsFromStorageServerLines } from "./nginxBlobs";

/** The nginx image both backends run, pinned (an Alpine image: busybox for the healthchecks). */
export const DEFAULT_NGINX_IMAGE = "nginx:1.28.0-alpine";

/**
 * Four workers with `reuseport` on the main listener, not one per core: a pull's few
 * parallel connections could all land on one worker, whose one core then encrypts every
 * layer while the other idles. On 2 cores this took big-layer pulls from 0.82 to 0.96 of
 * the registry's own TLS (docs/PERFORMANCE.md, "Workers").
 */
export const DEFAULT_NGINX_WORKERS = 4;

export interface NginxConfigOptions {
  /** The registry as nginx reaches it, host:port (e.g. "registry:5000" on a compose network). */
  upstream: string;
  /** The port nginx listens on (TLS when certificatePath is set). */
  listenPort: number;
  /** Bind address for the listeners; all interfaces when unset. */
  listenAddress?: string;
  /** The name clients use; when unset the server answers any name. */
  serverName?: string;
  /** The HTTPS port clients dial, for the redirect (default: listenPort). */
  publicHttpsPort?: number;
  /** TLS certificate and key; both unset: plain HTTP (only behind the pull-only guard). */
  certificatePath?: string;
  keyPath?: string;
  /** Plain-HTTP port that redirects to HTTPS; no plain-HTTP listener when unset. */
  httpRedirectPort?: number;
  /** Serve /.well-known/acme-challenge/ from this directory on the plain-HTTP port (ACME HTTP-01). */
  acmeChallengeRoot?: string;
  /** A plain-HTTP "/healthz" listener (host:port) for container healthchecks. */
  healthListen?: string;
  /** Strict-Transport-Security max-age, in seconds. */
  hstsMaxAgeSeconds?: number;
  /** Idle keep-alive connections nginx holds open to the registry. */
  upstreamKeepalive?: number;
  /** The user worker processes run as (e.g. "nginx" in the official image); nginx's default when unset. */
  user?: string;
  pidPath: string;
  errorLogPath: string;
  accessLogPath: string;
  /** Where request bodies and proxied responses spill to disk (client_body_temp_path, proxy_temp_path). */
  tempDir?: string;
  /** Default DEFAULT_NGINX_WORKERS. */
  workerProcesses?: number | "auto";
  /**
   * Filesystem storage only: the registry's storage root (its rootdirectory) as mounted,
   * read-only, in nginx's container. When set, nginx answers an authorised blob GET from
   * the file (nginxBlobs.ts); unset, every request is proxied.
   */
  blobStorageRoot?: string;
  /** Refuse writes by any user but the push user (set when a pull-only user exists). */
  pullOnly?: PullOnlyGuardOptions;
}

/** Mozilla's "intermediate" TLS 1.2 ciphers (TLS 1.3 suites are not configurable here). */
const TLS12_CIPHERS = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");

/** How nginx passes a request to the registry: headers the registry reads. */
const PROXY_HEADER_LINES = [
  "      # Host and scheme as the client sent them, or the registry's redirects point at",
  "      # internal names or plain http.",
  "      proxy_set_header Host $http_host;",
  "      proxy_set_header X-Real-IP $remote_addr;",
  "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
  "      proxy_set_header X-Forwarded-Proto $scheme;",
  "      # Stream layers both ways over kept-alive upstream connections.",
  "      proxy_http_version 1.1;",
  '      proxy_set_header Connection "";',
];

/** A location's body that passes the request to the registry (`location /`, `@registry`). */
const REGISTRY_PROXY_LINES = [
  "      proxy_pass http://registry;",
  ...PROXY_HEADER_LINES,
  "      proxy_request_buffering off;",
  "      # Pull: nginx reads the registry's answer into memory ahead of the client (256k",
  "      # reads, up to 8 x 256k, never a temp file), so the registry is not held up while",
  "      # nginx encrypts. Unbuffered, it read 256k and then waited for the client. Measured",
  "      # (`npm run bench`, 2 cores, bench/results/2026-12-01T15*-variant-bufon.json): pull",
  "      # 0.73-0.82 -> 0.89-1.10 of the registry's own TLS, nginx CPU per GiB pulled",
  "      # 1.35-1.64 s -> 1.04-1.15 s. At most 2.25 MiB of memory per pull in flight.",
  "      proxy_buffering on;",
  "      proxy_max_temp_file_size 0;",
  "      proxy_buffer_size 256k;",
  "      proxy_buffers 8 256k;",
  "      proxy_busy_buffers_size 512k;",
  "      proxy_read_timeout 900;",
  "      proxy_send_timeout 900;",
];

// Over 80 lines: one nginx.conf template, kept whole so it reads as the file it writes.
export function renderNginxConfig(o: NginxConfigOptions): string {
  for (const [what, value] of [
    ["listenPort", o.listenPort],
    ["httpRedirectPort", o.httpRedirectPort],
    ["publicHttpsPort", o.publicHttpsPort],
  ] as const)
    if (value !== undefined && !(Number.isInteger(value) && value >= 1 && value <= 65535))
      throw new Error(`nginx ${what} must be a port number (got ${value})`);
  if ((o.certificatePath === undefined) !== (o.keyPath === undefined))
    throw new Error("nginx certificatePath and keyPath go together (both unset: plain HTTP)");
  if (o.certificatePath === undefined && o.httpRedirectPort !== undefined)
    throw new Error("nginx httpRedirectPort redirects to HTTPS: it needs certificatePath");
  if (o.acmeChallengeRoot !== undefined && o.httpRedirectPort === undefined)
    throw new Error("nginx acmeChallengeRoot needs httpRedirectPort (the plain-HTTP server)");
  for (const [what, value] of Object.entries(o))
    if (typeof value === "string" && /[\s;{}"'$]/.test(value))
      throw new Error(
        `nginx ${what} must not contain spaces, quotes, braces, ';' or '$' (got ${JSON.stringify(value)})`,
      );

  const listen = (port: number, extra = "") =>
    `listen ${o.listenAddress ? `${o.listenAddress}:` : ""}${port}${extra};`;
  const serverName = o.serverName ?? "_";
  const publicPort = o.publicHttpsPort ?? o.listenPort;
  const httpsAuthority = publicPort === 443 ? "$host" : `$host:${publicPort}`;
  const hsts = o.hstsMaxAgeSeconds ?? 63072000;
  const tls = o.certificatePath !== undefined;

  const lines: string[] = [
    tls
      ? "# Generated: nginx terminating TLS in front of the registry (the registry checks passwords)."
      : "# Generated: nginx (plain HTTP) in front of the registry (the registry checks passwords).",
    ...(o.user ? [`user ${o.user};`] : []),
    `worker_processes ${o.workerProcesses ?? DEFAULT_NGINX_WORKERS};`,
    `pid ${o.pidPath};`,
    `error_log ${o.errorLogPath} warn;`,
    "",
    "events {",
    "  worker_connections 1024;",
    "}",
    "",
    "http {",
    "  default_type application/octet-stream;",
    "  server_tokens off;",
    "  sendfile on;",
    "  tcp_nodelay on;",
    `  access_log ${o.accessLogPath};`,
    ...(o.tempDir
      ? [
          `  client_body_temp_path ${o.tempDir}/client_body;`,
          `  proxy_temp_path ${o.tempDir}/proxy;`,
        ]
      : []),
    "",
    "  # Clients need this header on every /v2/ answer, 4xx included; the registry sets it",
    "  # on most, nginx adds it where the registry's answer has none.",
    "  map $upstream_http_docker_distribution_api_version $docker_distribution_api_version {",
    "    '' 'registry/2.0';",
    "  }",
    "",
    ...(o.blobStorageRoot ? blobsFromStorageHttpLines() : []),
    ...(o.pullOnly ? [...pullOnlyGuardMaps(o.pullOnly), ""] : []),
    "  upstream registry {",
    `    server ${o.upstream};`,
    `    keepalive ${o.upstreamKeepalive ?? 16};`,
    "  }",
    "",
    "  server {",
    // HTTP/1.1 only: with http2 (skopeo/Go then multiplexes every layer over one connection)
    // `npm run bench` measured no gain on pull and more CPU on push (nginx +0.2 s, skopeo
    // +0.4 s per GiB on 2 cores); the 2-core VM is CPU-bound, so that is throughput lost.
    // reuseport: the kernel spreads connections over the workers (see DEFAULT_NGINX_WORKERS).
    `    ${listen(o.listenPort, tls ? " ssl reuseport" : " reuseport")}`,
    `    server_name ${serverName};`,
    "",
    ...(tls
      ? [
          `    ssl_certificate ${o.certificatePath};`,
          `    ssl_certificate_key ${o.keyPath};`,
          "    ssl_protocols TLSv1.2 TLSv1.3;",
          `    ssl_ciphers ${TLS12_CIPHERS};`,
          "    ssl_prefer_server_ciphers off;",
          "    ssl_session_cache shared:TLS:10m;",
          "    ssl_session_timeout 1d;",
          "    ssl_session_tickets off;",
          "",
        ]
      : []),
    "    # Layers are any size (else 413 over 1 MiB) and may come chunked (else 411).",
    "    client_max_body_size 0;",
    "    chunked_transfer_encoding on;",
    "    # Push: an unbuffered upload is read and passed upstream this much at a time (default",
    "    # 16k). Measured (`npm run bench`, 2 cores, 4 runs): nginx CPU per GiB pushed 1.41 s ->",
    "    # 1.30 s; push MB/s unchanged within noise. Costs 256k per upload in flight.",
    "    client_body_buffer_size 256k;",
    "",
    "    add_header Docker-Distribution-Api-Version $docker_distribution_api_version always;",
    ...(tls ? [`    add_header Strict-Transport-Security "max-age=${hsts}" always;`] : []),
    "",
    // At server level: it runs before any location is chosen (the blob location too).
    ...(o.pullOnly ? [...pullOnlyServerLines(), ""] : []),
    ...(o.blobStorageRoot
      ? blobsFromStorageServerLines(
          { storageRoot: o.blobStorageRoot, hstsMaxAgeSeconds: tls ? hsts : undefined },
          { headers: PROXY_HEADER_LINES, proxy: REGISTRY_PROXY_LINES },
        )
      : []),
    "    location / {",
    ...REGISTRY_PROXY_LINES,
    "    }",
    "  }",
  ];

  if (o.httpRedirectPort !== undefined)
    lines.push(
      "",
      "  server {",
      `    ${listen(o.httpRedirectPort)}`,
      `    server_name ${serverName};`,
      ...(o.acmeChallengeRoot
        ? [
            "    # ACME HTTP-01: the client writes the CA's tokens here; everything else goes to HTTPS.",
            "    location ^~ /.well-known/acme-challenge/ {",
            `      root ${o.acmeChallengeRoot};`,
            "      default_type text/plain;",
            "    }",
            "    location / {",
            `      return 301 https://${httpsAuthority}$request_uri;`,
            "    }",
          ]
        : [`    return 301 https://${httpsAuthority}$request_uri;`]),
      "  }",
    );

  if (o.healthListen)
    lines.push(
      "",
      "  server {",
      `    listen ${o.healthListen};`,
      "    access_log off;",
      "    location = /healthz {",
      "      return 200 'ok';",
      "    }",
      "  }",
    );

  lines.push("}", "");
  return lines.join("\n");
}
