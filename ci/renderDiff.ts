/**
 * What a change does to what gets deployed: renders every stack (Pulumi.<stack>.yaml)
 * at two commits and prints the difference of render/<stack>/ (files/**,
 * resources.json, outputs.json) as Markdown for a pull-request comment.
 *
 *   npx tsx ci/renderDiff.ts --base <rev> [--head <rev>] [--repo DIR] [--out FILE]
 *       [--max-chars N] [--no-merge-base] [--patch-out FILE]
 *
 * Each commit is unpacked with `git archive` into a temp dir (no worktree
 * bookkeeping left behind) and rendered by its own tools/render.ts, with the
 * CURRENT checkout's node_modules symlinked in. That is seconds instead of an
 * `npm ci` per commit; the cost is that a change to package.json is not reflected in
 * the base render (both sides run the head's dependencies), which the comment says.
 * The base is the merge base of base and head (what GitHub's "Files changed" shows),
 * unless --no-merge-base. Exits 1 (after writing the comment) when a stack of the head
 * fails to render, so the pull request's check goes red. Secrets stay redacted: render's default, never --show-secrets.
 * Needs no cloud credentials: render runs the program under Pulumi's mocks.
 */
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** GitHub refuses comments over 65536 characters; keep a margin for the API's own wrapping. */
export const GITHUB_COMMENT_LIMIT = 65536;
export const DEFAULT_MAX_CHARS = 65000;
/** The hidden marker the workflow finds its own comment by (to edit it, not add another). */
export const COMMENT_MARKER = "<!-- render-diff -->";
const STACK_FILE = /^Pulumi\.([A-Za-z0-9_.-]+)\.yaml$/;

export interface StackDiff {
  stack: string;
  /** `git diff --no-index` output between base/<stack> and head/<stack>; "" when equal. */
  patch: string;
  /** Rendered on one side only (a stack added or removed). */
  only?: "base" | "head";
  /** The head's render of this stack failed (the check must fail, not only show it). */
  headFailed?: boolean;
}

/** Stack names from file names in a tree's root. */
export function stackNames(files: string[]): string[] {
  return files.flatMap((f) => STACK_FILE.exec(f)?.[1] ?? []).sort();
}

/** Files changed and lines added/removed, read from a unified diff. */
export function summarisePatch(patch: string): { files: number; added: number; removed: number } {
  let files = 0;
  let added = 0;
  let removed = 0;
  for (const line of patch.split("\n")) {
    if (line.startsWith("diff --git ")) files++;
    else if (line.startsWith("+") && !line.startsWith("+++ ")) added++;
    else if (line.startsWith("-") && !line.startsWith("--- ")) removed++;
  }
  return { files, added, removed };
}

