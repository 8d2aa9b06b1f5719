/**
 * Clients for load and fault tests: skopeo as a child process that does not block the
 * test (so many run at once, and a fault can be injected while one runs), and the
 * registry API's HEAD requests for checking what is stored, digest by digest.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import { tool } from "./tools";

export interface CopyResult {
  ok: boolean;
  code: number | null;
  ms: number;
  stderr: string;
}

export interface Access {
  username: string;
  password: string;
  certDir: string;
}

/** skopeo copy, asynchronously; never rejects (the result says how it went). */
export function copyAsync(
  src: string,
  dest: string,
  opts: { src?: Access; dest?: Access; retryTimes?: number; timeoutMs?: number },
): Promise<CopyResult> {
  const flags = (side: "src" | "dest", a?: Access) =>
    a ? [`--${side}-creds`, `${a.username}:${a.password}`, `--${side}-cert-dir`, a.certDir] : [];
  const args = [
    "--insecure-policy",
    "copy",
    "--retry-times",
    String(opts.retryTimes ?? 0),
    ...flags("src", opts.src),
    ...flags("dest", opts.dest),
    src,
    dest,
  ];
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(tool("skopeo"), args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (b) => (stderr += b));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        ok: code === 0,
        code,
        ms: Date.now() - started,
        stderr: signal ? `${stderr}\nkilled by ${signal} (timeout)` : stderr,
      });
    });
  });
}

const MANIFEST_TYPES = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** HEAD on the registry API (through nginx, TLS verified against ca): status and digest. */
export function head(
  address: string,
  apiPath: string,
  opts: { ca: string; username: string; password: string },
): Promise<{ status: number; digest?: string; length?: number }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `https://${address}${apiPath}`,
      {
        method: "HEAD",
        ca: opts.ca,
        agent: false,
        timeout: 30_000,
        headers: {
          accept: MANIFEST_TYPES,
          authorization: `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString("base64")}`,
        },
      },
      (res) => {
        res.resume();
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            digest: res.headers["docker-content-digest"] as string | undefined,
            length: Number(res.headers["content-length"]),
          }),
        );
      },
    );
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error(`timeout: HEAD ${apiPath}`)));
    req.end();
  });
}

/** sha256 of every blob in an OCI layout, checked against its file name: the names of the bad ones. */
export function corruptBlobs(layout: string): string[] {
  const dir = path.join(layout, "blobs", "sha256");
  return fs.readdirSync(dir).filter((name) => {
    const hash = createHash("sha256").update(fs.readFileSync(path.join(dir, name)));
    return hash.digest("hex") !== name;
  });
}

/** Runs tasks with at most `limit` at once, in order; returns their results in order. */
export async function pool<T>(limit: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

/** The worker pids of an nginx master (from /proc): they change when a reload takes. */
export function childPids(pid: number): number[] {
  const file = `/proc/${pid}/task/${pid}/children`;
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .sort((a, b) => a - b);
}
