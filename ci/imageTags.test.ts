import {
  buildRefFromEnv,
  imageTags,
  immutableTag,
  MAX_TAG_LENGTH,
  sanitiseForTag,
  shortSha,
  TAG_PATTERN,
} from "./imageTags";

const SHA = "0123456789abcdef0123456789abcdef01234567";

describe("shortSha", () => {
  test("takes the first 7 hex digits, lower case", () => {
    expect(shortSha(SHA)).toBe("0123456");
    expect(shortSha("ABCDEF0123")).toBe("abcdef0");
  });
  test.each(["", "abc", "not-a-sha-at-all", "0123456z"])("refuses %j", (bad) => {
    expect(() => shortSha(bad)).toThrow(/not a commit id/);
  });
});

describe("sanitiseForTag", () => {
  test.each([
    ["main", "main"],
    ["feature/x", "feature-x"],
    ["feature//x", "feature-x"],
    ["refs/heads/feature/x", "feature-x"],
    ["user/JIRA-123_fix.thing", "user-JIRA-123_fix.thing"],
    ["fix: spaces & symbols!", "fix-spaces-symbols"],
    ["-leading-dash", "leading-dash"],
    [".hidden", "hidden"],
    ["..--x", "x"],
    ["trailing/", "trailing"],
    ["dependabot/npm_and_yarn/@types/node-20.1", "dependabot-npm_and_yarn-types-node-20.1"],
    ["ümlaut-ß", "mlaut"],
    ["___", "___"],
    ["///", ""],
  ])("%j → %j", (branch, tag) => {
    expect(sanitiseForTag(branch)).toBe(tag);
  });

  test("cuts to the length asked, without leaving a separator at the end", () => {
    expect(sanitiseForTag("abc-def", 4)).toBe("abc");
    expect(sanitiseForTag("a".repeat(300))).toHaveLength(MAX_TAG_LENGTH);
  });
});

describe("immutableTag", () => {
  test("is <branch>-<sha7>", () => {
    expect(immutableTag("feature/x", SHA)).toBe("feature-x-0123456");
  });

  test("a long branch is cut so the whole tag is 128 characters and the sha stays whole", () => {
    const tag = immutableTag(`feature/${"very-long-name-".repeat(20)}`, SHA);
    expect(tag).toHaveLength(MAX_TAG_LENGTH);
    expect(tag.endsWith("-0123456")).toBe(true);
    expect(tag).toMatch(TAG_PATTERN);
    expect(tag).not.toMatch(/--/);
  });

  test("a cut landing on a separator does not leave a double dash", () => {
    // 119 x's then "-y": cutting at 120 would end the prefix with "-".
    const tag = immutableTag(`${"x".repeat(119)}-yyyy`, SHA);
    expect(tag).toBe(`${"x".repeat(119)}-0123456`);
  });

  test("a branch with nothing tag-worthy in it falls back to a fixed word", () => {
    expect(immutableTag("///", SHA)).toBe("detached-0123456");
    expect(immutableTag("ветка", SHA)).toBe("detached-0123456");
  });
});

describe("imageTags", () => {
  test.each([
    ["main", ["main-0123456", "latest"]],
    ["master", ["master-0123456", "latest"]],
    ["stage", ["stage-0123456", "stage"]],
    ["feature/x", ["feature-x-0123456"]],
    ["maintenance", ["maintenance-0123456"]],
    ["staging", ["staging-0123456"]],
    ["Main", ["Main-0123456"]],
    ["refs/heads/main", ["main-0123456", "latest"]],
  ])("branch %j pushes %j", (branch, tags) => {
    expect(imageTags(branch, SHA).all).toEqual(tags);
  });

  test("never only a moving tag: the immutable one always comes first", () => {
    for (const branch of ["main", "stage", "x", "", "HEAD"]) {
      const { all, immutable } = imageTags(branch, SHA);
      expect(all[0]).toBe(immutable);
      expect(immutable).toMatch(/-0123456$/);
    }
  });

  test("detached HEAD gets the immutable tag only", () => {
    expect(imageTags("HEAD", SHA).all).toEqual(["detached-0123456"]);
    expect(imageTags(undefined, SHA).all).toEqual(["detached-0123456"]);
  });

  test("a pull request from a branch called main does not move latest", () => {
    expect(imageTags("main", SHA, { pullRequest: true }).all).toEqual(["main-0123456"]);
  });

  test("a git tag build also pushes the release name", () => {
    expect(imageTags("v1.2.0", SHA, { gitTag: true }).all).toEqual(["v1.2.0-0123456", "v1.2.0"]);
    expect(imageTags("release/2024.1", SHA, { gitTag: true }).all).toEqual([
      "release-2024.1-0123456",
      "release-2024.1",
    ]);
  });

  test("the main and stage branches can be renamed", () => {
    const opts = { mainBranches: ["trunk"], stageBranches: ["preprod"] };
    expect(imageTags("trunk", SHA, opts).all).toEqual(["trunk-0123456", "latest"]);
    expect(imageTags("preprod", SHA, opts).all).toEqual(["preprod-0123456", "stage"]);
    expect(imageTags("main", SHA, opts).all).toEqual(["main-0123456"]);
  });

  test("every computed tag is a valid tag", () => {
    const branches = ["a", "feature/ü/x", "-x", "x".repeat(500), "1.0", "_x", "a..b", "a b\tc"];
    for (const b of branches) for (const t of imageTags(b, SHA).all) expect(t).toMatch(TAG_PATTERN);
  });
});

describe("buildRefFromEnv", () => {
  test("a push build uses GITHUB_REF_NAME and GITHUB_SHA", () => {
    expect(
      buildRefFromEnv({ GITHUB_REF_NAME: "main", GITHUB_SHA: SHA, GITHUB_REF_TYPE: "branch" }),
    ).toEqual({
      branch: "main",
      sha: SHA,
      pullRequest: false,
      gitTag: false,
    });
  });

  test("a pull request uses the head branch and the head commit, not the merge commit", () => {
    const headSha = "fedcba9876543210fedcba9876543210fedcba98";
    const ref = buildRefFromEnv(
      { GITHUB_HEAD_REF: "feature/x", GITHUB_REF_NAME: "12/merge", GITHUB_SHA: SHA },
      () => ({ pull_request: { head: { sha: headSha } } }),
    );
    expect(ref).toEqual({ branch: "feature/x", sha: headSha, pullRequest: true, gitTag: false });
    expect(imageTags(ref!.branch, ref!.sha, ref!).all).toEqual(["feature-x-fedcba9"]);
  });

  test("a tag build is marked as one", () => {
    const ref = buildRefFromEnv({
      GITHUB_REF_NAME: "v2.0.0",
      GITHUB_REF_TYPE: "tag",
      GITHUB_SHA: SHA,
    });
    expect(ref?.gitTag).toBe(true);
  });

  test("other CI systems can say CI_BRANCH and CI_SHA", () => {
    expect(buildRefFromEnv({ CI_BRANCH: "stage", CI_SHA: SHA })).toMatchObject({
      branch: "stage",
      sha: SHA,
    });
  });

  test("no commit id: nothing to tag by", () => {
    expect(buildRefFromEnv({ GITHUB_REF_NAME: "main" })).toBeUndefined();
  });
});
