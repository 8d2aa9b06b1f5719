/**
 * The project's GitHub Actions files, parsed: workflows, composite actions, their
 * jobs and steps, with `./…` composite actions expanded into the steps they run.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

export const ROOT = path.resolve(__dirname, "..", "..");

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Doc = any;
export interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  shell?: string;
}

function filesUnder(dir: string, match: (f: string) => boolean): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter(match)
    .map((f) => path.join(dir, f))
    .sort();
}

export const workflowFiles = filesUnder(path.join(ROOT, ".github", "workflows"), (f) =>
  /\.ya?ml$/.test(f),
);
export const actionFiles = filesUnder(path.join(ROOT, ".github", "actions"), (f) =>
  /(^|\/)action\.ya?ml$/.test(f),
);
export const rel = (f: string): string => path.relative(ROOT, f);
export const load = (f: string): Doc => parse(fs.readFileSync(f, "utf8"));

/** The action.yml a local `uses: ./…` names (the reusable workflow's `.registry-project/` is this repository). */
export function localActionFile(uses: string): string {
  return path.join(ROOT, uses.replace(/^\.\/\.registry-project\//, "./"), "action.yml");
}

/** A step and, for a local composite action, every step it runs (recursively), in order. */
export function expandStep(step: Step): Step[] {
  if (!step.uses?.startsWith("./")) return [step];
  const action = load(localActionFile(step.uses));
  return [step, ...(action.runs.steps as Step[]).flatMap(expandStep)];
}

/** Every job of every workflow: file, job id, the job, and its steps with local actions expanded. */
export function allJobs(): { file: string; id: string; job: Doc; steps: Step[] }[] {
  return workflowFiles.flatMap((file) => {
    const doc = load(file);
    return Object.entries(doc.jobs as Record<string, Doc>).map(([id, job]) => ({
      file,
      id,
      job,
      steps: ((job.steps ?? []) as Step[]).flatMap(expandStep),
    }));
  });
}

/** Every step of every workflow and composite action, not expanded (each file's own). */
export function allOwnSteps(): { file: string; step: Step }[] {
  const fromWorkflows = workflowFiles.flatMap((file) =>
    Object.values(load(file).jobs as Record<string, Doc>).flatMap((job) =>
      ((job.steps ?? []) as Step[]).map((step) => ({ file, step })),
    ),
  );
  const fromActions = actionFiles.flatMap((file) =>
    ((load(file).runs.steps ?? []) as Step[]).map((step) => ({ file, step })),
  );
  return [...fromWorkflows, ...fromActions];
}

/** GitHub permission levels, ordered. */
const LEVEL: Record<string, number> = { none: 0, read: 1, write: 2 };

/** The permissions a job runs with: its own block, else the workflow's (GitHub's rule). */
export function effectivePermissions(workflow: Doc, job: Doc): Record<string, string> {
  const p = job.permissions ?? workflow.permissions;
  if (p === undefined) throw new Error("no permissions block: the repository default applies");
  if (p === "read-all" || p === "write-all") throw new Error(`permissions: ${p} is too broad`);
  return p ?? {};
}

/** What `granted` lacks of `needed` (scope → needed level). */
export function missingPermissions(
  granted: Record<string, string>,
  needed: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(needed).filter(([k, v]) => (LEVEL[granted[k] ?? "none"] ?? 0) < LEVEL[v]),
  );
}
