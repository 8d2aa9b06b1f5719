/**
 * The VM backend under Pulumi mocks, in both host modes and both TLS modes: what it
 * registers, what it hands out, which values are secrets, and whether the bundle it
 * generates is accepted by docker-compose and cloud-init. In test mode the TLS mocks
 * make real keys and certificates, so the CA is checked against the server certificate.
 */
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import {
  reveal,
  runProgram,
  SECRET,
  type ProgramRun,
  type RegisteredResource,
} from "../../tools/runProgram";
import { describeWithTools, tool } from "../../tests/support/tools";
import { tlsPair } from "../../tests/support/keyMaterial";

const SSH_KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
const SSH_PUB =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDh6g0N0W3s0xWmQ9x1dwbL7Xr3d7gk0H4oZ1mZ9Zk2V deploy@ci";
// A server certificate followed by its issuer (standing in for an intermediate), its key, and a private CA.
const CHAIN = `${tlsPair().certificate.trim()}\n${tlsPair().ca.trim()}`;
const TLS_KEY = tlsPair().key;
const PRIVATE_CA = tlsPair().ca.trim();
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

const gcpHost = {
  mode: "gcp",
  project: "my-project-1",
  zone: "europe-west1-b",
  sshSourceRanges: ["198.51.100.0/24"],
};

const SCENARIOS = {
  /** An existing host by IP, self-signed TLS, a non-443 port. */
  existingSelfSigned: {
    host: { mode: "existing", address: "203.0.113.7", user: "deploy", privateKey: SSH_KEY },
    httpsPort: 5443,
  },
  /** A GCP VM with a domain, self-signed TLS, the HTTP redirect, data not kept, a generated SSH key. */
  gcpSelfSigned: {
    host: gcpHost,
    domain: "registry.example.com",
    httpRedirectPort: 80,
    keepDataOnDestroy: false,
  },
  /** A GCP VM with a provided certificate (publicly trusted: no CA out) and the user's SSH key. */
  gcpProvided: {
    host: { ...gcpHost, sshPublicKey: SSH_PUB, sshPrivateKey: SSH_KEY },
    domain: "registry.example.com",
    tls: { mode: "provided", certificate: CHAIN, key: TLS_KEY },
  },
  /** An existing host by name, a provided certificate from a private CA, S3 storage and a pull-through cache. */
  existingProvided: {
    host: {
      mode: "existing",
      address: "vm.internal.example.com",
      privateKey: SSH_KEY,
      hostKey: SSH_PUB,
    },
    domain: "registry.example.com",
    tls: { mode: "provided", certificate: CHAIN, key: TLS_KEY, caCertificate: PRIVATE_CA },
    storage: {
      driver: "s3",
      s3: {
        bucket: "images",
        region: "eu-west-1",
        accessKey: "AKIAEXAMPLE",
        secretKey: "s3-secret/with+chars",
      },
    },
    proxy: { remoteUrl: "https://registry-1.docker.io", username: "hub", password: "hub-password" },
  },
  /** A GCP VM with ACME (HTTPS only from a range, a staging directory with EAB). */
  gcpAcme: {
    host: { ...gcpHost, httpsSourceRanges: ["192.0.2.0/24"] },
    domain: "registry.example.com",
    tls: {
      mode: "acme",
      email: "ops@example.com",
      directoryUrl: "https://acme-staging-v02.api.letsencrypt.org/directory",
      eab: { kid: "kid-1", hmacKey: "eab-mac-key_0123456789" },
    },
  },
} as const;
type Scenario = keyof typeof SCENARIOS;

const runs = {} as Record<Scenario, ProgramRun>;

