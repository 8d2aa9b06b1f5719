/**
 * The VM's nginx sending blobs from the registry's storage (components/shared/nginxBlobs.ts),
 * with the real servers: the program's files as deployed (support/vmStack.ts maps only
 * paths, ports and the upstream host; the storage root nginx reads is the registry's data
 * directory, as compose mounts it), Debian's nginx and docker-registry, skopeo.
 *
 * The oracle for every answer that is not the blob's bytes is the registry itself, asked
 * directly on its plain-HTTP port with the same request: nginx must give the same status,
 * body and headers. The registry's access log shows which requests reached it.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildImage, copyImage, ociManifest, type BuiltImage } from "./support/images";
import { httpGet, type HttpAnswer } from "./support/http";
import { describeWithTools } from "./support/tools";
import { startVmStack, type VmStack } from "./support/vmStack";

const PASSWORD = "vm-blobs-test-password-0123";
const UNKNOWN = `sha256:${"0".repeat(64)}`;

/** Headers that differ between two answers for reasons other than their content. */
const PER_CONNECTION = ["date", "connection", "keep-alive", "server", "strict-transport-security"];

function comparable(a: HttpAnswer) {
  const headers = Object.fromEntries(
    Object.entries(a.headers).filter(([k]) => !PER_CONNECTION.includes(k)),
  );
  return { status: a.status, headers, body: a.body, complete: a.complete };
}

