/**
 * Faults on the VM backend's data path (the generated nginx.conf, config.yml, htpasswd
 * and TLS served for real on 127.0.0.1, see support/vmStack.ts):
 * - the registry killed (SIGKILL) in the middle of a push, then started again as the
 *   compose restart policy would: the push fails, nothing half-made is served, the
 *   next push of the same image completes and verifies, images stored before survive;
 * - nginx reloaded (SIGHUP) at least RELOADS_AT_LEAST times during a pull: the pull
 *   completes with no retry (skopeo --retry-times 0) and the right digests, and the
 *   reloads really happened (nginx's worker processes were replaced).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildImage, ociManifest, type BuiltImage } from "./support/images";
import { httpGet } from "./support/http";
import { waitForPort } from "./support/processes";
import {
  childPids,
  copyAsync,
  corruptBlobs,
  head,
  type Access,
  type CopyResult,
} from "./support/registryClient";
import { describeWithTools } from "./support/tools";
import { startVmStack, type VmStack } from "./support/vmStack";

const PASSWORD = "vm-faults-test-password-8901";
const MiB = 1024 * 1024;
/** Big enough that the upload takes a while, so the kill lands inside it. */
const KILL_LAYERS = [48 * MiB, MiB];
/** Kill once this much of the big layer has reached the registry: well inside the upload. */
const KILL_AFTER = 8 * MiB;
/** The reload test's claim (docs/RELIABILITY.md): this many reloads inside one pull, no retry. */
const RELOADS_AT_LEAST = 4;
const RELOAD_EVERY_MS = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeWithTools(
  "vm data path under faults: registry killed mid-push, nginx reloaded mid-pull",
  ["nginx", "docker-registry", "skopeo", "umoci"],
  () => {
    let work: string;
    let stack: VmStack;
    let access: Access;
    let survivor: BuiltImage;
    let killed: BuiltImage | undefined;
    const figures: string[] = [];

    const api = () => ({ ca: stack.ca, username: stack.username, password: PASSWORD });
    const target = (repo: string) => `docker://${stack.address}/${repo}:v1`;
    const manifestOf = (repo: string) =>
      head(stack.address, `/v2/${repo}/manifests/v1`, api()).then((r) => r);

    /** Pulls repo:v1 into a new layout; checks it is `image`, blob for blob. */
    async function pullAndVerify(repo: string, image: BuiltImage, retryTimes = 0) {
      const layout = fs.mkdtempSync(path.join(work, "pulled-"));
      const result = await copyAsync(target(repo), `oci:${layout}:v1`, {
        src: access,
        retryTimes,
      });
      expect(result.ok ? "" : result.stderr).toBe("");
      expect(ociManifest(layout, "v1")).toEqual({
        manifestDigest: image.manifestDigest,
        layers: image.layers,
      });
      expect(corruptBlobs(layout)).toEqual([]);
      return result;
    }

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), "vm-faults-"));
      stack = await startVmStack(work, PASSWORD);
      access = { username: stack.username, password: PASSWORD, certDir: stack.certDir };
      survivor = buildImage(work, { tag: "v1", layerSizes: [2 * MiB, MiB] });
      const r = await copyAsync(survivor.ref, target("faults/survivor"), { dest: access });
      expect(r.ok ? "" : r.stderr).toBe("");
    }, 300_000);

    afterAll(async () => {
      await stack?.stop();
      if (work) fs.rmSync(work, { recursive: true, force: true });
      if (figures.length)
        console.log(
          [
            `vm data path fault figures (${new Date().toISOString().slice(0, 10)}):`,
            ...figures.map((f) => `  ${f}`),
          ].join("\n"),
        );
    });

    test("registry SIGKILLed mid-push: that push fails, the next push of the same image completes and verifies, earlier images survive", async () => {
      const repo = "faults/killed";
      const uploads = path.join(
        stack.registry.dataDir,
        "docker/registry/v2/repositories",
        repo,
        "_uploads",
      );
      /** Bytes the registry has received of the upload in progress (largest one). */
      const received = () =>
        fs.existsSync(uploads)
          ? Math.max(
              0,
              ...fs.readdirSync(uploads).map((u) => {
                const data = path.join(uploads, u, "data");
                return fs.existsSync(data) ? fs.statSync(data).size : 0;
              }),
            )
          : 0;

      // Bounded: a push can outrun the watcher on a fast machine; then try a new image.
      let failed: CopyResult | undefined;
      let bytesAtKill = 0;
      for (let attempt = 1; attempt <= 3 && !failed; attempt++) {
        const image = buildImage(work, { tag: "v1", layerSizes: KILL_LAYERS });
        let settled = false;
        const push = copyAsync(image.ref, target(repo), { dest: access }).then((r) => {
          settled = true;
          return r;
        });
        const deadline = Date.now() + 60_000;
        while (!settled && received() < KILL_AFTER && Date.now() < deadline) await sleep(5);
        if (settled) {
          figures.push(`kill attempt ${attempt}: the push finished before the kill; again`);
          continue;
        }
        bytesAtKill = received();
        stack.registry.process.signal("SIGKILL");
        const result = await push;
        killed = image;
        failed = result;
        figures.push(
          `registry SIGKILLed mid-push (attempt ${attempt}): ${(bytesAtKill / MiB).toFixed(1)} of ${KILL_LAYERS[0] / MiB} MiB received; the push failed after ${result.ms} ms`,
        );
      }
      expect(failed).toBeDefined();
      expect(failed!.ok).toBe(false);
      expect(bytesAtKill).toBeGreaterThanOrEqual(KILL_AFTER);
      expect(bytesAtKill).toBeLessThan(KILL_LAYERS[0]);

      // Started again with the same files and data, as `restart: unless-stopped` does.
      const restarted = Date.now();
      await stack.registry.process.restart("SIGKILL");
      await waitForPort(stack.registry.port, 15_000, stack.registry.process);
      const restartMs = Date.now() - restarted;
      // Nothing half-made is served: the tag does not exist yet.
      expect((await manifestOf(repo)).status).toBe(404);

      const again = await copyAsync(killed!.ref, target(repo), { dest: access });
      expect(again.ok ? "" : again.stderr).toBe("");
      expect((await manifestOf(repo)).digest).toBe(killed!.manifestDigest);
      await pullAndVerify(repo, killed!);
      // The image pushed before the kill is intact.
      expect((await manifestOf("faults/survivor")).digest).toBe(survivor.manifestDigest);
      await pullAndVerify("faults/survivor", survivor);
      figures.push(
        `registry back in ${restartMs} ms; the same push again completed in ${again.ms} ms and both images verify`,
      );
    });

    test(`nginx reloaded (SIGHUP) at least ${RELOADS_AT_LEAST} times during a pull: the pull completes, no retry, right digests`, async () => {
      // The image of the kill test (48 MiB), or a fresh one if that test did not get so far.
      let repo = "faults/killed";
      let image = killed;
      if (!image) {
        image = buildImage(work, { tag: "v1", layerSizes: KILL_LAYERS });
        repo = "faults/reload";
        const r = await copyAsync(image.ref, target(repo), { dest: access });
        expect(r.ok ? "" : r.stderr).toBe("");
      }
      const master = stack.nginx.process.pid!;
      const workersBefore = childPids(master);
      expect(workersBefore.length).toBeGreaterThan(0);

      let settled = false;
      const pull = pullAndVerify(repo, image, 0).then((r) => {
        settled = true;
        return r;
      });
      let reloads = 0;
      // Bounded: at most 200 reloads, RELOAD_EVERY_MS apart, only while the pull runs.
      for (let i = 0; i < 200; i++) {
        await sleep(RELOAD_EVERY_MS);
        if (settled) break;
        stack.nginx.process.signal("SIGHUP");
        reloads++;
      }
      const result = await pull;
      expect(result.stderr).not.toMatch(/retrying/i);
      expect(reloads).toBeGreaterThanOrEqual(RELOADS_AT_LEAST);

      // The reloads took: the master is the same, its workers are new ones.
      expect(stack.nginx.process.exited).toBe(false);
      const deadline = Date.now() + 15_000;
      let workersAfter = childPids(master);
      while (workersAfter.some((p) => workersBefore.includes(p)) && Date.now() < deadline) {
        await sleep(100);
        workersAfter = childPids(master);
      }
      expect(workersAfter.length).toBeGreaterThan(0);
      expect(workersAfter.filter((p) => workersBefore.includes(p))).toEqual([]);
      expect(stack.nginx.errors()).not.toMatch(/\[(emerg|alert|crit)\]/);

      // Still serving, with auth.
      const v2 = await httpGet(`https://${stack.address}/v2/`, api());
      expect(v2.status).toBe(200);
      figures.push(
        `nginx reloaded ${reloads} times during a ${KILL_LAYERS[0] / MiB + 1} MiB pull: the pull completed in ${result.ms} ms with no retry; workers replaced ${workersBefore.length} → ${workersAfter.length} new`,
      );
    });
  },
);
