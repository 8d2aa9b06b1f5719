/**
 * Settings every self-hosted backend (Kubernetes, VM, Docker) shares: which registry
 * image, its auth, its storage and the optional pull-through cache. Each backend's
 * own schema spreads these fields into its object.
 */
import { z } from "zod";
import {
  bool,
  httpOrHttpsUrl,
  httpsUrl,
  oneOf,
  password,
  pattern,
  pinnedImage,
  secret,
  serviceAccountKey,
  text,
  username,
} from "../../config/fields";
import { notificationSettings } from "./notifications";
import { registryMajor } from "./registryConfig";

export const DEFAULT_REGISTRY_IMAGE = "registry:2.8.3";

const pullUserSettings = z.strictObject({
  username: username(),
  /** Generated (32 characters) when not set. */
  password: password().optional(),
});

export const authSettings = z
  .strictObject({
    /** The registry's own htpasswd auth. Off only where the registry is reachable by this machine alone. */
    enabled: bool().default(true),
    username: username().default("ci"),
    /** The CI user's password; generated (32 characters) when not set. */
    password: password().optional(),
    /** A second login that may only pull: nginx refuses its writes (components/shared/pullOnlyGuard.ts). */
    pullUser: pullUserSettings.optional(),
  })
  .prefault({})
  .superRefine((a, ctx) => {
    for (const key of ["password", "pullUser"] as const)
      if (!a.enabled && a[key] !== undefined)
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: "is only read when enabled is true",
          input: undefined,
        });
    if (a.pullUser?.username === a.username)
      ctx.addIssue({
        code: "custom",
        path: ["pullUser", "username"],
        message: `must differ from auth.username (${a.username}, the user that pushes)`,
        input: undefined,
      });
  });

const s3Settings = z
  .strictObject({
    bucket: text("an S3 bucket name"),
    region: text("an S3 region such as us-east-1"),
    /** An S3-compatible endpoint; http:// only together with secure: false. */
    regionEndpoint: httpOrHttpsUrl("an S3-compatible endpoint").optional(),
    rootDirectory: text("a path inside the bucket").optional(),
    encrypt: bool().default(true),
    forcePathStyle: bool().optional(),
    /** false: plain HTTP to regionEndpoint, e.g. an object store inside the cluster (explicit opt-in; default true). */
    secure: bool().optional(),
    /** true: do not verify regionEndpoint's TLS certificate (explicit opt-in; default false). */
    skipVerify: bool().optional(),
    accessKey: secret(text("an access key id")).optional(),
    secretKey: secret(text("a secret access key")).optional(),
  })
  .superRefine((s, ctx) => {
    if (ctx.issues.length) return;
    const issue = (path: string, message: string, input: unknown) =>
      ctx.addIssue({ code: "custom", path: [path], message, input });
    const scheme = s.regionEndpoint ? new URL(s.regionEndpoint).protocol : undefined;
    if (scheme === "http:" && s.secure !== false)
      issue(
        "regionEndpoint",
        "is plain http://: set secure to false to say so (the access keys' signatures and every image then cross the network unencrypted), or use https://",
        s.regionEndpoint,
      );
    if (s.secure === false && scheme !== "http:")
      issue(
        "secure",
        s.regionEndpoint
          ? "is false but regionEndpoint is https://: make the endpoint http:// or remove secure"
          : "can be false only with an http:// regionEndpoint (an object store you run): AWS S3 is reached over HTTPS",
        false,
      );
    if (s.skipVerify === true && scheme !== "https:")
      issue(
        "skipVerify",
        "is only read with an https:// regionEndpoint (AWS S3's certificate is publicly trusted; plain HTTP has none)",
        true,
      );
  });

const gcsSettings = z.strictObject({
  bucket: text("a GCS bucket name"),
  rootDirectory: text("a path inside the bucket").optional(),
  /** A service-account JSON key; leave unset to use the node's or workload's identity. */
  keyJson: secret(serviceAccountKey()).optional(),
});