describeWithTools(
  "vm nginx sends linked blobs from storage; the registry authorises each (real nginx + docker-registry)",
  ["nginx", "docker-registry", "skopeo", "umoci", "openssl"],
  () => {
    let work: string;
    let stack: VmStack;
    let app: BuiltImage;
    let other: BuiltImage;
    const login = { username: "ci", password: PASSWORD };

    /** The registry's data file of a blob (distribution's filesystem layout). */
    const dataFile = (digest: string) => {
      const hex = digest.split(":")[1];
      return path.join(
        stack.registry.dataDir,
        "docker/registry/v2/blobs/sha256",
        hex.slice(0, 2),
        hex,
        "data",
      );
    };
    const viaNginx = (p: string, o: Parameters<typeof httpGet>[1] = {}) =>
      httpGet(`https://${stack.address}${p}`, { ca: stack.ca, ...o });
    const direct = (p: string, o: Parameters<typeof httpGet>[1] = {}) =>
      httpGet(`http://${stack.registry.address}${p}`, o);
    /**
     * Waits until the registry has written nothing for 300 ms (at most 10 s): skopeo runs
     * synchronously, so its requests' log lines arrive once the event loop runs again.
     */
    const registrySettled = async () => {
      let last = "";
      for (let i = 0; i < 100; i++) {
        const now = stack.registry.process.log(100_000);
        if (now === last) return;
        last = now;
        await new Promise((r) => setTimeout(r, 300));
      }
    };
    /** The registry's access-log lines (gorilla's combined format) for a request line. */
    const registryLog = (method: string, p: string) =>
      stack.registry.process
        .log(100_000)
        .split("\n")
        .filter((l) => l.includes(`"${method} ${p} HTTP/1.1"`));

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), "vm-blobs-"));
      stack = await startVmStack(work, PASSWORD, {
        settings: { storage: { deleteEnabled: true } },
      });
      app = buildImage(work, { tag: "v1", layerSizes: [3 * 1048576 + 17, 4096, 2048] });
      other = buildImage(work, { tag: "v1", layerSizes: [65536] });
      const dest = { ...login, certDir: stack.certDir };
      copyImage(app.ref, `docker://${stack.address}/team-a/app:v1`, { dest });
      copyImage(other.ref, `docker://${stack.address}/team-b/other:v1`, { dest });
    }, 180_000);

    afterAll(async () => {
      await stack?.stop();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    test("the deployed nginx.conf has the storage path, mapped to the registry's data directory", () => {
      expect(stack.program.files["vm/nginx.conf"]).toContain(
        "alias /var/lib/registry/docker/registry/v2/blobs/sha256/$registry_blob_dir/$registry_blob_hex/data;",
      );
      expect(fs.readFileSync(stack.nginx.paths.configPath, "utf8")).toContain(
        `alias ${stack.registry.dataDir}/docker/registry/v2/blobs/sha256/`,
      );
    });

    test("skopeo pulls the image back byte for byte; every layer GET was answered by nginx from storage, after a HEAD to the registry", async () => {
      await registrySettled();
      const headsBefore = app.layers.map(
        (l) => registryLog("HEAD", `/v2/team-a/app/blobs/${l}`).length,
      );
      const pulled = path.join(work, "pulled");
      copyImage(`docker://${stack.address}/team-a/app:v1`, `oci:${pulled}:v1`, {
        src: { ...login, certDir: stack.certDir },
      });
      expect(ociManifest(pulled, "v1")).toEqual({
        manifestDigest: app.manifestDigest,
        layers: app.layers,
      });
      await registrySettled();
      for (const [i, layer] of app.layers.entries()) {
        const uri = `/v2/team-a/app/blobs/${layer}`;
        expect([layer, registryLog("GET", uri)]).toEqual([layer, []]);
        expect([layer, registryLog("HEAD", uri).length]).toEqual([layer, headsBefore[i] + 1]);
        const nginxLog = fs.readFileSync(stack.nginx.paths.accessLogPath, "utf8");
        expect(nginxLog).toContain(
          `"GET ${uri} HTTP/1.1" 200 ${fs.statSync(dataFile(layer)).size}`,
        );
      }
    });

    test("a blob GET: the same bytes and headers as the registry's own answer", async () => {
      const layer = app.layers[0];
      const uri = `/v2/team-a/app/blobs/${layer}`;
      await registrySettled();
      const heads = registryLog("HEAD", uri).length;
      const served = await viaNginx(uri, login);
      await registrySettled();
      expect(registryLog("GET", uri)).toEqual([]);
      expect(registryLog("HEAD", uri)).toHaveLength(heads + 1);
      expect(`sha256:${createHash("sha256").update(served.bytes).digest("hex")}`).toBe(layer);
      expect(served.bytes.equals(fs.readFileSync(dataFile(layer)))).toBe(true);
      expect(served.headers["strict-transport-security"]).toBe("max-age=63072000");
      const registry = await direct(uri, login);
      expect(comparable(served)).toEqual(comparable(registry));
      expect(served.headers).toMatchObject({
        "docker-content-digest": layer,
        "content-type": "application/octet-stream",
        "docker-distribution-api-version": "registry/2.0",
        etag: `"${layer}"`,
      });
    });

    test("a Range request: 206 with the registry's Content-Range and those bytes", async () => {
      const layer = app.layers[0];
      const uri = `/v2/team-a/app/blobs/${layer}`;
      const range = { ...login, headers: { range: "bytes=1000-1999" } };
      await registrySettled();
      const gets = registryLog("GET", uri).length;
      const served = await viaNginx(uri, range);
      expect(served.status).toBe(206);
      expect(served.bytes.equals(fs.readFileSync(dataFile(layer)).subarray(1000, 2000))).toBe(true);
      await registrySettled();
      expect(registryLog("GET", uri)).toHaveLength(gets);
      expect(served.headers["content-range"]).toBe(
        `bytes 1000-1999/${fs.statSync(dataFile(layer)).size}`,
      );
      // One header differs: the registry also says Accept-Ranges on a 206, nginx on a 200 only.
      const registry = await direct(uri, range);
      expect(registry.headers["accept-ranges"]).toBe("bytes");
      expect(served.headers["accept-ranges"]).toBeUndefined();
      delete registry.headers["accept-ranges"];
      expect(comparable(served)).toEqual(comparable(registry));
    });

    test("without credentials, or with a wrong password: the registry's 401 and WWW-Authenticate, once", async () => {
      const uri = `/v2/team-a/app/blobs/${app.layers[0]}`;
      for (const creds of [{}, { username: "ci", password: "wrong-password-123456" }]) {
        const served = await viaNginx(uri, creds);
        expect(served.status).toBe(401);
        expect(served.headers["www-authenticate"]).toBe('Basic realm="Registry"');
        expect(served.rawHeaders.filter((h) => /^www-authenticate$/i.test(h))).toHaveLength(1);
        expect(comparable(served)).toEqual(comparable(await direct(uri, creds)));
      }
    });

    test("a blob stored for another repository but not linked to this one: the registry's 404 (no cross-repository read)", async () => {
      const foreign = other.layers[0];
      expect(fs.existsSync(dataFile(foreign))).toBe(true);
      expect((await viaNginx(`/v2/team-b/other/blobs/${foreign}`, login)).status).toBe(200);
      const uri = `/v2/team-a/app/blobs/${foreign}`;
      const served = await viaNginx(uri, login);
      expect(served.status).toBe(404);
      expect(JSON.parse(served.body).errors[0].code).toBe("BLOB_UNKNOWN");
      expect(comparable(served)).toEqual(comparable(await direct(uri, login)));
    });

    test("an unknown digest: the registry's 404 JSON", async () => {
      const uri = `/v2/team-a/app/blobs/${UNKNOWN}`;
      const served = await viaNginx(uri, login);
      expect(served.status).toBe(404);
      expect(JSON.parse(served.body).errors[0].code).toBe("BLOB_UNKNOWN");
      expect(comparable(served)).toEqual(comparable(await direct(uri, login)));
    });

    test("a conditional GET goes to the registry: its 304 for the blob's ETag", async () => {
      const uri = `/v2/team-a/app/blobs/${app.layers[0]}`;
      const conditional = { ...login, headers: { "if-none-match": `"${app.layers[0]}"` } };
      await registrySettled();
      const gets = registryLog("GET", uri).length;
      const served = await viaNginx(uri, conditional);
      await registrySettled();
      expect(served.status).toBe(304);
      expect(registryLog("GET", uri)).toHaveLength(gets + 1);
      expect(comparable(served)).toEqual(comparable(await direct(uri, conditional)));
    });

    test("a blob deleted through the API (DELETE via nginx, delete enabled): 404 though its data file is still there", async () => {
      const layer = app.layers[1];
      const uri = `/v2/team-a/app/blobs/${layer}`;
      expect((await viaNginx(uri, login)).status).toBe(200);
      const deleted = await viaNginx(uri, { ...login, method: "DELETE" });
      expect(deleted.status).toBe(202);
      await registrySettled();
      expect(registryLog("DELETE", uri)).toHaveLength(1);
      expect(fs.existsSync(dataFile(layer))).toBe(true);
      const served = await viaNginx(uri, login);
      expect(served.status).toBe(404);
      expect(JSON.parse(served.body).errors[0].code).toBe("BLOB_UNKNOWN");
      expect(comparable(served)).toEqual(comparable(await direct(uri, login)));
    });

    test("the data file gone after the registry's check (garbage collection racing a pull): the registry answers", async () => {
      // The registry's in-memory descriptor cache still vouches for the blob after its file
      // is gone, so its HEAD says 200 and nginx finds no file: the case nginx must hand back.
      // The registry's own answer then is a 200 whose body never comes (it closes the
      // connection): the client gets that, as it would from the registry alone.
      const layer = app.layers[2];
      const uri = `/v2/team-a/app/blobs/${layer}`;
      expect((await viaNginx(uri, login)).status).toBe(200);
      fs.rmSync(dataFile(layer));
      await registrySettled();
      const heads = registryLog("HEAD", uri).length;
      const gets = registryLog("GET", uri).length;
      const served = await viaNginx(uri, login);
      await registrySettled();
      expect(registryLog("HEAD", uri)).toHaveLength(heads + 1);
      expect(registryLog("GET", uri)).toHaveLength(gets + 1);
      expect(stack.nginx.errors()).toMatch(
        /open\(\) ".*\/data" failed \(2: No such file or directory\)/,
      );
      expect(served.complete).toBe(false);
      expect(comparable(served)).toEqual(comparable(await direct(uri, login)));
    });
  },
);
