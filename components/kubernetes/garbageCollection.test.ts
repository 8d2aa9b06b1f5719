/**
 * The garbage-collection script, run for real: the exact command of the rendered
 * CronJob's container, under dash and under busybox sh (the shell of Alpine-based
 * kubectl images). `kubectl` is a stand-in on PATH that records every call and plays
 * the cluster: pod listings (evicted and terminating pods included), API errors, a
 * rollout that times out. Its `exec` runs the remote command here, as the registry
 * container would, with a stand-in `registry` collector that succeeds, fails or hangs.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import bcrypt from "bcryptjs";
import type { ICronJob } from "kubernetes-models/batch/v1/CronJob";
import type { IContainer } from "kubernetes-models/v1/Container";
import { httpGet } from "../../tests/support/http";
import { startRegistry } from "../../tests/support/registry";
import { describeWithTools, run, tool } from "../../tests/support/tools";
import { registryConfigYaml, renderManifests } from "./plan";
import { contentChecksum } from "./secretValues";
import { kubernetesSettings } from "./settings";

function render(raw: Record<string, unknown> = {}) {
  const settings = kubernetesSettings.parse({
    ...raw,
    garbageCollection: { enabled: true, ...(raw.garbageCollection as object) },
  });
  const secretValues = { httpSecret: "h", htpasswd: `ci:${bcrypt.hashSync("ci-password", 4)}\n` };
  const m = renderManifests({
    instance: "registry",
    settings,
    secretValues,
    checksum: contentChecksum(registryConfigYaml(settings), secretValues),
  });
  const cron = m.garbageCollection!.cronJob as unknown as ICronJob;
  const container: IContainer = cron.spec!.jobTemplate.spec!.template.spec!.containers[0];
  return { settings, secretValues, container };
}

/** A registry pod as the API lists it. */
interface Pod {
  name: string;
  phase: "Running" | "Pending" | "Failed" | "Succeeded";
  readOnly?: boolean;
  terminating?: boolean;
}

interface Cluster {
  /** Successive answers to `kubectl get pods` (the last one repeats). */
  listings: Pod[][];
  /** How many times switching to read-only, or back, fails first. */
  readOnlyFails?: number;
  readWriteFails?: number;
  /** `kubectl rollout status` times out. */
  rolloutFails?: boolean;
  collector?: "ok" | "fail" | "hang";
  /** Overrides of the container's env (tiny timeouts). */
  env?: Record<string, string>;
  /** Send SIGTERM (as the kubelet does on eviction or the Job's deadline) once the collector runs. */
  sigtermDuringCollection?: boolean;
}

const STAND_IN_KUBECTL = String.raw`#!/bin/bash
# Records the call (arguments separated by \x1f), then plays the cluster's part.
{ printf '%s\x1f' kubectl "$@"; printf '\n'; } >> "$FAKE/calls"
[ "$1" = --namespace ] && shift 2
case "$1 $2" in
"set env")
  for last in "$@"; do :; done
  if [[ "$last" == *- ]]; then mode=read-write; else mode=read-only; fi
  n=$(cat "$FAKE/fail-$mode")
  if [ "$n" -gt 0 ]; then
    echo $((n - 1)) > "$FAKE/fail-$mode"
    echo "error: the server is currently unable to handle the request" >&2
    exit 1
  fi
  echo "deployment.apps/registry env updated" ;;
"rollout status")
  if [ -e "$FAKE/rollout-fails" ]; then echo "error: timed out waiting for the condition" >&2; exit 1; fi
  echo 'deployment "registry" successfully rolled out' ;;
"get pods")
  i=$(cat "$FAKE/listing")
  [ -e "$FAKE/listing-$((i + 1))" ] && echo $((i + 1)) > "$FAKE/listing"
  running_only=""
  [[ " $* " == *" --field-selector status.phase=Running "* ]] && running_only=1
  while read -r name phase flags; do
    [ -n "$running_only" ] && [ "$phase" != Running ] && continue
    if [ -n "$flags" ]; then echo "$name $flags"; else echo "$name"; fi
  done < "$FAKE/listing-$i" ;;
"exec "*)
  while [ "$1" != -- ]; do shift; done
  shift
  exec "$@" ;;
*)
  echo "stand-in kubectl: unexpected call: $*" >&2
  exit 99 ;;
esac
`;

