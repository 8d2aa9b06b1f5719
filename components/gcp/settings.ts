/**
 * `registry:gcp`: an Artifact Registry Docker repository, the CI service account that
 * pushes to it, and how CI gets credentials (a key, or keyless Workload Identity
 * Federation from GitHub Actions). Everything is checked here, before anything is
 * registered; the output has the location and repository id resolved (gcr.io mode
 * fills them in).
 */
import { z } from "zod";
import { bool, integer, labels, oneOf, pattern, text } from "../../config/fields";
import { gcpNotificationSettings } from "./notifications";

/** gcr.io hosts and the Artifact Registry location each one is served from. */
export const GCR_DOMAIN_LOCATIONS = {
  "gcr.io": "us",
  "us.gcr.io": "us",
  "eu.gcr.io": "europe",
  "asia.gcr.io": "asia",
} as const;
export type GcrDomain = keyof typeof GCR_DOMAIN_LOCATIONS;
const GCR_DOMAINS = Object.keys(GCR_DOMAIN_LOCATIONS) as [GcrDomain, ...GcrDomain[]];

export const DEFAULT_REPOSITORY_ID = "ci-images";

/** A region (us-central1, europe-west1, northamerica-northeast2) or a multi-region. */
export const LOCATION = /^([a-z]+-[a-z]+[0-9]+|us|europe|asia)$/;
const KMS_KEY = /^projects\/([^/]+)\/locations\/([^/]+)\/keyRings\/([^/]+)\/cryptoKeys\/([^/]+)$/;

/** Pool and provider ids: Google reserves the gcp- prefix. */
const workloadIdentityId = (what: string) =>
  pattern(/^[a-z0-9-]{4,32}$/, `a ${what} id of 4-32 lower-case letters, digits or hyphens`).refine(
    (v) => !v.startsWith("gcp-"),
    { error: "must not start with gcp- (the prefix is reserved by Google)" },
  );

/**
 * A GitHub numeric id (repository or owner), as a number or a string of digits; kept
 * as the string the OIDC token carries.
 */
const githubId = () => {
  const error = "must be a numeric GitHub id such as 260064828";
  return z
    .union(
      [
        z.number().int({ error }).min(1, { error }).max(Number.MAX_SAFE_INTEGER, { error }),
        z.string().regex(/^[1-9][0-9]{0,15}$/, { error }),
      ],
      {
        error,
      },
    )
    .transform(String);
};

/**
 * Who else may pull: IAM principals granted roles/artifactregistry.reader on this
 * repository. allUsers / allAuthenticatedUsers are refused: this is a private registry.
 */
const iamMember = () =>
  pattern(
    /^((serviceAccount|user|group):[^@\s:]+@[a-z0-9.-]+\.[a-z]{2,}|domain:[a-z0-9.-]+\.[a-z]{2,}|principal(Set)?:\/\/iam\.googleapis\.com\/\S+)$/,
    "an IAM member such as serviceAccount:nodes@my-project.iam.gserviceaccount.com (or user:, group:, domain:, principal://, principalSet://)",
  );

export const cleanupSettings = z
  .strictObject({
    /** Cleanup policies on the repository. Default true. */
    enabled: bool().default(true),
    /** Delete untagged versions older than this many days (written as seconds). Default 14. */
    deleteUntaggedAfterDays: integer(1, 3650).default(14),
    /** Keep the most recent versions of every image, untagged or not, whatever the delete rule says. Default 10. */
    keepRecentVersions: integer(1, 1000).default(10),
    /** Only report what would be deleted (cleanupPolicyDryRun). Default false. */
    dryRun: bool().default(false),
  })
  .prefault({});

