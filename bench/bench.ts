/**
 * npm run bench [-- options]
 *
 * Pushes and pulls two shapes of image with skopeo, on 127.0.0.1, through several
 * configurations each, interleaved, several repetitions, medians in MB/s (10^6 bytes of
 * blob data per second); see bench/lib/scenarios.ts and docs/PERFORMANCE.md:
 *   bigLayers: 1 GiB in 4 layers, the generated nginx vs the registry's own TLS;
 *   ciImage: a CI-like image through each self-hosted backend's rendered data path vs the
 *     same path with no auth (and at the old bcrypt cost 10).
 * Writes bench/results.json and a dated copy under bench/results/. Also times render per
 * stack and the unit tests. Options: --shapes bigLayers,ciImage --size-mib N (1024)
 * --layers N (4) --reps N (3) --ci-reps N (5) --recipes (also configurations 3 and 4)
 * --configs id,id --variant NAME=TEMPLATE (an extra nginx config in the bigLayers shape,
 * registry as in 2) --no-render --no-jest --jest-all --no-dated --out FILE --work DIR.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { buildImage } from "../tests/support/images";
import { installCommand, missingTools, type Tool } from "../tests/support/tools";
import { makeTls, type BenchTls } from "./lib/certs";
import { renderBackends } from "./lib/dataPaths";
import { defaultWorkDir, jestTime, machine, renderTimes, versions } from "./lib/environment";
import { loadAverage } from "./lib/proc";
import { configurations, cpuTable, ratiosOf, speedTable } from "./lib/report";
import { imageBytes, runRepetitions, type MeasuredImage } from "./lib/runner";
import {
  BIG_LAYER_PAIRS,
  CI_IMAGE_LAYERS,
  bigLayerSetups,
  bigLayerSizes,
  ciImagePairs,
  ciImageSetups,
  type Scenario,
  type ShapeId,
} from "./lib/scenarios";
import { RunningSetup, templateConfig } from "./lib/setups";
import { median, round } from "./lib/stats";

const ROOT = path.resolve(__dirname, "..");

export interface Args {
  shapes: ShapeId[];
  sizeMiB: number;
  layers: number;
  reps: number;
  ciReps: number;
  /** Also measure configurations 3 and 4 (the recipe and seed 003) in the bigLayers shape. */
  recipes: boolean;
  configs?: string[];
  variants: { name: string; file: string }[];
  render: boolean;
  jest: "unit" | "all" | "none";
  dated: boolean;
  out: string;
  work?: string;
}

export function parseArgs(argv: string[]): Args {
  const a: Args = {
    shapes: ["bigLayers", "ciImage"],
    sizeMiB: 1024,
    layers: 4,
    reps: 3,
    ciReps: 5,
    recipes: false,
    variants: [],
    render: true,
    jest: "unit",
    dated: true,
    out: path.join(ROOT, "bench", "results.json"),
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    const n = () => {
      const x = Number(v());
      if (!Number.isInteger(x) || x < 1) throw new Error(`${k} needs a whole number above 0`);
      return x;
    };
    if (k === "--shapes") a.shapes = v().split(",") as ShapeId[];
    else if (k === "--size-mib") a.sizeMiB = n();
    else if (k === "--layers") a.layers = n();
    else if (k === "--reps") a.reps = n();
    else if (k === "--ci-reps") a.ciReps = n();
    else if (k === "--configs") a.configs = v().split(",");
    else if (k === "--recipes") a.recipes = true;
    else if (k === "--variant") {
      const [name, file] = v().split("=");
      a.variants.push({ name, file: path.resolve(file) });
    } else if (k === "--no-render") a.render = false;
    else if (k === "--no-jest") a.jest = "none";
    else if (k === "--jest-all") a.jest = "all";
    else if (k === "--no-dated") a.dated = false;
    else if (k === "--out") a.out = path.resolve(v());
    else if (k === "--work") a.work = path.resolve(v());
    else throw new Error(`unknown option ${k}`);
  }
  for (const s of a.shapes)
    if (s !== "bigLayers" && s !== "ciImage") throw new Error(`unknown shape ${s}`);
  return a;
}

/** The scenarios this run measures, with --configs and --variant applied. */
async function scenarios(args: Args): Promise<Scenario[]> {
  const files = await renderBackends();
  const keep = <T extends { id: string }>(xs: T[]) =>
    xs.filter((x) => !args.configs || args.configs.includes(x.id));
  const out: Scenario[] = [];
  if (args.shapes.includes("bigLayers")) {
    const all = bigLayerSetups(files.vm);
    const setups = keep(args.recipes || args.configs ? all : all.slice(0, 3));
    const reference = all[1];
    for (const v of args.variants)
      setups.push({
        ...reference,
        id: `variant-${v.name}`,
        label: `variant ${v.name}`,
        nginx: templateConfig(fs.readFileSync(v.file, "utf8")),
      });
    const pairs = [
      ...BIG_LAYER_PAIRS.filter((p) => setups.some((s) => s.id === p.id)),
      ...args.variants.map((v) => ({
        name: `variant-${v.name}`,
        id: `variant-${v.name}`,
        reference: "registry-tls",
      })),
    ];
    out.push({
      shape: "bigLayers",
      layerSizes: bigLayerSizes(args.sizeMiB, args.layers),
      setups,
      pairs,
    });
  }
  if (args.shapes.includes("ciImage"))
    out.push({
      shape: "ciImage",
      layerSizes: CI_IMAGE_LAYERS,
      setups: keep(ciImageSetups(files)),
      pairs: ciImagePairs(),
    });
  return out;
}

