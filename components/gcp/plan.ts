/**
 * Pure helpers for the GCP backend: plain settings in, the values the component feeds
 * its resources out. Everything here is known before deploy (REGISTRY included), so
 * `pulumi preview` shows it and tests call it directly.
 */
import type { GcpSettings } from "./settings";

const SECONDS_PER_DAY = 86_400;

/** Where images go: the host `docker login` needs and the image prefix (REGISTRY). */
export function registryAddress(
  s: Pick<GcpSettings, "project" | "location" | "repositoryId" | "gcrDomain">,
): {
  host: string;
  registry: string;
} {
  if (s.gcrDomain) return { host: s.gcrDomain, registry: `${s.gcrDomain}/${s.project}` };
  const host = `${s.location}-docker.pkg.dev`;
  return { host, registry: `${host}/${s.project}/${s.repositoryId}` };
}

/** Artifact Registry durations are seconds with an "s" suffix. */
export function daysAsDuration(days: number): string {
  return `${days * SECONDS_PER_DAY}s`;
}

export interface CleanupPolicy {
  id: string;
  action: "DELETE" | "KEEP";
  condition?: { tagState: "UNTAGGED"; olderThan: string };
  mostRecentVersions?: { keepCount: number };
}

/**
 * Delete untagged versions after N days, but keep the N most recent versions of each
 * image (KEEP wins over DELETE, so a just-replaced `latest` stays for rollbacks).
 * Tagged versions are never deleted by these rules.
 */
export function cleanupPolicies(c: GcpSettings["cleanup"]): CleanupPolicy[] {
  if (!c.enabled) return [];
  return [
    {
      id: "delete-untagged",
      action: "DELETE",
      condition: { tagState: "UNTAGGED", olderThan: daysAsDuration(c.deleteUntaggedAfterDays) },
    },
    {
      id: "keep-recent-versions",
      action: "KEEP",
      mostRecentVersions: { keepCount: c.keepRecentVersions },
    },
  ];
}

export const GITHUB_OIDC_ISSUER = "https://token.actions.githubusercontent.com";

/**
 * Claims of GitHub's OIDC token kept as attributes (the condition and the binding read
 * them). google.subject may be at most 127 bytes, and GitHub's `sub` can be longer
 * (repository and branch or environment names): the subject is made of numeric ids
 * instead (at most 20 digits each, so under 80 bytes), and still names the workflow
 * run in audit logs. Only claims every GitHub token carries are mapped.
 */
export const GITHUB_ATTRIBUTE_MAPPING: Record<string, string> = {
  "google.subject":
    '"repository_id:" + assertion.repository_id + ":run:" + assertion.run_id + ":" + assertion.run_attempt',
  "attribute.repository_id": "assertion.repository_id",
  "attribute.repository_owner_id": "assertion.repository_owner_id",
  "attribute.repository": "assertion.repository",
  "attribute.ref": "assertion.ref",
  "attribute.actor": "assertion.actor",
};

export interface GithubTrust {
  repositoryId: string;
  repositoryOwnerId: string;
  branch?: string;
  environment?: string;
  anyRef: boolean;
}

/** Which refs may push: the branch given, or main unless an environment or any ref is allowed. */
export function githubTrust(c: GcpSettings["credentials"]): GithubTrust {
  const branch = c.githubBranch ?? (c.githubEnvironment || c.githubAnyRef ? undefined : "main");
  return {
    repositoryId: c.githubRepositoryId as string, // required in this mode by the schema
    repositoryOwnerId: c.githubRepositoryOwnerId as string,
    branch,
    environment: c.githubEnvironment,
    anyRef: c.githubAnyRef,
  };
}

/**
 * Only tokens from this repository, pinned by its immutable ids (GitHub never reuses
 * them, unlike names), and from the branch or environment allowed, are accepted by the
 * provider at all. Settings validation keeps quotes and backslashes out of every value.
 */
export function githubAttributeCondition(t: GithubTrust): string {
  const rules = [
    `assertion.repository_owner_id == "${t.repositoryOwnerId}"`,
    `assertion.repository_id == "${t.repositoryId}"`,
  ];
  if (t.branch) rules.push(`assertion.ref == "refs/heads/${t.branch}"`);
  if (t.environment) rules.push(`assertion.environment == "${t.environment}"`);
  return rules.join(" && ");
}

/** The principalSet of every workflow run of one repository (by id), in a pool given by its resource name. */
export function repositoryPrincipalSet(poolName: string, repositoryId: string): string {
  return `principalSet://iam.googleapis.com/${poolName}/attribute.repository_id/${repositoryId}`;
}

/** Pool and provider descriptions: Google refuses more than 256 characters. */
export const DESCRIPTION_MAX = 256;

/** A description cut to what the API accepts (long repository and branch names can exceed it). */
export function fitDescription(text: string, max = DESCRIPTION_MAX): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

/**
 * The key's rotation keeper: the first day (UTC) of the N-day window `now` falls in.
 * It changes once per window, so the first `pulumi up` of a new window replaces the key.
 */
export function keyRotationWindow(now: Date, days: number): string {
  return windowStart(windowIndex(now, days), days);
}

const windowIndex = (now: Date, days: number) =>
  Math.floor(now.getTime() / (days * SECONDS_PER_DAY * 1000));
const windowStart = (index: number, days: number) =>
  new Date(index * days * SECONDS_PER_DAY * 1000).toISOString().slice(0, 10);

export type KeySlot = "a" | "b";

export interface KeyRotationPlan {
  /** The slot whose key is the credential (REGISTRY_PASSWORD): the newest key. */
  current: KeySlot;
  /** Each slot's keeper: the start of the newest window of its parity up to now. */
  keepers: Record<KeySlot, string>;
  /** The first `pulumi up` on or after this day deletes the current key (two windows on). */
  currentKeyValidUntil: string;
}

/**
 * Two keys that overlap: slot "a" is renewed in even windows, slot "b" in odd ones, so
 * each key lives two windows and the one a pipeline stored before a rotation still
 * works for a whole window after it. Each keeper changes only at its own window
 * boundary (every 2N days): a run inside a window changes nothing.
 */
export function keyRotationPlan(now: Date, days: number): KeyRotationPlan {
  const n = windowIndex(now, days);
  const slot = (index: number): KeySlot => (index % 2 === 0 ? "a" : "b");
  const current = slot(n);
  const previous = slot(n - 1);
  return {
    current,
    keepers: { [current]: windowStart(n, days), [previous]: windowStart(n - 1, days) } as Record<
      KeySlot,
      string
    >,
    currentKeyValidUntil: windowStart(n + 2, days),
  };
}

/** A resource-name-safe form of an IAM member, stable when the readers list is reordered. */
export function memberSlug(member: string): string {
  return member
    .replace(/^[a-zA-Z]+:(\/\/)?/, (p) => p.replace(/[:/]+$/, "").toLowerCase() + "-")
    .replace(/@/g, "-at-")
    .replace(/[^a-zA-Z0-9.-]+/g, "-")
    .replace(/-+$/, "");
}
