/**
 * The real programs the real-server tests need, and what to do when one is missing:
 * under CI (any non-empty CI other than "false"/"0") the test fails: CI must never skip
 * for a missing tool; elsewhere it is skipped, and its name says the one command that
 * installs what it needs.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";

/** Tool → where it lives and the Debian package that ships it. */
export const TOOLS = {
  "docker-registry": { path: "/usr/bin/docker-registry", pkg: "docker-registry" },
  nginx: { path: "/usr/sbin/nginx", pkg: "nginx-light" },
  skopeo: { path: "/usr/bin/skopeo", pkg: "skopeo" },
  umoci: { path: "/usr/bin/umoci", pkg: "umoci" },
  htpasswd: { path: "/usr/bin/htpasswd", pkg: "apache2-utils" },
  "docker-compose": { path: "/usr/bin/docker-compose", pkg: "docker-compose" },
  openssl: { path: "/usr/bin/openssl", pkg: "openssl" },
  "cloud-init": { path: "/usr/bin/cloud-init", pkg: "cloud-init" },
  podman: { path: "/usr/bin/podman", pkg: "podman" },
  curl: { path: "/usr/bin/curl", pkg: "curl" },
  shellcheck: { path: "/usr/bin/shellcheck", pkg: "shellcheck" },
  busybox: { path: "/usr/bin/busybox", pkg: "busybox" },
  resize2fs: { path: "/usr/sbin/resize2fs", pkg: "e2fsprogs" },
  pebble: { path: "/usr/bin/pebble", pkg: "pebble" },
  "pebble-challtestsrv": { path: "/usr/bin/pebble-challtestsrv", pkg: "pebble" },
  lego: { path: "/usr/bin/lego", pkg: "lego" },
} as const;

export type Tool = keyof typeof TOOLS;

export function tool(name: Tool): string {
  return TOOLS[name].path;
}

export function missingTools(names: Tool[]): Tool[] {
  return names.filter((n) => !fs.existsSync(TOOLS[n].path));
}

export function installCommand(names: Tool[]): string {
  const pkgs = [...new Set(names.map((n) => TOOLS[n].pkg))].join(" ");
  return `apt-get update && apt-get install -y ${pkgs}`;
}

/**
 * True when a missing tool must fail the run rather than skip it. CI systems set CI to
 * "true", "1", "yes" or their own name; only unset, empty, "false" and "0" mean "not CI".
 */
export function skipsForbidden(ci: string | undefined): boolean {
  const value = (ci ?? "").trim().toLowerCase();
  return value !== "" && value !== "false" && value !== "0";
}

/**
 * describe() for tests that run real programs. Missing tools: a failing test under CI
 * (skipsForbidden), a skipped block (named with the install command) elsewhere.
 */
export function describeWithTools(title: string, names: Tool[], body: () => void): void {
  const missing = missingTools(names);
  if (missing.length === 0) {
    describe(title, body);
  } else if (skipsForbidden(process.env.CI)) {
    describe(title, () => {
      test(`needs ${missing.join(", ")}`, () => {
        throw new Error(`missing ${missing.join(", ")}: run ${installCommand(missing)}`);
      });
    });
  } else {
    describe.skip(
      `${title} [skipped: needs ${missing.join(", ")}; install: ${installCommand(missing)}]`,
      body,
    );
  }
}

/** Runs a program, returns stdout; throws with its stderr on failure. */
export function run(
  file: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {},
): string {
  try {
    return execFileSync(file, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      timeout: opts.timeoutMs ?? 120_000,
      input: opts.input,
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${file} ${args.join(" ")} failed: ${e.stderr || e.stdout || e.message}`, {
      cause: err,
    });
  }
}
