/**
 * The wall clock a lifecycle run sees. The program reads the time (key rotation
 * windows) and so do the TLS mocks (certificate validity), as `pulumi up` would on
 * the day it runs; a day-two change that is only a date passing needs a clock the
 * harness can set.
 */
export async function atTime<T>(now: Date, run: () => Promise<T>): Promise<T> {
  const RealDate = Date;
  const fixed = now.getTime();
  class FixedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(fixed);
      else super(...(args as [string]));
    }
    static now(): number {
      return fixed;
    }
  }
  globalThis.Date = FixedDate as DateConstructor;
  try {
    return await run();
  } finally {
    globalThis.Date = RealDate;
  }
}

export const DAY_MS = 86_400_000;

/** `days` after `from`. */
export function daysLater(from: Date, days: number): Date {
  return new Date(from.getTime() + days * DAY_MS);
}
