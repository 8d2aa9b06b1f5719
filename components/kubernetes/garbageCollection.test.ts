/**
 * The garbage-collection pod's steps, run for real with bash and sh: `kubectl` and
 * `registry` are stand-ins on PATH that log their calls and play the cluster's part
 * (pods that take a while to go, a collector that fails, an API that errors). What
 * runs is the exact command of each container in the rendered CronJob.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ICronJob } from "kubernetes-models/batch/v1/CronJob";
import type { IContainer } from "kubernetes-models/v1/Container";
import { GC_FAILED_EXIT_CODE } from "./garbageCollection";
import { contentChecksum, registryConfigYaml, renderManifests } from "./manifests";
import { kubernetesSettings } from "./settings";

function gcPod(raw: Record<string, unknown>) {
  const settings = kubernetesSettings.parse({ ...raw, garbageCollection: { enabled: true } });
  const secretValues = { httpSecret: "h", htpasswd: "ci:x\n" };
  const m = renderManifests({
    instance: "registry",
    settings,
    secretValues,
    checksum: contentChecksum(registryConfigYaml(settings), secretValues),
  });
  return (m.garbageCollection!.cronJob as unknown as ICronJob).spec!.jobTemplate.spec!.template
    .spec!;
}

interface Cluster {
  /** How many times `kubectl get pods` still lists a registry pod. */
  podsLeft: number;
  /** `kubectl get pods` fails (API unreachable). */
  getFails?: boolean;
  /** The collector's exit code. */
  gcExit: number;
  stopTimeoutSeconds?: number;
}

/** Runs the pod's containers as the kubelet would: init containers in order, then the main one. */
function runPod(raw: Record<string, unknown>, cluster: Cluster) {
  const pod = gcPod(raw);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gc-steps-"));
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  const log = path.join(dir, "calls.log");
  const podsLeft = path.join(dir, "pods-left");
  fs.writeFileSync(log, "");
  fs.writeFileSync(podsLeft, String(cluster.podsLeft));
  fs.writeFileSync(
    path.join(bin, "kubectl"),
    [
      "#!/bin/bash",
      'echo "kubectl $*" >> "$FAKE_LOG"',
      'if [[ "$*" == *"get pods"* ]]; then',
      `  ${cluster.getFails ? "exit 1" : ":"}`,
      '  n=$(cat "$FAKE_PODS_LEFT")',
      '  if [ "$n" -gt 0 ]; then echo pod/registry-7d9c; echo $((n - 1)) > "$FAKE_PODS_LEFT"; fi',
      "fi",
    ].join("\n"),
    { mode: 0o755 },
  );
  fs.writeFileSync(
    path.join(bin, "registry"),
    `#!/bin/sh\necho "registry $*" >> "$FAKE_LOG"\nexit ${cluster.gcExit}\n`,
    { mode: 0o755 },
  );

  const run = (c: IContainer) => {
    const env: Record<string, string> = {
      PATH: `${bin}:${process.env.PATH}`,
      FAKE_LOG: log,
      FAKE_PODS_LEFT: podsLeft,
    };
    for (const e of c.env ?? []) env[e.name] = e.value ?? "";
    env.NAMESPACE = "registry"; // the downward API's metadata.namespace
    env.GC_STATUS_FILE = path.join(dir, "gc-status"); // the shared emptyDir
    env.HOME = dir;
    if (cluster.stopTimeoutSeconds !== undefined)
      env.STOP_TIMEOUT_SECONDS = String(cluster.stopTimeoutSeconds);
    const [file, ...args] = c.command!;
    const r = spawnSync(file, args, { env, encoding: "utf8", timeout: 60_000 });
    return { name: c.name, status: r.status, stderr: r.stderr };
  };

  const steps: ReturnType<typeof run>[] = [];
  let failed = false;
  for (const c of pod.initContainers ?? []) {
    const r = run(c);
    steps.push(r);
    if (r.status !== 0) {
      failed = true;
      break;
    }
  }
  if (!failed) for (const c of pod.containers) steps.push(run(c));
  const calls = fs.readFileSync(log, "utf8").trim().split("\n");
  fs.rmSync(dir, { recursive: true, force: true });
  return { steps, calls };
}

const STOP = "kubectl --namespace registry scale deployment/registry --replicas=0";
const LIST =
  "kubectl --namespace registry get pods --selector app.kubernetes.io/name=registry,app.kubernetes.io/instance=registry,app.kubernetes.io/component=server --output name";
const COLLECT = "registry garbage-collect /etc/docker/registry/config.yml";

describe("the garbage-collection steps", () => {
  test("stop, wait until the pods are gone, collect, start again", () => {
    const { steps, calls } = runPod({}, { podsLeft: 2, gcExit: 0 });
    expect(steps.map((s) => [s.name, s.status])).toEqual([
      ["stop-registry", 0],
      ["garbage-collect", 0],
      ["start-registry", 0],
    ]);
    expect(calls).toEqual([
      STOP,
      LIST,
      LIST,
      LIST,
      COLLECT,
      "kubectl --namespace registry scale deployment/registry --replicas=1",
    ]);
  });

  test("object storage: the registry comes back with its configured replicas", () => {
    const s3 = { driver: "s3", s3: { bucket: "b", region: "r" } };
    const { calls } = runPod({ storage: s3, replicas: 3 }, { podsLeft: 0, gcExit: 0 });
    expect(calls.at(-1)).toBe(
      "kubectl --namespace registry scale deployment/registry --replicas=3",
    );
  });

  test("a failed collection still starts the registry, then fails the Job (exit 3: no retry)", () => {
    const { steps, calls } = runPod({}, { podsLeft: 0, gcExit: 1 });
    expect(steps.map((s) => [s.name, s.status])).toEqual([
      ["stop-registry", 0],
      ["garbage-collect", 0],
      ["start-registry", GC_FAILED_EXIT_CODE],
    ]);
    expect(calls.at(-1)).toBe(
      "kubectl --namespace registry scale deployment/registry --replicas=1",
    );
    expect(steps[2].stderr).toContain("garbage collection failed (status 1)");
  });

  test("pods that never stop: no collection, the registry is started again, the step fails", () => {
    const { steps, calls } = runPod({}, { podsLeft: 1000, gcExit: 0, stopTimeoutSeconds: 2 });
    expect(steps.map((s) => [s.name, s.status])).toEqual([["stop-registry", 1]]);
    expect(calls).not.toContain(COLLECT);
    expect(calls.at(-1)).toBe(
      "kubectl --namespace registry scale deployment/registry --replicas=1",
    );
  });

  test("an API error while listing pods is not taken for 'no pods left'", () => {
    const { steps, calls } = runPod(
      {},
      { podsLeft: 0, getFails: true, gcExit: 0, stopTimeoutSeconds: 2 },
    );
    expect(steps.map((s) => [s.name, s.status])).toEqual([["stop-registry", 1]]);
    expect(calls).not.toContain(COLLECT);
    expect(calls.at(-1)).toBe(
      "kubectl --namespace registry scale deployment/registry --replicas=1",
    );
  });
});