/** A code fence longer than any run of backticks in the content, so it cannot be closed early. */
export function fenceFor(content: string): string {
  const longest = Math.max(0, ...(content.match(/`+/g) ?? []).map((r) => r.length));
  return "`".repeat(Math.max(3, longest + 1));
}

/** Cuts text to at most `max` characters at a line boundary; returns the kept text and lines dropped. */
export function cutAtLine(text: string, max: number): { text: string; droppedLines: number } {
  if (text.length <= max) return { text, droppedLines: 0 };
  const cut = text.lastIndexOf("\n", max);
  const kept = cut > 0 ? text.slice(0, cut) : "";
  const droppedLines = text.slice(kept.length).split("\n").filter(Boolean).length;
  return { text: kept, droppedLines };
}

/** Shares `budget` among texts: small ones take what they need, the rest split what is left. */
export function shareBudget(sizes: number[], budget: number): number[] {
  const order = sizes.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  const shares = new Array<number>(sizes.length).fill(0);
  let left = Math.max(0, budget);
  order.forEach(([size, i], k) => {
    const fair = Math.floor(left / (order.length - k));
    shares[i] = Math.min(size, fair);
    left -= shares[i];
  });
  return shares;
}

export interface MarkdownMeta {
  base: string;
  head: string;
  maxChars?: number;
  /** Where the full diff can be found when the comment is cut. */
  fullDiffHint?: string;
}

function changeSummary(d: StackDiff): string {
  if (d.patch === "") return "no change";
  const s = summarisePatch(d.patch);
  const what = d.only === "head" ? "new stack, " : d.only === "base" ? "stack removed, " : "";
  return `${what}${s.files} file${s.files === 1 ? "" : "s"} changed, +${s.added} −${s.removed}`;
}

/** The comment: a table of stacks, then one collapsible diff per changed stack, cut to fit. */
export function renderMarkdown(diffs: StackDiff[], meta: MarkdownMeta): string {
  const maxChars = Math.min(meta.maxChars ?? DEFAULT_MAX_CHARS, GITHUB_COMMENT_LIMIT);
  const changed = diffs.filter((d) => d.patch !== "");
  const head = [
    COMMENT_MARKER,
    `### Rendered files: \`${meta.base}\` → \`${meta.head}\``,
    "",
    changed.length === 0
      ? `No stack renders differently (${diffs.length} stack${diffs.length === 1 ? "" : "s"} compared: ${diffs.map((d) => d.stack).join(", ") || "none"}).`
      : "| stack | change |\n|---|---|\n" +
        diffs.map((d) => `| \`${d.stack}\` | ${changeSummary(d)} |`).join("\n"),
    "",
  ].join("\n");
  const foot = [
    "",
    "<sub>`npm run render` for each stack at both commits, under Pulumi's mocks (no cloud access); secrets redacted. " +
      "Values only a deploy knows read `<known after deploy: …>`. Both sides use the head's node_modules.</sub>",
    "",
  ].join("\n");
  // Fixed text per changed stack: the <details> wrapper, fences and a possible cut note.
  const wrappers = changed.map((d) => {
    const fence = fenceFor(d.patch);
    const open = `<details><summary><b>${d.stack}</b>: ${changeSummary(d)}</summary>\n\n${fence}diff\n`;
    const close = `\n${fence}\n\n</details>\n`;
    return { d, open, close };
  });
  const noteRoom = 200;
  const fixed =
    head.length +
    foot.length +
    wrappers.reduce((n, w) => n + w.open.length + w.close.length + noteRoom, 0);
  const shares = shareBudget(
    changed.map((d) => d.patch.length),
    maxChars - fixed,
  );
  const sections = wrappers.map(({ d, open, close }, i) => {
    const { text, droppedLines } = cutAtLine(d.patch.replace(/\n$/, ""), shares[i]);
    const note =
      droppedLines > 0
        ? `\n_… ${droppedLines} more line${droppedLines === 1 ? "" : "s"} not shown: the comment is limited to ${GITHUB_COMMENT_LIMIT} characters${meta.fullDiffHint ? `; ${meta.fullDiffHint}` : ""}._\n`
        : "";
    return `${open}${text}${close}${note}`;
  });
  return `${head}\n${sections.join("\n")}${foot}`;
}

// ---------------------------------------------------------------- running git and render

const git = (repo: string, ...args: string[]) =>
  execFileSync("git", ["-C", repo, ...args], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  }).trim();

/** Unpacks a commit's tree into `dir` and links the current node_modules into it. */
export function unpackCommit(repo: string, sha: string, dir: string, nodeModules: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const tar = `${dir}.tar`;
  execFileSync("git", ["-C", repo, "archive", "--format=tar", "-o", tar, sha]);
  execFileSync("tar", ["-xf", tar, "-C", dir]);
  fs.rmSync(tar);
  if (fs.existsSync(nodeModules))
    fs.symlinkSync(nodeModules, path.join(dir, "node_modules"), "dir");
}

function runAsync(
  file: string,
  args: string[],
  cwd: string,
): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 },
      (err, _stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === "number"
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stderr: String(stderr) });
      },
    );
  });
}

/** Renders one stack of an unpacked tree into `out`; a failure becomes a RENDER-FAILED.txt the diff shows. */
export async function renderTreeStack(tree: string, stack: string, out: string): Promise<void> {
  fs.mkdirSync(out, { recursive: true });
  if (!fs.existsSync(path.join(tree, `Pulumi.${stack}.yaml`))) return; // no such stack on this side
  const renderScript = path.join(tree, "tools", "render.ts");
  if (!fs.existsSync(renderScript)) {
    fs.writeFileSync(path.join(out, "RENDER-FAILED.txt"), "this commit has no tools/render.ts\n");
    return;
  }
  const tsx = path.join(tree, "node_modules", ".bin", "tsx");
  const { code, stderr } = await runAsync(tsx, ["tools/render.ts", stack, "--out", out], tree);
  if (code !== 0) {
    fs.rmSync(out, { recursive: true, force: true });
    fs.mkdirSync(out, { recursive: true });
    // The temp path differs per side; without it, the same failure on both sides shows no diff.
    const message = stderr.split(tree).join(".").trim();
    fs.writeFileSync(path.join(out, "RENDER-FAILED.txt"), `render exited ${code}:\n${message}\n`);
  }
}

async function inBatches<T>(
  items: T[],
  size: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

/** `git diff --no-index` of two directories, paths shown as base/<stack>/… and head/<stack>/…. */
export function diffDirs(cwd: string, a: string, b: string): string {
  try {
    execFileSync(
      "git",
      ["diff", "--no-index", "--no-color", "--no-prefix", "--no-ext-diff", "-U3", a, b],
      {
        cwd,
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
      },
    );
    return "";
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string };
    if (e.status === 1 && e.stdout !== undefined) return e.stdout; // 1 = differences found
    throw new Error(`git diff failed: ${e.stderr ?? String(err)}`, { cause: err });
  }
}

