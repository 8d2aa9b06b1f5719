/**
 * Load on the VM backend's data path (generated nginx.conf, config.yml, htpasswd and
 * TLS from the generated CA, served for real on 127.0.0.1, see support/vmStack.ts):
 * 8 concurrent pushes of distinct images, then 32 concurrent pulls while 8 more pushes
 * run, then a registry restart. Every client must succeed and every digest must match
 * what was built. Small images (two layers of fresh random data, 3 MiB and 1 MiB):
 * the machine is shared, the point is concurrency, not throughput.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildImage, ociManifest, type BuiltImage } from "./support/images";
import { httpGet } from "./support/http";
import { copyAsync, corruptBlobs, head, type Access } from "./support/registryClient";
import { describeWithTools } from "./support/tools";
import { startVmStack, type VmStack } from "./support/vmStack";

const PASSWORD = "vm-load-test-password-4567";
const LAYERS = [3 * 1024 * 1024, 1024 * 1024];
const PUSHES = 8;
const PULLS = 32;

interface Figures {
  phase: string;
  clients: number;
  images: number;
  bytes: number;
  wallMs: number;
  errors: number;
  slowestMs: number;
}

/** Bytes a client moves for an image: its blobs (layers, config, manifest). */
function imageBytes(image: BuiltImage): number {
  const dir = path.join(image.layout, "blobs", "sha256");
  return fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}

