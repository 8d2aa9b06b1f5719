/**
 * The day-two catalogue's runner: each case is a change a user really makes, applied
 * over the state the first `pulumi up` left (tools/lifecycle/apply.ts), with its plan
 * written out literally and every day-two rule checked (tools/lifecycle/rules.ts).
 */
import { applyChange, type Change } from "../../tools/lifecycle/apply";
import type { Plan } from "../../tools/lifecycle/plan";
import { dayTwoViolations, type Expectation } from "../../tools/lifecycle/rules";

export interface DayTwoCase {
  /** What the user does, in their words. */
  title: string;
  change: Change;
  expect: Expectation;
}

const NOTHING: Plan["summary"] = { create: [], update: [], replace: [], delete: [] };

export function runCatalogue(cases: DayTwoCase[]): void {
  test.each(cases.map((c) => [c.title, c] as const))("%s", async (_title, c) => {
    const applied = await applyChange(c.change);
    const expected = { ...NOTHING, ...c.expect.plan };
    for (const op of Object.keys(expected) as (keyof Plan["summary"])[])
      expected[op] = [...expected[op]].sort();
    expect(applied.plan.summary).toEqual(expected);
    expect(dayTwoViolations(applied, c.expect)).toEqual([]);
  });
}

/** A stack config with the backend's settings object. */
export function stack(backend: string, settings: Record<string, unknown>): Record<string, unknown> {
  return { "registry:backend": backend, [`registry:${backend}`]: settings };
}

/** Days after the first `pulumi up` of every case (2026-01-05T10:00:00Z). */
export function daysAfterFirstUp(days: number): Date {
  return new Date(Date.UTC(2026, 0, 5, 10) + days * 86_400_000);
}

/**
 * Push notifications on a self-hosted backend (issue 14 item 17): one endpoint with a
 * token (which needs logLevel warn), for the "added" and "token rotated" cases.
 */
export const hooks = (token: string) => ({
  logLevel: "warn",
  notifications: {
    endpoints: [{ name: "deploy", url: "https://hooks.example.com/registry", token }],
  },
});
export const TOKEN_A = "hook-token-aaaaaaaaaaaaaaaa";
export const TOKEN_B = "hook-token-bbbbbbbbbbbbbbbb";