export const storageSettings = z
  .strictObject({
    driver: oneOf(["filesystem", "s3", "gcs"]).default("filesystem"),
    /** Deleting through the API: garbage collection needs it. */
    deleteEnabled: bool().default(true),
    s3: s3Settings.optional(),
    gcs: gcsSettings.optional(),
  })
  .prefault({})
  .superRefine((s, ctx) => {
    for (const driver of ["s3", "gcs"] as const) {
      if (s.driver === driver && !s[driver])
        ctx.addIssue({
          code: "custom",
          path: [driver],
          message: `is required when driver is ${driver}`,
          input: undefined,
        });
      if (s.driver !== driver && s[driver])
        ctx.addIssue({
          code: "custom",
          path: [driver],
          message: `is only read when driver is ${driver} (driver is ${s.driver})`,
          input: s[driver],
        });
    }
  });

export const proxySettings = z
  .strictObject({
    /** The upstream registry to cache, e.g. https://registry-1.docker.io. */
    remoteUrl: httpsUrl("the upstream registry"),
    username: text("a user name").optional(),
    password: secret(text("a password")).optional(),
    /** How long cached content is kept, e.g. 168h. */
    ttl: pattern(/^[0-9]+(h|m|s)$/, "a duration such as 168h").optional(),
  })
  .superRefine((p, ctx) => {
    // The upstream login needs both halves; one alone would be sent as an anonymous pull.
    const half = p.username === undefined ? "username" : p.password === undefined ? "password" : "";
    if (half && (p.username !== undefined || p.password !== undefined))
      ctx.addIssue({
        code: "custom",
        path: [half],
        message:
          "is required with the other half of the upstream login (username and password, or neither)",
        input: undefined,
      });
  });

export const selfHostedSettings = {
  /** The CNCF distribution image, pinned. v3 images read their config from a different path. */
  image: pinnedImage().default(DEFAULT_REGISTRY_IMAGE),
  auth: authSettings,
  storage: storageSettings,
  proxy: proxySettings.optional(),
  logLevel: oneOf(["error", "warn", "info", "debug"]).default("info"),
  /** Push notifications to webhook receivers (distribution's notifications.endpoints). */
  notifications: notificationSettings.optional(),
};

/** Settings distribution reads only from v3 on; a 2.x registry ignores unknown keys silently. */
const V3_ONLY = [
  ["proxy", "ttl"],
  ["storage", "s3", "forcePathStyle"],
] as const;

/**
 * Refuses what the chosen image would silently ignore. Each backend calls it from its
 * own superRefine (it spans `image` and the blocks below it).
 */
export function checkImageReadsSettings(s: SelfHostedSettings, ctx: z.RefinementCtx): void {
  // Judge only settings that are valid otherwise (zod runs this after field failures too).
  if (ctx.issues.length) return;
  const major = registryMajor(s.image);
  if (major >= 3) return;
  const valueAt = (path: readonly string[]) =>
    path.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], s);
  for (const path of V3_ONLY)
    if (valueAt(path) !== undefined)
      ctx.addIssue({
        code: "custom",
        path: [...path],
        input: undefined,
        message: `is only read by registry 3 images (image is ${s.image}, a ${major}.x registry ignores it): use an image such as registry:3.0.0, or remove it`,
      });
}

/**
 * A pull-only user on a mirror would be the mirror's one login twice over: a mirror takes
 * no pushes, so its login is already exported as the pull login. Each backend calls this
 * from its own superRefine (it spans `proxy` and `auth`).
 */
export function checkPullUserRole(s: SelfHostedSettings, ctx: z.RefinementCtx): void {
  if (s.proxy && s.auth.pullUser)
    ctx.addIssue({
      code: "custom",
      path: ["auth", "pullUser"],
      input: undefined,
      message:
        "is redundant on a mirror (proxy is set): a mirror takes no pushes, so its one login (auth.username) is the pull login; remove auth.pullUser",
    });
}

export type AuthSettings = z.output<typeof authSettings>;
export type StorageSettings = z.output<typeof storageSettings>;
export type ProxySettings = z.output<typeof proxySettings>;

/** The shared part of any self-hosted backend's settings, as validated. */
export type SelfHostedSettings = z.output<z.ZodObject<typeof selfHostedSettings>>;
