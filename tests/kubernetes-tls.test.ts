/**
 * The Kubernetes backend's TLS, served by a real registry: the program runs with
 * tls.mode selfSigned, then provided, and the ConfigMap's config.yml, the Secret's
 * htpasswd and http secret, and the TLS Secret's tls.crt and tls.key (for selfSigned,
 * real certificates: the mocks sign with openssl) are handed to Debian's
 * docker-registry on 127.0.0.1. Only the listen port, the storage root and the file
 * paths are mapped. skopeo logs in with the generated credentials and verifies the
 * server against REGISTRY_CA_CERT (ca.crt in its cert dir), never skipping the check.
 */
import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { connect as tlsConnect } from "node:tls";
import { parse } from "yaml";
import { reveal, runProgram, type ProgramRun } from "../tools/runProgram";
import { expectTls12AndUp } from "./support/tlsChecks";
import { newTlsPair } from "./support/keyMaterial";
import { httpGet } from "./support/http";
import { buildImage, certDirWith, copyImage, pushAndPull, type BuiltImage } from "./support/images";
import { startRegistry, type RunningRegistry } from "./support/registry";
import { describeWithTools } from "./support/tools";

const PASSWORD = "kubernetes-tls-test-password";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const inputsOf = (run: ProgramRun, type: string, name: string): any =>
  reveal(run.resources.find((r) => r.type === type && r.name === name)!.inputs, true);

/** The files and env the registry pod gets, read from the registered objects. */
function podFiles(run: ProgramRun) {
  const configYml = inputsOf(run, "kubernetes:core/v1:ConfigMap", "registry-config").data[
    "config.yml"
  ];
  const secretData = inputsOf(run, "kubernetes:core/v1:Secret", "registry-secrets").stringData;
  const tlsData = inputsOf(run, "kubernetes:core/v1:Secret", "registry-tls").stringData;
  const container = inputsOf(run, "kubernetes:apps/v1:Deployment", "registry").spec.template.spec
    .containers[0];
  const env = Object.fromEntries(
    container.env.map((e: { name: string; valueFrom: { secretKeyRef: { key: string } } }) => [
      e.name,
      secretData[e.valueFrom.secretKeyRef.key],
    ]),
  );
  return { configYml, htpasswd: secretData.htpasswd, env, tlsData };
}

const provided = newTlsPair(["127.0.0.1", "localhost"]);

describeWithTools(
  "kubernetes backend TLS, served by docker-registry, verified by skopeo",
  ["docker-registry", "skopeo", "umoci", "openssl"],
  () => {
    describe.each([
      ["selfSigned", { mode: "selfSigned" }],
      [
        "provided",
        {
          mode: "provided",
          certificate: provided.certificate,
          key: provided.key,
          caCertificate: provided.ca,
        },
      ],
    ])("tls.mode %s", (mode, tls) => {
      let work: string;
      let run: ProgramRun;
      let files: ReturnType<typeof podFiles>;
      let registry: RunningRegistry;
      let image: BuiltImage;
      let ca: string;
      let certDir: string;

      beforeAll(async () => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), `kubernetes-tls-${mode}-`));
        run = await runProgram({
          stack: "dev",
          config: {
            "registry:backend": "kubernetes",
            "registry:kubernetes": { nodePort: 30500, auth: { password: PASSWORD }, tls },
          },
          showSecrets: true,
        });
        files = podFiles(run);
        ca = run.outputs.REGISTRY_CA_CERT.value as string;
        certDir = certDirWith(path.join(work, "certs"), ca);
        registry = await startRegistry({
          configYml: files.configYml,
          htpasswd: files.htpasswd,
          env: files.env,
          tls: { certPem: files.tlsData["tls.crt"], keyPem: files.tlsData["tls.key"] },
          dir: path.join(work, "registry"),
        });
        image = buildImage(work, { tag: "v1", layerSizes: [2 * 1024 * 1024, 4096] });
      });
      afterAll(async () => {
        await registry?.stop();
        if (work) fs.rmSync(work, { recursive: true, force: true });
      });

      test("the served http.tls is the generated one but for the file paths; REGISTRY_CA_CERT is the CA", () => {
        const served = parse(fs.readFileSync(registry.configPath, "utf8")).http.tls;
        const generated = parse(files.configYml).http.tls;
        expect(generated).toEqual({
          certificate: "/etc/registry-tls/tls.crt",
          key: "/etc/registry-tls/tls.key",
          minimumtls: "tls1.2",
        });
        expect({ ...served, certificate: "", key: "" }).toEqual({
          ...generated,
          certificate: "",
          key: "",
        });
        expect(run.outputs.REGISTRY.value).toBe("127.0.0.1:30500");
        expect(ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
        if (mode === "provided") expect(ca).toBe(provided.ca);
      });

      test("HTTPS verified against REGISTRY_CA_CERT: /v2/ is 401 without credentials, 200 with the CI user's", async () => {
        const url = `https://${registry.address}/v2/`;
        expect((await httpGet(url, { ca })).status).toBe(401);
        expect((await httpGet(url, { ca, username: "ci", password: PASSWORD })).status).toBe(200);
        // The kubelet's HTTPS probe path.
        expect((await httpGet(`https://${registry.address}/`, { ca })).status).toBe(200);
        await expect(httpGet(url)).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
      });

      test("skopeo logs in, pushes and pulls over verified TLS: the digests round-trip", () => {
        const access = { username: "ci", password: PASSWORD, certDir };
        const { pulled } = pushAndPull(image, `${registry.address}/team/app:v1`, access, work);
        expect(pulled.manifestDigest).toBe(image.manifestDigest);
        expect(pulled.layers).toEqual(image.layers);
        // Without the CA, the same push is refused by the client's own verification.
        const bare = certDirWith(path.join(work, "no-ca"), "");
        fs.rmSync(path.join(bare, "ca.crt"));
        expect(() =>
          copyImage(image.ref, `docker://${registry.address}/team/app:v2`, {
            dest: { username: "ci", password: PASSWORD, certDir: bare },
          }),
        ).toThrow(/certificate|x509/i);
      });

      test("TLS 1.1 is refused by the server (the client's own floor lowered); TLS 1.2 and 1.3 connect and verify", () => {
        expectTls12AndUp(registry.address, path.join(certDir, "ca.crt"));
      });

      test("the registry serves the certificate it started with until it restarts: why a renewal must roll the pods", async () => {
        const served = () =>
          new Promise<string>((resolve, reject) => {
            const socket = tlsConnect(
              { host: "127.0.0.1", port: registry.port, rejectUnauthorized: false },
              () => {
                resolve(socket.getPeerX509Certificate()!.fingerprint256);
                socket.end();
              },
            );
            socket.on("error", reject);
          });
        const first = await served();
        expect(first).toBe(new X509Certificate(files.tlsData["tls.crt"]).fingerprint256);
        // The mounted files change (as kubelet updates a Secret volume); the process does not look.
        const next = newTlsPair(["127.0.0.1", "localhost"]);
        fs.writeFileSync(path.join(registry.dir, "registry.crt"), next.certificate);
        fs.writeFileSync(path.join(registry.dir, "registry.key"), next.key);
        expect(await served()).toBe(first);
        await registry.restart();
        expect(await served()).toBe(new X509Certificate(next.certificate).fingerprint256);
      });
    });
  },
);
