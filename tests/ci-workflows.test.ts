/**
 * The GitHub Actions files: each one valid by @action-validator/cli (whose rejection
 * of a broken copy is checked too), every stack they name a real Pulumi.<stack>.yaml,
 * and the properties docs/CI.md promises (prod behind an environment and deployable by
 * hand only from main or a release tag, one deploy per stack at a time, checkouts that
 * keep no token, previews skipping Dependabot, the project's tests on every PR, the
 * comment marker the script writes). Pins, inputs and permissions: ci-actions.test.ts.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { COMMENT_MARKER } from "../ci/renderDiff";
import { ROOT, actionFiles, load, rel, workflowFiles } from "./support/workflows";

const VALIDATOR = path.join(ROOT, "node_modules", ".bin", "action-validator");
const workflows = workflowFiles;
const actions = actionFiles;

function validate(file: string): { status: number | null; output: string } {
  const r = spawnSync(VALIDATOR, [file], { encoding: "utf8", timeout: 60_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

test("there are workflows and actions to check", () => {
  expect(workflows.map(rel)).toEqual(
    expect.arrayContaining([
      ".github/workflows/preview.yml",
      ".github/workflows/render-diff.yml",
      ".github/workflows/deploy.yml",
      ".github/workflows/push-images.yml",
    ]),
  );
  expect(actions.map(rel)).toContain(".github/actions/push-images/action.yml");
});

// The validator's one warning: it does not check the globs of `paths:` filters.
const GLOB_WARNING =
  /^WARNING: Glob validation is not yet supported\. Glob at \/on\/\w+\/paths will not be validated\.\n?$/;

test.each([...workflows, ...actions].map((f) => [rel(f), f]))("%s is valid", (_name, file) => {
  const { status, output } = validate(file);
  expect(output.replace(GLOB_WARNING, "")).toBe("");
  expect(status).toBe(0);
});

describe("the validator rejects broken files (so the checks above can fail)", () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "ci-workflows-"))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("a workflow with a job that has no runs-on and an unknown key", () => {
    const doc = load(path.join(ROOT, ".github/workflows/deploy.yml"));
    delete doc.jobs.up["runs-on"];
    doc.jobs.up["runs-onn"] = "ubuntu-latest";
    const file = path.join(dir, "deploy.yml");
    fs.writeFileSync(file, stringify(doc));
    const { status, output } = validate(file);
    expect(status).toBe(1);
    expect(output).toMatch(/errors/);
  });

  test("an action with no runs", () => {
    const doc = load(path.join(ROOT, ".github/actions/push-images/action.yml"));
    delete doc.runs;
    fs.mkdirSync(path.join(dir, "broken"));
    const file = path.join(dir, "broken", "action.yml");
    fs.writeFileSync(file, stringify(doc));
    expect(validate(file).status).toBe(1);
  });
});

/** Every literal stack name a workflow mentions (expressions like ${{ matrix.stack }} are resolved by the lists). */
function stacksNamedIn(doc: Record<string, unknown>): string[] {
  const names: string[] = [];
  const visit = (node: unknown, key: string | undefined, parentKey: string | undefined): void => {
    if (Array.isArray(node)) {
      if (key === "stack" && parentKey === "matrix") names.push(...node.map(String));
      node.forEach((n) => visit(n, undefined, key));
      return;
    }
    if (node && typeof node === "object") {
      const obj = node as Record<string, unknown>;
      if (key === "stack" && Array.isArray(obj.options)) names.push(...obj.options.map(String));
      for (const [k, v] of Object.entries(obj)) visit(v, k, key);
      return;
    }
    if (typeof node !== "string" || node.includes("${{")) return;
    if (key && /_STACKS$/.test(key)) names.push(...node.split(/\s+/).filter(Boolean));
    if ((key === "stack-name" || key === "stack") && parentKey === "with") names.push(node);
  };
  visit(doc, undefined, undefined);
  return names;
}

