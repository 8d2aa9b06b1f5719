/**
 * npm run bench [-- options]
 *
 * Pushes and pulls an image of about 1 GiB (several layers of fresh random data) with
 * skopeo through each configuration, on 127.0.0.1, interleaved, several repetitions each,
 * and reports medians in MB/s (10^6 bytes of blob data per second):
 *   1. the registry's own TLS listener (the reference: same bytes, same encryption, no proxy)
 *   2. the project's generated nginx.conf in front of the registry
 *   3. distribution's nginx recipe as-is (bench/fixtures/recipe-nginx.conf)
 *   4. the nginx server block of seeds/003 as-is (bench/fixtures/seed003-nginx.conf)
 * Prints a table and the ratios 2/1 for push and pull; writes bench/results.json. Also times
 * render per stack and the unit-test suite, and records the peak RSS of nginx and the
 * registry. Options: --size-mib N (1024) --layers N (4) --reps N (3) --configs id,id
 * --variant NAME=TEMPLATE (an extra nginx config from a template, registry auth as in 2)
 * --no-render --no-jest --jest-all --out FILE --work DIR.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { renderStack } from "../tools/render";
import { buildImage, ociManifest, type BuiltImage } from "../tests/support/images";
import { missingTools, installCommand, run, tool, type Tool } from "../tests/support/tools";
import { makeTls } from "./lib/certs";
import { childrenCpuSeconds, cpuSeconds, loadAverage, peakRssKiB, runTimed } from "./lib/proc";
import { PASSWORD, RunningSetup, SETUPS, USER, templateConfig, type SetupSpec } from "./lib/setups";
import { mbPerSecond, median, ratio, round, table } from "./lib/stats";

const ROOT = path.resolve(__dirname, "..");

interface Args {
  sizeMiB: number;
  layers: number;
  reps: number;
  configs?: string[];
  variants: { name: string; file: string }[];
  render: boolean;
  jest: "unit" | "all" | "none";
  out: string;
  work?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    sizeMiB: 1024,
    layers: 4,
    reps: 3,
    variants: [],
    render: true,
    jest: "unit",
    out: path.join(ROOT, "bench", "results.json"),
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === "--size-mib") a.sizeMiB = Number(v());
    else if (k === "--layers") a.layers = Number(v());
    else if (k === "--reps") a.reps = Number(v());
    else if (k === "--configs") a.configs = v().split(",");
    else if (k === "--variant") {
      const [name, file] = v().split("=");
      a.variants.push({ name, file: path.resolve(file) });
    } else if (k === "--no-render") a.render = false;
    else if (k === "--no-jest") a.jest = "none";
    else if (k === "--jest-all") a.jest = "all";
    else if (k === "--out") a.out = path.resolve(v());
    else if (k === "--work") a.work = path.resolve(v());
    else throw new Error(`unknown option ${k}`);
  }
  return a;
}

interface Transfer {
  ok: boolean;
  ms: number;
  mbps: number | null;
  error?: string;
  note?: string;
  /** CPU seconds spent during the transfer, per program. */
  cpu: { nginx: number; registry: number; skopeo: number };
}

interface Sample {
  rep: number;
  push: Transfer;
  pull: Transfer;
}

function imageBytes(img: BuiltImage): number {
  const blob = (d: string) => fs.statSync(path.join(img.layout, "blobs", ...d.split(":"))).size;
  const manifestDigest: string = img.manifestDigest;
  const manifest = JSON.parse(
    fs.readFileSync(path.join(img.layout, "blobs", ...manifestDigest.split(":")), "utf8"),
  );
  return (
    blob(manifestDigest) +
    blob(manifest.config.digest) +
    manifest.layers.reduce((s: number, l: { digest: string }) => s + blob(l.digest), 0)
  );
}

/** The line of skopeo's error that says what went wrong (e.g. "413 Request Entity Too Large"). */
function errorSummary(stderr: string): string {
  const status = /\b(\d{3}) \(?([A-Z][A-Za-z ]+[a-z])\)?/.exec(stderr);
  const last = stderr.trim().split("\n").pop() ?? "";
  const text = last
    .replace(/^time="[^"]*" level=\w+ msg="?/, "")
    .replace(/, <html>[\s\S]*$/, "")
    .slice(0, 300);
  return status ? `HTTP ${status[1]} ${status[2]}: ${text}` : text;
}

