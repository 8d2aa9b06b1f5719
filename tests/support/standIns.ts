/**
 * Recording stand-ins for the `pulumi` and `docker` CLIs, for the tests of
 * tools/start.ts and tools/stop.ts. They test the scripts' logic (which commands, in
 * which order, with which environment and stdin, and what the scripts make of each
 * answer), not Pulumi or Docker: the real engine is proven by the users' CI workflow.
 *
 * The scripts are stand-ins/pulumi and stand-ins/docker (bash, shellcheck-clean).
 * Each call appends one line to $FAKE_DIR/calls.log: the argv, and for pulumi the
 * backend URL and passphrase file it was given; for docker login, whether stdin
 * carried exactly $FAKE_PASSWORD (never the value itself). The case is played by:
 *   FAKE_WHOAMI_URL   pulumi whoami answers with this backend URL (unset: not logged in)
 *   FAKE_UP_FAIL      pulumi up fails
 *   FAKE_DOCKER_DOWN  docker info finds no engine
 *   FAKE_KEEP_VOLUME  "false": the state's volume has no retainOnDelete
 * Like the real file backend, the stand-in pulumi keeps its stacks under
 * <PULUMI_BACKEND_URL path>/.pulumi, so a second run finds what the first created,
 * and it refuses a file backend without a readable passphrase, as pulumi does.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The programs the stand-ins use, linked into the bin directory so PATH holds nothing else. */
const UTILITIES = ["bash", "cat", "mkdir", "rm", "wc"];

/**
 * Writes the stand-ins (only the ones named) and links the few utilities they need
 * into `<dir>/bin`, and returns that directory: the whole PATH of a test run, so a
 * real pulumi or docker elsewhere on the machine is never reached.
 */
export function writeStandIns(dir: string, which: ("pulumi" | "docker")[]): string {
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin, { recursive: true });
  for (const name of which) {
    fs.copyFileSync(path.join(__dirname, "stand-ins", name), path.join(bin, name));
    fs.chmodSync(path.join(bin, name), 0o755);
  }
  for (const u of UTILITIES) {
    const found = ["/usr/bin", "/bin"].map((d) => path.join(d, u)).find((p) => fs.existsSync(p));
    if (!found) throw new Error(`${u} not found in /usr/bin or /bin`);
    fs.symlinkSync(found, path.join(bin, u));
  }
  return bin;
}

const ROOT = path.resolve(__dirname, "..", "..");
const TSX = require.resolve("tsx/cli");
export const PASSWORD = "stand-in-password-4f9Qx2"; // what the stand-in pulumi reports as REGISTRY_PASSWORD

export interface Sandbox {
  dir: string;
  project: string;
  env: NodeJS.ProcessEnv;
}

export interface Result {
  code: number | null;
  stdout: string[];
  stderr: string;
  /** The stand-ins' log, with the sandbox's project path written <project>. */
  calls: string[];
}

const sandboxes: string[] = [];
afterAll(() => sandboxes.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

export function sandbox(which: ("pulumi" | "docker")[] = ["pulumi", "docker"]): Sandbox {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "npm-start-"));
  sandboxes.push(dir);
  const project = path.join(dir, "project");
  fs.mkdirSync(path.join(dir, "fake"), { recursive: true });
  fs.mkdirSync(project);
  const bin = writeStandIns(dir, which);
  const env = { PATH: bin, HOME: dir, FAKE_DIR: path.join(dir, "fake"), FAKE_PASSWORD: PASSWORD };
  return { dir, project, env };
}

/**
 * Runs tools/<script>.ts in the sandbox's project, as `npm start`/`npm stop` do (cwd = project),
 * and checks that the password reached neither its output nor any command line.
 */
export function runScript(s: Sandbox, script: "start" | "stop", env: NodeJS.ProcessEnv = {}) {
  const log = path.join(s.dir, "fake", "calls.log");
  fs.rmSync(log, { force: true });
  const file = path.join(ROOT, "tools", `${script}.ts`);
  const child = spawn(process.execPath, [TSX, file], { cwd: s.project, env: { ...s.env, ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  return new Promise<Result>((resolve) =>
    child.on("close", (code) => {
      const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "";
      for (const text of [stdout, stderr, calls]) expect(text).not.toContain(PASSWORD);
      const lines = (t: string) => t.split(s.project).join("<project>").split("\n").filter(Boolean);
      resolve({ code, stdout: lines(stdout), stderr, calls: lines(calls) });
    }),
  );
}

/** How the stand-in pulumi logs its environment: this project's state and passphrase, or none. */
export const OWN =
  "backend=file://<project>/.pulumi-state passphrase=<project>/.pulumi-state/local.passphrase";
export const NONE = "backend=- passphrase=-";