function measuredImage(work: string, tag: string, layerSizes: number[]): MeasuredImage {
  const image = buildImage(work, { tag, layerSizes });
  return { image, bytes: imageBytes(image) };
}

/** Builds the shape's image, starts its configurations, measures, stops them, sums up. */
async function runScenario(
  sc: Scenario,
  reps: number,
  work: string,
  tls: BenchTls,
  warm: MeasuredImage,
) {
  const started = Date.now();
  console.log(`${sc.shape}: building ${sc.layerSizes.length} layers of fresh random data...`);
  const m = measuredImage(work, sc.shape, sc.layerSizes);
  const buildMs = Date.now() - started;
  const running: RunningSetup[] = [];
  try {
    for (const spec of sc.setups) {
      const s = new RunningSetup(spec, { work, tls });
      running.push(s);
      await s.start();
    }
    const samples = await runRepetitions(running, reps, m, warm, work);
    const memory = Object.fromEntries(running.map((s) => [s.spec.id, s.memory()]));
    const summary = configurations(sc.setups, samples);
    const refOf = new Map(sc.pairs.map((p) => [p.id, p.reference]));
    console.log(
      `\n${sc.shape}\n${speedTable(sc.setups, summary, samples, (id) => refOf.get(id))}\n`,
    );
    console.log(`${cpuTable(sc.setups, summary, reps)}\n`);
    fs.rmSync(m.image.layout, { recursive: true, force: true });
    return {
      image: { bytes: m.bytes, layers: sc.layerSizes.length, layerBytes: sc.layerSizes, buildMs },
      repetitions: reps,
      ratios: ratiosOf(samples, sc.pairs),
      configurations: summary,
      memory,
      ms: Date.now() - started,
      loadAfter: loadAverage(),
    };
  } finally {
    for (const s of running) await s.stop().catch(() => undefined);
  }
}

type ScenarioResult = Awaited<ReturnType<typeof runScenario>>;

/** results.json's headline figures: big layers as before; the CI image's lowest backend. */
export function headline(results: Partial<Record<ShapeId, ScenarioResult>>) {
  const big = results.bigLayers?.ratios.generated;
  const ci = results.ciImage?.ratios ?? {};
  const backends = ["vm", "docker", "kubernetes"].filter((b) => ci[b]);
  const lowest = (dir: "push" | "pull", k: "ratio" | "pairedRatio") => {
    const xs = backends.map((b) => ci[b][dir][k]);
    return xs.some((x) => x === null) || !xs.length ? null : Math.min(...(xs as number[]));
  };
  const ciDir = (dir: "push" | "pull") => ({
    ratio: lowest(dir, "ratio"),
    pairedRatio: lowest(dir, "pairedRatio"),
    byBackend: Object.fromEntries(backends.map((b) => [b, ci[b][dir]])),
  });
  return {
    push: big?.push ?? null,
    pull: big?.pull ?? null,
    ciImage: results.ciImage
      ? { push: ciDir("push"), pull: ciDir("pull"), ...results.ciImage }
      : undefined,
    bigLayers: results.bigLayers,
  };
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
  process.on(
    "SIGINT",
    () => (fs.rmSync(work, { recursive: true, force: true }), process.exit(130)),
  );
  const measured: Partial<Record<ShapeId, ScenarioResult>> = {};
  try {
    const tls = makeTls(path.join(work, "tls"));
    const warm = measuredImage(work, "warm", [8 * 1048576, 4096]);
    for (const sc of await scenarios(args))
      measured[sc.shape] = await runScenario(
        sc,
        sc.shape === "ciImage" ? args.ciReps : args.reps,
        work,
        tls,
        warm,
      );
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: machine(),
    versions: versions(),
    load: {
      before: loadBefore,
      ...Object.fromEntries(Object.entries(measured).map(([k, v]) => [`after ${k}`, v.loadAfter])),
    },
    ...headline(measured),
  };
  console.log(
    `big layers, generated/registry TLS: push ${JSON.stringify(results.push)}, pull ${JSON.stringify(results.pull)}`,
  );
  const ci = results.ciImage as { push: unknown; pull: unknown } | undefined;
  if (ci)
    console.log(
      `CI image, auth/no auth: push ${JSON.stringify(ci.push)}, pull ${JSON.stringify(ci.pull)}`,
    );
  if (args.render) results.render = await renderTimes();
  if (args.jest !== "none") {
    console.log(`timing jest (${args.jest})...`);
    results.tests = await jestTime(args.jest);
  }
  results.totalMs = Date.now() - started;
  results.loadMedian = median([
    loadBefore[0],
    ...Object.values(measured).map((m) => m.loadAfter[0]),
  ]);
  const text = `${JSON.stringify(results, null, 2)}\n`;
  fs.mkdirSync(path.dirname(args.out), { recursive: true });
  fs.writeFileSync(args.out, text);
  if (args.dated) {
    const dated = path.join(
      ROOT,
      "bench",
      "results",
      `${String(results.date).slice(0, 16).replace(":", "")}Z.json`,
    );
    fs.mkdirSync(path.dirname(dated), { recursive: true });
    fs.writeFileSync(dated, text);
    console.log(`wrote ${path.relative(process.cwd(), dated)}`);
  }
  console.log(
    `wrote ${path.relative(process.cwd(), args.out)} (bench took ${round((results.totalMs as number) / 1000, 0)} s)`,
  );
  return 0;
}

if (require.main === module)
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exit(1);
    },
  );