const SKOPEO_COMMON = ["--insecure-policy", "copy", "--retry-times", "0"];

/**
 * The median of per-repetition ratios (a configuration's sample over the reference's sample
 * of the same repetition, taken minutes apart at most): steadier than the ratio of medians
 * when other work on the machine comes and goes.
 */
function pairedRatio(
  samples: Map<string, Sample[]>,
  id: string,
  ref: string,
  dir: "push" | "pull",
): number | null {
  const a = samples.get(id) ?? [];
  const b = samples.get(ref) ?? [];
  const rs = a
    .map((x, i) => ratio(x[dir].ok ? x[dir].mbps : null, b[i]?.[dir].ok ? b[i][dir].mbps : null))
    .filter((r): r is number => r !== null);
  return median(rs);
}

class Bench {
  constructor(
    private work: string,
    private image: BuiltImage,
    private bytes: number,
  ) {}

  private cpuSnapshot(s: RunningSetup) {
    return {
      nginx: s.nginxPids().reduce((t, p) => t + cpuSeconds(p), 0),
      registry: s.registryPid().reduce((t, p) => t + cpuSeconds(p), 0),
      skopeo: childrenCpuSeconds(),
    };
  }

  private accessLogSize(s: RunningSetup): number {
    const f = s.nginx?.paths.accessLogPath;
    return f && fs.existsSync(f) ? fs.statSync(f).size : 0;
  }

  private accessLogSince(s: RunningSetup, from: number): string {
    const f = s.nginx?.paths.accessLogPath;
    if (!f || !fs.existsSync(f)) return "";
    const buf = fs.readFileSync(f);
    return buf.subarray(from).toString();
  }

  async transfer(
    s: RunningSetup,
    args: string[],
  ): Promise<{ ok: boolean; ms: number; stderr: string; stdout: string; cpu: Transfer["cpu"] }> {
    const before = this.cpuSnapshot(s);
    const r = await runTimed(tool("skopeo"), [...SKOPEO_COMMON, ...args], { timeoutMs: 900_000 });
    const after = this.cpuSnapshot(s);
    const cpu = {
      nginx: round(after.nginx - before.nginx, 2)!,
      registry: round(after.registry - before.registry, 2)!,
      skopeo: round(after.skopeo - before.skopeo, 2)!,
    };
    return { ok: r.code === 0, ms: r.ms, stderr: r.stderr, stdout: r.stdout, cpu };
  }

