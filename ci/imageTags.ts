/**
 * The image tag scheme (README "Pushing images"): `<branch>-<short sha>` on every build, plus
 * `latest` on the main branch and `stage` on the stage branch. A moving tag is never
 * pushed alone, so every image stays addressable by the commit that built it.
 *
 * Pure functions only, and node builtins only in ci/ push code: the composite
 * action runs this file with `npx tsx` in repositories that have no node_modules.
 */

/** What a tag may look like (Docker's reference grammar). */
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const MAX_TAG_LENGTH = 128;
export const SHORT_SHA_LENGTH = 7;

export interface TagOptions {
  /** Branches that also get `latest` (the seed's `master`, today's `main`). */
  mainBranches?: string[];
  /** Branches that also get `stage`. */
  stageBranches?: string[];
  /**
   * A pull-request build: only the immutable tag, whatever the head branch is
   * called (a fork's `main` must not move `latest`).
   */
  pullRequest?: boolean;
  /** A git tag build (e.g. `v1.2.0`): the git tag's name is pushed as well. */
  gitTag?: boolean;
}

export interface ImageTags {
  /** `<branch>-<sha7>`: names one commit, never moves. */
  immutable: string;
  /** `latest` / `stage` / the release name, pointing at the newest build. */
  moving: string[];
  /** immutable first, then the moving ones. */
  all: string[];
}

export const DEFAULT_MAIN_BRANCHES = ["main", "master"];
export const DEFAULT_STAGE_BRANCHES = ["stage"];
/** The name used when a build has no branch (detached HEAD) or nothing of it survives sanitising. */
export const NO_BRANCH = "detached";

/** The first 7 hex digits of a commit id, lower case; throws on anything that is not one. */
export function shortSha(sha: string): string {
  const s = sha.trim().toLowerCase();
  if (!/^[0-9a-f]{7,64}$/.test(s)) throw new Error(`not a commit id: ${JSON.stringify(sha)}`);
  return s.slice(0, SHORT_SHA_LENGTH);
}

/**
 * Turns a branch (or git tag) name into tag text: every character a tag cannot hold
 * becomes `-`, runs of `-` collapse, separators at either end go (a tag cannot start
 * with `.` or `-`), and the result is cut to `maxLength`. May return "".
 */
export function sanitiseForTag(name: string, maxLength = MAX_TAG_LENGTH): string {
  const cleaned = name
    .replace(/^refs\/(heads|tags)\//, "")
    .replace(/[^A-Za-z0-9_.-]+/g, "-")
    .replace(/-{2,}/g, "-");
  return trimSeparators(trimSeparators(cleaned).slice(0, maxLength));
}

function trimSeparators(s: string): string {
  return s.replace(/^[.-]+/, "").replace(/[.-]+$/, "");
}

/** `<branch>-<sha7>`, at most 128 characters with the sha suffix always whole. */
export function immutableTag(branch: string, sha: string): string {
  const suffix = `-${shortSha(sha)}`;
  const prefix = sanitiseForTag(branch, MAX_TAG_LENGTH - suffix.length) || NO_BRANCH;
  return `${prefix}${suffix}`;
}

/** Every tag one build pushes. `branch` is the branch name, or the git tag's name with `gitTag`. */
export function imageTags(
  branch: string | undefined,
  sha: string,
  options: TagOptions = {},
): ImageTags {
  const name = (branch ?? "").replace(/^refs\/(heads|tags)\//, "").trim();
  const detached = name === "" || name === "HEAD";
  const immutable = immutableTag(detached ? NO_BRANCH : name, sha);
  const moving: string[] = [];
  if (!detached && !options.pullRequest) {
    if (options.gitTag) {
      const release = sanitiseForTag(name);
      if (release) moving.push(release);
    } else {
      if ((options.mainBranches ?? DEFAULT_MAIN_BRANCHES).includes(name)) moving.push("latest");
      if ((options.stageBranches ?? DEFAULT_STAGE_BRANCHES).includes(name)) moving.push("stage");
    }
  }
  const all = [immutable, ...moving.filter((t) => t !== immutable)];
  for (const tag of all)
    if (!TAG_PATTERN.test(tag)) throw new Error(`computed an invalid tag: ${tag}`);
  return { immutable, moving, all };
}

/** The build being tagged, as a CI system describes it. */
export interface BuildRef {
  branch: string | undefined;
  sha: string;
  pullRequest: boolean;
  gitTag: boolean;
}

/**
 * Reads the build from GitHub Actions' environment. On pull_request events
 * GITHUB_REF_NAME is `<n>/merge` and GITHUB_SHA the merge commit: the head branch
 * (GITHUB_HEAD_REF) and the head commit (from the event payload) name what was built.
 * Outside GitHub, CI_BRANCH / CI_SHA (or --branch / --sha) fill in.
 */
export function buildRefFromEnv(
  env: Record<string, string | undefined>,
  readEvent: () => unknown = () => undefined,
): BuildRef | undefined {
  if (env.GITHUB_HEAD_REF) {
    const event = readEvent() as { pull_request?: { head?: { sha?: string } } } | undefined;
    const sha = event?.pull_request?.head?.sha ?? env.GITHUB_SHA;
    if (!sha) return undefined;
    return { branch: env.GITHUB_HEAD_REF, sha, pullRequest: true, gitTag: false };
  }
  const sha = env.GITHUB_SHA ?? env.CI_SHA;
  if (!sha) return undefined;
  return {
    branch: env.GITHUB_REF_NAME ?? env.CI_BRANCH,
    sha,
    pullRequest: false,
    gitTag: env.GITHUB_REF_TYPE === "tag",
  };
}
