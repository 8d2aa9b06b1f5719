import type * as pulumi from "@pulumi/pulumi";

/**
 * "test": realistic values, as a provider would compute them (so tests can assert on
 * them). "render": a clear placeholder wherever only a real deployment knows the value.
 */
export type MockMode = "test" | "render";

/**
 * The outputs a provider computes for one resource type, added to its inputs. `now` is
 * the run's clock (the provider's "current time", e.g. a certificate's validity start); default now.
 */
export type ComputedOutputs = (
  args: pulumi.runtime.MockResourceArgs,
  mode: MockMode,
  now?: Date,
) => Record<string, unknown>;

export type MockTable = Record<string, ComputedOutputs>;

/** A deterministic pseudo-random string from a seed, for values a provider generates. */
export function seeded(seed: string, length: number, alphabet: string): string {
  let h = 2166136261;
  let out = "";
  for (let i = 0; out.length < length; i++) {
    for (const c of `${seed}#${i}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
    out += alphabet[h % alphabet.length];
  }
  return out;
}

export const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