  async sample(
    s: RunningSetup,
    rep: number,
    image = this.image,
    bytes = this.bytes,
  ): Promise<Sample> {
    const repo = `bench/${s.spec.id}-${rep}-${randomBytes(3).toString("hex")}`;
    const target = `docker://${s.endpoint}/${repo}:${image.tag}`;
    const creds = `${USER}:${PASSWORD}`;
    const logFrom = this.accessLogSize(s);
    const p = await this.transfer(s, [
      "--dest-creds",
      creds,
      "--dest-cert-dir",
      s.certDir,
      image.ref,
      target,
    ]);
    const push: Transfer = {
      ok: p.ok,
      ms: Math.round(p.ms),
      mbps: p.ok ? round(mbPerSecond(bytes, p.ms), 1) : null,
      cpu: p.cpu,
    };
    if (!p.ok) push.error = errorSummary(p.stderr);
    else {
      const stored = s.storedBytes();
      if (/skipped: already exists/.test(p.stdout + p.stderr) || stored < bytes * 0.99) {
        push.ok = false;
        push.mbps = null;
        push.error = `push did not send every layer (stored ${stored} of ${bytes} bytes)`;
      }
      if (s.nginx && !/"(PATCH|PUT) /.test(this.accessLogSince(s, logFrom))) {
        push.ok = false;
        push.mbps = null;
        push.error =
          "the layers did not go through nginx (the registry's Location sent the client around it)";
      }
    }

    let pullNote: string | undefined;
    if (!push.ok) {
      // Still measure the pull path: store the image straight into the registry, untimed.
      const direct = await runTimed(tool("skopeo"), [
        ...SKOPEO_COMMON,
        "--dest-tls-verify=false",
        ...(s.spec.registryAuth ? ["--dest-creds", creds] : []),
        image.ref,
        `docker://${s.registryAddress}/${repo}:${image.tag}`,
      ]);
      if (direct.code !== 0) throw new Error(`storing the image directly failed: ${direct.stderr}`);
      pullNote =
        "the image was stored straight into the registry (the push through this configuration failed)";
    }
    const dest = path.join(this.work, `pulled-${randomBytes(4).toString("hex")}`);
    const q = await this.transfer(s, [
      "--src-creds",
      creds,
      "--src-cert-dir",
      s.certDir,
      target,
      `oci:${dest}:${image.tag}`,
    ]);
    const pull: Transfer = {
      ok: q.ok,
      ms: Math.round(q.ms),
      mbps: q.ok ? round(mbPerSecond(bytes, q.ms), 1) : null,
      cpu: q.cpu,
      ...(pullNote ? { note: pullNote } : {}),
    };
    if (!q.ok) pull.error = errorSummary(q.stderr);
    else if (ociManifest(dest, image.tag).manifestDigest !== image.manifestDigest) {
      pull.ok = false;
      pull.mbps = null;
      pull.error = "pulled a different manifest";
    }
    fs.rmSync(dest, { recursive: true, force: true });
    await s.reset();
    return { rep, push, pull };
  }
}

