/**
 * Runs one program for `npm start` / `npm stop`: an argument array (never a shell
 * string), an optional stdin value (the registry password, which so never reaches a
 * command line), and either the user's terminal (`show`, for pulumi up's progress) or
 * captured output (`capture`, for what the script parses or keeps quiet).
 */
import { spawn } from "node:child_process";

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  /** Written to stdin, then stdin is closed. */
  input?: string;
  /** show: the child writes to the user's terminal; capture: kept and returned. */
  output: "show" | "capture";
}

export interface RunResult {
  /** The exit code, or "missing" when the program is not on PATH. */
  code: number | "missing";
  stdout: string;
  stderr: string;
}

export function run(file: string, args: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    const stdin = opts.input !== undefined ? "pipe" : opts.output === "show" ? "inherit" : "ignore";
    const out = opts.output === "show" ? "inherit" : "pipe";
    const child = spawn(file, args, { env: opts.env, stdio: [stdin, out, out] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on("data", (b: Buffer) => stdout.push(b));
    child.stderr?.on("data", (b: Buffer) => stderr.push(b));
    const text = (bs: Buffer[]) => Buffer.concat(bs).toString("utf8");
    child.on("error", (err: NodeJS.ErrnoException) =>
      resolve({ code: err.code === "ENOENT" ? "missing" : 1, stdout: "", stderr: err.message }),
    );
    child.on("close", (code, signal) =>
      resolve({ code: code ?? (signal ? 128 : 1), stdout: text(stdout), stderr: text(stderr) }),
    );
    if (opts.input !== undefined) {
      child.stdin?.on("error", () => undefined); // the child may exit before reading
      child.stdin?.end(opts.input);
    }
  });
}

/** A step failed: the message for the user and the exit code. */
export class StepError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Exit codes: a step failed (1), something the script needs is missing (2). */
export const FAILED = 1;
export const MISSING = 2;

/** Runs main, prints a StepError's message on stderr, exits with its code. */
export function exitWith(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      if (err instanceof StepError) {
        process.stderr.write(`${err.message}\n`);
        process.exit(err.exitCode);
      }
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(FAILED);
    },
  );
}
