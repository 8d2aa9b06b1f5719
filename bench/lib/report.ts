/**
 * From samples to figures: each configuration's medians, samples, failures and CPU
 * seconds; the ratios of the measured pairs; the printed tables.
 */
import type { Sample, Transfer } from "./runner";
import type { RatioPair } from "./scenarios";
import type { SetupSpec } from "./setups";
import { median, ratio, round, table } from "./stats";

export type Direction = "push" | "pull";
export type Samples = Map<string, Sample[]>;

/** Median MB/s of the transfers that succeeded. */
export function medianMBps(samples: Samples, id: string, dir: Direction): number | null {
  const ok = (samples.get(id) ?? []).map((x) => x[dir]).filter((t) => t.ok);
  return median(ok.map((t) => t.mbps!));
}

/**
 * The median of per-repetition ratios (a configuration's sample over the reference's
 * sample of the same repetition, taken minutes apart at most): steadier than the ratio of
 * medians when other work on the machine comes and goes.
 */
export function pairedRatio(samples: Samples, id: string, ref: string, dir: Direction) {
  const a = samples.get(id) ?? [];
  const b = samples.get(ref) ?? [];
  const rs = a
    .map((x, i) => ratio(x[dir].ok ? x[dir].mbps : null, b[i]?.[dir].ok ? b[i][dir].mbps : null))
    .filter((r): r is number => r !== null);
  return median(rs);
}

export interface PairRatios {
  /** Ratio of the medians. */
  ratio: number | null;
  pairedRatio: number | null;
  /**
   * The reference's median CPU seconds (nginx + registry + skopeo) over this one's: the speed
   * ratio a CPU-bound transfer would have on an otherwise idle machine; other jobs' load
   * moves it far less than wall time.
   */
  cpuRatio: number | null;
}

/** Median of the CPU seconds all processes spent per successful transfer. */
export function medianCpuTotal(samples: Samples, id: string, dir: Direction): number | null {
  const ok = (samples.get(id) ?? []).map((x) => x[dir]).filter((t) => t.ok);
  return median(ok.map((t) => t.cpu.nginx + t.cpu.registry + t.cpu.skopeo));
}

export function pairRatios(samples: Samples, pair: RatioPair, dir: Direction): PairRatios {
  return {
    ratio: round(
      ratio(medianMBps(samples, pair.id, dir), medianMBps(samples, pair.reference, dir)),
      3,
    ),
    pairedRatio: round(pairedRatio(samples, pair.id, pair.reference, dir), 3),
    cpuRatio: round(
      ratio(medianCpuTotal(samples, pair.reference, dir), medianCpuTotal(samples, pair.id, dir)),
      3,
    ),
  };
}

/** Per pair, push and pull ratios; the first pair is the headline. */
export function ratiosOf(samples: Samples, pairs: RatioPair[]) {
  return Object.fromEntries(
    pairs.map((p) => [
      p.name,
      {
        of: `${p.id} / ${p.reference}`,
        push: pairRatios(samples, p, "push"),
        pull: pairRatios(samples, p, "pull"),
      },
    ]),
  );
}

function direction(xs: Sample[], dir: Direction) {
  const ts: Transfer[] = xs.map((x) => x[dir]);
  const cpu = (k: keyof Transfer["cpu"]) => round(median(ts.map((t) => t.cpu[k])), 2);
  const ok = ts.filter((t) => t.ok);
  return {
    medianMBps: round(median(ok.map((t) => t.mbps!)), 1),
    medianSeconds: round(median(ok.map((t) => t.ms / 1000)), 2),
    samplesMBps: ts.map((t) => t.mbps),
    failures: ts.filter((t) => !t.ok).map((t) => t.error),
    medianCpuSeconds: { nginx: cpu("nginx"), registry: cpu("registry"), skopeo: cpu("skopeo") },
    ...(ts[0]?.requests !== undefined
      ? { medianRequests: median(ts.map((t) => t.requests ?? 0)) }
      : {}),
    ...(ts.some((t) => t.note) ? { note: ts.find((t) => t.note)!.note } : {}),
  };
}

export function configurations(specs: SetupSpec[], samples: Samples) {
  return Object.fromEntries(
    specs.map((spec) => {
      const xs = samples.get(spec.id) ?? [];
      return [
        spec.id,
        {
          label: spec.label,
          push: direction(xs, "push"),
          pull: direction(xs, "pull"),
          samples: xs,
        },
      ];
    }),
  );
}

type Summary = ReturnType<typeof configurations>;

/** MB/s, seconds and samples per configuration, and the ratio to `reference`. */
export function speedTable(
  specs: SetupSpec[],
  summary: Summary,
  samples: Samples,
  reference: (id: string) => string | undefined,
): string {
  const rows: (string | number | null)[][] = [
    [
      "configuration",
      "push MB/s",
      "s",
      "samples",
      "pull MB/s",
      "s",
      "samples",
      "push/pull vs ref",
      "failures",
    ],
  ];
  for (const spec of specs) {
    const c = summary[spec.id];
    const ref = reference(spec.id);
    const r = (dir: Direction) => {
      const x = ref
        ? ratio(medianMBps(samples, spec.id, dir), medianMBps(samples, ref, dir))
        : null;
      return x === null ? "-" : x.toFixed(2);
    };
    const fails = [...new Set([...c.push.failures, ...c.pull.failures])];
    rows.push([
      spec.label,
      c.push.medianMBps,
      c.push.medianSeconds,
      c.push.samplesMBps.map((x) => x ?? "fail").join(" "),
      c.pull.medianMBps,
      c.pull.medianSeconds,
      c.pull.samplesMBps.map((x) => x ?? "fail").join(" "),
      `${r("push")} / ${r("pull")}`,
      fails.join("; ").slice(0, 120),
    ]);
  }
  return table(rows);
}

/** Median CPU seconds per transfer and process: on 2 cores what a proxy or auth adds shows in the wall time. */
export function cpuTable(specs: SetupSpec[], summary: Summary, reps: number): string {
  const rows: (string | number | null)[][] = [
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
    const cells = (dir: Direction) => {
      const { medianCpuSeconds: m, failures } = summary[spec.id][dir];
      if (failures.length >= reps) return [null, null, null, null];
      return [
        m.nginx,
        m.registry,
        m.skopeo,
        round((m.nginx ?? 0) + (m.registry ?? 0) + (m.skopeo ?? 0), 2),
      ];
    };
    rows.push([spec.label, ...cells("push"), ...cells("pull")]);
  }
  return table(rows);
}
