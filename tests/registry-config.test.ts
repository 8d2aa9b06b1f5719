/**
 * The shared registry config renderer, served by the real registry (CNCF
 * distribution from Debian) on 127.0.0.1: auth, push/pull round trip, delete,
 * maintenance read-only mode and a restart that keeps the data.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderRegistryConfig, type RegistryConfigSpec } from "../components/shared/registryConfig";
import { renderHtpasswd } from "../components/shared/htpasswd";
import { startRegistry, type RunningRegistry } from "./support/registry";
import { buildImage, copyImage, pushAndPull, type BuiltImage } from "./support/images";
import { httpGet } from "./support/http";
import { describeWithTools, run, tool } from "./support/tools";

const USER = "ci";
const PASSWORD = "correct-horse-battery-staple";
const spec: RegistryConfigSpec = {
  listenAddress: ":5000",
  storage: { driver: "filesystem", rootDirectory: "/var/lib/registry" },
  deleteEnabled: true,
  htpasswdPath: "/auth/htpasswd",
  logLevel: "info",
};
const htpasswd = renderHtpasswd([
  { username: USER, password: PASSWORD, salt: "Q9bX2mP4kL7nR1sT5vW8yZ" },
]);
const access = { username: USER, password: PASSWORD, plainHttp: true };

describeWithTools(
  "shared registry config, served by docker-registry",
  ["docker-registry", "skopeo", "umoci", "htpasswd"],
  () => {
    let work: string;
    let registry: RunningRegistry;
    let image: BuiltImage;

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), "registry-config-"));
      registry = await startRegistry({
        configYml: renderRegistryConfig(spec),
        htpasswd,
        env: { REGISTRY_HTTP_SECRET: "a-shared-secret-for-this-test" },
      });
      image = buildImage(work, { layerSizes: [3 * 1024 * 1024, 4096] });
    });
    afterAll(async () => {
      await registry?.stop();
      fs.rmSync(work, { recursive: true, force: true });
    });

    test("the htpasswd is bcrypt and Apache's htpasswd verifies it", () => {
      expect(htpasswd).toMatch(/^ci:\$2y\$10\$[./A-Za-z0-9]{53}\n$/);
      expect(htpasswd).not.toContain(PASSWORD);
      const file = path.join(work, "htpasswd");
      fs.writeFileSync(file, htpasswd);
      expect(() => run(tool("htpasswd"), ["-vb", file, USER, PASSWORD])).not.toThrow();
      expect(() => run(tool("htpasswd"), ["-vb", file, USER, "wrong-password"])).toThrow();
    });

    test("/v2/ asks for credentials and accepts the right ones only", async () => {
      const anonymous = await httpGet(`http://${registry.address}/v2/`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers["docker-distribution-api-version"]).toBe("registry/2.0");
      expect(
        (await httpGet(`http://${registry.address}/v2/`, { username: USER, password: "nope" }))
          .status,
      ).toBe(401);
      expect(
        (await httpGet(`http://${registry.address}/v2/`, { username: USER, password: PASSWORD }))
          .status,
      ).toBe(200);
      const root = await httpGet(`http://${registry.address}/`);
      expect(root.status).toBe(200); // what the probes check
      expect(anonymous.headers["x-content-type-options"]).toBe("nosniff");
    });

    test("an image pushed with skopeo pulls back with the same digests", () => {
      const { pulled } = pushAndPull(image, `${registry.address}/team/app:v1`, access, work);
      expect(pulled.manifestDigest).toBe(image.manifestDigest);
      expect(pulled.layers).toEqual(image.layers);
    });

    test("a push without credentials is refused", () => {
      expect(() =>
        copyImage(image.ref, `docker://${registry.address}/team/app:anon`, {
          dest: { plainHttp: true },
        }),
      ).toThrow(/unauthorized|authentication required/i);
    });

    test("the image survives a registry restart, and deletes are enabled", async () => {
      await registry.restart();
      const catalog = await httpGet(`http://${registry.address}/v2/_catalog`, {
        username: USER,
        password: PASSWORD,
      });
      expect(JSON.parse(catalog.body).repositories).toContain("team/app");
      const del = await httpGet(
        `http://${registry.address}/v2/team/app/manifests/${image.manifestDigest}`,
        {
          username: USER,
          password: PASSWORD,
          method: "DELETE",
        },
      );
      expect(del.status).toBe(202);
    });

    test("maintenance read-only mode serves pulls and refuses pushes", async () => {
      copyImage(image.ref, `docker://${registry.address}/team/app:v2`, { dest: access });
      // A second registry over the same storage, in maintenance mode (as during garbage collection).
      const ro = await startRegistry({
        configYml: renderRegistryConfig({ ...spec, readOnly: true }),
        htpasswd,
        dir: registry.dir,
      });
      try {
        const pulled = path.join(work, "ro-pull");
        copyImage(`docker://${ro.address}/team/app:v2`, `oci:${pulled}:v2`, { src: access });
        expect(() =>
          copyImage(image.ref, `docker://${ro.address}/team/app:v3`, { dest: access }),
        ).toThrow();
      } finally {
        await ro.stop();
      }
    });
  },
);