export interface RenderDiffOptions {
  repo: string;
  base: string;
  head: string;
  mergeBase?: boolean;
  nodeModules?: string;
  /** Renders run at once (each is a node process importing @pulumi/pulumi). */
  parallel?: number;
}

export interface RenderDiffResult {
  base: string;
  head: string;
  diffs: StackDiff[];
}

export async function renderDiff(opts: RenderDiffOptions): Promise<RenderDiffResult> {
  const repo = path.resolve(opts.repo);
  const headSha = git(repo, "rev-parse", "--verify", `${opts.head}^{commit}`);
  let baseSha = git(repo, "rev-parse", "--verify", `${opts.base}^{commit}`);
  if (opts.mergeBase !== false) baseSha = git(repo, "merge-base", baseSha, headSha) || baseSha;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "render-diff-"));
  try {
    const nodeModules = path.resolve(opts.nodeModules ?? path.join(repo, "node_modules"));
    const trees = { base: path.join(work, "tree-base"), head: path.join(work, "tree-head") };
    unpackCommit(repo, baseSha, trees.base, nodeModules);
    unpackCommit(repo, headSha, trees.head, nodeModules);
    const stacksOf = (t: string) => new Set(stackNames(fs.readdirSync(t)));
    const inBase = stacksOf(trees.base);
    const inHead = stacksOf(trees.head);
    const stacks = [...new Set([...inBase, ...inHead])].sort();
    const jobs = stacks.flatMap((s) => (["base", "head"] as const).map((side) => ({ s, side })));
    await inBatches(jobs, opts.parallel ?? 4, ({ s, side }) =>
      renderTreeStack(trees[side], s, path.join(work, side, s)),
    );
    const diffs = stacks.map((stack): StackDiff => {
      const only = !inBase.has(stack) ? "head" : !inHead.has(stack) ? "base" : undefined;
      const headFailed = fs.existsSync(path.join(work, "head", stack, "RENDER-FAILED.txt"));
      return {
        stack,
        patch: diffDirs(work, `base/${stack}`, `head/${stack}`),
        ...(only ? { only } : {}),
        ...(headFailed ? { headFailed } : {}),
      };
    });
    return { base: baseSha, head: headSha, diffs };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export interface RenderDiffArgs {
  repo: string;
  base: string;
  head: string;
  out?: string;
  patchOut?: string;
  maxChars: number;
  mergeBase: boolean;
}

export function parseRenderDiffArgs(argv: string[]): RenderDiffArgs {
  const args: RenderDiffArgs = {
    repo: ".",
    base: "",
    head: "HEAD",
    maxChars: DEFAULT_MAX_CHARS,
    mergeBase: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--base") args.base = value();
    else if (a === "--head") args.head = value();
    else if (a === "--repo") args.repo = value();
    else if (a === "--out") args.out = value();
    else if (a === "--patch-out") args.patchOut = value();
    else if (a === "--max-chars") args.maxChars = Number(value());
    else if (a === "--no-merge-base") args.mergeBase = false;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!args.base)
    throw new Error(
      "usage: renderDiff.ts --base <rev> [--head <rev>] [--repo DIR] [--out FILE] [--patch-out FILE]",
    );
  if (!Number.isInteger(args.maxChars) || args.maxChars < 1000)
    throw new Error("--max-chars must be an integer ≥ 1000");
  return args;
}

async function main(argv: string[]): Promise<void> {
  const args = parseRenderDiffArgs(argv);
  const result = await renderDiff({
    repo: args.repo,
    base: args.base,
    head: args.head,
    mergeBase: args.mergeBase,
  });
  const markdown = renderMarkdown(result.diffs, {
    base: result.base.slice(0, 7),
    head: result.head.slice(0, 7),
    maxChars: args.maxChars,
    fullDiffHint: args.patchOut ? `the full diff is the job's \`render-diff\` artifact` : undefined,
  });
  if (args.patchOut) fs.writeFileSync(args.patchOut, result.diffs.map((d) => d.patch).join(""));
  if (args.out) fs.writeFileSync(args.out, markdown);
  else process.stdout.write(markdown);
  // The comment and patch are written first, so reviewers still see why the check failed.
  const failed = result.diffs.filter((d) => d.headFailed).map((d) => d.stack);
  if (failed.length > 0) {
    console.error(`the head no longer renders: ${failed.join(", ")} (see RENDER-FAILED.txt)`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