test("every stack a workflow names exists as Pulumi.<stack>.yaml", () => {
  const named = new Set(workflows.flatMap((f) => stacksNamedIn(load(f))));
  expect([...named].sort()).toEqual(["dev", "prod", "staging"]);
  const missing = [...named].filter((s) => !fs.existsSync(path.join(ROOT, `Pulumi.${s}.yaml`)));
  expect(missing).toEqual([]);
});

/** Every `uses:` value in a parsed file (comments, which may show examples, do not count). */
function usesIn(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(usesIn);
  if (node && typeof node === "object")
    return Object.entries(node).flatMap(([k, v]) =>
      k === "uses" && typeof v === "string" ? [v] : usesIn(v),
    );
  return [];
}

test("local actions and ci scripts exist", () => {
  for (const file of [...workflows, ...actions]) {
    const text = fs.readFileSync(file, "utf8");
    for (const ref of usesIn(load(file)).filter((r) => r.startsWith("./"))) {
      const local = ref.replace(/^\.\/\.registry-project\//, "./");
      expect(fs.existsSync(path.join(ROOT, local, "action.yml"))).toBe(true);
    }
    for (const [, script] of text.matchAll(/((?:ci|e2e)\/\w+\.(?:ts|sh|yaml))/g))
      expect(fs.existsSync(path.join(ROOT, script))).toBe(true);
  }
});

test("every checkout keeps no token in the workspace", () => {
  for (const file of [...workflows, ...actions]) {
    const doc = load(file);
    const steps = [
      ...Object.values((doc.jobs ?? {}) as Record<string, { steps?: unknown[] }>).flatMap(
        (j) => j.steps ?? [],
      ),
      ...(doc.runs?.steps ?? []),
    ] as { uses?: string; with?: Record<string, unknown> }[];
    for (const step of steps.filter((st) => st.uses?.startsWith("actions/checkout@")))
      expect({ file: rel(file), persist: step.with?.["persist-credentials"] }).toEqual({
        file: rel(file),
        persist: false,
      });
  }
});

test("deploy: dev and staging from main on self-hosted runners only, prod from a tag or by hand from main or a tag, behind the production environment", () => {
  const deploy = load(path.join(ROOT, ".github/workflows/deploy.yml"));
  expect(deploy.env.HOSTED_STACKS).toBe("prod");
  const pick = deploy.jobs.select.steps[0].run;
  expect(pick).toContain('refs/heads/main | refs/tags/v*) list="$DISPATCHED" ;;');
  expect(pick).toContain("needs a self-hosted runner");
  expect(deploy.jobs.up["runs-on"]).toBe("${{ fromJSON(matrix.runner) }}");
  expect(deploy.permissions).toEqual({ contents: "read" });
  expect(deploy.on.push.branches).toEqual(["main"]);
  expect(deploy.on.push.tags).toEqual(["v*"]);
  expect(deploy.env.MAIN_BRANCH_STACKS.split(" ")).not.toContain("prod");
  expect(deploy.env.RELEASE_STACKS).toBe("prod");
  expect(deploy.jobs.up.environment).toContain("matrix.stack == 'prod' && 'production'");
  expect(deploy.jobs.up.concurrency).toEqual({
    group: "deploy-${{ matrix.stack }}",
    "cancel-in-progress": false,
  });
  const up = deploy.jobs.up.steps.find((s: { uses?: string }) =>
    s.uses?.startsWith("pulumi/actions@"),
  );
  expect(up.with).toMatchObject({
    command: "up",
    policyPacks: "${{ steps.setup.outputs.policy-packs }}",
  });
});

test("preview comments on the PR and edits its comment; render-diff finds its comment by the script's marker", () => {
  const preview = load(path.join(ROOT, ".github/workflows/preview.yml"));
  const step = preview.jobs.preview.steps.find((s: { uses?: string }) =>
    s.uses?.startsWith("pulumi/actions@"),
  );
  expect(step.with).toMatchObject({
    command: "preview",
    "comment-on-pr": true,
    "edit-pr-comment": true,
  });
  expect(fs.readFileSync(path.join(ROOT, ".github/workflows/render-diff.yml"), "utf8")).toContain(
    COMMENT_MARKER,
  );
});

test("preview: the read-only preview environment, no Dependabot or fork PRs, prod on hosted runners", () => {
  const preview = load(path.join(ROOT, ".github/workflows/preview.yml"));
  expect(preview.jobs.preview.environment).toBe("preview");
  expect(preview.jobs.select.if).toContain(
    "github.event.pull_request.user.login != 'dependabot[bot]'",
  );
  expect(preview.jobs.select.if).toContain(
    "github.event.pull_request.head.repo.full_name == github.repository",
  );
  expect(preview.jobs.select.steps[0].run).toContain(
    '[{"stack":"prod","runner":"\\"ubuntu-latest\\""}]',
  );
});

test("render-diff: its comment is posted even when the render failed the check", () => {
  const doc = load(path.join(ROOT, ".github/workflows/render-diff.yml"));
  expect(doc.jobs.comment.if).toMatch(/^always\(\) && /);
  const upload = doc.jobs.render.steps.find((st: { uses?: string }) =>
    st.uses?.startsWith("actions/upload-artifact@"),
  );
  expect(upload.if).toBe("always()");
});

test("ci: the project's own tests on every pull request", () => {
  const doc = load(path.join(ROOT, ".github/workflows/ci.yml"));
  expect(Object.keys(doc.on)).toEqual(["pull_request", "push"]);
  expect(doc.jobs.test.steps.map((st: { run?: string }) => st.run).filter(Boolean)).toEqual([
    'sudo --preserve-env env "PATH=$PATH" bash .ci/run',
  ]);
});

test("the push action logs docker out at the end, always", () => {
  const doc = load(path.join(ROOT, ".github/actions/push-images/action.yml"));
  const last = doc.runs.steps[doc.runs.steps.length - 1];
  expect(last.if).toBe("always()");
  expect(last.run).toContain('docker logout "$HOST"');
});

test("dependabot updates the actions (workflows and composite actions) and npm", () => {
  const doc = load(path.join(ROOT, ".github/dependabot.yml"));
  expect(doc.version).toBe(2);
  const byEcosystem = Object.fromEntries(
    doc.updates.map((u: { "package-ecosystem": string }) => [u["package-ecosystem"], u]),
  );
  expect(byEcosystem["github-actions"].directories).toEqual(["/", "/.github/actions/*"]);
  expect(byEcosystem.npm.directory).toBe("/");
});

test("every secret and variable docs/CI.md asks for is read by a workflow, as that kind", () => {
  const doc = fs.readFileSync(path.join(ROOT, "docs/CI.md"), "utf8");
  const section = doc.slice(doc.indexOf("### Secrets and variables to set"));
  const table = section.slice(0, section.indexOf("\n\n", section.indexOf("| name")));
  const rows = table.split("\n").filter((l) => l.startsWith("| `"));
  expect(rows.length).toBeGreaterThan(5);
  const text = [...workflows, ...actions].map((f) => fs.readFileSync(f, "utf8")).join("\n");
  for (const row of rows) {
    const [names, kind] = row.split("|").slice(1, 3);
    const kinds = kind.split(",").map((k) => k.trim().split(" ")[0]);
    for (const [, name] of names.matchAll(/`(\w+)`/g)) {
      const contexts = kinds.map((k) => (k === "secret" ? "secrets" : "vars"));
      // A row "variable, secret" names one of each, in that order.
      const ctx =
        contexts.length === 1
          ? contexts[0]
          : contexts[[...names.matchAll(/`(\w+)`/g)].findIndex((m) => m[1] === name)];
      expect({ name, read: text.includes(`${ctx}.${name}`) }).toEqual({ name, read: true });
    }
  }
});
