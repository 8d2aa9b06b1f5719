/**
 * npm run render -- <stack> [--out DIR] [--config-file FILE] [--show-secrets]
 *
 * Runs the program offline under Pulumi's mock runtime with the stack's config and
 * writes what it would deploy: resources.json, outputs.json and files/. Bad config
 * exits 1 with the validation lines on stderr and writes nothing.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError } from "../config/errors";
import { readStackConfig, StackFileError } from "./stackConfig";
import { reveal, runProgram, SECRET, type ProgramRun } from "./runProgram";

export interface RenderArgs {
  stack: string;
  out: string;
  configFile: string;
  showSecrets: boolean;
}

const USAGE = "usage: npm run render -- <stack> [--out DIR] [--config-file FILE] [--show-secrets]";

export function parseArgs(argv: string[], root: string): RenderArgs {
  let stack: string | undefined;
  let out: string | undefined;
  let configFile: string | undefined;
  let showSecrets = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--out" || a === "--config-file") {
      const v = argv[++i];
      if (!v) throw new UsageError(`${a} needs a value\n${USAGE}`);
      if (a === "--out") out = v;
      else configFile = v;
    } else if (a === "--show-secrets") showSecrets = true;
    else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}\n${USAGE}`);
    else if (!stack) stack = a;
    else throw new UsageError(`one stack at a time (got ${stack} and ${a})\n${USAGE}`);
  }
  if (!stack) throw new UsageError(USAGE);
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new UsageError(`not a stack name: ${stack}`);
  return {
    stack,
    out: path.resolve(out ?? path.join(root, "render", stack)),
    configFile: path.resolve(configFile ?? path.join(root, `Pulumi.${stack}.yaml`)),
    showSecrets,
  };
}

export class UsageError extends Error {}

/** Runs the program for a stack and returns what render writes, path → content. */
export async function renderStack(args: RenderArgs): Promise<Record<string, string>> {
  if (!fs.existsSync(args.configFile))
    throw new UsageError(`no stack file ${args.configFile} (create it, or pass --config-file)`);
  const root = path.resolve(__dirname, "..");
  const { config, secretKeys } = readStackConfig(
    args.configFile,
    path.relative(root, args.configFile),
  );
  const run = await runProgram({
    stack: args.stack,
    config,
    secretKeys,
    mode: "render",
    showSecrets: args.showSecrets,
  });
  return renderedFiles(run, args.showSecrets);
}

export function renderedFiles(run: ProgramRun, showSecrets: boolean): Record<string, string> {
  const resources = run.resources.map((r) => ({
    type: r.type,
    name: r.name,
    parent: r.parent,
    inputs: reveal(r.inputs, showSecrets),
  }));
  const outputs = Object.fromEntries(
    Object.entries(run.outputs).map(([k, o]) => [k, o.secret && !showSecrets ? SECRET : o.value]),
  );
  const out: Record<string, string> = {
    "resources.json": `${JSON.stringify(resources, null, 2)}\n`,
    "outputs.json": `${JSON.stringify(outputs, null, 2)}\n`,
  };
  for (const [p, content] of Object.entries(run.files)) out[path.posix.join("files", p)] = content;
  return out;
}

export function writeRendered(out: string, files: Record<string, string>): void {
  fs.rmSync(out, { recursive: true, force: true });
  for (const [p, content] of Object.entries(files)) {
    const target = path.join(out, p);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
  }
}

async function main(): Promise<number> {
  const root = path.resolve(__dirname, "..");
  try {
    const args = parseArgs(process.argv.slice(2), root);
    const files = await renderStack(args);
    writeRendered(args.out, files);
    console.log(
      `rendered ${args.stack} to ${path.relative(process.cwd(), args.out) || "."}: ${Object.keys(files).length} files`,
    );
    return 0;
  } catch (err) {
    if (err instanceof ConfigError || err instanceof UsageError || err instanceof StackFileError) {
      console.error(err.message);
      return err instanceof UsageError ? 2 : 1;
    }
    throw err;
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exit(1);
    },
  );
}