describeWithTools(
  "vm data path under load: concurrent pushes and pulls through nginx (TLS) + registry",
  ["nginx", "docker-registry", "skopeo", "umoci"],
  () => {
    let work: string;
    let stack: VmStack;
    let access: Access;
    let seed: BuiltImage[];
    let fresh: BuiltImage[];
    const repoOf = new Map<BuiltImage, string>();
    const figures: Figures[] = [];
    const notes: string[] = [];

    const target = (image: BuiltImage) => `docker://${stack.address}/${repoOf.get(image)}:v1`;
    const api = () => ({ ca: stack.ca, username: stack.username, password: PASSWORD });

    /** The stored image as the registry reports it: manifest digest, and each layer present with its size. */
    async function stored(image: BuiltImage) {
      const repo = repoOf.get(image)!;
      const manifest = await head(stack.address, `/v2/${repo}/manifests/v1`, api());
      const layers = await Promise.all(
        image.layers.map((d) => head(stack.address, `/v2/${repo}/blobs/${d}`, api())),
      );
      return {
        manifestDigest: manifest.digest,
        layers: layers.map((l) => [l.status, l.digest, l.length]),
      };
    }
    const expected = (image: BuiltImage) => ({
      manifestDigest: image.manifestDigest,
      layers: image.layers.map((d) => [200, d, fs.statSync(blobPath(image, d)).size]),
    });
    const blobPath = (image: BuiltImage, digest: string) =>
      path.join(image.layout, "blobs", ...digest.split(":"));

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), "vm-load-"));
      stack = await startVmStack(work, PASSWORD);
      access = { username: stack.username, password: PASSWORD, certDir: stack.certDir };
      const build = (kind: string, i: number) => {
        const image = buildImage(work, { tag: "v1", layerSizes: LAYERS });
        repoOf.set(image, `load/${kind}-${i}`);
        return image;
      };
      seed = Array.from({ length: PUSHES }, (_, i) => build("seed", i));
      fresh = Array.from({ length: PUSHES }, (_, i) => build("fresh", i));
    }, 300_000);

    afterAll(async () => {
      await stack?.stop();
      if (work) fs.rmSync(work, { recursive: true, force: true });
      if (figures.length) {
        console.log(
          [
            `vm data path load figures (${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores):`,
            ...figures.map(
              (f) =>
                `  ${f.phase}: ${f.clients} concurrent clients, ${f.images} images, ${(f.bytes / 1048576).toFixed(1)} MiB, wall ${f.wallMs} ms, slowest client ${f.slowestMs} ms, errors ${f.errors}`,
            ),
            ...notes.map((n) => `  ${n}`),
          ].join("\n"),
        );
      }
    });

    test(`${PUSHES} concurrent pushes of distinct images: all succeed, every digest stored`, async () => {
      const started = Date.now();
      const results = await Promise.all(
        seed.map((image) => copyAsync(image.ref, target(image), { dest: access })),
      );
      figures.push({
        phase: `${PUSHES} concurrent pushes`,
        clients: PUSHES,
        images: PUSHES,
        bytes: seed.reduce((n, i) => n + imageBytes(i), 0),
        wallMs: Date.now() - started,
        errors: results.filter((r) => !r.ok).length,
        slowestMs: Math.max(...results.map((r) => r.ms)),
      });
      expect(results.filter((r) => !r.ok).map((r) => r.stderr)).toEqual([]);
      for (const image of seed) expect(await stored(image)).toEqual(expected(image));
    });

    test(`${PULLS} concurrent pulls while ${PUSHES} more pushes run: zero errors, every digest verified`, async () => {
      const pulls = Array.from({ length: PULLS }, (_, i) => {
        const image = seed[i % seed.length];
        const layout = path.join(work, `pulled-${i}`);
        return { image, layout };
      });
      const started = Date.now();
      const [pulled, pushed] = await Promise.all([
        Promise.all(
          pulls.map(({ image, layout }) =>
            copyAsync(target(image), `oci:${layout}:v1`, { src: access }),
          ),
        ),
        Promise.all(fresh.map((image) => copyAsync(image.ref, target(image), { dest: access }))),
      ]);
      const all = [...pulled, ...pushed];
      figures.push({
        phase: `${PULLS} pulls + ${PUSHES} pushes at once`,
        clients: PULLS + PUSHES,
        images: seed.length + fresh.length,
        bytes:
          pulls.reduce((n, p) => n + imageBytes(p.image), 0) +
          fresh.reduce((n, i) => n + imageBytes(i), 0),
        wallMs: Date.now() - started,
        errors: all.filter((r) => !r.ok).length,
        slowestMs: Math.max(...all.map((r) => r.ms)),
      });
      expect(all.filter((r) => !r.ok).map((r) => r.stderr)).toEqual([]);
      for (const { image, layout } of pulls) {
        expect(ociManifest(layout, "v1")).toEqual({
          manifestDigest: image.manifestDigest,
          layers: image.layers,
        });
        // skopeo checks digests as it writes; check every blob on disk again ourselves.
        expect(corruptBlobs(layout)).toEqual([]);
      }
      for (const image of fresh) expect(await stored(image)).toEqual(expected(image));
    });

    test("the registry restarted: every image still there, digest for digest", async () => {
      const started = Date.now();
      await stack.registry.restart();
      const restartMs = Date.now() - started;
      const all = [...seed, ...fresh];
      for (const image of all) expect(await stored(image)).toEqual(expected(image));
      const catalog = await httpGet(`https://${stack.address}/v2/_catalog?n=100`, {
        ca: stack.ca,
        username: stack.username,
        password: PASSWORD,
      });
      expect(catalog.status).toBe(200);
      expect(JSON.parse(catalog.body).repositories).toEqual(all.map((i) => repoOf.get(i)).sort());
      // And a full pull after the restart gives the same image.
      const layout = path.join(work, "pulled-after-restart");
      const r = await copyAsync(target(fresh[0]), `oci:${layout}:v1`, { src: access });
      expect(r.ok ? "" : r.stderr).toBe("");
      expect(ociManifest(layout, "v1")).toEqual({
        manifestDigest: fresh[0].manifestDigest,
        layers: fresh[0].layers,
      });
      notes.push(
        `registry restart (SIGTERM, same data): listening again after ${restartMs} ms; ${all.length} manifests and ${all.length * LAYERS.length} layers checked by digest and size, catalog complete, one full pull verified (${Date.now() - started} ms in all)`,
      );
    });
  },
);
