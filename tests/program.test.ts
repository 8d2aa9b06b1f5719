/**
 * `pulumi up` runs index.ts; render runs deployRegistry() through runProgram. They must
 * be one program: index.ts exports exactly the outputs deployRegistry() gives.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig } from "../tools/stackConfig";
import { runProgram, unwrap } from "../tools/runProgram";

const ROOT = path.resolve(__dirname, "..");

test.each(["local", "dev", "staging", "prod"])(
  "index.ts exports the %s stack's outputs as render computes them",
  async (stack) => {
    const { config, secretKeys } = readStackConfig(path.join(ROOT, `Pulumi.${stack}.yaml`));
    const run = await runProgram({ stack, config, secretKeys, mode: "render" });
    // The mocks and config of that run are still in place: load the entry point as the CLI would.
    let exported: Record<string, pulumi.Output<string>> = {};
    jest.isolateModules(() => {
      exported = require("../index"); // eslint-disable-line @typescript-eslint/no-require-imports
    });
    expect(Object.keys(exported).sort()).toEqual(Object.keys(run.outputs).sort());
    for (const [key, output] of Object.entries(exported)) {
      const { value, secret } = await unwrap(output);
      expect({ key, value, secret }).toEqual({ key, ...run.outputs[key] });
    }
    // Let the entry point's registrations finish before the next stack's mocks replace these.
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  },
);
