/**
 * `registry:docker`: the registry as a container on the Docker engine that
 * DOCKER_HOST (or the default socket) points to. Every rule is checked here, before
 * anything is registered.
 */
import { z } from "zod";
import {
  bool,
  host,
  integer,
  ipAddress,
  oneOf,
  pattern,
  pinnedImage,
  port,
} from "../../config/fields";
import { isLoopback } from "../shared/loopback";
import {
  checkImageReadsSettings,
  checkPullUserRole,
  selfHostedSettings,
} from "../shared/selfHostedSettings";
import { checkNotificationLogging } from "../shared/notifications";

// nginx in front of the registry when tls.enabled: the same pin as the VM backend, whose
// nginx config renderer this backend uses (alpine: busybox wget for the healthcheck).
import { DEFAULT_NGINX_IMAGE } from "../shared/nginxConfig";

export { isLoopback };

/** Docker's rule for container, volume and network names. */
const dockerName = (what: string) =>
  pattern(
    /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/,
    `a ${what} name of letters, digits, '_', '.' or '-'`,
  );

export const dockerTlsSettings = z
  .strictObject({
    /** nginx terminates TLS in front of the registry, with a self-signed CA. Default false. */
    enabled: bool().default(false),
    /** The host port nginx is published on. Default 5443. */
    port: port().default(5443),
    /** DNS names and IP addresses the server certificate is valid for. */
    serverNames: z
      .array(host(), { error: "must be a list of DNS names or IP addresses" })
      .min(1, { error: "must list at least one DNS name or IP address" })
      .default(["localhost", "127.0.0.1"]),
  })
  .prefault({});

export const dockerSettings = z
  .strictObject({
    ...selfHostedSettings,
    /** The host port the registry is published on (without TLS). Default 5000. */
    port: port().default(5000),
    /** The host address ports are published on. Only loopback while auth is off. Default 127.0.0.1. */
    bindAddress: ipAddress().default("127.0.0.1"),
    /** The host clients dial; REGISTRY is <advertiseHost>:<port>. Default localhost. */
    advertiseHost: host().optional(),
    containerName: dockerName("container").default("registry"),
    /** The named volume that holds /var/lib/registry (filesystem storage). */
    volumeName: dockerName("volume").default("registry-data"),
    /** Keep the volume (and so the images) when the stack is destroyed. Default true. */
    keepVolumeOnDestroy: bool().default(true),
    restartPolicy: oneOf(["unless-stopped", "always"]).default("unless-stopped"),
    /** json-file log rotation: size of one file, and how many are kept. */
    logMaxSize: pattern(
      /^[1-9][0-9]*[kmg]$/,
      "a size such as 10m (a number then k, m or g)",
    ).default("10m"),
    logMaxFile: integer(1, 100).default(3),
    tls: dockerTlsSettings,
    /** Only read when tls.enabled or auth.pullUser is set (nginx then fronts the registry). */
    nginxImage: pinnedImage().default(DEFAULT_NGINX_IMAGE),
    /** The engine to deploy to; unset: DOCKER_HOST, else the default socket. */
    dockerHost: pattern(
      /^(unix|tcp|ssh|npipe):\/\/\S+$/,
      "a Docker host such as unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host",
    )
      // A password here would sit in plain text in the stack file and state: SSH takes a key.
      .refine((v) => !/^[a-z]+:\/\/[^/@]*:[^/@]*@/.test(v), {
        error: "must not hold a password (ssh://user@host logs in with a key from the SSH agent)",
      })
      .optional(),
  })
  .superRefine((s, ctx) => {
    checkImageReadsSettings(s, ctx);
    checkNotificationLogging(s, ctx);
    checkPullUserRole(s, ctx);
    if (!s.auth.enabled && !isLoopback(s.bindAddress))
      ctx.addIssue({
        code: "custom",
        path: ["bindAddress"],
        message:
          "must be a loopback address such as 127.0.0.1 while auth.enabled is false (anyone on the network could push)",
        input: s.bindAddress,
      });
    const advertised = s.advertiseHost ?? "localhost";
    if (s.tls.enabled && !s.tls.serverNames.includes(advertised))
      ctx.addIssue({
        code: "custom",
        path: ["tls", "serverNames"],
        message: `must include ${advertised}, the host clients dial (advertiseHost), or the certificate will not match`,
        input: s.tls.serverNames,
      });
  });

export type DockerSettings = z.output<typeof dockerSettings>;
