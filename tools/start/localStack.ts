/**
 * What `npm start` and `npm stop` share: the checks for the Pulumi CLI and a Docker
 * engine, where the state of the `local` stack lives, its passphrase, and selecting it.
 *
 * State: PULUMI_BACKEND_URL if the user set it; else this project's `.pulumi-state/`
 * once a start has put state there; else wherever the user is logged in
 * (`pulumi whoami --json` names it); else, never logged in, `.pulumi-state/`.
 * Passphrase (file and object-store backends only): the user's PULUMI_CONFIG_PASSPHRASE
 * or PULUMI_CONFIG_PASSPHRASE_FILE if set; else a generated one kept in
 * `.pulumi-state/local.passphrase` (mode 0600, git-ignored). Both reach only the
 * pulumi commands these scripts run, every one of them on the `local` stack.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { FAILED, MISSING, run, StepError } from "./run";

export const STACK = "local";
export const STATE_DIR = ".pulumi-state";
export const PASSPHRASE_FILE = "local.passphrase";
export const DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";

export type Say = (line: string) => void;

const INSTALL_PULUMI = [
  "The Pulumi CLI (pulumi) is not on PATH. Install it, then run this again:",
  "  curl -fsSL https://get.pulumi.com | sh    # Linux, macOS",
  "  brew install pulumi/tap/pulumi            # macOS with Homebrew",
  "  https://www.pulumi.com/docs/install/      # Windows and the rest",
].join("\n");

/** `pulumi version`, or a StepError saying how to install the CLI. */
export async function checkPulumi(env: NodeJS.ProcessEnv): Promise<string> {
  const r = await run("pulumi", ["version"], { env, output: "capture" });
  if (r.code === "missing") throw new StepError(INSTALL_PULUMI, MISSING);
  if (r.code !== 0) throw new StepError(`pulumi version failed:\n${r.stderr.trim()}`, FAILED);
  return r.stdout.trim();
}

/** The engine's version, or a StepError naming the DOCKER_HOST it tried. */
export async function checkDocker(env: NodeJS.ProcessEnv): Promise<string> {
  const r = await run("docker", ["info", "--format", "{{.ServerVersion}}"], {
    env,
    output: "capture",
  });
  if (r.code === "missing")
    throw new StepError(
      "The Docker CLI (docker) is not on PATH. Install Docker (https://docs.docker.com/engine/install/), then run this again.",
      MISSING,
    );
  if (r.code === 0) return r.stdout.trim();
  const tried = env.DOCKER_HOST
    ? `DOCKER_HOST=${env.DOCKER_HOST}`
    : `the docker CLI's current context (DOCKER_HOST is unset; the default is ${DEFAULT_DOCKER_HOST})`;
  throw new StepError(
    [
      `No Docker engine answered at ${tried}.`,
      `docker info said: ${r.stderr.trim()}`,
      "Start Docker, or point DOCKER_HOST at a running engine, then run this again.",
    ].join("\n"),
    MISSING,
  );
}

export interface Backend {
  url: string;
  /** Why this backend: shown to the user. */
  why: string;
}

/** This project's own state backend: `.pulumi-state/` (git-ignored). */
const ownBackend = (project: string) => `file://${path.join(project, STATE_DIR)}`;

/** Where the local stack's state lives (see the header). */
export async function resolveBackend(project: string, env: NodeJS.ProcessEnv): Promise<Backend> {
  const own = ownBackend(project);
  if (env.PULUMI_BACKEND_URL)
    return { url: env.PULUMI_BACKEND_URL, why: "set by PULUMI_BACKEND_URL" };
  if (fs.existsSync(path.join(project, STATE_DIR, ".pulumi")))
    return { url: own, why: "this project's own: an earlier npm start put the stack there" };
  const who = await run("pulumi", ["whoami", "--json", "--non-interactive"], {
    env,
    output: "capture",
  });
  const url = who.code === 0 ? whoamiUrl(who.stdout) : undefined;
  if (url) return { url, why: "you are logged in there" };
  return { url: own, why: "this project's own: you are not logged in to a Pulumi backend" };
}

/** The `url` of `pulumi whoami --json`, or undefined. */
function whoamiUrl(json: string): string | undefined {
  try {
    const url = (JSON.parse(json) as { url?: unknown }).url;
    return typeof url === "string" && url !== "" ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The environment every pulumi command on the local stack runs with: the backend
 * (when it is this project's) and the passphrase (see the header).
 */
export async function localStackEnv(
  project: string,
  env: NodeJS.ProcessEnv,
  say: Say,
): Promise<NodeJS.ProcessEnv> {
  const backend = await resolveBackend(project, env);
  say(`State: ${backend.url} (${backend.why})`);
  const vars: NodeJS.ProcessEnv = {};
  if (backend.url === ownBackend(project)) {
    fs.mkdirSync(path.join(project, STATE_DIR), { recursive: true, mode: 0o700 });
    vars.PULUMI_BACKEND_URL = backend.url;
  }
  if (env.PULUMI_CONFIG_PASSPHRASE !== undefined || env.PULUMI_CONFIG_PASSPHRASE_FILE)
    say("Passphrase: yours (PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE)");
  else if (backend.url.startsWith("https://"))
    say("Passphrase: none needed (the Pulumi Cloud backend encrypts the stack's secrets)");
  else {
    vars.PULUMI_CONFIG_PASSPHRASE_FILE = ensurePassphraseFile(project);
    say(
      `Passphrase: ${path.join(STATE_DIR, PASSPHRASE_FILE)} (generated once, for stack local only)`,
    );
  }
  return { ...env, ...vars };
}

/** Creates the local stack's passphrase file once: 32 random bytes, readable by the user only. */
function ensurePassphraseFile(project: string): string {
  const dir = path.join(project, STATE_DIR);
  const file = path.join(dir, PASSPHRASE_FILE);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600, flag: "wx" });
  }
  return file;
}

/** `pulumi stack select local`: true when the stack exists (and is now selected). */
export async function selectStack(env: NodeJS.ProcessEnv): Promise<boolean> {
  const r = await run("pulumi", ["stack", "select", STACK], { env, output: "capture" });
  return r.code === 0;
}
