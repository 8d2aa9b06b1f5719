/**
 * CI must never skip a real-server suite for a missing tool, whatever spelling of "on" the
 * CI system uses. describeWithTools is called for real under each CI value, with a stand-in
 * describe/test pair that records what it was asked to register.
 */
import { TOOLS, describeWithTools, skipsForbidden } from "./tools";

const CI_VALUES = [undefined, "", "false", "0", "true", "1", "yes", "TRUE", "github-actions"];

test.each([
  [undefined, false],
  ["", false],
  ["false", false],
  ["FALSE", false],
  ["0", false],
  ["true", true],
  ["1", true],
  ["yes", true],
  ["TRUE", true],
  ["woodpecker", true],
])("skipsForbidden(%p) is %p", (ci, expected) => {
  expect(skipsForbidden(ci)).toBe(expected);
});

type Registered = { kind: "describe" | "describe.skip" | "test"; title: string };

/** Calls describeWithTools with a missing nginx under CI=ci; returns what it registered. */
function registrationsUnder(ci: string | undefined): Registered[] {
  const seen: Registered[] = [];
  const fakeDescribe = Object.assign(
    (title: string, body: () => void) => {
      seen.push({ kind: "describe", title });
      body();
    },
    { skip: (title: string) => seen.push({ kind: "describe.skip", title }) },
  );
  const fakeTest = (title: string) => seen.push({ kind: "test", title });
  const saved = { describe: globalThis.describe, test: globalThis.test, ci: process.env.CI };
  const nginx = TOOLS.nginx as { path: string };
  const realPath = nginx.path;
  try {
    nginx.path = "/nonexistent/nginx"; // the tool is missing
    Object.assign(globalThis, { describe: fakeDescribe, test: fakeTest });
    if (ci === undefined) delete process.env.CI;
    else process.env.CI = ci;
    describeWithTools("suite", ["nginx"], () => fakeTest("real test"));
  } finally {
    Object.assign(globalThis, { describe: saved.describe, test: saved.test });
    if (saved.ci === undefined) delete process.env.CI;
    else process.env.CI = saved.ci;
    nginx.path = realPath;
  }
  return seen;
}

// Collected now (describe/test may only be swapped while jest is collecting), asserted below.
const registered = new Map(CI_VALUES.map((ci) => [ci, registrationsUnder(ci)]));

describe("describeWithTools with nginx missing", () => {
  test.each([undefined, "", "false", "0"])(
    "CI=%p: the suite is skipped, naming the install command",
    (ci) => {
      expect(registered.get(ci)).toEqual([
        {
          kind: "describe.skip",
          title:
            "suite [skipped: needs nginx; install: apt-get update && apt-get install -y nginx-light]",
        },
      ]);
    },
  );

  test.each(["true", "1", "yes", "TRUE", "github-actions"])(
    "CI=%p: one failing test instead of the suite, never a skip",
    (ci) => {
      expect(registered.get(ci)).toEqual([
        { kind: "describe", title: "suite" },
        { kind: "test", title: "needs nginx" },
      ]);
    },
  );
});
