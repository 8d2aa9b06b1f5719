/**
 * Every action the workflows use, checked against facts recorded from each action's
 * own repository at the pinned commit (ci/actionFacts.json): pinned by that commit's
 * SHA, every `with:` key a declared input, and every job (and every documented caller
 * of the reusable workflow) granted the permissions its steps need, and no id-token
 * where nothing uses it. Also: Node's version is set in one place, and nothing is
 * fetched outside the lock file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import facts from "../ci/actionFacts.json";
import { renderGithubActionsLogin } from "../components/gcp/ciLogin";
import {
  ROOT,
  actionFiles,
  allJobs,
  allOwnSteps,
  effectivePermissions,
  load,
  localActionFile,
  missingPermissions,
  rel,
  workflowFiles,
  type Doc,
  type Step,
} from "./support/workflows";

type Fact = (typeof facts.actions)[keyof typeof facts.actions];
const FACTS = facts.actions as Record<string, Fact>;

/** owner/repo of a third-party `uses:` (an action in a subfolder keeps its repository's facts). */
const repoOf = (uses: string) => uses.split("@")[0].split("/").slice(0, 2).join("/");

test("every third-party action is pinned to the recorded commit, its version in a comment", () => {
  const seen = new Set<string>();
  for (const file of [...workflowFiles, ...actionFiles]) {
    const text = fs.readFileSync(file, "utf8");
    for (const { step } of allOwnSteps().filter((s) => s.file === file)) {
      if (!step.uses || step.uses.startsWith("./")) continue;
      const fact = FACTS[repoOf(step.uses)];
      expect({ file: rel(file), uses: step.uses, known: fact !== undefined }).toMatchObject({
        known: true,
      });
      expect(step.uses).toBe(`${repoOf(step.uses)}@${fact.sha}`);
      expect(text).toContain(`uses: ${step.uses} # ${fact.version}`);
      seen.add(repoOf(step.uses));
    }
  }
  // No stale facts: every recorded action is used somewhere.
  expect([...seen].sort()).toEqual(Object.keys(FACTS).sort());
  for (const fact of Object.values(FACTS)) {
    expect(fact.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(fact.source).toContain(fact.sha);
    expect(fact.runs).toBe("node24"); // Node 20 actions are end of life
  }
});

function declaredInputs(uses: string): string[] {
  if (uses.startsWith("./")) return Object.keys(load(localActionFile(uses)).inputs ?? {});
  return FACTS[repoOf(uses)].inputs;
}

test("every with: key is an input the action declares", () => {
  const unknown = allOwnSteps().flatMap(({ file, step }) =>
    step.uses && step.with
      ? Object.keys(step.with)
          .filter((k) => !declaredInputs(step.uses!).includes(k))
          .map((k) => `${rel(file)}: ${step.uses} has no input ${k}`)
      : [],
  );
  expect(unknown).toEqual([]);
});

/** Steps whose permission need cannot arise in the job, each with the reason (checked below). */
const UNREACHABLE: { file: string; job: string; step: string }[] = [
  // The reusable workflow writes the outputs file from REGISTRY* alone, with no
  // REGISTRY_BACKEND and a required password: ci/stackOutputs.ts's usesCredentialHelper
  // needs backend "gcp" and no password, so the keyless step never runs there.
  {
    file: ".github/workflows/push-images.yml",
    job: "push",
    step: "Authenticate to Google Cloud (keyless)",
  },
];

/** What a job's steps need, from the facts: each action's `always` plus its `whenInput` for inputs set. */
function neededBy(file: string, jobId: string, steps: Step[]): Record<string, string> {
  const needed: Record<string, string> = {};
  for (const step of steps) {
    if (!step.uses || step.uses.startsWith("./")) continue;
    if (UNREACHABLE.some((u) => u.file === rel(file) && u.job === jobId && u.step === step.name))
      continue;
    const p = FACTS[repoOf(step.uses)].permissions as {
      always: Record<string, string>;
      whenInput: Record<string, Record<string, string>>;
    };
    const set = Object.keys(step.with ?? {}).filter(
      (k) => step.with![k] !== "" && step.with![k] !== false,
    );
    for (const grant of [p.always, ...set.map((k) => p.whenInput[k] ?? {})])
      for (const [scope, level] of Object.entries(grant))
        if (needed[scope] !== "write") needed[scope] = level;
  }
  return needed;
}

test("the unreachable keyless step really is unreachable in the reusable workflow", () => {
  const doc = load(path.join(ROOT, ".github/workflows/push-images.yml"));
  const write = doc.jobs.push.steps.find((s: Step) => s.id === "outputs");
  expect(write.run).not.toContain("REGISTRY_BACKEND");
  expect(doc.on.workflow_call.secrets.REGISTRY_PASSWORD.required).toBe(true);
  const push = doc.jobs.push.steps.find((s: Step) => s.id === "push");
  expect(push.with["outputs-file"]).toBe("${{ steps.outputs.outputs.file }}");
});

describe("every job is granted what its steps need, and id-token only where used", () => {
  test.each(allJobs().map((j) => [`${rel(j.file)}#${j.id}`, j]))("%s", (_n, j) => {
    const { file, id, job, steps } = j as ReturnType<typeof allJobs>[number];
    const granted = effectivePermissions(load(file), job);
    const needed = neededBy(file, id, steps);
    expect(missingPermissions(granted, needed)).toEqual({});
    if (granted["id-token"] === "write") expect(needed["id-token"]).toBe("write");
  });
});

/** Fenced yaml blocks of a Markdown file, and the example in a workflow's header comment. */
function yamlSnippets(): { where: string; doc: Doc }[] {
  const out: { where: string; doc: Doc }[] = [];
  for (const md of ["README.md", "docs/CI.md"]) {
    const text = fs.readFileSync(path.join(ROOT, md), "utf8");
    for (const [, body] of text.matchAll(/```ya?ml\n([\s\S]*?)```/g))
      out.push({ where: md, doc: parse(body) });
  }
  const header = fs
    .readFileSync(path.join(ROOT, ".github/workflows/push-images.yml"), "utf8")
    .split("\n")
    .filter((l) => l.startsWith("#   "))
    .map((l) => l.slice(4))
    .join("\n");
  out.push({ where: "push-images.yml header", doc: parse(header) });
  return out;
}

const callee = load(path.join(ROOT, ".github/workflows/push-images.yml"));

describe("every documented call of the reusable workflow starts", () => {
  const calls = yamlSnippets().flatMap(({ where, doc }) =>
    Object.entries((doc?.jobs ?? {}) as Record<string, Doc>)
      .filter(([, job]) => typeof job.uses === "string" && job.uses.includes("push-images.yml@"))
      .map(([id, job]) => ({ where, doc, id, job })),
  );

  test("there are documented calls in the README, docs/CI.md and the workflow header", () => {
    expect([...new Set(calls.map((c) => c.where))].sort()).toEqual([
      "README.md",
      "docs/CI.md",
      "push-images.yml header",
    ]);
  });

  test.each(calls.map((c) => [`${c.where}: ${c.id}`, c]))("%s", (_n, c) => {
    const { doc, job } = c as (typeof calls)[number];
    // A called workflow can only lower the caller's permissions.
    const granted = effectivePermissions(doc, job);
    for (const [, calleeJob] of Object.entries(callee.jobs as Record<string, Doc>))
      expect(missingPermissions(granted, effectivePermissions(callee, calleeJob))).toEqual({});
    const inputs = callee.on.workflow_call.inputs;
    expect(Object.keys(job.with).filter((k) => !(k in inputs))).toEqual([]);
    for (const [k, v] of Object.entries(inputs) as [string, Doc][])
      if (v.required) expect(job.with).toHaveProperty(k);
    // Only the registry password, never the whole secret store (and with it the state).
    expect(job.secrets).not.toBe("inherit");
    const secrets = callee.on.workflow_call.secrets;
    expect(Object.keys(job.secrets).filter((k) => !(k in secrets))).toEqual([]);
    for (const [k, v] of Object.entries(secrets) as [string, Doc][])
      if (v.required) expect(job.secrets).toHaveProperty(k);
  });
});

test("documented uses of the composite action pass only its declared inputs", () => {
  const inputs = Object.keys(
    load(path.join(ROOT, ".github/actions/push-images/action.yml")).inputs,
  );
  const steps = yamlSnippets().flatMap(({ doc }) =>
    ((doc?.steps ?? []) as Step[]).filter((s) => s.uses?.includes("/.github/actions/push-images@")),
  );
  expect(steps.length).toBeGreaterThan(0);
  for (const s of steps)
    expect(Object.keys(s.with ?? {}).filter((k) => !inputs.includes(k))).toEqual([]);
});

test("Node's version is set once, in .nvmrc, and package.json's engines agree", () => {
  const nvmrc = fs.readFileSync(path.join(ROOT, ".nvmrc"), "utf8").trim();
  expect(nvmrc).toBe("22");
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
  expect(pkg.engines.node).toBe(`>=${nvmrc}`);
  const setups = allOwnSteps().filter(({ step }) => step.uses?.startsWith("actions/setup-node@"));
  expect(setups.length).toBeGreaterThan(0);
  for (const { step } of setups) {
    expect(step.with).not.toHaveProperty("node-version");
    expect(String(step.with?.["node-version-file"])).toMatch(/\.nvmrc$|outputs\.nvmrc/);
  }
});

test("nothing is fetched outside the lock file (no npx --yes, no floating tsx)", () => {
  for (const file of [...workflowFiles, ...actionFiles]) {
    const text = fs.readFileSync(file, "utf8");
    expect({ file: rel(file), hit: text.match(/npx\s+(--yes|-y)\b|tsx@/)?.[0] }).toEqual({
      file: rel(file),
    });
  }
});

describe("the GCP stack's generated login steps follow the same rules as the workflows", () => {
  const modes = {
    key: renderGithubActionsLogin({ mode: "key", host: "h.example", registry: "h.example/p/r" }),
    workloadIdentity: renderGithubActionsLogin({
      mode: "workloadIdentity",
      host: "h.example",
      registry: "h.example/p/r",
      workloadIdentityProvider: "projects/1/locations/global/workloadIdentityPools/p/providers/g",
      serviceAccount: "ci@p.iam.gserviceaccount.com",
      allowed: "branch main",
    }),
  };
  test.each(Object.entries(modes))("%s mode", (_mode, text) => {
    const job = parse(text).jobs.push;
    for (const step of job.steps as Step[]) {
      if (!step.uses) continue;
      const fact = FACTS[repoOf(step.uses)];
      expect({ uses: step.uses, known: fact !== undefined }).toMatchObject({ known: true });
      expect(step.uses).toBe(`${repoOf(step.uses)}@${fact.sha}`);
      expect(text).toContain(`uses: ${step.uses} # ${fact.version}`);
      expect(Object.keys(step.with ?? {}).filter((k) => !fact.inputs.includes(k))).toEqual([]);
    }
    const needed = neededBy("generated", "push", job.steps);
    expect(missingPermissions(job.permissions, needed)).toEqual({});
    // No token in .git and no credentials file in the workspace: both are the build context.
    expect(job.steps[0].with["persist-credentials"]).toBe(false);
    const auth = (job.steps as Step[]).find((s) => s.id === "auth");
    if (auth) expect(auth.with!.create_credentials_file).toBe(false);
    // The secret reaches docker on stdin, from the step's env, never on the command line.
    const login = (job.steps as Step[]).find((s) => s.name === "Log in to the registry")!;
    expect(login.run).toContain("--password-stdin");
    expect(login.run).not.toContain("${{");
  });
});
