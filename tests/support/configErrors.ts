/**
 * Runs the program under mocks (tools/runProgram.ts) with a configuration that should
 * be refused, and reports how it failed: the error, its lines, and every resource the
 * mock monitor saw registered before (or after) the failure.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../../config/errors";
import { runProgram } from "../../tools/runProgram";

export interface RefusedRun {
  /** What the program threw (undefined when it did not throw). */
  error: unknown;
  /** The ConfigError's lines (empty when the error is not a ConfigError). */
  lines: string[];
  /** URNs the mock monitor registered: any at all means the program got too far. */
  registered: string[];
}

interface Monitor {
  getRegisteredResources(): Map<string, unknown>;
}

/** The URNs the current mock monitor has registered, once pending registrations are done. */
export async function registeredUrns(): Promise<string[]> {
  // waitForRPCs drains the runtime's queue (not in the typings): a registration started
  // just before the throw is counted too.
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
  return [...monitor.getRegisteredResources().keys()];
}

export async function runRefused(
  config: Record<string, unknown>,
  opts: { stack?: string; secretKeys?: string[] } = {},
): Promise<RefusedRun> {
  let error: unknown;
  try {
    await runProgram({ stack: opts.stack ?? "battery", config, secretKeys: opts.secretKeys });
  } catch (err) {
    error = err;
  }
  return {
    error,
    lines: error instanceof ConfigError ? error.problems : [],
    registered: await registeredUrns(),
  };
}
