/**
 * ci/renderDiff.ts on real git history: a fixture repository with two commits,
 * rendered by each commit's own tools/render.ts with this checkout's node_modules
 * linked in, then diffed and written as a PR comment.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { renderDiff, renderMarkdown } from "../ci/renderDiff";

const ROOT = path.resolve(__dirname, "..");

function gitRepo(dir: string): (...args: string[]) => string {
  const git = (...args: string[]) =>
    execFileSync("git", ["-C", dir, ...args], {
      encoding: "utf8",
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@t",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@t",
      },
    }).trim();
  git("init", "-q", "-b", "main");
  return git;
}

function write(dir: string, files: Record<string, string>): void {
  for (const [p, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), content);
  }
}

/** A stand-in render with render's interface: reads Pulumi.<stack>.yaml (with the yaml package from node_modules). */
const FIXTURE_RENDER = `
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
const [stack, , out] = process.argv.slice(2);
const config = parse(fs.readFileSync(\`Pulumi.\${stack}.yaml\`, "utf8")).config;
if (config["fixture:fail"]) { console.error("registry:vm.port must be an integer from 1 to 65535 (got 0)"); process.exit(1); }
fs.mkdirSync(path.join(out, "files", "vm"), { recursive: true });
fs.writeFileSync(path.join(out, "files", "vm", "nginx.conf"), \`server {\\n  listen \${config["fixture:port"]};\\n  client_max_body_size 0;\\n}\\n\`);
fs.writeFileSync(path.join(out, "outputs.json"), JSON.stringify({ REGISTRY: \`reg.example.com:\${config["fixture:port"]}\`, REGISTRY_PASSWORD: "[secret]" }, null, 2) + "\\n");
`;

