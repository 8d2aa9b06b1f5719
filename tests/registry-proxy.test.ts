/**
 * The pull-through cache config (`proxy`), served by its real consumer: the VM backend's
 * generated config.yml, htpasswd and env file run by Debian's docker-registry as registry
 * A, with `proxy.remoteurl` pointing at a second local docker-registry B on
 * https://127.0.0.1 (the settings accept only https upstreams). B stands in for a public
 * upstream that allows anonymous pulls; its throwaway certificate reaches A's trust store
 * through SSL_CERT_FILE, where a real upstream has a public CA. An image pushed to B is
 * pulled through A with A's CI credentials, digest for digest; A then holds the layers
 * itself and refuses pushes (a cache is read-only).
 *
 * Not covered: `proxy.username`/`password`. In a trial here distribution 2.8.2 sent no
 * credentials at all to a basic-auth upstream like B (B logged 401s); Docker Hub's kind of
 * upstream (token auth) does not run here.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { renderRegistryConfig } from "../components/shared/registryConfig";
import { runProgram, type ProgramRun } from "../tools/runProgram";
import { buildImage, certDirWith, copyImage, ociManifest, type BuiltImage } from "./support/images";
import { freePort } from "./support/processes";
import { startRegistry, type RunningRegistry } from "./support/registry";
import { describeWithTools, run, tool } from "./support/tools";
import { localVmConfig, parseEnvFile } from "./support/vmStack";

const CI_PASSWORD = "proxy-test-ci-password-4567";

describeWithTools(
  "proxy (pull-through cache) config, served by docker-registry against a local upstream",
  ["docker-registry", "skopeo", "umoci", "openssl"],
  () => {
    let work: string;
    let upstream: RunningRegistry;
    let cache: RunningRegistry;
    let program: ProgramRun;
    let image: BuiltImage;
    const ci = { username: "ci", password: CI_PASSWORD, plainHttp: true };

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), "registry-proxy-"));
      // B's certificate for 127.0.0.1, self-signed: its own trust anchor.
      const certFile = path.join(work, "upstream.crt");
      const keyFile = path.join(work, "upstream.key");
      run(tool("openssl"), [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-days",
        "1",
        "-keyout",
        keyFile,
        "-out",
        certFile,
      ]);
      const upstreamCert = fs.readFileSync(certFile, "utf8");
      // B: an upstream that allows anonymous pulls, over TLS, holding one image.
      upstream = await startRegistry({
        tls: { certPem: upstreamCert, keyPem: fs.readFileSync(keyFile, "utf8") },
        configYml: renderRegistryConfig({
          listenAddress: ":5000",
          storage: { driver: "filesystem", rootDirectory: "/var/lib/registry" },
          deleteEnabled: false,
          logLevel: "warn",
        }),
        dir: path.join(work, "upstream"),
      });
      image = buildImage(work, { layerSizes: [3 * 1024 * 1024, 4096] });
      copyImage(image.ref, `docker://${upstream.address}/library/app:v1`, {
        dest: { certDir: certDirWith(path.join(work, "upstream-certs"), upstreamCert) },
      });

      // A: the program's registry with `proxy` set, as a user would configure it.
      program = await runProgram({
        stack: "proxy",
        config: localVmConfig({
          httpsPort: await freePort(),
          auth: { password: CI_PASSWORD },
          proxy: {
            remoteUrl: `https://${upstream.address}`,
          },
        }),
        secretKeys: ["registry:vm"],
        showSecrets: true,
      });
      cache = await startRegistry({
        configYml: program.files["vm/config.yml"],
        htpasswd: program.files["vm/htpasswd"],
        // The generated env, plus the one host mapping: the trust store B's certificate is in.
        env: { ...parseEnvFile(program.files["vm/registry.env"]), SSL_CERT_FILE: certFile },
        dir: path.join(work, "cache"),
      });
    });

    afterAll(async () => {
      await cache?.stop();
      await upstream?.stop();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    test("the generated config names the upstream", () => {
      expect(parse(program.files["vm/config.yml"]).proxy).toEqual({
        remoteurl: `https://${upstream.address}`,
      });
    });

    test("the outputs say mirror: the login is the pull login, no push credential (issue 14 item 8)", () => {
      const o = program.outputs;
      expect(o.REGISTRY_ROLE).toEqual({ value: "mirror", secret: false });
      expect(o.REGISTRY_PULL_USERNAME).toEqual({ value: "ci", secret: false });
      expect(o.REGISTRY_PULL_PASSWORD).toEqual({ value: CI_PASSWORD, secret: true });
      expect(o.REGISTRY_MIRROR_URL).toEqual({
        value: `https://${o.REGISTRY.value}`,
        secret: false,
      });
      expect(o).not.toHaveProperty("REGISTRY_USERNAME");
      expect(o).not.toHaveProperty("REGISTRY_PASSWORD");
    });

    test("an image pushed to the upstream is pulled through the cache with the pull login, digest for digest", () => {
      const pulled = path.join(work, "pulled");
      const pullLogin = {
        username: String(program.outputs.REGISTRY_PULL_USERNAME.value),
        password: String(program.outputs.REGISTRY_PULL_PASSWORD.value),
        plainHttp: true,
      };
      copyImage(`docker://${cache.address}/library/app:v1`, `oci:${pulled}:v1`, { src: pullLogin });
      expect(ociManifest(pulled, "v1")).toEqual({
        manifestDigest: image.manifestDigest,
        layers: image.layers,
      });
    });

    test("the cache now holds the layers itself", async () => {
      const blob = (digest: string) => {
        const hex = digest.split(":")[1];
        return path.join(
          cache.dataDir,
          "docker/registry/v2/blobs/sha256",
          hex.slice(0, 2),
          hex,
          "data",
        );
      };
      // The cache stores a blob as it streams it: wait (bounded) for the writes to land.
      const deadline = Date.now() + 15_000;
      while (!image.layers.every((d) => fs.existsSync(blob(d))) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      for (const digest of image.layers)
        expect([digest, fs.existsSync(blob(digest))]).toEqual([digest, true]);
    });

    test("a push to the cache is refused: a pull-through cache is read-only", () => {
      expect(() =>
        copyImage(image.ref, `docker://${cache.address}/library/other:v1`, { dest: ci }),
      ).toThrow(/unsupported|denied|405|not allowed/i);
    });
  },
);