export const credentialsSettings = z
  .strictObject({
    /**
     * How CI logs in. "key" (default): a service-account key, REGISTRY_USERNAME
     * _json_key_base64. "workloadIdentity": no key; GitHub Actions exchanges its OIDC
     * token through a Workload Identity pool (REGISTRY_USERNAME oauth2accesstoken).
     */
    mode: oneOf(["key", "workloadIdentity"]).default("key"),
    /**
     * key mode: a new key at the first `pulumi up` in each window of this many days
     * (windows counted from 1970-01-01 UTC). Two keys overlap: a key lives two windows,
     * so the one pipelines stored stays valid for one window after the next rotation.
     * Default unset (one key, never rotated).
     */
    keyRotationDays: integer(1, 3650).optional(),
    /**
     * workloadIdentity mode (required there): the repository, owner/name. Readable only:
     * it names things; the ids below are what the provider checks.
     */
    githubRepository: pattern(
      /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/,
      "a GitHub repository as owner/name",
    ).optional(),
    /**
     * workloadIdentity mode (required there): the repository's numeric id, which GitHub
     * never reuses (a deleted repository's name can be registered again).
     */
    githubRepositoryId: githubId().optional(),
    /** workloadIdentity mode (required there): the numeric id of the repository's owner. */
    githubRepositoryOwnerId: githubId().optional(),
    /**
     * workloadIdentity mode: allow this branch only (refs/heads/<branch>). Default "main"
     * unless githubEnvironment is set or githubAnyRef is true.
     */
    githubBranch: pattern(
      /^(?!\/|.*\/$|.*\.\.|.*\/\/)[A-Za-z0-9._/-]{1,200}$/,
      "a branch name such as main or release/1.x",
    ).optional(),
    /** workloadIdentity mode: allow only jobs that run in this GitHub environment (and its protection rules). */
    githubEnvironment: pattern(
      /^[A-Za-z0-9_.-][A-Za-z0-9 _.-]{0,254}$/,
      "an environment name of up to 255 letters, digits, spaces, '_', '.' or '-'",
    ).optional(),
    /** workloadIdentity mode: allow any branch, tag or pull request of the repository. Default false. */
    githubAnyRef: bool().default(false),
    /** workloadIdentity mode: the Workload Identity pool id. Default "github-ci". */
    poolId: workloadIdentityId("pool").default("github-ci"),
    /** workloadIdentity mode: the pool's OIDC provider id. Default "github-actions". */
    providerId: workloadIdentityId("provider").default("github-actions"),
  })
  .prefault({})
  .superRefine((c, ctx) => {
    const wif = c.mode === "workloadIdentity";
    const issue = (key: string, message: string, input: unknown) =>
      ctx.addIssue({ code: "custom", path: [key], message, input });
    if (wif) {
      if (!c.githubRepository)
        issue(
          "githubRepository",
          "is required when mode is workloadIdentity (the owner/name allowed to push)",
          undefined,
        );
      if (!c.githubRepositoryId)
        issue(
          "githubRepositoryId",
          "is required when mode is workloadIdentity: the repository's numeric id (curl -s https://api.github.com/repos/OWNER/NAME | jq .id)",
          undefined,
        );
      if (!c.githubRepositoryOwnerId)
        issue(
          "githubRepositoryOwnerId",
          "is required when mode is workloadIdentity: the owner's numeric id (curl -s https://api.github.com/repos/OWNER/NAME | jq .owner.id)",
          undefined,
        );
      if (c.githubAnyRef)
        for (const key of ["githubBranch", "githubEnvironment"] as const)
          if (c[key] !== undefined)
            issue(
              key,
              "cannot be combined with githubAnyRef: true (which allows every ref)",
              c[key],
            );
    }
    const wifOnly = [
      "githubRepository",
      "githubRepositoryId",
      "githubRepositoryOwnerId",
      "githubBranch",
      "githubEnvironment",
    ] as const;
    for (const key of wifOnly)
      if (!wif && c[key] !== undefined)
        issue(key, `is only read when mode is workloadIdentity (mode is ${c.mode})`, c[key]);
    if (!wif && c.githubAnyRef)
      issue("githubAnyRef", `is only read when mode is workloadIdentity (mode is ${c.mode})`, true);
    if (wif && c.keyRotationDays !== undefined)
      issue(
        "keyRotationDays",
        "is only read when mode is key (mode is workloadIdentity)",
        c.keyRotationDays,
      );
  });

