/**
 * One push and one pull of an image through a running configuration, timed with skopeo,
 * checked (every byte stored, the uploads through nginx, the same manifest back), with
 * the CPU each process spent; and the interleaved repetitions of a scenario.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { ociManifest, type BuiltImage } from "../../tests/support/images";
import { tool } from "../../tests/support/tools";
import { childrenCpuSeconds, cpuSeconds, runTimed } from "./proc";
import type { RunningSetup } from "./setups";
import { mbPerSecond, round } from "./stats";

export interface Transfer {
  ok: boolean;
  ms: number;
  mbps: number | null;
  error?: string;
  note?: string;
  /** CPU seconds spent during the transfer, per program. */
  cpu: { nginx: number; registry: number; skopeo: number };
  /** HTTP requests the transfer made, from nginx's access log (configurations with nginx). */
  requests?: number;
}

export interface Sample {
  rep: number;
  push: Transfer;
  pull: Transfer;
}

export interface MeasuredImage {
  image: BuiltImage;
  /** Bytes of blobs: manifest, config and layers. */
  bytes: number;
}

export function imageBytes(img: BuiltImage): number {
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
export function errorSummary(stderr: string): string {
  const status = /\b(\d{3}) \(?([A-Z][A-Za-z ]+[a-z])\)?/.exec(stderr);
  const last = stderr.trim().split("\n").pop() ?? "";
  const text = last
    .replace(/^time="[^"]*" level=\w+ msg="?/, "")
    .replace(/, <html>[\s\S]*$/, "")
    .slice(0, 300);
  return status ? `HTTP ${status[1]} ${status[2]}: ${text}` : text;
}

const SKOPEO_COMMON = ["--insecure-policy", "copy", "--retry-times", "0"];

function cpuSnapshot(s: RunningSetup): Transfer["cpu"] {
  return {
    nginx: s.nginxPids().reduce((t, p) => t + cpuSeconds(p), 0),
    registry: s.registryPid().reduce((t, p) => t + cpuSeconds(p), 0),
    skopeo: childrenCpuSeconds(),
  };
}

function accessLogSize(s: RunningSetup): number {
  const f = s.nginx?.paths.accessLogPath;
  return f && fs.existsSync(f) ? fs.statSync(f).size : 0;
}

function accessLogSince(s: RunningSetup, from: number): string {
  const f = s.nginx?.paths.accessLogPath;
  return f && fs.existsSync(f) ? fs.readFileSync(f).subarray(from).toString() : "";
}

/** One skopeo copy, timed, with the CPU each process spent meanwhile. */
async function timedCopy(s: RunningSetup, args: string[], bytes: number): Promise<Transfer> {
  const before = cpuSnapshot(s);
  const r = await runTimed(tool("skopeo"), [...SKOPEO_COMMON, ...args], { timeoutMs: 900_000 });
  const after = cpuSnapshot(s);
  const ok = r.code === 0;
  return {
    ok,
    ms: Math.round(r.ms),
    mbps: ok ? round(mbPerSecond(bytes, r.ms), 1) : null,
    cpu: {
      nginx: round(after.nginx - before.nginx, 2)!,
      registry: round(after.registry - before.registry, 2)!,
      skopeo: round(after.skopeo - before.skopeo, 2)!,
    },
    ...(ok ? {} : { error: errorSummary(r.stderr) }),
    ...(ok && /skipped: already exists/.test(r.stdout + r.stderr)
      ? { note: "skopeo skipped a layer" }
      : {}),
  };
}

function fail(t: Transfer, error: string): void {
  t.ok = false;
  t.mbps = null;
  t.error = error;
}

/** Pushes `m` into a new repository, checks it all arrived, pulls it back and checks it. */
export async function sample(
  s: RunningSetup,
  rep: number,
  m: MeasuredImage,
  work: string,
): Promise<Sample> {
  const { image, bytes } = m;
  const repo = `bench/${s.spec.id}-${rep}-${randomBytes(3).toString("hex")}`;
  const target = `docker://${s.endpoint}/${repo}:${image.tag}`;
  const creds = `${s.spec.username}:${s.spec.password}`;
  let logFrom = accessLogSize(s);
  const requestsSince = (from: number) =>
    s.nginx ? accessLogSince(s, from).split("\n").filter(Boolean).length : undefined;
  const push = await timedCopy(
    s,
    ["--dest-creds", creds, ...s.tlsFlags("dest"), image.ref, target],
    bytes,
  );
  push.requests = requestsSince(logFrom);
  if (push.ok) {
    const stored = s.storedBytes();
    if (push.note || stored < bytes * 0.99)
      fail(push, `push did not send every layer (stored ${stored} of ${bytes} bytes)`);
    else if (s.nginx && !/"(PATCH|PUT) /.test(accessLogSince(s, logFrom)))
      fail(
        push,
        "the layers did not go through nginx (the registry's Location sent the client around it)",
      );
  }
  let pullNote: string | undefined;
  if (!push.ok) {
    // Still measure the pull path: store the image straight into the registry, untimed.
    const direct = await runTimed(tool("skopeo"), [
      ...SKOPEO_COMMON,
      "--dest-tls-verify=false",
      ...(s.spec.registry.htpasswd ? ["--dest-creds", creds] : []),
      image.ref,
      `docker://${s.registryAddress}/${repo}:${image.tag}`,
    ]);
    if (direct.code !== 0) throw new Error(`storing the image directly failed: ${direct.stderr}`);
    pullNote =
      "the image was stored straight into the registry (the push through this configuration failed)";
  }
  logFrom = accessLogSize(s);
  const dest = path.join(work, `pulled-${randomBytes(4).toString("hex")}`);
  const pull = await timedCopy(
    s,
    ["--src-creds", creds, ...s.tlsFlags("src"), target, `oci:${dest}:${image.tag}`],
    bytes,
  );
  pull.requests = requestsSince(logFrom);
  if (pullNote) pull.note = pullNote;
  if (pull.ok && ociManifest(dest, image.tag).manifestDigest !== image.manifestDigest)
    fail(pull, "pulled a different manifest");
  fs.rmSync(dest, { recursive: true, force: true });
  await s.reset();
  return { rep, push, pull };
}

/**
 * The order of the configurations in repetition `rep`: rotated each repetition and
 * reversed every other one, so no configuration always goes first or always follows the
 * same neighbour.
 */
export function interleaved<T>(items: T[], rep: number): T[] {
  const rotated = items.map((_, i) => items[(i + rep) % items.length]);
  return rep % 2 ? rotated.reverse() : rotated;
}

/** A warm-up through each (not recorded), then `reps` interleaved repetitions. */
export async function runRepetitions(
  setups: RunningSetup[],
  reps: number,
  m: MeasuredImage,
  warm: MeasuredImage,
  work: string,
): Promise<Map<string, Sample[]>> {
  for (const s of setups) await sample(s, -1, warm, work);
  const samples = new Map<string, Sample[]>(setups.map((s) => [s.spec.id, []]));
  const show = (t: Transfer) => (t.ok ? `${t.mbps} MB/s` : `FAILED (${t.error})`);
  for (let rep = 0; rep < reps; rep++)
    for (const s of interleaved(setups, rep)) {
      const x = await sample(s, rep, m, work);
      samples.get(s.spec.id)!.push(x);
      console.log(
        `rep ${rep + 1}/${reps} ${s.spec.label}: push ${show(x.push)}, pull ${show(x.pull)}`,
      );
    }
  return samples;
}