describe("render diff between two commits", () => {
  let dir: string;
  afterEach(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  test("shows the changed line per stack, new and removed stacks, and a render that broke", async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-diff-fixture-"));
    const git = gitRepo(dir);
    const stack = (cfg: Record<string, unknown>) => stringify({ config: cfg });
    write(dir, {
      "tools/render.ts": FIXTURE_RENDER,
      "Pulumi.yaml": "name: fixture\n",
      "Pulumi.dev.yaml": stack({ "fixture:port": 5000 }),
      "Pulumi.same.yaml": stack({ "fixture:port": 7000 }),
      "Pulumi.old.yaml": stack({ "fixture:port": 6000 }),
      "Pulumi.breaks.yaml": stack({ "fixture:port": 8000 }),
    });
    git("add", "-A");
    git("commit", "-qm", "base");
    const base = git("rev-parse", "HEAD");
    git("checkout", "-qb", "feature/port");
    fs.rmSync(path.join(dir, "Pulumi.old.yaml"));
    write(dir, {
      "Pulumi.dev.yaml": stack({ "fixture:port": 5443 }),
      "Pulumi.new.yaml": stack({ "fixture:port": 9000 }),
      "Pulumi.breaks.yaml": stack({ "fixture:port": 8000, "fixture:fail": true }),
    });
    git("add", "-A");
    git("commit", "-qm", "head");
    // Uncommitted work must not leak into either side.
    write(dir, { "Pulumi.dev.yaml": stack({ "fixture:port": 1 }) });

    const result = await renderDiff({
      repo: dir,
      base: "main",
      head: "HEAD",
      nodeModules: path.join(ROOT, "node_modules"),
    });
    expect(result.base).toBe(base);
    const byStack = Object.fromEntries(result.diffs.map((d) => [d.stack, d]));
    expect(Object.keys(byStack)).toEqual(["breaks", "dev", "new", "old", "same"]);

    expect(byStack.dev.patch).toContain("--- base/dev/files/vm/nginx.conf");
    expect(byStack.dev.patch).toContain("+++ head/dev/files/vm/nginx.conf");
    expect(byStack.dev.patch).toMatch(/^- {2}listen 5000;$/m);
    expect(byStack.dev.patch).toMatch(/^\+ {2}listen 5443;$/m);
    expect(byStack.dev.patch).toMatch(/^- {2}"REGISTRY": "reg.example.com:5000",$/m);
    expect(byStack.dev.patch).not.toMatch(/listen 1;/);
    expect(byStack.same.patch).toBe("");
    expect(byStack.new).toMatchObject({ only: "head" });
    expect(byStack.new.patch).toMatch(/^\+ {2}listen 9000;$/m);
    expect(byStack.old).toMatchObject({ only: "base" });
    expect(byStack.old.patch).toMatch(/^- {2}listen 6000;$/m);
    expect(byStack.breaks.patch).toContain("+++ head/breaks/RENDER-FAILED.txt");
    expect(byStack.breaks.headFailed).toBe(true);
    expect(byStack.dev.headFailed).toBeUndefined();
    expect(byStack.breaks.patch).toContain(
      "+registry:vm.port must be an integer from 1 to 65535 (got 0)",
    );

    const md = renderMarkdown(result.diffs, {
      base: base.slice(0, 7),
      head: result.head.slice(0, 7),
    });
    expect(md).toContain("| `same` | no change |");
    expect(md).toContain("<details><summary><b>dev</b>: 2 files changed, +2 −2</summary>");
    expect(md).toContain('"REGISTRY_PASSWORD": "[secret]"'); // only redacted values reach the comment
  });

  test("the CLI writes the comment and the full patch, using the merge base", () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-diff-cli-"));
    const git = gitRepo(dir);
    const stack = (port: number) => stringify({ config: { "fixture:port": port } });
    write(dir, { "tools/render.ts": FIXTURE_RENDER, "Pulumi.dev.yaml": stack(5000) });
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    write(dir, { ".gitignore": "node_modules\n" });
    git("add", "-A");
    git("commit", "-qm", "base");
    git("checkout", "-qb", "feature");
    write(dir, { "Pulumi.dev.yaml": stack(5001) });
    git("commit", "-qam", "feature");
    git("checkout", "-q", "main");
    // main moves on after the branch: its change must not show as reverted by the PR.
    write(dir, { "Pulumi.prod.yaml": stack(6000) });
    git("add", "-A");
    git("commit", "-qm", "main moves on");

    const out = path.join(dir, "comment.md");
    const patchOut = path.join(dir, "render.patch");
    const r = spawnSync(
      path.join(ROOT, "node_modules", ".bin", "tsx"),
      [
        path.join(ROOT, "ci", "renderDiff.ts"),
        "--repo",
        dir,
        "--base",
        "main",
        "--head",
        "feature",
        "--out",
        out,
        "--patch-out",
        patchOut,
      ],
      { encoding: "utf8", timeout: 120_000 },
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const md = fs.readFileSync(out, "utf8");
    expect(md).toContain("| `dev` | 2 files changed, +2 −2 |");
    expect(md).not.toContain("prod");
    expect(fs.readFileSync(patchOut, "utf8")).toMatch(/^\+ {2}listen 5001;$/m);
  });

  test("the CLI fails the check when the head stops rendering, after writing the comment", () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-diff-fail-"));
    const git = gitRepo(dir);
    const stack = (cfg: Record<string, unknown>) => stringify({ config: cfg });
    write(dir, {
      "tools/render.ts": FIXTURE_RENDER,
      "Pulumi.dev.yaml": stack({ "fixture:port": 5000 }),
    });
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    write(dir, { ".gitignore": "node_modules\n" });
    git("add", "-A");
    git("commit", "-qm", "base");
    write(dir, { "Pulumi.dev.yaml": stack({ "fixture:port": 5000, "fixture:fail": true }) });
    git("commit", "-qam", "breaks dev");
    const out = path.join(dir, "comment.md");
    const r = spawnSync(
      path.join(ROOT, "node_modules", ".bin", "tsx"),
      [path.join(ROOT, "ci", "renderDiff.ts"), "--repo", dir, "--base", "HEAD~1", "--out", out],
      { encoding: "utf8", timeout: 120_000 },
    );
    expect(r.stderr).toBe("the head no longer renders: dev (see RENDER-FAILED.txt)\n");
    expect(r.status).toBe(1);
    expect(fs.readFileSync(out, "utf8")).toContain("RENDER-FAILED.txt");
  });

  test("the project's own render, on two variants of a real stack file", async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-diff-project-"));
    const git = gitRepo(dir);
    const sources = [
      "Pulumi.yaml",
      "package.json",
      "tsconfig.json",
      "program.ts",
      "index.ts",
      "config",
      "components",
      "tools",
    ];
    for (const s of sources)
      fs.cpSync(path.join(ROOT, s), path.join(dir, s), {
        recursive: true,
        filter: (f) => !f.endsWith(".test.ts"),
      });
    // The stack file of this repository, as it is; the head variant adds one label.
    const prod = parse(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8"));
    write(dir, { "Pulumi.prod.yaml": stringify(prod) });
    git("add", "-A");
    git("commit", "-qm", "base");
    const settings = prod.config["registry:gcp"];
    settings.labels = { ...settings.labels, "render-diff": "head" };
    write(dir, { "Pulumi.prod.yaml": stringify(prod) });
    git("commit", "-qam", "label");

    const result = await renderDiff({
      repo: dir,
      base: "HEAD~1",
      head: "HEAD",
      nodeModules: path.join(ROOT, "node_modules"),
    });
    const [diff] = result.diffs;
    expect(diff.stack).toBe("prod");
    expect(diff.patch).not.toContain("RENDER-FAILED");
    expect(diff.patch).toContain("+++ head/prod/resources.json");
    expect(diff.patch).toMatch(/^\+.*"render-diff": "head"/m);
  });
});
