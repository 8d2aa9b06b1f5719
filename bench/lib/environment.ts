/**
 * What a result is measured on and what else the bench times: the machine, the tools'
 * versions, render per stack, the unit tests; and where scratch data goes.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderStack } from "../../tools/render";
import { run, tool } from "../../tests/support/tools";
import { runTimed } from "./proc";
import { median } from "./stats";

const ROOT = path.resolve(__dirname, "..", "..");

export function machine() {
  const cpuModel = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync("/proc/cpuinfo", "utf8"))?.[1];
  const flags = /^flags\s*:\s*(.*)$/m.exec(fs.readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "";
  return {
    nproc: Number(run("nproc", []).trim()),
    memoryMiB: Math.round(os.totalmem() / 1048576),
    cpuModel: cpuModel ?? "unknown",
    aesNi: /\baes\b/.test(flags),
    kernel: os.release(),
  };
}

export function versions() {
  const both = (file: string, args: string[]) => {
    const r = spawnSync(file, args, { encoding: "utf8" });
    return `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n")[0];
  };
  return {
    nginx: both(tool("nginx"), ["-v"]),
    registry: both(tool("docker-registry"), ["--version"]),
    skopeo: both(tool("skopeo"), ["--version"]),
    umoci: both(tool("umoci"), ["--version"]),
    openssl: both(tool("openssl"), ["version"]),
    node: process.version,
  };
}

export async function renderTimes(): Promise<Record<string, unknown>> {
  const stacks: Record<string, { ms: number[]; medianMs: number | null; files: number }> = {};
  const files = fs
    .readdirSync(ROOT)
    .filter((f) => /^Pulumi\.[A-Za-z0-9_.-]+\.yaml$/.test(f))
    .sort();
  for (const f of files) {
    const stack = f.slice("Pulumi.".length, -".yaml".length);
    const ms: number[] = [];
    let count = 0;
    for (let i = 0; i < 3; i++) {
      const s = performance.now();
      const out = await renderStack({
        stack,
        out: path.join(os.tmpdir(), "unused"),
        configFile: path.join(ROOT, f),
        showSecrets: false,
      });
      ms.push(Math.round(performance.now() - s));
      count = Object.keys(out).length;
    }
    stacks[stack] = { ms, medianMs: median(ms), files: count };
  }
  return {
    stacks,
    note: "in-process renderStack (tools/render.ts) with the program already loaded, 3 runs per stack (the first is the coldest), nothing written",
  };
}

export async function jestTime(which: "unit" | "all") {
  const args = [
    "jest",
    "--silent",
    "--json",
    "--outputFile",
    path.join(os.tmpdir(), `bench-jest-${process.pid}.json`),
  ];
  if (which === "unit")
    args.push("--testPathIgnorePatterns", "/node_modules/", "/render/", "<rootDir>/tests/");
  const r = await runTimed("npx", args, { cwd: ROOT, timeoutMs: 1_800_000 });
  let summary: Record<string, unknown>;
  try {
    const j = JSON.parse(fs.readFileSync(args[4], "utf8"));
    summary = {
      suites: j.numTotalTestSuites,
      tests: j.numTotalTests,
      failed: j.numFailedTests,
      skipped: j.numPendingTests,
    };
    fs.rmSync(args[4], { force: true });
  } catch {
    summary = { error: r.stderr.slice(-500) };
  }
  return {
    which:
      which === "unit"
        ? "unit tests: every *.test.ts outside tests/ (npx jest --testPathIgnorePatterns <rootDir>/tests/)"
        : "the whole suite (npx jest)",
    ms: Math.round(r.ms),
    ok: r.code === 0,
    ...summary,
  };
}

/**
 * Scratch space: tmpfs (/dev/shm) when it has room for the image, two copies in flight and
 * nginx's temp files, so the disk (shared with whatever else runs) adds no noise to a
 * measurement of the network path; bench/work otherwise.
 */
export function defaultWorkDir(sizeMiB: number): string {
  const shm = "/dev/shm";
  try {
    const st = fs.statfsSync(shm);
    if (st.bavail * st.bsize > 4 * sizeMiB * 1048576 + 1024 ** 3)
      return path.join(shm, `registry-bench-${process.pid}`);
  } catch {
    // no tmpfs here
  }
  return path.join(ROOT, "bench", "work", `run-${process.pid}`);
}
