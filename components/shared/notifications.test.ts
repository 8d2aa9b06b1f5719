import { parse } from "yaml";
import { z } from "zod";
import {
  checkNotificationLogging,
  notificationEndpointsEnv,
  notificationSettings,
  type NotificationSettings,
} from "./notifications";
import { registrySecretEnvVars } from "./registryConfig";

const withLogging = z
  .strictObject({ notifications: notificationSettings, logLevel: z.string() })
  .superRefine(checkNotificationLogging);

function issues(raw: unknown): string[] {
  const r = withLogging.safeParse(raw);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")} ${i.message}`);
}

const hook = (extra: Record<string, unknown> = {}) => ({
  name: "deploy",
  url: "https://hooks.example.com/registry",
  ...extra,
});

describe("notification settings", () => {
  test("defaults: push events of manifests, 5s timeout, threshold 5, backoff 10s", () => {
    const n = notificationSettings.parse({ endpoints: [hook()] });
    expect(n).toEqual({
      includeReferences: false,
      endpoints: [
        {
          name: "deploy",
          url: "https://hooks.example.com/registry",
          allowHttp: false,
          actions: ["push"],
          includeBlobs: false,
          timeout: "5s",
          threshold: 5,
          backoff: "10s",
        },
      ],
    });
  });

  test.each([
    [
      { endpoints: [hook({ url: "http://hooks.example.com/r" })] },
      "endpoints.0.url must be an https:// URL (http:// sends events and the token in clear: set allowHttp: true to accept it)",
    ],
    [
      { endpoints: [hook({ url: "https://u:p@hooks.example.com/r" })] },
      'endpoints.0.url must not hold a user name or password (the "user:password@" part): it would be stored in plain text',
    ],
    [
      { endpoints: [hook({ url: "ftp://hooks.example.com/r" })] },
      "endpoints.0.url must be an http:// or https:// URL of the receiver",
    ],
    [
      { endpoints: [hook(), hook()] },
      "endpoints.1.name must be unique (endpoints[0] is also named deploy)",
    ],
    [
      { endpoints: [hook({ actions: ["push", "push"] })] },
      "endpoints.0.actions must not list an action twice",
    ],
    [
      { endpoints: [hook({ actions: ["tag"] })] },
      "endpoints.0.actions.0 must be one of push, pull, delete, mount",
    ],
    [
      { endpoints: [hook({ actions: [] })] },
      "endpoints.0.actions must list at least one of push, pull, delete, mount",
    ],
    [
      { endpoints: [hook({ tokenHeader: "X-Token" })] },
      "endpoints.0.tokenHeader is only read with token",
    ],
    [
      { endpoints: [hook({ token: "short" })] },
      "endpoints.0.token a token of 16 to 1024 printable ASCII characters with no spaces",
    ],
    [
      { endpoints: [hook({ timeout: "5" })] },
      "endpoints.0.timeout must be a duration such as 5s (ms, s or m)",
    ],
    [{ endpoints: [] }, "endpoints must list at least one endpoint"],
  ])("refused: %j", (raw, line) => {
    const r = notificationSettings.safeParse(raw);
    expect(r.success).toBe(false);
    const lines = r.error!.issues.map((i) => `${i.path.join(".")} ${i.message}`);
    expect(lines).toContain(line.replace(" a token", " must be a token"));
  });

  test("http:// with allowHttp is accepted", () => {
    const r = notificationSettings.safeParse({
      endpoints: [hook({ url: "http://10.0.0.5:8080/r", allowHttp: true })],
    });
    expect(r.success).toBe(true);
  });

  test("a token needs logLevel warn or error: the registry logs headers at info", () => {
    const raw = (logLevel: string) => ({
      logLevel,
      notifications: { endpoints: [hook({ token: "t".repeat(20) })] },
    });
    expect(issues(raw("info"))).toEqual([
      "logLevel must be warn or error while notifications.endpoints[0].token is set: the registry prints each endpoint's headers, token included, at info when it starts",
    ]);
    expect(issues(raw("debug"))).toHaveLength(1);
    expect(issues(raw("warn"))).toEqual([]);
    expect(issues(raw("error"))).toEqual([]);
    // no token: info is fine
    expect(issues({ logLevel: "info", notifications: { endpoints: [hook()] } })).toEqual([]);
  });
});

describe("the endpoint list as the registry reads it", () => {
  const T = "t".repeat(16);
  const settings = (endpoints: unknown[]): NotificationSettings =>
    notificationSettings.parse({ endpoints });

  test("defaults, no token: pulls, deletes, mounts and blobs ignored", () => {
    const n = settings([hook()]);
    expect(notificationEndpointsEnv(n.endpoints, [undefined])).toBe(
      '[{"name": "deploy", "url": "https://hooks.example.com/registry", "timeout": "5s", "threshold": 5, "backoff": "10s", "ignore": {"actions": ["pull", "delete", "mount"], "mediatypes": ["application/octet-stream"]}}]',
    );
  });

  test("a token as a bearer header, or raw in its own header; every action and blobs", () => {
    const n = settings([
      hook({ actions: ["push", "pull", "delete", "mount"], includeBlobs: true, token: T }),
      hook({ name: "audit", token: T, tokenHeader: "X-Registry-Token", timeout: "500ms" }),
    ]);
    const env = notificationEndpointsEnv(n.endpoints, ["tok-1234567890abcdef", "it's-$ecret\"x"]);
    expect(env).toBe(
      '[{"name": "deploy", "url": "https://hooks.example.com/registry", "headers": {"Authorization": ["Bearer tok-1234567890abcdef"]}, "timeout": "5s", "threshold": 5, "backoff": "10s"}, ' +
        '{"name": "audit", "url": "https://hooks.example.com/registry", "headers": {"X-Registry-Token": ["it\\x27s-\\x24ecret\\"x"]}, "timeout": "500ms", "threshold": 5, "backoff": "10s", "ignore": {"actions": ["pull", "delete", "mount"], "mediatypes": ["application/octet-stream"]}}]',
    );
    // One line, no ' or $: safe in a Compose env_file; and YAML gives back the values.
    expect(env).not.toMatch(/[\n'$]/);
    expect(parse(env)[1].headers["X-Registry-Token"]).toEqual(["it's-$ecret\"x"]);
  });

  test("passed to the registry's env as is (not quoted again)", () => {
    expect(registrySecretEnvVars({ httpSecret: "h", notificationEndpoints: "[]" })).toEqual({
      REGISTRY_HTTP_SECRET: '"h"',
      REGISTRY_NOTIFICATIONS_ENDPOINTS: "[]",
    });
  });
});
