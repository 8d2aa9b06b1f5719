/**
 * Push notifications of a self-hosted registry (distribution's `notifications.endpoints`):
 * the settings every self-hosted backend shares, and the endpoint list as the registry
 * reads it. The list goes to the registry whole, by the secret environment variable
 * REGISTRY_NOTIFICATIONS_ENDPOINTS (distribution replaces the whole list with its YAML
 * value), never in config.yml: an endpoint's token is a header value in that list.
 */
import { z } from "zod";
import { bool, integer, oneOf, pattern, secret, webUrl } from "../../config/fields";
import { yamlString } from "./registryConfig";

/** The actions distribution's events carry (notifications/event.go). */
export const NOTIFICATION_ACTIONS = ["push", "pull", "delete", "mount"] as const;
export type NotificationAction = (typeof NOTIFICATION_ACTIONS)[number];

/** The media type of a blob (layer or image config) event; manifest events carry the manifest's. */
export const BLOB_MEDIA_TYPE = "application/octet-stream";

/** The variable distribution reads the whole endpoint list from (configuration/parser.go). */
export const NOTIFICATION_ENDPOINTS_ENV = "REGISTRY_NOTIFICATIONS_ENDPOINTS";

const duration = (example: string) =>
  pattern(/^[1-9][0-9]{0,5}(ms|s|m)$/, `a duration such as ${example} (ms, s or m)`);

const endpointSettings = z
  .strictObject({
    /** Names the endpoint in the registry's logs and metrics; unique. */
    name: pattern(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
      "a name of letters, digits, '.', '_' or '-'",
    ),
    /** Where events are POSTed. https, or http only with allowHttp. */
    url: webUrl("the receiver", ["http", "https"]),
    /** Accept an http:// url (events, and any token, travel in clear). */
    allowHttp: bool().default(false),
    /** Sent with every request: `Authorization: Bearer <token>`, or `<tokenHeader>: <token>`. */
    token: secret(
      pattern(
        /^[\x21-\x7e]{16,1024}$/,
        "a token of 16 to 1024 printable ASCII characters with no spaces",
      ),
    ).optional(),
    tokenHeader: pattern(
      /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/,
      "an HTTP header name such as Authorization",
    ).optional(),
    /** Which actions are sent; the others are ignored (distribution's ignore.actions). */
    actions: z
      .array(oneOf(NOTIFICATION_ACTIONS), { error: "must be a list of push, pull, delete, mount" })
      .min(1, { error: "must list at least one of push, pull, delete, mount" })
      .refine((a) => new Set(a).size === a.length, { error: "must not list an action twice" })
      .default(["push"]),
    /** Send blob (layer) events too; by default only manifests (tags) and deletes. */
    includeBlobs: bool().default(false),
    timeout: duration("5s").default("5s"),
    /** Consecutive failures before the registry backs off. */
    threshold: integer(1, 100).default(5),
    backoff: duration("10s").default("10s"),
  })
  .superRefine((e, ctx) => {
    if (e.url.startsWith("http:") && !e.allowHttp)
      ctx.addIssue({
        code: "custom",
        path: ["url"],
        message:
          "must be an https:// URL (http:// sends events and the token in clear: set allowHttp: true to accept it)",
        input: e.url,
      });
    if (e.tokenHeader !== undefined && e.token === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["tokenHeader"],
        message: "is only read with token",
        input: e.tokenHeader,
      });
  });

export const notificationSettings = z
  .strictObject({
    endpoints: z
      .array(endpointSettings, { error: "must be a list of endpoints" })
      .min(1, { error: "must list at least one endpoint" })
      .max(10, { error: "must list at most 10 endpoints" }),
    /** Manifest events list the manifest's references (layers, config) too. */
    includeReferences: bool().default(false),
  })
  .superRefine((n, ctx) => {
    n.endpoints.forEach((e, i) => {
      const first = n.endpoints.findIndex((o) => o.name === e.name);
      if (first !== i)
        ctx.addIssue({
          code: "custom",
          path: ["endpoints", i, "name"],
          message: `must be unique (endpoints[${first}] is also named ${e.name})`,
          input: e.name,
        });
    });
  });

export type NotificationSettings = z.output<typeof notificationSettings>;
export type NotificationEndpoint = NotificationSettings["endpoints"][number];

/**
 * Refuses a token while the registry logs at info or debug: distribution (2.8.2, tried in
 * tests/registry-notifications.test.ts) prints every endpoint's headers at info when it
 * starts, token included. Called from each self-hosted backend's superRefine.
 */
export function checkNotificationLogging(
  s: { notifications?: NotificationSettings; logLevel: string },
  ctx: z.RefinementCtx,
): void {
  if (ctx.issues.length || (s.logLevel !== "info" && s.logLevel !== "debug")) return;
  s.notifications?.endpoints.forEach((e, i) => {
    if (e.token !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["logLevel"],
        message: `must be warn or error while notifications.endpoints[${i}].token is set: the registry prints each endpoint's headers, token included, at ${s.logLevel} when it starts`,
        input: s.logLevel,
      });
  });
}

/** distribution's endpoint entry for one endpoint, with its token (plain text) if any. */
export function endpointConfig(e: NotificationEndpoint, token?: string): Record<string, unknown> {
  const header = e.tokenHeader ?? "Authorization";
  const value = header.toLowerCase() === "authorization" ? `Bearer ${token}` : token;
  const ignoredActions = NOTIFICATION_ACTIONS.filter((a) => !e.actions.includes(a));
  const ignore = {
    ...(ignoredActions.length ? { actions: ignoredActions } : {}),
    ...(e.includeBlobs ? {} : { mediatypes: [BLOB_MEDIA_TYPE] }),
  };
  return {
    name: e.name,
    url: e.url,
    ...(token !== undefined ? { headers: { [header]: [value] } } : {}),
    timeout: e.timeout,
    threshold: e.threshold,
    backoff: e.backoff,
    ...(Object.keys(ignore).length ? { ignore } : {}),
  };
}

/**
 * The endpoint list as REGISTRY_NOTIFICATIONS_ENDPOINTS must hold it: YAML flow on one
 * line, every string a yamlString (no newline, `'` or `$`), so it passes unchanged through
 * a Compose env_file, a container env and a Kubernetes Secret alike.
 */
export function notificationEndpointsEnv(
  endpoints: NotificationEndpoint[],
  tokens: (string | undefined)[],
): string {
  return flowYaml(endpoints.map((e, i) => endpointConfig(e, tokens[i])));
}

function flowYaml(v: unknown): string {
  if (typeof v === "string") return yamlString(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(flowYaml).join(", ")}]`;
  const entries = Object.entries(v as Record<string, unknown>);
  return `{${entries.map(([k, x]) => `${yamlString(k)}: ${flowYaml(x)}`).join(", ")}}`;
}
