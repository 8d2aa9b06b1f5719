/**
 * The VM backend end to end on 127.0.0.1: the program runs for an existing host at
 * 127.0.0.1 (under mocks that make a real CA and server certificate), and its generated
 * files are served as deployed (support/vmStack.ts lists the only mappings: paths, ports
 * and the upstream host) — config.yml, htpasswd and the env file by Debian's
 * docker-registry, nginx.conf with the generated certificate by Debian's nginx. skopeo
 * pushes and pulls through it, trusting only REGISTRY_CA_CERT.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { reveal, type ProgramRun } from "../tools/runProgram";
import { buildImage, copyImage, ociManifest, pushAndPull, type BuiltImage } from "./support/images";
import { expectTls12AndUp } from "./support/tlsChecks";
import { httpGet } from "./support/http";
import type { RunningRegistry } from "./support/registry";
import { describeWithTools } from "./support/tools";
import { startVmStack, type VmStack } from "./support/vmStack";

const PASSWORD = "vm-e2e-test-password-0123";
const LAYER_BYTES = 64 * 1024 * 1024;

describeWithTools(
  "vm backend end to end: nginx (TLS) + docker-registry + skopeo on 127.0.0.1",
  ["nginx", "docker-registry", "skopeo", "umoci", "openssl", "curl"],
  () => {
    let work: string;
    let stack: VmStack;
    let program: ProgramRun;
    let registry: RunningRegistry;
    let httpsPort: number;
    let redirectPort: number;
    let ca: string;
    let address: string;
    let certDir: string;
    let image: BuiltImage;
    let pushed: { manifestDigest: string; layers: string[] };
    const timings: Record<string, number> = {};

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), "vm-e2e-"));
      stack = await startVmStack(work, PASSWORD, { httpRedirect: true });
      ({ program, registry, ca, address, certDir } = stack);
      httpsPort = Number(address.split(":")[1]);
      redirectPort = stack.redirectPort!;
      image = buildImage(work, { tag: "v1", layerSizes: [LAYER_BYTES, 4096] });
    });

    afterAll(async () => {
      await stack?.stop();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    const url = (p: string) => `https://${address}${p}`;

    test("nginx and the registry serve the deployed files: undoing the listed mappings gives them back byte for byte", () => {
      const servedFiles = {
        "vm/nginx.conf": fs.readFileSync(stack.nginx.paths.configPath, "utf8"),
        "vm/config.yml": fs.readFileSync(registry.configPath, "utf8"),
      };
      for (const [file, served] of Object.entries(servedFiles)) {
        let undone = served;
        for (const { from, to } of stack.mappings[file as keyof typeof servedFiles])
          undone = undone.replace(to, () => from);
        expect([file, undone]).toEqual([file, program.files[file]]);
        expect(served).not.toEqual(program.files[file]);
      }
      // user, pid, 2 logs, upstream, 3 listens, 2 certificate paths, the storage root;
      // addr, data, htpasswd.
      expect(stack.mappings["vm/nginx.conf"]).toHaveLength(11);
      expect(stack.mappings["vm/config.yml"]).toHaveLength(3);
    });

    test("REGISTRY is 127.0.0.1 with the HTTPS port; the CA that goes out verifies the served certificate", async () => {
      expect(address).toBe(`127.0.0.1:${httpsPort}`);
      const answer = await httpGet(url("/"), { ca });
      expect(answer.status).toBe(200);
    });

    test("unauthenticated /v2/ → 401 with Docker-Distribution-Api-Version and HSTS", async () => {
      const answer = await httpGet(url("/v2/"), { ca });
      expect(answer.status).toBe(401);
      expect(answer.headers["docker-distribution-api-version"]).toBe("registry/2.0");
      expect(answer.headers["strict-transport-security"]).toBe("max-age=63072000");
      expect(answer.headers["www-authenticate"]).toMatch(/^Basic realm="Registry"/);
    });

    test("a wrong password → 401; the CI user's password → 200", async () => {
      expect(
        (await httpGet(url("/v2/"), { ca, username: "ci", password: "wrong-password-123456" }))
          .status,
      ).toBe(401);
      const ok = await httpGet(url("/v2/"), { ca, username: "ci", password: PASSWORD });
      expect(ok.status).toBe(200);
      expect(program.outputs.REGISTRY_PASSWORD).toEqual({ value: PASSWORD, secret: true });
    });

    test("plain HTTP redirects to HTTPS on the port clients use", async () => {
      const answer = await httpGet(`http://127.0.0.1:${redirectPort}/v2/_catalog`);
      expect(answer.status).toBe(301);
      expect(answer.headers.location).toBe(`https://127.0.0.1:${httpsPort}/v2/_catalog`);
    });

    test("the deploy's wait step, as generated, sees the registry up (401 over verified TLS)", async () => {
      const wait = program.resources.find((r) => r.name === "registry-wait-for-registry")!;
      const { create, environment } = reveal(wait.inputs, true) as {
        create: string;
        environment: Record<string, string>;
      };
      const result = await new Promise<{ code: number; out: string }>((resolve) =>
        execFile(
          "sh",
          ["-c", create],
          { env: { ...process.env, ...environment }, timeout: 60_000 },
          (err, stdout, stderr) =>
            resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }),
        ),
      );
      expect(result).toEqual({
        code: 0,
        out: `registry is up: https://${address}/v2/ answers 401 (authentication required)\n`,
      });
    });

    test("skopeo pushes a 64 MiB layer through nginx (TLS verified against REGISTRY_CA_CERT) and pulls the same digests", () => {
      const started = Date.now();
      const { pulled } = pushAndPull(
        image,
        `${address}/e2e/big:v1`,
        { username: "ci", password: PASSWORD, certDir },
        work,
      );
      timings.pushAndPullMs = Date.now() - started;
      pushed = { manifestDigest: image.manifestDigest, layers: image.layers };
      expect(pulled).toEqual(pushed);
      expect(
        fs.statSync(path.join(image.layout, "blobs", ...image.layers[0].split(":"))).size,
      ).toBeGreaterThan(LAYER_BYTES);
      console.log(
        `vm e2e: push + pull of a ${LAYER_BYTES / 1048576} MiB layer through nginx: ${timings.pushAndPullMs} ms`,
      );
    });

    test("the catalog lists the pushed repository", async () => {
      const catalog = await httpGet(url("/v2/_catalog"), {
        ca,
        username: "ci",
        password: PASSWORD,
      });
      expect(catalog.status).toBe(200);
      expect(JSON.parse(catalog.body).repositories).toContain("e2e/big");
    });

    test("a TLS 1.1 handshake is refused by the server (the client's own floor lowered); TLS 1.2 and 1.3 connect", () => {
      expectTls12AndUp(`127.0.0.1:${httpsPort}`, path.join(certDir, "ca.crt"));
    });

    test("the registry process restarted: the image is still there", async () => {
      await registry.restart();
      const catalog = await httpGet(url("/v2/_catalog"), {
        ca,
        username: "ci",
        password: PASSWORD,
      });
      expect(JSON.parse(catalog.body).repositories).toContain("e2e/big");
      const pulledLayout = path.join(work, "pulled-after-restart");
      copyImage(`docker://${address}/e2e/big:v1`, `oci:${pulledLayout}:v1`, {
        src: { username: "ci", password: PASSWORD, certDir },
      });
      expect(ociManifest(pulledLayout, "v1")).toEqual(pushed);
    });
  },
);