beforeAll(async () => {
  for (const [stack, settings] of Object.entries(SCENARIOS))
    runs[stack as Scenario] = await runProgram({
      stack,
      config: { "registry:backend": "vm", "registry:vm": settings },
      secretKeys: ["registry:vm"],
    });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const inputsOf = (r: RegisteredResource): any => reveal(r.inputs, true);
const isWrappedSecret = (v: unknown) => !!v && typeof v === "object" && SECRET_SIG in (v as object);
const find = (run: ProgramRun, type: string, name?: string) => {
  const found = run.resources.filter(
    (r) => r.type === type && (name === undefined || r.name === name),
  );
  if (found.length !== 1) throw new Error(`${found.length} ${type} ${name ?? ""}`);
  return found[0];
};
const httpSecretOf = (run: ProgramRun) =>
  find(run, "random:index/randomPassword:RandomPassword", "registry-http-secret").state
    .result as string;

describe.each(Object.keys(SCENARIOS) as Scenario[])("%s", (scenario) => {
  const run = () => runs[scenario];

  test("one registry:vm:Registry owns every resource", () => {
    const component = find(run(), "registry:vm:Registry");
    expect(component.parent).toBeNull();
    for (const r of run().resources.filter((r) => r !== component))
      expect(r.parent).toBe("registry:vm:Registry::registry");
  });

  // A stack with `proxy` is a mirror: its login is exported as the pull login.
  const login = () =>
    "proxy" in SCENARIOS[scenario]
      ? { user: "REGISTRY_PULL_USERNAME", password: "REGISTRY_PULL_PASSWORD" }
      : { user: "REGISTRY_USERNAME", password: "REGISTRY_PASSWORD" };

  test("the CI user's password, the htpasswd, the env file and the TLS key are secrets", () => {
    expect(run().outputs[login().password].secret).toBe(true);
    expect(run().outputs[login().user]).toEqual({ value: "ci", secret: false });
    for (const file of ["vm/htpasswd", "vm/registry.env", "vm/certs/server.key"])
      expect(run().files[file]).toBe(SECRET);
    for (const r of run().resources.filter((r) => r.type === "command:remote:CopyToRemote")) {
      const secretFile = /(htpasswd|registry-env|server-key|acme-env)$/.test(r.name);
      expect([r.name, isWrappedSecret(r.inputs.source)]).toEqual([r.name, secretFile]);
    }
  });

  test("no secret appears in a file that is not secret", () => {
    const secrets = [
      run().outputs[login().password].value as string,
      httpSecretOf(run()),
      "hub-password",
      "s3-secret/with+chars",
      "eab-mac-key_0123456789",
    ];
    for (const [file, text] of Object.entries(run().files))
      for (const s of secrets) expect([file, text.includes(s)]).toEqual([file, false]);
  });

  test("SSH goes with a secret key, to the host, and every remote step uses it", () => {
    const commands = run().resources.filter((r) => r.type.startsWith("command:remote:"));
    expect(commands.length).toBeGreaterThanOrEqual(8);
    for (const c of commands) expect(isWrappedSecret(c.inputs.connection)).toBe(true);
    const connection = inputsOf(
      find(run(), "command:remote:Command", "registry-compose-up"),
    ).connection;
    expect(connection.privateKey).toMatch(/PRIVATE KEY-----/);
    expect(connection.host).toBe(run().outputs.VM_ADDRESS.value);
  });

  test("the bundle is copied next to the compose file, then started only when its content changes", () => {
    const copies = run()
      .resources.filter((r) => r.type === "command:remote:CopyToRemote")
      .map((r) => inputsOf(r).remotePath);
    const bundle = Object.keys(run().files)
      .filter((f) => f !== "vm/cloud-init.yaml")
      .map((f) => f.replace(/^vm\//, "/opt/registry/"));
    expect(copies.sort()).toEqual(bundle.sort());
    const up = find(run(), "command:remote:Command", "registry-compose-up");
    expect(inputsOf(up).create).toContain(
      "docker compose -p registry up -d --remove-orphans --wait",
    );
    expect(inputsOf(up).update).toBe(inputsOf(up).create);
    // The bundle's hash is in the script (a change is an update, which runs `update`);
    // never in triggers, whose change would replace it and run the old `down` last.
    expect(inputsOf(up).create).toMatch(/\n# bundle sha256 [0-9a-f]{64}\n$/);
    expect(isWrappedSecret(up.inputs.create)).toBe(false);
    expect(up.inputs.triggers).toBeUndefined();
  });
});

describe("existing host, self-signed TLS", () => {
  const run = () => runs.existingSelfSigned;

  test("REGISTRY is the host's IP with the port; the CA goes out", () => {
    expect(run().outputs.REGISTRY.value).toBe("203.0.113.7:5443");
    expect(run().outputs.REGISTRY_BACKEND.value).toBe("vm");
    expect(run().outputs.VM_SSH_USER.value).toBe("deploy");
    expect(run().outputs.REGISTRY_CA_CERT.value).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  test("the server certificate names the IP and is signed by the CA that goes out", () => {
    const ca = new X509Certificate(run().outputs.REGISTRY_CA_CERT.value as string);
    const server = new X509Certificate(run().files["vm/certs/server.crt"]);
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkIP("203.0.113.7")).toBe("203.0.113.7");
    expect(server.checkHost("registry.example.com")).toBeUndefined();
    expect(server.keyUsage).toContain("1.3.6.1.5.5.7.3.1"); // serverAuth
  });

  test("the private keys behind it are secrets", () => {
    const request = find(run(), "tls:index/certRequest:CertRequest");
    expect(isWrappedSecret(request.inputs.privateKeyPem)).toBe(true);
    expect(
      isWrappedSecret(
        find(run(), "tls:index/locallySignedCert:LocallySignedCert").inputs.caPrivateKeyPem,
      ),
    ).toBe(true);
    expect(
      isWrappedSecret(find(run(), "tls:index/selfSignedCert:SelfSignedCert").inputs.privateKeyPem),
    ).toBe(true);
  });

  test("the images live in a named volume that `pulumi destroy` keeps", () => {
    const compose = parse(run().files["vm/docker-compose.yml"]);
    expect(compose.services.registry.volumes).toContain("registry-data:/var/lib/registry");
    expect(compose.services.nginx.ports).toEqual(["5443:443"]);
    const down = inputsOf(find(run(), "command:remote:Command", "registry-compose-up")).delete;
    expect(down).toContain("docker compose -p registry down --remove-orphans\n");
    expect(down).not.toContain("--volumes");
  });

  test("no VM, no cloud-init, no Docker wait for cloud-init", () => {
    expect(run().resources.some((r) => r.type.startsWith("gcp:"))).toBe(false);
    expect(run().files["vm/cloud-init.yaml"]).toBeUndefined();
    expect(
      inputsOf(find(run(), "command:remote:Command", "registry-prepare-host")).create,
    ).not.toContain("cloud-init");
  });

  test("the deploy waits for 401 at the address clients use, trusting the generated CA", () => {
    const wait = inputsOf(find(run(), "command:local:Command", "registry-wait-for-registry"));
    expect(wait.environment).toEqual({
      REGISTRY_URL: "https://203.0.113.7:5443/v2/",
      REGISTRY_CONNECT_TO: "",
      REGISTRY_CA_CERT: run().outputs.REGISTRY_CA_CERT.value,
      WAIT_TIMEOUT_SECONDS: "300",
    });
  });

  test("the env file carries the http secret to the registry", async () => {
    const shown = await runProgram({
      stack: "existingSelfSignedShown",
      config: { "registry:backend": "vm", "registry:vm": SCENARIOS.existingSelfSigned },
      showSecrets: true,
    });
    // A YAML string in single quotes: the registry parses REGISTRY_* values as YAML.
    expect(shown.files["vm/registry.env"]).toBe(
      `REGISTRY_HTTP_SECRET='"${httpSecretOf(shown)}"'\n`,
    );
    expect(shown.files["vm/htpasswd"]).toMatch(/^ci:\$2y\$04\$/);
    expect(shown.files["vm/certs/server.key"]).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
  });
});

describe("GCP host, self-signed TLS", () => {
  const run = () => runs.gcpSelfSigned;
  const firewall = (name: string) => inputsOf(find(run(), "gcp:compute/firewall:Firewall", name));

  test("REGISTRY is the domain; the certificate names it", () => {
    expect(run().outputs.REGISTRY.value).toBe("registry.example.com");
    expect(run().outputs.VM_ADDRESS.value).toMatch(/^203\.0\.113\.\d+$/);
    const server = new X509Certificate(run().files["vm/certs/server.crt"]);
    expect(server.checkHost("registry.example.com")).toBe("registry.example.com");
    expect(
      server.verify(new X509Certificate(run().outputs.REGISTRY_CA_CERT.value as string).publicKey),
    ).toBe(true);
  });

  test("the firewall opens HTTPS (and 80 for the redirect) to all, SSH only to the deployer's ranges", () => {
    expect(firewall("registry-https")).toMatchObject({
      sourceRanges: ["0.0.0.0/0"],
      allows: [{ protocol: "tcp", ports: ["443", "80"] }],
    });
    expect(firewall("registry-ssh")).toMatchObject({
      sourceRanges: ["198.51.100.0/24"],
      allows: [{ protocol: "tcp", ports: ["22"] }],
    });
    const tags = inputsOf(find(run(), "gcp:compute/instance:Instance")).tags;
    expect(firewall("registry-https").targetTags).toEqual(tags);
    expect(firewall("registry-ssh").targetTags).toEqual(tags);
  });

  test("the VM: the reserved IP, the data disk, cloud-init with the generated SSH key's public half", () => {
    const vm = inputsOf(find(run(), "gcp:compute/instance:Instance"));
    expect(vm.networkInterfaces[0].accessConfigs[0].natIp).toBe(run().outputs.VM_ADDRESS.value);
    expect(vm.attachedDisks).toEqual([
      { source: find(run(), "gcp:compute/disk:Disk").state.selfLink, deviceName: "registry-data" },
    ]);
    expect(vm.bootDisk.initializeParams.image).toBe("ubuntu-os-cloud/ubuntu-2404-lts-amd64");
    const userData = vm.metadata["user-data"];
    expect(userData).toBe(run().files["vm/cloud-init.yaml"]);
    const sshKey = find(run(), "tls:index/privateKey:PrivateKey", "registry-ssh-key");
    expect(parse(userData).users[0].ssh_authorized_keys).toEqual([
      (sshKey.state.publicKeyOpenssh as string).trim(),
    ]);
    expect(userData).not.toMatch(/PRIVATE KEY/);
    const connection = inputsOf(
      find(run(), "command:remote:Command", "registry-prepare-host"),
    ).connection;
    expect(connection).toMatchObject({
      user: "registry",
      privateKey: sshKey.state.privateKeyOpenssh,
    });
    expect(connection.privateKey).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
  });

  test("the images live on the data disk; keepDataOnDestroy false also removes the volumes", () => {
    const compose = parse(run().files["vm/docker-compose.yml"]);
    expect(compose.services.registry.volumes).toContain("/mnt/registry-data:/var/lib/registry");
    expect(compose.services.nginx.ports).toEqual(["443:443", "80:80"]);
    expect(inputsOf(find(run(), "command:remote:Command", "registry-compose-up")).delete).toContain(
      "down --remove-orphans --volumes",
    );
  });

  test("the first SSH session waits for cloud-init; the wait step dials the VM under the domain's name", () => {
    expect(
      inputsOf(find(run(), "command:remote:Command", "registry-prepare-host")).create,
    ).toContain("cloud-init status --wait");
    const wait = inputsOf(find(run(), "command:local:Command", "registry-wait-for-registry"));
    expect(wait.environment.REGISTRY_URL).toBe("https://registry.example.com/v2/");
    expect(wait.environment.REGISTRY_CONNECT_TO).toBe(
      `registry.example.com:443:${run().outputs.VM_ADDRESS.value}:443`,
    );
  });
});

describe("GCP host, provided TLS", () => {
  const run = () => runs.gcpProvided;

  test("the certificate chain is served as given, no CA goes out, no TLS resources", () => {
    expect(run().files["vm/certs/server.crt"]).toBe(`${CHAIN}\n`);
    expect(run().outputs.REGISTRY_CA_CERT.value).toBe("");
    expect(run().resources.some((r) => r.type.startsWith("tls:"))).toBe(false);
  });

  test("the user's SSH key pair: public half in cloud-init, private half (secret) for SSH", () => {
    const userData = parse(run().files["vm/cloud-init.yaml"]);
    expect(userData.users[0].ssh_authorized_keys).toEqual([SSH_PUB]);
    expect(
      inputsOf(find(run(), "command:remote:Command", "registry-compose-up")).connection.privateKey,
    ).toBe(SSH_KEY);
  });

  test("the firewall opens only 443 without the redirect", () => {
    expect(inputsOf(find(run(), "gcp:compute/firewall:Firewall", "registry-https")).allows).toEqual(
      [{ protocol: "tcp", ports: ["443"] }],
    );
    expect(run().files["vm/nginx.conf"]).not.toContain("return 301");
  });
});

describe("existing host, provided TLS from a private CA, S3 storage, pull-through cache", () => {
  const run = () => runs.existingProvided;

  test("REGISTRY is the domain; the private CA goes out; SSH checks the host key", () => {
    expect(run().outputs.REGISTRY.value).toBe("registry.example.com");
    expect(run().outputs.REGISTRY_CA_CERT.value).toBe(PRIVATE_CA);
    const connection = inputsOf(
      find(run(), "command:remote:Command", "registry-compose-up"),
    ).connection;
    expect(connection).toMatchObject({
      host: "vm.internal.example.com",
      port: 22,
      user: "root",
      hostKey: SSH_PUB,
    });
  });

  test("object storage: no data volume; the S3 keys and the upstream password go by the env file", async () => {
    const compose = parse(run().files["vm/docker-compose.yml"]);
    expect(compose.volumes).toBeUndefined();
    expect(parse(run().files["vm/config.yml"]).storage.s3).toMatchObject({
      bucket: "images",
      region: "eu-west-1",
    });
    expect(parse(run().files["vm/config.yml"]).proxy).toEqual({
      remoteurl: "https://registry-1.docker.io",
      username: "hub",
    });
    const shown = await runProgram({
      stack: "existingProvidedShown",
      config: { "registry:backend": "vm", "registry:vm": SCENARIOS.existingProvided },
      showSecrets: true,
    });
    expect(shown.files["vm/registry.env"]).toBe(
      [
        `REGISTRY_HTTP_SECRET='"${httpSecretOf(shown)}"'`,
        `REGISTRY_STORAGE_S3_ACCESSKEY='"AKIAEXAMPLE"'`,
        `REGISTRY_STORAGE_S3_SECRETKEY='"s3-secret/with+chars"'`,
        `REGISTRY_PROXY_PASSWORD='"hub-password"'`,
        "",
      ].join("\n"),
    );
  });

  test("the wait step dials the host under the domain's name, trusting the private CA", () => {
    const wait = inputsOf(find(run(), "command:local:Command", "registry-wait-for-registry"));
    expect(wait.environment).toMatchObject({
      REGISTRY_CONNECT_TO: "registry.example.com:443:vm.internal.example.com:443",
      REGISTRY_CA_CERT: PRIVATE_CA,
    });
  });
});

describeWithTools("the generated user-data, checked by cloud-init", ["cloud-init"], () => {
  test.each(["gcpSelfSigned", "gcpProvided"] as Scenario[])("%s", (scenario) => {
    const file = path.join(
      fs.mkdtempSync(path.join(os.tmpdir(), "vm-user-data-")),
      "user-data.yaml",
    );
    fs.writeFileSync(file, runs[scenario].files["vm/cloud-init.yaml"]);
    expect(
      execFileSync(tool("cloud-init"), ["schema", "--config-file", file], { encoding: "utf8" }),
    ).toContain("Valid cloud-config");
  });
});

describeWithTools("the rendered bundle, checked by docker-compose", ["docker-compose"], () => {
  test.each(Object.keys(SCENARIOS) as Scenario[])(
    "%s: config -q resolves it, and every ./file it mounts exists",
    (scenario) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `vm-bundle-${scenario}-`));
      try {
        for (const [file, text] of Object.entries(runs[scenario].files)) {
          fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
          fs.writeFileSync(path.join(dir, file), text);
        }
        const compose = path.join(dir, "vm", "docker-compose.yml");
        execFileSync(tool("docker-compose"), ["-f", compose, "config", "-q"], { stdio: "pipe" });
        const doc = parse(fs.readFileSync(compose, "utf8"));
        for (const service of Object.values(doc.services) as { volumes: string[] }[])
          for (const v of service.volumes.filter((v) => v.startsWith("./")))
            expect([v, fs.existsSync(path.join(dir, "vm", v.split(":")[0]))]).toEqual([v, true]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe("GCP host, tls.mode acme", () => {
  const run = () => runs.gcpAcme;

  test("REGISTRY is the domain; REGISTRY_CA_CERT is empty (a publicly trusted certificate)", () => {
    expect(run().outputs.REGISTRY.value).toBe("registry.example.com");
    expect(run().outputs.REGISTRY_CA_CERT).toEqual({ value: "", secret: false });
  });

  test("port 80 is open to every CA validation address; HTTPS only to httpsSourceRanges", () => {
    const rules = run()
      .resources.filter((r) => r.type === "gcp:compute/firewall:Firewall")
      .map((r) => [r.name, inputsOf(r).sourceRanges, inputsOf(r).allows]);
    expect(rules).toEqual([
      ["registry-https", ["192.0.2.0/24"], [{ protocol: "tcp", ports: ["443"] }]],
      ["registry-acme-http", ["0.0.0.0/0"], [{ protocol: "tcp", ports: ["80"] }]],
      ["registry-ssh", ["198.51.100.0/24"], [{ protocol: "tcp", ports: ["22"] }]],
    ]);
  });

  test("nginx starts on a bootstrap certificate for the domain; the ACME state is on the data disk", () => {
    const bootstrap = new X509Certificate(run().files["vm/certs/server.crt"]);
    expect(bootstrap.subjectAltName).toBe("DNS:registry.example.com");
    expect(bootstrap.issuer).toBe(bootstrap.subject);
    const compose = parse(run().files["vm/docker-compose.yml"]);
    expect(compose.services.lego.volumes[0]).toBe("/mnt/registry-data/acme:/data");
    expect(compose.services.lego.image).toBe("goacme/lego:v4.9.1");
    expect(compose.services.nginx.ports).toEqual(["443:443", "80:80"]);
    expect(run().files["vm/acme.env"]).toBe(SECRET);
  });

  test("the wait step trusts the system's CAs only (no REGISTRY_CA_CERT) and dials the VM", () => {
    const wait = inputsOf(find(run(), "command:local:Command", "registry-wait-for-registry"));
    expect(wait.environment.REGISTRY_CA_CERT).toBe("");
    expect(wait.environment.REGISTRY_URL).toBe("https://registry.example.com/v2/");
    expect(wait.environment.REGISTRY_CONNECT_TO).toMatch(
      /^registry\.example\.com:443:[0-9.]+:443$/,
    );
  });
});
