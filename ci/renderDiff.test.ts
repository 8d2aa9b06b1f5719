import {
  COMMENT_MARKER,
  cutAtLine,
  fenceFor,
  GITHUB_COMMENT_LIMIT,
  parseRenderDiffArgs,
  renderMarkdown,
  shareBudget,
  stackNames,
  summarisePatch,
  type StackDiff,
} from "./renderDiff";

const patch = (file: string, lines: number, marker = "x") =>
  [
    `diff --git base/dev/${file} head/dev/${file}`,
    `--- base/dev/${file}`,
    `+++ head/dev/${file}`,
    `@@ -1,${lines} +1,${lines} @@`,
    ...Array.from({ length: lines }, (_, i) => `-old ${marker} ${i}\n+new ${marker} ${i}`),
    "",
  ].join("\n");

test("stackNames reads Pulumi.<stack>.yaml and nothing else", () => {
  expect(
    stackNames(["Pulumi.yaml", "Pulumi.prod.yaml", "Pulumi.dev.yaml", "Pulumi.dev.yml", "x.ts"]),
  ).toEqual(["dev", "prod"]);
});

test("summarisePatch counts files and lines, not the ---/+++ headers", () => {
  expect(summarisePatch(patch("a.yml", 3) + patch("b.yml", 1))).toEqual({
    files: 2,
    added: 4,
    removed: 4,
  });
});

test("fenceFor is longer than any backtick run in the content", () => {
  expect(fenceFor("plain")).toBe("```");
  expect(fenceFor("a ```` b")).toBe("`````");
});

test("cutAtLine keeps whole lines and counts what it dropped", () => {
  expect(cutAtLine("aa\nbb\ncc", 100)).toEqual({ text: "aa\nbb\ncc", droppedLines: 0 });
  expect(cutAtLine("aa\nbb\ncc", 6)).toEqual({ text: "aa\nbb", droppedLines: 1 });
});

test("shareBudget lets small diffs through whole and splits the rest", () => {
  expect(shareBudget([10, 1000, 1000], 510)).toEqual([10, 250, 250]);
  expect(shareBudget([10, 20], 1000)).toEqual([10, 20]);
});

describe("renderMarkdown", () => {
  const diffs: StackDiff[] = [
    { stack: "dev", patch: patch("kubernetes/manifests.yaml", 2) },
    { stack: "prod", patch: "" },
    { stack: "qa", patch: patch("vm/docker-compose.yml", 1), only: "head" },
  ];

  test("starts with the marker, tables every stack, and folds each changed one", () => {
    const md = renderMarkdown(diffs, { base: "aaaaaaa", head: "bbbbbbb" });
    expect(md.startsWith(COMMENT_MARKER)).toBe(true);
    expect(md).toContain("`aaaaaaa` → `bbbbbbb`");
    expect(md).toContain("| `prod` | no change |");
    expect(md).toContain("| `qa` | new stack, 1 file changed, +1 −1 |");
    expect(md).toContain("<details><summary><b>dev</b>: 1 file changed, +2 −2</summary>");
    expect(md).toContain("```diff\ndiff --git base/dev/kubernetes/manifests.yaml");
    expect(md).toContain("+new x 1");
    expect(md).not.toContain("<b>prod</b>");
    expect(md).not.toContain("not shown");
  });

  test("says so when nothing changed", () => {
    expect(renderMarkdown([{ stack: "dev", patch: "" }], { base: "a", head: "b" })).toContain(
      "No stack renders differently (1 stack compared: dev)",
    );
  });

  test("a huge diff is cut under GitHub's limit with a note, and every stack keeps its section", () => {
    const big: StackDiff[] = [
      { stack: "dev", patch: patch("a.yaml", 5000, "dev") },
      { stack: "staging", patch: patch("b.yaml", 3, "staging") },
      { stack: "prod", patch: patch("c.yaml", 5000, "prod") },
    ];
    const md = renderMarkdown(big, { base: "a", head: "b", fullDiffHint: "see the artifact" });
    expect(md.length).toBeLessThanOrEqual(65000);
    expect(md.length).toBeGreaterThan(60000);
    expect(md.match(/more lines not shown.*see the artifact/g)).toHaveLength(2);
    expect(md).toContain("+new staging 2"); // the small diff survives whole
    expect(md).toContain("<b>prod</b>");
    expect(md.match(/```diff/g)).toHaveLength(3);
    expect(md.match(/^```$/gm)).toHaveLength(3); // every fence is closed
  });

  test("max-chars never exceeds GitHub's limit", () => {
    const md = renderMarkdown([{ stack: "dev", patch: patch("a", 9000) }], {
      base: "a",
      head: "b",
      maxChars: 10 ** 6,
    });
    expect(md.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
  });
});

test("parseRenderDiffArgs needs --base and defaults head to HEAD", () => {
  expect(() => parseRenderDiffArgs([])).toThrow(/--base/);
  expect(parseRenderDiffArgs(["--base", "origin/main"])).toMatchObject({
    base: "origin/main",
    head: "HEAD",
    mergeBase: true,
  });
  expect(parseRenderDiffArgs(["--base", "a", "--no-merge-base"]).mergeBase).toBe(false);
});
