/**
 * What `pulumi up` would do, going from the state one program run left to another
 * run's desired state: create, update, replace (and in which order), delete or leave
 * each resource. Replacement comes from the providers' documented behaviour
 * (replaceTable/, one file per provider, every entry citing its source), the `replaceOnChanges` option, and
 * what a provider decides on its own (certificates in their renewal window).
 */
import { resourceKey, reveal, type ProgramRun, type RegisteredResource } from "../runProgram";
import { changedPaths, coveredBy, effectOf, showPath } from "./diff";
import { replaceTable } from "./replaceTable";

export type Operation = "create" | "update" | "replace" | "delete" | "same";

export interface Step {
  key: string;
  type: string;
  name: string;
  op: Operation;
  /** For a replacement: the old one goes first (deleteBeforeReplace), else after the new one exists. */
  deleteFirst: boolean;
  /** The input paths that changed (ignoreChanges left out), as dot paths. */
  changed: string[];
  /** Why it is replaced: the paths or the provider's own reason. */
  replacedBy: string[];
}

export interface Plan {
  steps: Step[];
  /** "Kind/name" of the resources per operation, sorted: what a catalogue entry asserts. */
  summary: Record<Exclude<Operation, "same">, string[]>;
}

/** Thrown when a changed input is in no table entry: the table must learn it, with its source. */
export class UnknownChangeError extends Error {}

export function planUpdate(before: ProgramRun, after: ProgramRun, now: Date): Plan {
  const old = new Map(custom(before).map((r) => [resourceKey(r), r]));
  const steps: Step[] = [];
  for (const r of custom(after)) {
    // An alias names the resource it takes over (its state moves; nothing is replaced).
    const key = [resourceKey(r), ...r.aliases.map((a) => `${r.type}::${a}`)].find((k) =>
      old.has(k),
    );
    const prev = key ? old.get(key) : undefined;
    if (key) old.delete(key);
    steps.push(prev ? compare(prev, r, now) : step(r, "create", [], []));
  }
  for (const r of old.values()) steps.push(step(r, "delete", [], []));

  const summary: Plan["summary"] = { create: [], update: [], replace: [], delete: [] };
  for (const s of steps) if (s.op !== "same") summary[s.op].push(`${kindOf(s.type)}/${s.name}`);
  for (const list of Object.values(summary)) list.sort();
  return { steps, summary };
}

/** The last part of a type token: "docker:index/container:Container" → "Container". */
export function kindOf(type: string): string {
  return type.split(":").pop() ?? type;
}

function custom(run: ProgramRun): RegisteredResource[] {
  return run.resources.filter((r) => r.custom);
}

function step(r: RegisteredResource, op: Operation, changed: string[], replacedBy: string[]): Step {
  return {
    key: resourceKey(r),
    type: r.type,
    name: r.name,
    op,
    deleteFirst: op === "replace" && deletesFirst(r),
    changed,
    replacedBy,
  };
}

function compare(prev: RegisteredResource, next: RegisteredResource, now: Date): Step {
  const changed = changedPaths(reveal(prev.inputs, true), reveal(next.inputs, true)).filter(
    (p) => !coveredBy(p, next.ignoreChanges),
  );
  const rules = replaceTable[next.type];
  if (changed.length > 0 && !rules)
    throw new UnknownChangeError(`${next.type} (${next.name}) changed but has no replace rules`);
  const replacedBy: string[] = [];
  for (const p of changed) {
    const effect = coveredBy(p, next.replaceOnChanges) ? "replace" : effectOf(p, rules);
    if (effect === undefined)
      throw new UnknownChangeError(
        `${next.type} (${next.name}): no rule says whether a change of "${showPath(p)}" replaces it; add it to its provider's file in tools/lifecycle/replaceTable/ with its source`,
      );
    if (effect === "replace") replacedBy.push(showPath(p));
  }
  const renewal = renewalDue(prev, now);
  if (renewal) replacedBy.push(renewal);
  const op = replacedBy.length > 0 ? "replace" : changed.length > 0 ? "update" : "same";
  return step(next, op, changed.map(showPath), replacedBy);
}

/**
 * @pulumi/tls plans a replacement of a certificate whose validity has ended or
 * entered its early-renewal window (`readyForRenewal`; see the tls entries' notes in
 * replaceTable/). The mocks record each certificate's validity as state.
 */
function renewalDue(prev: RegisteredResource, now: Date): string | undefined {
  if (!/^tls:index\/(selfSignedCert|locallySignedCert):/.test(prev.type)) return undefined;
  const end = Date.parse(String(prev.computed.validityEndTime ?? ""));
  if (Number.isNaN(end)) return undefined;
  const early = Number(reveal(prev.inputs.earlyRenewalHours, true) ?? 0) * 3_600_000;
  return now.getTime() >= end - early ? "provider: certificate ready for renewal" : undefined;
}

/**
 * Whether a replacement deletes the old resource first: the deleteBeforeReplace
 * option, or pulumi-kubernetes' own rule for an object whose metadata.name is set:
 * "since we've manually specified a name, the engine has no choice but to delete it
 * first, since names are unique" (pulumi/pulumi-kubernetes, its delete-before-replace
 * integration test).
 */
function deletesFirst(r: RegisteredResource): boolean {
  if (r.deleteBeforeReplace) return true;
  const metadata = reveal(r.inputs.metadata, true) as { name?: unknown } | undefined;
  return r.type.startsWith("kubernetes:") && typeof metadata?.name === "string";
}