function machine() {
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

function versions() {
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

async function renderTimes(): Promise<Record<string, unknown>> {
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

async function jestTime(which: "unit" | "all") {
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
function defaultWorkDir(sizeMiB: number): string {
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

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const needed: Tool[] = ["docker-registry", "nginx", "skopeo", "umoci", "openssl", "htpasswd"];
  const missing = missingTools(needed);
  if (missing.length) {
    console.error(`bench needs ${missing.join(", ")}: ${installCommand(missing)}`);
    return 2;
  }
  const started = Date.now();
  const loadBefore = loadAverage();
  const work = args.work ?? defaultWorkDir(args.sizeMiB);
  fs.mkdirSync(work, { recursive: true, mode: 0o755 });
  fs.chmodSync(work, 0o755);

  const specs: SetupSpec[] = SETUPS.filter((s) => !args.configs || args.configs.includes(s.id));
  for (const v of args.variants)
    specs.push({
      id: `variant-${v.name}`,
      label: `variant ${v.name}`,
      registryAuth: true,
      nginx: templateConfig(fs.readFileSync(v.file, "utf8")),
    });

  const setups: RunningSetup[] = [];
  const cleanup = async () => {
    for (const s of setups) await s.stop().catch(() => undefined);
    fs.rmSync(work, { recursive: true, force: true });
  };
  process.on("SIGINT", () => void cleanup().then(() => process.exit(130)));

  try {
    const layerBytes = Math.floor((args.sizeMiB * 1048576) / args.layers);
    console.log(
      `building a ${args.sizeMiB} MiB image (${args.layers} layers of fresh random data)...`,
    );
    const t0 = Date.now();
    const image = buildImage(work, {
      tag: "bench",
      layerSizes: Array(args.layers).fill(layerBytes),
    });
    const warm = buildImage(work, { tag: "warm", layerSizes: [8 * 1048576, 4096] });
    const buildMs = Date.now() - t0;
    const bytes = imageBytes(image);
    const tlsFiles = makeTls(path.join(work, "tls"));

    for (const spec of specs) {
      const s = new RunningSetup(spec, { work, tls: tlsFiles });
      await s.start();
      setups.push(s);
    }
    const bench = new Bench(work, image, bytes);
    // Warm-up: a small image through each (TLS, connections, page cache), not recorded.
    for (const s of setups) await bench.sample(s, -1, warm, imageBytes(warm));

    const samples = new Map<string, Sample[]>(setups.map((s) => [s.spec.id, []]));
    for (let rep = 0; rep < args.reps; rep++) {
      // Interleaved; rotated each repetition and reversed every other one, so no configuration
      // always goes first or always follows the same neighbour.
      const rotated = setups.map((_, i) => setups[(i + rep) % setups.length]);
      const order = rep % 2 ? rotated.reverse() : rotated;
      for (const s of order) {
        const x = await bench.sample(s, rep);
        samples.get(s.spec.id)!.push(x);
        const show = (t: Transfer) => (t.ok ? `${t.mbps} MB/s` : `FAILED (${t.error})`);
        console.log(
          `rep ${rep + 1}/${args.reps} ${s.spec.label}: push ${show(x.push)}, pull ${show(x.pull)}`,
        );
      }
    }

    // Peak RSS: nginx master + workers (they live through the whole bench), registry (max over restarts).
    const memory: Record<string, unknown> = {};
    for (const s of setups) {
      const nginx = s.nginxPids().map((pid) => ({ pid, peakKiB: peakRssKiB(pid) }));
      await s.stop();
      memory[s.spec.id] = {
        registryPeakRssMiB: round(s.peakRegistryKiB / 1024, 1),
        ...(nginx.length
          ? {
              nginxPeakRssMiB: round(nginx.reduce((t, p) => t + p.peakKiB, 0) / 1024, 1),
              nginxProcesses: nginx.length,
              nginxPerProcessPeakMiB: nginx.map((p) => round(p.peakKiB / 1024, 1)),
            }
          : {}),
      };
    }
    setups.length = 0;
    const loadAfterTransfers = loadAverage();
    const transfersMs = Date.now() - started;

    const configurations: Record<string, unknown> = {};
    const med = (id: string, dir: "push" | "pull") => {
      const xs = (samples.get(id) ?? [])
        .map((x) => x[dir])
        .filter((t) => t.ok)
        .map((t) => t.mbps!);
      return median(xs);
    };
    for (const spec of specs) {
      const xs = samples.get(spec.id)!;
      const part = (dir: "push" | "pull") => ({
        medianMBps: round(med(spec.id, dir), 1),
        samplesMBps: xs.map((x) => x[dir].mbps),
        failures: xs.filter((x) => !x[dir].ok).map((x) => x[dir].error),
        medianCpuSeconds: {
          nginx: round(median(xs.map((x) => x[dir].cpu.nginx)), 2),
          registry: round(median(xs.map((x) => x[dir].cpu.registry)), 2),
          skopeo: round(median(xs.map((x) => x[dir].cpu.skopeo)), 2),
        },
        ...(xs.some((x) => x[dir].note) ? { note: xs.find((x) => x[dir].note)![dir].note } : {}),
      });
      configurations[spec.id] = {
        label: spec.label,
        push: part("push"),
        pull: part("pull"),
        samples: xs,
      };
    }
    const ref = "registry-tls";
    const gen = "nginx-generated";
    const results: Record<string, unknown> = {
      date: new Date().toISOString(),
      machine: machine(),
      versions: versions(),
      load: { before: loadBefore, afterTransfers: loadAfterTransfers },
      image: { bytes, layers: args.layers, sizeMiB: args.sizeMiB, buildMs },
      repetitions: args.reps,
      push: {
        ratio: round(ratio(med(gen, "push"), med(ref, "push")), 3),
        pairedRatio: round(pairedRatio(samples, gen, ref, "push"), 3),
      },
      pull: {
        ratio: round(ratio(med(gen, "pull"), med(ref, "pull")), 3),
        pairedRatio: round(pairedRatio(samples, gen, ref, "pull"), 3),
      },
      configurations,
      memory,
      transfersMs,
    };
    const variants = specs.filter((s) => s.id.startsWith("variant-"));
    if (variants.length)
      results.variantRatios = Object.fromEntries(
        variants.map((v) => [
          v.id,
          {
            push: round(ratio(med(v.id, "push"), med(ref, "push")), 3),
            pull: round(ratio(med(v.id, "pull"), med(ref, "pull")), 3),
            pairedPush: round(pairedRatio(samples, v.id, ref, "push"), 3),
            pairedPull: round(pairedRatio(samples, v.id, ref, "pull"), 3),
          },
        ]),
      );

    const rows: (string | number | null)[][] = [
      [
        "configuration",
        "push MB/s",
        "push samples",
        "pull MB/s",
        "pull samples",
        "push/pull vs 1",
        "failures",
      ],
    ];
    for (const spec of specs) {
      const xs = samples.get(spec.id)!;
      const fails = [
        ...new Set(
          xs
            .flatMap((x) => [x.push, x.pull])
            .filter((t) => !t.ok)
            .map((t) => t.error),
        ),
      ];
      const pr = ratio(med(spec.id, "push"), med(ref, "push"));
      const qr = ratio(med(spec.id, "pull"), med(ref, "pull"));
      rows.push([
        spec.label,
        round(med(spec.id, "push"), 1),
        xs.map((x) => (x.push.ok ? x.push.mbps : "fail")).join(" "),
        round(med(spec.id, "pull"), 1),
        xs.map((x) => (x.pull.ok ? x.pull.mbps : "fail")).join(" "),
        `${pr === null ? "-" : pr.toFixed(2)} / ${qr === null ? "-" : qr.toFixed(2)}`,
        fails.join("; ").slice(0, 120),
      ]);
    }
    console.log("");
    console.log(table(rows));
    console.log("");
    // Where the CPU goes (median CPU seconds per transfer): on 2 cores a transfer is CPU-bound,
    // so what a proxy adds here shows up in the wall time.
    const cpuRows: (string | number | null)[][] = [
      [
        "CPU s per transfer",
        "push nginx",
        "registry",
        "skopeo",
        "total",
        "pull nginx",
        "registry",
        "skopeo",
        "total",
      ],
    ];
    for (const spec of specs) {
      const c = configurations[spec.id] as Record<
        "push" | "pull",
        { medianCpuSeconds: Record<string, number | null>; failures: unknown[] }
      >;
      const cells = (dir: "push" | "pull") => {
        const m = c[dir].medianCpuSeconds;
        const ok = c[dir].failures.length < args.reps;
        const total = ok ? round((m.nginx ?? 0) + (m.registry ?? 0) + (m.skopeo ?? 0), 2) : null;
        return ok ? [m.nginx, m.registry, m.skopeo, total] : [null, null, null, null];
      };
      cpuRows.push([spec.label, ...cells("push"), ...cells("pull")]);
    }
    console.log(table(cpuRows));
    console.log("");
    const r = (x: unknown) => x as { ratio: number | null; pairedRatio: number | null };
    console.log(
      `ratio 2/1 (of medians): push ${r(results.push).ratio}, pull ${r(results.pull).ratio}` +
        `  [median of per-repetition ratios: push ${r(results.push).pairedRatio}, pull ${r(results.pull).pairedRatio}]`,
    );
    if (results.variantRatios) console.log(`variants/1: ${JSON.stringify(results.variantRatios)}`);
    console.log(
      `image: ${(bytes / 1e6).toFixed(0)} MB in ${args.layers} layers; load before ${loadBefore.join(" ")}, after ${loadAfterTransfers.join(" ")}`,
    );
    console.log(`memory (peak RSS): ${JSON.stringify(memory)}`);

    fs.rmSync(work, { recursive: true, force: true });
    if (args.render) {
      results.render = await renderTimes();
      console.log(`render: ${JSON.stringify(results.render)}`);
    }
    if (args.jest !== "none") {
      console.log(`timing jest (${args.jest})...`);
      results.tests = await jestTime(args.jest);
      console.log(`tests: ${JSON.stringify(results.tests)}`);
    }
    results.totalMs = Date.now() - started;
    fs.mkdirSync(path.dirname(args.out), { recursive: true });
    fs.writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`);
    console.log(
      `wrote ${path.relative(process.cwd(), args.out)} (bench took ${((results.totalMs as number) / 1000).toFixed(0)} s)`,
    );
    return 0;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