const STAND_IN_REGISTRY = String.raw`#!/bin/sh
{ printf '%s\037' registry "$@"; printf '\n'; } >> "$FAKE/calls"
echo $$ > "$FAKE/registry.pid"
case "$(cat "$FAKE/collector")" in
ok) exit 0 ;;
fail) echo "failed to garbage collect: filesystem: Path not found" >&2; exit 1 ;;
hang) exec sleep 120 ;;
esac
`;

/** Stands in for pkill in the registry container: stops the stand-in collector only. */
const STAND_IN_PKILL = String.raw`#!/bin/sh
{ printf '%s\037' pkill "$@"; printf '\n'; } >> "$FAKE/calls"
kill "$(cat "$FAKE/registry.pid")" 2>/dev/null || exit 1
`;

const SHELLS: { name: string; argv0: string[] }[] = [
  { name: "dash", argv0: ["/usr/bin/dash"] },
  { name: "busybox sh", argv0: [tool("busybox"), "sh"] },
];

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  calls: string[][];
  seconds: number;
  collectorAlive: boolean;
}

async function runScript(shell: string[], cluster: Cluster, raw = {}): Promise<Outcome> {
  const { container } = render(raw);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gc-script-"));
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, "kubectl"), STAND_IN_KUBECTL, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, "registry"), STAND_IN_REGISTRY, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, "pkill"), STAND_IN_PKILL, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, "calls"), "");
  fs.writeFileSync(path.join(dir, "fail-read-only"), String(cluster.readOnlyFails ?? 0));
  fs.writeFileSync(path.join(dir, "fail-read-write"), String(cluster.readWriteFails ?? 0));
  if (cluster.rolloutFails) fs.writeFileSync(path.join(dir, "rollout-fails"), "");
  fs.writeFileSync(path.join(dir, "collector"), cluster.collector ?? "ok");
  fs.writeFileSync(path.join(dir, "listing"), "1");
  cluster.listings.forEach((pods, i) =>
    fs.writeFileSync(
      path.join(dir, `listing-${i + 1}`),
      pods
        .map((p) => {
          const flags = [p.readOnly && "read-only", p.terminating && "terminating"].filter(Boolean);
          return `${p.name} ${p.phase} ${flags.join(" ")}\n`;
        })
        .join(""),
    ),
  );

  // The container's env as rendered; the downward API gives NAMESPACE.
  const env: Record<string, string> = { PATH: `${bin}:/usr/bin:/bin`, FAKE: dir };
  for (const e of container.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
  env.NAMESPACE = "registry";
  env.HOME = dir;
  env.POLL_SECONDS = "0";
  Object.assign(env, cluster.env);

  const [sh, dashC, script] = container.command!;
  expect([sh, dashC]).toEqual(["/bin/sh", "-c"]);
  const started = Date.now();
  const child = spawn(shell[0], [...shell.slice(1), "-c", script], { env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  let poll: NodeJS.Timeout | undefined;
  if (cluster.sigtermDuringCollection)
    poll = setInterval(() => {
      // The stand-in collector writes its pid once it runs.
      if (fs.existsSync(path.join(dir, "registry.pid"))) {
        clearInterval(poll);
        child.kill("SIGTERM");
      }
    }, 50);
  const closed = new Promise((resolve) => child.on("close", resolve));
  // The shell's own exit: a collector it failed to stop may still hold its pipes.
  const code = await new Promise<number | null>((resolve) =>
    child.on("exit", (c, signal) => resolve(c ?? (signal ? -1 : null))),
  );
  clearTimeout(killer);
  if (poll) clearInterval(poll);
  const seconds = (Date.now() - started) / 1000;
  const calls = fs
    .readFileSync(path.join(dir, "calls"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split("\x1f").slice(0, -1));
  let collectorAlive = false;
  const pidFile = path.join(dir, "registry.pid");
  if (fs.existsSync(pidFile)) {
    const pid = Number(fs.readFileSync(pidFile, "utf8"));
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    // A signal takes a moment to land: give the stopped collector up to 2 s to go.
    for (let i = 0; i < 20 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
    collectorAlive = alive();
    if (collectorAlive) process.kill(pid, "SIGKILL");
  }
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
  fs.rmSync(dir, { recursive: true, force: true });
  return { code, stdout, stderr, calls, seconds, collectorAlive };
}

// The calls the script makes, as literal argument lists.
const K = ["kubectl", "--namespace", "registry"];
const SET_ENV = [...K, "set", "env", "deployment/registry", "--containers", "registry"];
const READ_ONLY = [...SET_ENV, 'REGISTRY_STORAGE_MAINTENANCE_READONLY={"enabled": true}'];
const READ_WRITE = [...SET_ENV, "REGISTRY_STORAGE_MAINTENANCE_READONLY-"];
const ROLLOUT = [...K, "rollout", "status", "deployment/registry", "--timeout", "300s"];
const LIST = [
  ...K,
  "get",
  "pods",
  "--selector",
  "app.kubernetes.io/name=registry,app.kubernetes.io/instance=registry,app.kubernetes.io/component=server",
  "--field-selector",
  "status.phase=Running",
  "--output",
  'go-template={{range .items}}{{.metadata.name}}{{range .spec.containers}}{{range .env}}{{if eq .name "REGISTRY_STORAGE_MAINTENANCE_READONLY"}} read-only{{end}}{{end}}{{end}}{{if .metadata.deletionTimestamp}} terminating{{end}}{{"\\n"}}{{end}}',
];
const CONFIG = "/etc/docker/registry/config.yml";
const IN_REGISTRY = (pod: string) => [...K, "exec", pod, "--container", "registry", "--"];
const COLLECT = ["registry", "garbage-collect", CONFIG];
const EXEC = (pod: string, timeout = "3600") => [
  ...IN_REGISTRY(pod),
  "timeout",
  timeout,
  ...COLLECT,
];
const STOP_COLLECTOR = (pod: string) => [
  ...IN_REGISTRY(pod),
  "pkill",
  "-f",
  "registry garbage-collect",
];
const PKILL = ["pkill", "-f", "registry garbage-collect"];
/** A collection that did not finish: the collector is stopped, then the registry made read-write. */
const UNFINISHED_COLLECTION = (timeout?: string) => [
  READ_ONLY,
  ROLLOUT,
  LIST,
  EXEC("registry-new", timeout),
  COLLECT,
  STOP_COLLECTOR("registry-new"),
  PKILL,
  READ_WRITE,
];

/** A collection that finished: read-write again, and the rollout waited for. */
const COLLECTED = [EXEC("registry-new"), COLLECT, READ_WRITE, ROLLOUT];

const NEW: Pod = { name: "registry-new", phase: "Running", readOnly: true };

describeWithTools("the garbage-collection script", ["busybox", "shellcheck"], () => {
  describe.each(SHELLS)("under $name", ({ argv0 }) => {
    test("read-only, wait until no pod accepts writes, collect in a read-only pod, read-write", async () => {
      const old: Pod = { name: "registry-old", phase: "Running", terminating: true };
      const r = await runScript(argv0, { listings: [[old, NEW], [NEW]] });
      // The old pod still runs, read-write: one more listing.
      expect(r.calls).toEqual([READ_ONLY, ROLLOUT, LIST, LIST, ...COLLECTED]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("garbage collection done; the registry is read-write again");
    });

    test("Failed, Evicted and Succeeded pods are ignored: they never stop a collection", async () => {
      const evicted: Pod[] = [
        { name: "registry-evicted", phase: "Failed" },
        { name: "registry-done", phase: "Succeeded" },
      ];
      const r = await runScript(argv0, { listings: [[...evicted, NEW]] });
      expect(r.calls).toEqual([READ_ONLY, ROLLOUT, LIST, ...COLLECTED]);
      expect(r.code).toBe(0);
    });

    test("with --delete-untagged, the collector gets it", async () => {
      const r = await runScript(
        argv0,
        { listings: [[NEW]] },
        { garbageCollection: { deleteUntagged: true } },
      );
      expect(r.calls[3]).toEqual([
        ...EXEC("registry-new").slice(0, -1),
        "--delete-untagged",
        CONFIG,
      ]);
      expect(r.code).toBe(0);
    });

    test("the switch to read-only fails: nothing collected, read-write asked for anyway, exit 1", async () => {
      const r = await runScript(argv0, { listings: [[NEW]], readOnlyFails: 1 });
      expect(r.calls).toEqual([READ_ONLY, READ_WRITE]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("the registry is read-write again");
    });

    test("the rollout does not finish in time: nothing collected, read-write again, exit 1", async () => {
      const r = await runScript(argv0, { listings: [[NEW]], rolloutFails: true });
      expect(r.calls).toEqual([READ_ONLY, ROLLOUT, READ_WRITE]);
      expect(r.code).toBe(1);
    });

    test("pods that never turn read-only: no collection after the timeout, read-write again", async () => {
      const stuck: Pod = { name: "registry-old", phase: "Running" };
      const r = await runScript(argv0, {
        listings: [[stuck]],
        env: { ROLLOUT_TIMEOUT_SECONDS: "2", POLL_SECONDS: "1" },
      });
      expect(r.calls[0]).toEqual(READ_ONLY);
      expect(r.calls.slice(2, -1).every((c) => c.join(" ") === LIST.join(" "))).toBe(true);
      expect(r.calls.slice(2, -1).length).toBeGreaterThanOrEqual(2);
      expect(r.calls.at(-1)).toEqual(READ_WRITE);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("registry pods not all read-only after 2s: no collection");
      expect(r.seconds).toBeLessThan(10);
    });

    test("the collector fails: read-write again, exit 3 (the Job fails without retrying)", async () => {
      const r = await runScript(argv0, { listings: [[NEW]], collector: "fail" });
      expect(r.calls).toEqual(UNFINISHED_COLLECTION());
      expect(r.code).toBe(3);
      expect(r.stderr).toContain("garbage collection failed (exit 1)");
    });

    test("a hung collection is killed at its timeout: read-write again, exit 3", async () => {
      const r = await runScript(argv0, {
        listings: [[NEW]],
        collector: "hang",
        env: { COLLECT_TIMEOUT_SECONDS: "1" },
      });
      expect(r.calls).toEqual(UNFINISHED_COLLECTION("1"));
      expect(r.code).toBe(3);
      expect(r.stderr).toContain("garbage collection failed (exit 124)");
      expect(r.seconds).toBeLessThan(10);
      expect(r.collectorAlive).toBe(false);
    });

    test("SIGTERM mid-collection (eviction, the Job's deadline): collector stopped, read-write at once, exit 143", async () => {
      const r = await runScript(argv0, {
        listings: [[NEW]],
        collector: "hang",
        sigtermDuringCollection: true,
      });
      expect(r.calls).toEqual(UNFINISHED_COLLECTION());
      expect(r.code).toBe(143);
      expect(r.seconds).toBeLessThan(10);
      expect(r.collectorAlive).toBe(false);
    });

    test("the API refuses read-write twice: retried until it takes", async () => {
      const r = await runScript(argv0, { listings: [[NEW]], readWriteFails: 2 });
      expect(r.calls.slice(-4)).toEqual([READ_WRITE, READ_WRITE, READ_WRITE, ROLLOUT]);
      expect(r.code).toBe(0);
    });

    test("the API never takes read-write: retried, then the command to run by hand, exit 1", async () => {
      const r = await runScript(argv0, { listings: [[NEW]], readWriteFails: 100 });
      const afterCollection = r.calls.slice(r.calls.findIndex((c) => c[0] === "registry") + 1);
      // Five tries in the main path, five more in the exit trap.
      expect(afterCollection).toEqual(Array(10).fill(READ_WRITE));
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        "could not make the registry read-write: run kubectl --namespace registry set env deployment/registry --containers registry REGISTRY_STORAGE_MAINTENANCE_READONLY-",
      );
    });
  });

  test("shellcheck finds nothing in the rendered script (POSIX sh)", () => {
    for (const raw of [{}, { garbageCollection: { deleteUntagged: true } }]) {
      const script = render(raw).container.command![2];
      expect(run(tool("shellcheck"), ["--shell=sh", "-"], { input: script })).toBe("");
    }
  });
});

describeWithTools(
  "the read-only switch, as the real registry reads it",
  ["docker-registry"],
  () => {
    test("the env value the script sets keeps pulls and refuses uploads; without it uploads start", async () => {
      // The value exactly as the script passes it to `kubectl set env`.
      const script = render().container.command![2];
      const assignment = /'(REGISTRY_STORAGE_MAINTENANCE_READONLY=[^']*)'/.exec(script)![1];
      const eq = assignment.indexOf("=");
      const readOnly = { [assignment.slice(0, eq)]: assignment.slice(eq + 1) };
      const { settings, secretValues } = render();
      const auth = { username: "ci", password: "ci-password" };
      for (const [env, uploadStatus] of [
        [readOnly, 405],
        [{}, 202],
      ] as const) {
        const registry = await startRegistry({
          configYml: registryConfigYaml(settings),
          htpasswd: secretValues.htpasswd,
          env: { REGISTRY_HTTP_SECRET: "h", ...env },
        });
        try {
          const base = `http://${registry.address}/v2`;
          expect((await httpGet(`${base}/`, auth)).status).toBe(200);
          const upload = await httpGet(`${base}/ci/app/blobs/uploads/`, {
            ...auth,
            method: "POST",
          });
          expect(upload.status).toBe(uploadStatus);
        } finally {
          await registry.stop();
          fs.rmSync(registry.dir, { recursive: true, force: true });
        }
      }
    });
  },
);
