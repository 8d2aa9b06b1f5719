/**
 * What every day-two change must respect, checked on an applied change:
 * - nothing that holds images is replaced or deleted, unless the README says so;
 * - a replaced resource with a fixed name or host port goes delete-before-replace;
 * - a change to what a running registry or nginx reads restarts or reloads it;
 * - REGISTRY and REGISTRY_USERNAME stay put unless the change moves the registry;
 * - REGISTRY_ROLE (registry or mirror) changes only where the case says why;
 * - the same config applied twice changes nothing.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { reveal, type ProgramRun, type RegisteredResource } from "../runProgram";
import type { AppliedChange } from "./apply";
import type { Operation, Plan } from "./plan";
import { serversOf } from "./servers";

/** Types whose deletion or replacement loses pushed images. */
export const IMAGE_HOLDERS = new Set([
  "docker:index/volume:Volume",
  "kubernetes:core/v1:PersistentVolumeClaim",
  "gcp:compute/disk:Disk",
  "gcp:artifactregistry/repository:Repository",
  "gcp:storage/bucket:Bucket",
]);

/** Inputs that give a resource a fixed physical name or a host port, per type prefix. */
const FIXED_NAME_INPUTS: [RegExp, string[]][] = [
  [/^docker:index\/container:/, ["name", "ports"]],
  [/^docker:index\/(volume|network):/, ["name"]],
  [/^gcp:serviceaccount\/account:/, ["accountId"]],
  [/^gcp:artifactregistry\/repository:/, ["repositoryId"]],
  [/^gcp:iam\/workloadIdentityPool:/, ["workloadIdentityPoolId"]],
  [/^gcp:iam\/workloadIdentityPoolProvider:/, ["workloadIdentityPoolProviderId"]],
  [/^gcp:/, ["name"]],
  [/^kubernetes:/, ["metadata.name"]],
];

export interface Expectation {
  /** The plan, literally: resource names per operation (an operation left out: none). */
  plan: Partial<Plan["summary"]>;
  /** The change loses images on purpose: a phrase the README must carry about it. */
  losesImages?: { readme: string };
  /** Why REGISTRY or REGISTRY_USERNAME may change (the registry moves, or the login changes). */
  movesRegistry?: string;
  /** Why REGISTRY_ROLE changes (a stack becomes a pull-through mirror, or stops being one). */
  changesRole?: string;
  /** A change that is only time passing: applying it again may change things (documented windows). */
  timeWindow?: boolean;
}

const README = path.join(__dirname, "..", "..", "README.md");

/** Every broken rule, one line each (empty: the change lands safely). */
export function dayTwoViolations(applied: AppliedChange, expected: Expectation): string[] {
  const { before, after, plan, again } = applied;
  const out: string[] = [];
  const now = new Map(after.resources.map((r) => [`${r.type}::${r.name}`, r]));
  const then = new Map(before.resources.map((r) => [`${r.type}::${r.name}`, r]));
  for (const s of plan.steps) {
    // A deleted holder kept by retainOnDelete keeps its images (the engine only forgets it).
    const kept = s.op === "delete" && then.get(s.key)?.retainOnDelete;
    if (IMAGE_HOLDERS.has(s.type) && (s.op === "replace" || s.op === "delete") && !kept) {
      const phrase = expected.losesImages?.readme;
      if (!phrase) out.push(`${s.name} (holds images) is ${s.op}d`);
      else if (!fs.readFileSync(README, "utf8").includes(phrase))
        out.push(`${s.name} is ${s.op}d but the README does not say "${phrase}"`);
    }
    const [old, next] = [then.get(s.key), now.get(s.key)];
    if (s.op === "replace" && !s.deleteFirst && old && next && sharedFixedName(old, next))
      out.push(`${s.name} keeps a fixed name or host port but is replaced create-before-delete`);
  }
  for (const server of serversOf(after.backend)) {
    const reads = (run: ProgramRun) => JSON.stringify(server.reads(run));
    // Unchanged, or gone: nothing to restart.
    if (reads(before) === reads(after) || server.reads(after) === null) continue;
    const restarted = server.restarted(plan, before, after);
    if (!restarted) out.push(`${server.name} reads a changed file or setting but is not restarted`);
  }
  if (!expected.movesRegistry) {
    if (before.outputs.REGISTRY?.value !== after.outputs.REGISTRY?.value)
      out.push(`REGISTRY changed from ${show(before, "REGISTRY")} to ${show(after, "REGISTRY")}`);
    // A mirror exports the same login under the pull name: the user must stay the same.
    const [was, is] = [loginName(before), loginName(after)];
    if (before.outputs[was]?.value !== after.outputs[is]?.value)
      out.push(`${is} changed from ${show(before, was)} (${was}) to ${show(after, is)}`);
  }
  if (!expected.changesRole && show(before, "REGISTRY_ROLE") !== show(after, "REGISTRY_ROLE"))
    out.push(
      `REGISTRY_ROLE changed from ${show(before, "REGISTRY_ROLE")} to ${show(after, "REGISTRY_ROLE")}`,
    );
  if (!expected.timeWindow)
    for (const s of again.steps)
      if (s.op !== "same") out.push(`applied twice, ${s.name} would ${s.op} again (${s.changed})`);
  return out;
}

/**
 * Whether the replacement would be created while the old one still holds its name or
 * one of its host ports (create-before-delete then fails on the collision).
 */
function sharedFixedName(old: RegisteredResource, next: RegisteredResource): boolean {
  const rule = FIXED_NAME_INPUTS.find(([re]) => re.test(next.type));
  const values = (r: RegisteredResource, p: string) => {
    const inputs = reveal(r.inputs, true) as Record<string, unknown>;
    const v = p.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], inputs);
    // A host port is held per (ip, external); a name is held as it is.
    const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
    return list.map((x) => JSON.stringify(p === "ports" ? hostPort(x) : x));
  };
  return (rule?.[1] ?? []).some((p) => {
    const held = new Set(values(old, p));
    return values(next, p).some((v) => held.has(v));
  });
}

function hostPort(port: unknown): unknown {
  const { ip, external } = (port ?? {}) as { ip?: string; external?: number };
  return { ip: ip ?? "0.0.0.0", external };
}

/** The output that carries the stack's login user: a mirror's is the pull login. */
function loginName(run: ProgramRun): string {
  return run.outputs.REGISTRY_ROLE?.value === "mirror"
    ? "REGISTRY_PULL_USERNAME"
    : "REGISTRY_USERNAME";
}

function show(run: ProgramRun, key: string): string {
  return JSON.stringify(run.outputs[key]?.value);
}

/** The operation on the resource named `name` in a plan ("same" when it is not there). */
export function opOf(plan: Plan, name: string): Operation {
  return plan.steps.find((s) => s.name === name)?.op ?? "same";
}
