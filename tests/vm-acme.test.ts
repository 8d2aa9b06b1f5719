/**
 * tls.mode acme on the VM, with real servers on 127.0.0.1: pebble (an RFC 8555 server)
 * with external account binding, pebble-challtestsrv as its DNS (every name is
 * 127.0.0.1), Debian's docker-registry on the generated config, Debian's nginx on the
 * generated nginx.conf started by the generated reloader, and the generated ACME client
 * script running Debian's lego — the client and arguments the compose file runs, with
 * only paths, ports and binaries mapped. The name is "localhost" so that skopeo (which
 * has no --connect-to) reaches it without editing /etc/hosts.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as https from "node:https";
import * as tls from "node:tls";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import {
  acmePaths,
  legoPath,
  renderAcmeClientScript,
  renderNginxReloader,
  type AcmeClientOptions,
} from "../components/vm/acme";
import { vmAcmeClientOptions, vmNginxReloaderOptions } from "../components/vm/acmeStack";
import { renderNginxConfig } from "../components/shared/nginxConfig";
import { vmNginxOptions } from "../components/vm/plan";
import { reveal, runProgram, type ProgramRun } from "../tools/runProgram";
import { runRefused } from "./support/configErrors";
import { tlsPair } from "./support/keyMaterial";
import { buildImage, certDirWith, pushAndPull, type BuiltImage } from "./support/images";
import { nginxPaths } from "./support/nginx";
import { freePort, ServerProcess, waitForPort } from "./support/processes";
import { startRegistry, type RunningRegistry } from "./support/registry";
import { copyAsync } from "./support/registryClient";
import { describeWithTools, run, tool } from "./support/tools";
import { parseEnvFile } from "./support/vmStack";

const DOMAIN = "localhost";
const EMAIL = "ops@example.com";
const PASSWORD = "vm-acme-test-password-0123";
const EAB = {
  kid: "kid-1",
  hmacKey: "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W",
};
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nunused\n-----END OPENSSH PRIVATE KEY-----";

/** The leaf certificate a TLS server presents for DOMAIN on a port. */
function servedCertificate(port: number): Promise<tls.PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: "127.0.0.1", port, servername: DOMAIN, rejectUnauthorized: false },
      () => {
        const cert = socket.getPeerCertificate();
        socket.end();
        resolve(cert);
      },
    );
    socket.on("error", reject);
  });
}

/**
 * A blob download that reads its first bytes, then holds the connection open without
 * reading until finish() is called; finish() reads the rest and gives the sha256.
 */
