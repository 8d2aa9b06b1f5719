/**
 * One day-two change as the engine sees it: `pulumi up` with config A, then `pulumi up`
 * with config B over the state A left (ids, generated passwords, keys and certificates
 * kept), then B once more to show it settles. Each run is the real program under the
 * mocks (tools/runProgram.ts); the plan between runs comes from plan.ts.
 */
import { resourceKey, runProgram, type ProgramRun } from "../runProgram";
import { planUpdate, type Plan } from "./plan";

export interface Change {
  stack: string;
  /** Full config keys ("registry:backend") → values, before and after the change. */
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  secretKeys?: string[];
  /** When the first `pulumi up` runs (default: 2026-01-05T10:00:00Z). */
  firstAt?: Date;
  /** When the second one runs (default: an hour after the first). */
  secondAt?: Date;
}

export interface AppliedChange {
  before: ProgramRun;
  after: ProgramRun;
  plan: Plan;
  /** The same config applied once more, right after: should change nothing. */
  again: Plan;
}

export const FIRST_UP = new Date("2026-01-05T10:00:00Z");

export async function applyChange(change: Change): Promise<AppliedChange> {
  const firstAt = change.firstAt ?? FIRST_UP;
  const secondAt = change.secondAt ?? new Date(firstAt.getTime() + 3_600_000);
  const run = (
    now: Date,
    config: Record<string, unknown>,
    prior?: ProgramRun,
    replace?: Set<string>,
  ) =>
    runProgram({
      now,
      stack: change.stack,
      config,
      secretKeys: change.secretKeys,
      showSecrets: true,
      prior,
      replace,
    });

  const before = await run(firstAt, change.before);
  // A replaced resource gets a new id and new outputs, which can change what depends
  // on it: plan again until no new replacement appears (the engine's cascade).
  let replace = new Set<string>();
  for (let round = 0; ; round++) {
    const after = await run(secondAt, change.after, before, replace);
    const plan = planUpdate(before, after, secondAt);
    const replaced = plan.steps.filter((s) => s.op === "replace").map((s) => s.key);
    if (replaced.every((k) => replace.has(k))) {
      const stale = [...replace].filter((k) => !replaced.includes(k));
      if (stale.length) throw new Error(`given new outputs but not replaced: ${stale.join(", ")}`);
      const settled = await run(secondAt, change.after, after);
      return { before, after, plan, again: planUpdate(after, settled, secondAt) };
    }
    if (round > 8) throw new Error("replacements did not settle after 8 rounds");
    replace = new Set([...replace, ...replaced]);
  }
}

/** The resource of `run` with this name (and type, when names repeat across types). */
export function resource(run: ProgramRun, name: string, type?: string) {
  const found = run.resources.filter((r) => r.name === name && (!type || r.type === type));
  if (found.length !== 1) throw new Error(`${found.length} resources named ${name}`);
  return found[0];
}

export { resourceKey };