export const gcpSettings = z
  .strictObject({
    /** The GCP project id (not its number). Required. */
    project: pattern(
      /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
      "a GCP project id: 6-30 lower-case letters, digits or hyphens, starting with a letter",
    ),
    /**
     * Where the repository lives: a region such as us-central1 or a multi-region us,
     * europe, asia. Required, except in gcr.io mode, where it follows the domain.
     */
    location: pattern(
      LOCATION,
      "a region such as us-central1 or a multi-region us, europe or asia",
    ).optional(),
    /** The repository id. Default "ci-images"; in gcr.io mode it is the domain and may not be set. */
    repositoryId: pattern(
      /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/,
      "a repository id of 1-63 lower-case letters, digits or hyphens, starting with a letter and ending with a letter or digit",
    ).optional(),
    /** The repository's description. Default "Container images pushed by CI (managed by Pulumi)". */
    description: text("a non-empty description").default(
      "Container images pushed by CI (managed by Pulumi)",
    ),
    /** Labels on the repository. Default {}. */
    labels: labels().default({}),
    /**
     * gcr.io mode, for pipelines with gcr.io/PROJECT/... image names: the repository
     * is named after this domain in its location (gcr.io and us.gcr.io: us, eu.gcr.io:
     * europe, asia.gcr.io: asia) and REGISTRY is <domain>/<project>. Default unset.
     */
    gcrDomain: oneOf(GCR_DOMAINS).optional(),
    /** Forbid moving or deleting a tag once pushed (so no moving `latest`). Default false. */
    immutableTags: bool().default(false),
    cleanup: cleanupSettings,
    /** A Cloud KMS key (projects/P/locations/L/keyRings/R/cryptoKeys/K) in the repository's location. Default unset (Google-managed). */
    kmsKeyName: pattern(
      KMS_KEY,
      "a KMS key name projects/P/locations/L/keyRings/R/cryptoKeys/K",
    ).optional(),
    /**
     * "inherited" (default): images are scanned when the project has the Container
     * Scanning API on (billed per image). "disabled": never scanned.
     */
    vulnerabilityScanning: oneOf(["inherited", "disabled"]).default("inherited"),
    /**
     * Protect the repository (and the images in it) with Pulumi's `protect` option:
     * `pulumi destroy` and any replacement stop until it is set false and applied.
     * Default true.
     */
    deletionProtection: bool().default(true),
    /** The CI service account's id (its email is <id>@<project>.iam.gserviceaccount.com). Default "registry-ci". */
    serviceAccountId: pattern(
      /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
      "a service account id of 6-30 lower-case letters, digits or hyphens, starting with a letter",
    ).default("registry-ci"),
    /** Principals that may pull (roles/artifactregistry.reader on this repository only). Default []. */
    readers: z.array(iamMember(), { error: "must be a list of IAM members" }).default([]),
    credentials: credentialsSettings,
    /** Enable the APIs this stack needs (never disabled on destroy). Default true. */
    enableApis: bool().default(true),
    /** Push notifications: the `gcr` Pub/Sub topic, pushed to a URL with an OIDC token. */
    notifications: gcpNotificationSettings.optional(),
  })
  .superRefine((s, ctx) => {
    if (s.gcrDomain) {
      const expected = GCR_DOMAIN_LOCATIONS[s.gcrDomain];
      if (s.location !== undefined && s.location !== expected)
        ctx.addIssue({
          code: "custom",
          path: ["location"],
          message: `must be ${expected} when gcrDomain is ${s.gcrDomain} (or be left unset)`,
          input: s.location,
        });
      if (s.repositoryId !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["repositoryId"],
          message: `is set by gcrDomain (the repository is named ${s.gcrDomain}): remove it`,
          input: s.repositoryId,
        });
    } else if (s.location === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["location"],
        message: "is required: a region such as us-central1 or a multi-region us, europe or asia",
        input: undefined,
      });
    const location = s.location ?? (s.gcrDomain && GCR_DOMAIN_LOCATIONS[s.gcrDomain]);
    const keyLocation = s.kmsKeyName ? KMS_KEY.exec(s.kmsKeyName)?.[2] : undefined;
    if (keyLocation && location && keyLocation !== location)
      ctx.addIssue({
        code: "custom",
        path: ["kmsKeyName"],
        message: `must be a key in the repository's location ${location}`,
        input: s.kmsKeyName,
      });
    if (s.notifications?.serviceAccountId === s.serviceAccountId)
      ctx.addIssue({
        code: "custom",
        path: ["notifications", "serviceAccountId"],
        message: `must differ from serviceAccountId (${s.serviceAccountId}, the CI account): the push identity is an account of its own, with no role`,
        input: s.notifications?.serviceAccountId,
      });
    const seen = new Set<string>();
    s.readers.forEach((member, i) => {
      if (seen.has(member))
        ctx.addIssue({
          code: "custom",
          path: ["readers", i],
          message: "lists this member twice",
          input: member,
        });
      seen.add(member);
    });
  })
  .transform((s) => ({
    ...s,
    location: s.location ?? GCR_DOMAIN_LOCATIONS[s.gcrDomain as GcrDomain],
    repositoryId: s.gcrDomain ?? s.repositoryId ?? DEFAULT_REPOSITORY_ID,
  }));

export type GcpSettings = z.output<typeof gcpSettings>;