function heldDownload(port: number, apiPath: string, ca: string) {
  let resolveFirst: () => void;
  const firstBytes = new Promise<void>((r) => (resolveFirst = r));
  let release: () => void;
  const released = new Promise<void>((r) => (release = r));
  let finished = false;
  const result = new Promise<{ status: number; digest: string }>((resolve, reject) => {
    const req = https.request(
      {
        hostname: "127.0.0.1",
        port,
        path: apiPath,
        servername: DOMAIN,
        ca,
        agent: false,
        headers: {
          host: `${DOMAIN}:${port}`,
          authorization: `Basic ${Buffer.from(`ci:${PASSWORD}`).toString("base64")}`,
        },
      },
      (res) => {
        const hash = createHash("sha256");
        res.once("data", (chunk: Buffer) => {
          hash.update(chunk);
          res.pause();
          resolveFirst();
          void released.then(() => {
            res.on("data", (c: Buffer) => hash.update(c));
            res.on("end", () => {
              finished = true;
              resolve({ status: res.statusCode ?? 0, digest: `sha256:${hash.digest("hex")}` });
            });
            res.resume();
          });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
  return {
    firstBytes,
    done: () => finished,
    finish: () => (release(), result),
  };
}

/** A PATH of busybox applets only: what the scripts call resolves as in an Alpine image. */
function busyboxPath(work: string): string {
  const dir = path.join(work, "busybox-bin");
  fs.mkdirSync(dir);
  for (const applet of [
    "cat",
    "chmod",
    "cmp",
    "cp",
    "kill",
    "mkdir",
    "mv",
    "sha256sum",
    "sleep",
    "wget",
  ])
    fs.symlinkSync(tool("busybox"), path.join(dir, applet));
  return dir;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function sh(script: string, env: Record<string, string>, timeoutMs: number) {
  return new Promise<{ code: number; out: string }>((resolve) =>
    execFile(
      "sh",
      ["-c", script],
      { env: { ...process.env, ...env }, timeout: timeoutMs },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }),
    ),
  );
}

describe("tls.mode acme: bad settings are refused before anything is created", () => {
  const vm = (over: Record<string, unknown>, tlsOver: Record<string, unknown> = {}) => ({
    "registry:backend": "vm",
    "registry:vm": {
      host: { mode: "existing", address: "203.0.113.7", privateKey: KEY },
      domain: "registry.example.com",
      ...over,
      tls: { mode: "acme", email: EMAIL, ...tlsOver },
    },
  });
  test.each([
    ["no email", vm({}, { email: undefined }), "registry:vm.tls.email"],
    [
      "a directory URL that is not https",
      vm({}, { directoryUrl: "http://acme.example.com/directory" }),
      "registry:vm.tls.directoryUrl must be an https URL of an ACME directory",
    ],
    [
      "a name that is an IP",
      vm({ domain: "203.0.113.7" }),
      "registry:vm.domain must be a DNS name such as registry.example.com",
    ],
    ["no name", vm({ domain: undefined }), "registry:vm.domain is required when tls.mode is acme"],
    [
      "plain HTTP on another port than 80",
      vm({ httpRedirectPort: 8080 }),
      "registry:vm.httpRedirectPort must be 80 (or unset) when tls.mode is acme",
    ],
  ])("%s", async (_, config, line) => {
    const refused = await runRefused(config);
    expect(refused.lines).toHaveLength(1);
    expect(refused.lines[0].startsWith(line)).toBe(true);
    expect(refused.registered).toEqual([]);
  });
});

describeWithTools(
  "tls.mode acme against pebble: issuance over HTTP-01 through nginx, push/pull, renewal under a pull",
  [
    "nginx",
    "docker-registry",
    "skopeo",
    "umoci",
    "openssl",
    "curl",
    "pebble",
    "pebble-challtestsrv",
    "lego",
    "busybox",
  ],
  () => {
    let work: string;
    let program: ProgramRun;
    let registry: RunningRegistry;
    const servers: ServerProcess[] = [];
    let client: ServerProcess;
    let nginx: ServerProcess;
    let httpsPort: number;
    let httpPort: number;
    let pebbleRoot: string;
    let certDir: string;
    let clientOptions: AcmeClientOptions;
    let busyboxEnv: Record<string, string>;
    let image: BuiltImage;
    const address = () => `${DOMAIN}:${httpsPort}`;

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), "vm-acme-"));
      // nginx's workers (not root) read the challenge webroot in here, as in the container.
      fs.chmodSync(work, 0o755);
      const [pebblePort, pebbleMgmt, dnsPort, ctsMgmt, tlsAlpnPort] = await Promise.all(
        Array.from({ length: 5 }, () => freePort()),
      );
      httpsPort = await freePort();
      httpPort = await freePort();

      // pebble's own listener certificate (the package ships none), signed by a private CA:
      // that CA is the bundle the settings pass.
      const listener = tlsPair(DOMAIN);
      const listenerCert = path.join(work, "pebble.crt");
      const listenerCa = path.join(work, "pebble-listener-ca.crt");
      fs.writeFileSync(listenerCert, listener.certificate);
      fs.writeFileSync(path.join(work, "pebble.key"), listener.key, { mode: 0o600 });
      fs.writeFileSync(listenerCa, listener.ca);
      const dns = new ServerProcess("pebble-challtestsrv", tool("pebble-challtestsrv"), [
        "-defaultIPv6",
        "",
        "-dns01",
        `127.0.0.1:${dnsPort}`,
        "-http01",
        "",
        "-https01",
        "",
        "-tlsalpn01",
        "",
        "-management",
        `127.0.0.1:${ctsMgmt}`,
      ]);
      servers.push(dns);
      await waitForPort(ctsMgmt, 15_000, dns);
      fs.writeFileSync(
        path.join(work, "pebble.json"),
        JSON.stringify({
          pebble: {
            listenAddress: `127.0.0.1:${pebblePort}`,
            managementListenAddress: `127.0.0.1:${pebbleMgmt}`,
            certificate: listenerCert,
            privateKey: path.join(work, "pebble.key"),
            // HTTP-01 dials the name on this port: nginx's port-80 server, mapped.
            httpPort,
            tlsPort: tlsAlpnPort,
            ocspResponderURL: "",
            externalAccountBindingRequired: true,
            externalAccountMACKeys: { [EAB.kid]: EAB.hmacKey },
          },
        }),
      );
      const pebble = new ServerProcess(
        "pebble",
        tool("pebble"),
        ["-config", path.join(work, "pebble.json"), "-dnsserver", `127.0.0.1:${dnsPort}`],
        { env: { ...process.env, PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0" } },
      );
      servers.push(pebble);
      await waitForPort(pebblePort, 15_000, pebble);
      await waitForPort(pebbleMgmt, 15_000, pebble);
      pebbleRoot = run(tool("curl"), [
        "-sS",
        "--cacert",
        listenerCa,
        `https://${DOMAIN}:${pebbleMgmt}/roots/0`,
      ]);
      certDir = certDirWith(path.join(work, "certs.d"), pebbleRoot);

      const directoryUrl = `https://${DOMAIN}:${pebblePort}/dir`;
      program = await runProgram({
        stack: "vm-acme",
        config: {
          "registry:backend": "vm",
          "registry:vm": {
            host: { mode: "existing", address: "127.0.0.1", privateKey: KEY },
            domain: DOMAIN,
            httpsPort,
            auth: { password: PASSWORD },
            tls: {
              mode: "acme",
              email: EMAIL,
              directoryUrl,
              caBundle: listener.ca,
              eab: EAB,
            },
          },
        },
        secretKeys: ["registry:vm"],
        showSecrets: true,
      });
      const files = program.files;
      const compose = parse(files["vm/docker-compose.yml"]);
      const unescape = (s: string) => s.replace(/\$\$/g, "$");

      // The deployed client script is these options rendered; below only paths, ports and binaries differ.
      const deployed = vmAcmeClientOptions(DOMAIN, {
        mode: "acme",
        email: EMAIL,
        directoryUrl,
        caBundle: "given",
        eab: { kid: EAB.kid, hmacKey: pulumi.output("unused") },
      });
      expect(unescape(compose.services.lego.entrypoint[2])).toBe(renderAcmeClientScript(deployed));
      expect(unescape(compose.services.nginx.command[2])).toBe(
        renderNginxReloader(vmNginxReloaderOptions()),
      );
      const deployedNginx = vmNginxOptions({
        domain: DOMAIN,
        httpsPort,
        tls: { mode: "acme" },
        storage: { driver: "filesystem" },
      });
      expect(renderNginxConfig(deployedNginx)).toBe(files["vm/nginx.conf"]);

      registry = await startRegistry({
        configYml: files["vm/config.yml"],
        htpasswd: files["vm/htpasswd"],
        env: parseEnvFile(files["vm/registry.env"]),
        dir: path.join(work, "registry"),
      });

      // The client starts first (as compose orders it): it puts the bootstrap certificate in place.
      const bootstrap = path.join(work, "bootstrap");
      fs.mkdirSync(bootstrap);
      fs.writeFileSync(path.join(bootstrap, "server.crt"), files["vm/certs/server.crt"]);
      fs.writeFileSync(path.join(bootstrap, "server.key"), files["vm/certs/server.key"], {
        mode: 0o600,
      });
      const acmeData = path.join(work, "acme");
      clientOptions = {
        ...deployed,
        lego: tool("lego"),
        dataDir: acmeData,
        caBundlePath: listenerCa,
        bootstrapCertificate: path.join(bootstrap, "server.crt"),
        bootstrapKey: path.join(bootstrap, "server.key"),
        challengeServerUrl: `http://127.0.0.1:${httpPort}`,
      };
      // Both containers' images are Alpine: their scripts run under busybox's sh and applets.
      busyboxEnv = { PATH: busyboxPath(work), ...parseEnvFile(files["vm/acme.env"]) };
      client = new ServerProcess(
        "acme client",
        tool("busybox"),
        ["sh", "-c", renderAcmeClientScript(clientOptions)],
        { env: busyboxEnv },
      );
      servers.push(client);
      const live = acmePaths(acmeData);
      await until("the bootstrap certificate", () => fs.existsSync(live.liveCertificate), 15_000);

      const paths = nginxPaths(path.join(work, "nginx"));
      fs.writeFileSync(
        paths.configPath,
        renderNginxConfig({
          ...deployedNginx,
          upstream: registry.address,
          listenAddress: "127.0.0.1",
          listenPort: httpsPort,
          httpRedirectPort: httpPort,
          healthListen: `127.0.0.1:${await freePort()}`,
          user: undefined,
          certificatePath: live.liveCertificate,
          keyPath: live.liveKey,
          acmeChallengeRoot: live.webroot,
          pidPath: paths.pidPath,
          errorLogPath: paths.errorLogPath,
          accessLogPath: paths.accessLogPath,
          tempDir: paths.tempDir,
        }),
      );
      nginx = new ServerProcess(
        "nginx (reloader)",
        tool("busybox"),
        [
          "sh",
          "-c",
          renderNginxReloader({
            ...vmNginxReloaderOptions(),
            nginx: `${tool("nginx")} -c ${paths.configPath} -e ${paths.errorLogPath}`,
            certificatePath: live.liveCertificate,
            keyPath: live.liveKey,
            intervalSeconds: 1,
          }),
        ],
        { env: busyboxEnv },
      );
      servers.push(nginx);
      await waitForPort(httpsPort, 15_000, nginx);
      image = buildImage(work, { tag: "v1", layerSizes: [48 * 1024 * 1024, 4096] });
    }, 120_000);

    afterAll(async () => {
      for (const s of servers.reverse()) await s.stop();
      await registry?.stop();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    test("REGISTRY is the domain and REGISTRY_CA_CERT is empty (a publicly trusted certificate)", () => {
      expect(program.outputs.REGISTRY).toEqual({ value: address(), secret: false });
      expect(program.outputs.REGISTRY_CA_CERT).toEqual({ value: "", secret: false });
    });

    test("the deploy's wait step refuses the bootstrap certificate and passes once the issued one is served", async () => {
      const wait = program.resources.find((r) => r.name === "registry-wait-for-registry")!;
      const { create, environment } = reveal(wait.inputs, true) as {
        create: string;
        environment: Record<string, string>;
      };
      expect(environment.REGISTRY_CA_CERT).toBe("");
      // The system trust store, mapped: pebble's root stands in for the public roots.
      const env = {
        ...environment,
        CURL_CA_BUNDLE: path.join(certDir, "ca.crt"),
        WAIT_INTERVAL_SECONDS: "1",
      };
      // Before issuance nginx serves the bootstrap certificate (the client probes nginx every 5 s).
      const first = await servedCertificate(httpsPort);
      expect(first.issuer.CN).toBe(DOMAIN);
      const early = await sh(create, { ...env, WAIT_TIMEOUT_SECONDS: "1" }, 20_000);
      expect(early.code).toBe(1);
      expect(early.out).toMatch(
        /did not answer 401 within 1s \(last: curl: \(60\) SSL certificate problem: self-signed certificate/,
      );
      const started = Date.now();
      const gate = await sh(create, { ...env, WAIT_TIMEOUT_SECONDS: "40" }, 60_000);
      expect(gate).toEqual({
        code: 0,
        out: `registry is up: https://${address()}/v2/ answers 401 (authentication required)\n`,
      });
      const issued = await servedCertificate(httpsPort);
      expect(issued.issuer.CN).toMatch(/^Pebble Intermediate CA /);
      expect(issued.subjectaltname).toBe(`DNS:${DOMAIN}`);
      console.log(
        `vm acme: issued and served ${Date.now() - started} ms after the wait step started`,
      );
    }, 90_000);

    test("port 80 answers the challenge directory and redirects everything else", () => {
      const probe = run(tool("curl"), [
        "-sS",
        `http://127.0.0.1:${httpPort}/.well-known/acme-challenge/probe`,
      ]);
      expect(probe).toBe("ok\n");
      const redirect = run(tool("curl"), [
        "-sS",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{redirect_url}",
        "-H",
        `Host: ${DOMAIN}`,
        `http://127.0.0.1:${httpPort}/v2/`,
      ]);
      expect(redirect).toBe(`301 https://${DOMAIN}:${httpsPort}/v2/`);
    });

    test("skopeo logs in, pushes and pulls, verifying the issued chain against pebble's root only", () => {
      const authfile = path.join(work, "auth.json");
      run(
        tool("skopeo"),
        [
          "login",
          "--authfile",
          authfile,
          "--cert-dir",
          certDir,
          "-u",
          "ci",
          "--password-stdin",
          address(),
        ],
        {
          input: PASSWORD,
        },
      );
      expect(JSON.parse(fs.readFileSync(authfile, "utf8")).auths).toHaveProperty([address()]);
      const { pulled } = pushAndPull(
        image,
        `${address()}/acme/app:v1`,
        { username: "ci", password: PASSWORD, certDir },
        work,
      );
      expect(pulled).toEqual({ manifestDigest: image.manifestDigest, layers: image.layers });
      // Without pebble's root, the same pull fails verification.
      expect(() =>
        run(tool("skopeo"), [
          "--insecure-policy",
          "inspect",
          "--creds",
          `ci:${PASSWORD}`,
          `docker://${address()}/acme/app:v1`,
        ]),
      ).toThrow(/certificate signed by unknown authority/);
    }, 120_000);

    test("a forced renewal: lego renews, nginx reloads while a pull runs, and the pull completes", async () => {
      const before = await servedCertificate(httpsPort);
      const access = { username: "ci", password: PASSWORD, certDir };
      // A pull in flight: skopeo, and the big layer's download held open across the reload
      // (its first bytes read, the rest only once nginx has reloaded).
      const skopeoPull = copyAsync(
        `docker://${address()}/acme/app:v1`,
        `oci:${path.join(work, "pull-during-renewal")}:v1`,
        { src: access },
      );
      const layer = heldDownload(httpsPort, `/v2/acme/app/blobs/${image.layers[0]}`, pebbleRoot);
      await layer.firstBytes;

      // The first reload took the issued certificate; the next one is the renewal's.
      const reloads = () => nginx.log().split("nginx reloaded: a new certificate").length - 1;
      const reloadsBefore = reloads();
      expect(reloadsBefore).toBe(1);
      await client.stop();
      // The same script with the threshold raised past the certificate's lifetime (pebble's last 5 years).
      const renewal = new ServerProcess(
        "acme client (forced renewal)",
        tool("busybox"),
        [
          "sh",
          "-c",
          renderAcmeClientScript({
            ...clientOptions,
            renewBeforeDays: 100_000,
            checkIntervalSeconds: 3600,
          }),
        ],
        { env: busyboxEnv },
      );
      servers.push(renewal);
      const started = Date.now();
      await until(
        "nginx to reload on the renewed certificate",
        () => reloads() > reloadsBefore,
        30_000,
      );
      const reloadMs = Date.now() - started;
      expect(renewal.log()).toContain("installed the certificate");
      // nginx -s reload returns once the master is signalled; new workers follow shortly.
      let after = before;
      await until(
        "nginx to serve the renewed certificate",
        async () =>
          (after = await servedCertificate(httpsPort)).serialNumber !== before.serialNumber,
        10_000,
      );
      expect(after.issuer.CN).toMatch(/^Pebble Intermediate CA /);

      // The download was open across the reload; the old worker finishes it.
      expect(layer.done()).toBe(false);
      expect(await layer.finish()).toEqual({ status: 200, digest: image.layers[0] });
      expect(await skopeoPull).toMatchObject({ ok: true });
      // A pull after the reload verifies the renewed chain.
      const afterPull = await copyAsync(
        `docker://${address()}/acme/app:v1`,
        `oci:${path.join(work, "pull-after-renewal")}:v1`,
        { src: access },
      );
      expect(afterPull).toMatchObject({ ok: true });
      console.log(
        `vm acme: forced renewal to nginx reload ${reloadMs} ms; the held pull completed`,
      );
    }, 120_000);

    test("a new contact email registers a new account and orders again (renew alone would refuse it)", async () => {
      await servers.at(-1)!.stop();
      const fresh = new ServerProcess(
        "acme client (new email)",
        tool("busybox"),
        ["sh", "-c", renderAcmeClientScript({ ...clientOptions, email: "new-ops@example.com" })],
        { env: busyboxEnv },
      );
      servers.push(fresh);
      await until(
        "the new account's order",
        () => fresh.log().includes("installed the certificate"),
        30_000,
      );
      const accounts = path.join(
        legoPath(clientOptions.dataDir, clientOptions.directoryUrl),
        "accounts",
      );
      const emails = fs
        .readdirSync(accounts)
        .flatMap((server) => fs.readdirSync(path.join(accounts, server)));
      expect(emails.sort()).toEqual(["new-ops@example.com", EMAIL]);
    }, 60_000);
  },
);
