/**
 * The docker backend under Pulumi mocks, with the local stack's config: what it
 * registers (image, volume, container), how (ports, restart, healthcheck, logs,
 * uploads, env), what stays secret, and the TLS variant with nginx in front.
 */
import * as pulumi from "@pulumi/pulumi";
import type { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { compareSync } from "bcryptjs";
import { parse } from "yaml";
import {
  reveal,
  runProgram,
  SECRET,
  type ProgramRun,
  type RegisteredResource,
} from "../../tools/runProgram";
import { serviceAccountKeyJson } from "../../tests/support/keyMaterial";

const PASSWORD = "a-known-password-for-tests";

function byType(run: ProgramRun, type: string): RegisteredResource[] {
  return run.resources.filter((r) => r.type === type);
}
function one(run: ProgramRun, type: string, name?: string): RegisteredResource {
  const found = byType(run, type).filter((r) => name === undefined || r.name === name);
  if (found.length !== 1)
    throw new Error(`expected one ${type} ${name ?? ""}, found ${found.length}`);
  return found[0];
}
function isWrappedSecret(v: unknown): boolean {
  return reveal(v, false) === SECRET;
}

describe("docker backend, local stack defaults", () => {
  let run: ProgramRun;
  let container: RegisteredResource;

  beforeAll(async () => {
    run = await runProgram({
      stack: "local",
      config: { "registry:backend": "docker", "registry:docker": { port: 5000 } },
    });
    container = one(run, "docker:index/container:Container");
  });

  test("one component, with every resource under it", () => {
    const component = one(run, "registry:docker:Registry");
    expect(component.name).toBe("registry");
    for (const r of run.resources.filter((x) => x !== component))
      expect(r.parent).toBe("registry:docker:Registry::registry");
    expect(byType(run, "docker:index/network:Network")).toHaveLength(0);
    expect(byType(run, "pulumi:providers:docker")).toHaveLength(0); // DOCKER_HOST decides
  });

  test("the pinned registry image is pulled and kept on destroy", () => {
    const image = one(run, "docker:index/remoteImage:RemoteImage");
    expect(image.inputs).toMatchObject({ name: "registry:2.8.3", keepLocally: true });
    expect(container.inputs.image).toBe(image.state.imageId);
  });

  test("the named volume holds /var/lib/registry and survives destroy", () => {
    const volume = one(run, "docker:index/volume:Volume");
    expect(volume.inputs.name).toBe("registry-data");
    expect(volume.retainOnDelete).toBe(true);
    expect(container.retainOnDelete).toBe(false);
    expect(container.inputs.volumes).toEqual([
      { volumeName: "registry-data", containerPath: "/var/lib/registry" },
    ]);
  });

  test("the container: name, restart policy, published on 127.0.0.1:5000 only", () => {
    expect(container.inputs).toMatchObject({
      name: "registry",
      restart: "unless-stopped",
      wait: true,
    });
    expect(container.inputs.ports).toEqual([{ ip: "127.0.0.1", external: 5000, internal: 5000 }]);
    expect(container.inputs.networksAdvanced).toBeUndefined();
  });

  test("a healthcheck on GET / and json-file log rotation", () => {
    expect(container.inputs.healthcheck).toMatchObject({
      tests: ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:5000/"],
      retries: 3,
    });
    expect(container.inputs.logDriver).toBe("json-file");
    expect(container.inputs.logOpts).toEqual({ "max-size": "10m", "max-file": "3" });
  });

  test("config.yml is uploaded where registry:2 reads it, and is the file render shows", () => {
    const uploads = reveal(container.inputs.uploads, true) as { file: string; content: string }[];
    const config = uploads.find((u) => u.file === "/etc/docker/registry/config.yml");
    expect(config?.content).toBe(run.files["docker/config.yml"]);
    expect(parse(run.files["docker/config.yml"])).toEqual({
      version: 0.1,
      log: { level: "info", fields: { service: "registry" } },
      storage: {
        delete: { enabled: true },
        filesystem: { rootdirectory: "/var/lib/registry" },
        cache: { blobdescriptor: "inmemory" },
      },
      http: { addr: ":5000", headers: { "X-Content-Type-Options": ["nosniff"] } },
      auth: { htpasswd: { realm: "Registry", path: "/etc/docker/registry/htpasswd" } },
      health: { storagedriver: { enabled: true, interval: "10s", threshold: 3 } },
    });
  });

  test("auth is on: the htpasswd is uploaded beside config.yml, and uploads are secret", () => {
    // One secret element makes the whole uploads property secret in state.
    expect(isWrappedSecret(container.inputs.uploads)).toBe(true);
    const uploads = reveal(container.inputs.uploads, true) as {
      file: string;
      content: string;
      permissions: string;
    }[];
    const htpasswd = uploads.find((u) => u.file === "/etc/docker/registry/htpasswd");
    expect(htpasswd?.content).toMatch(/^ci:\$2y\$04\$[./A-Za-z0-9]{53}\n$/);
    expect(htpasswd?.permissions).toBe("0600");
    expect(run.files["docker/htpasswd"]).toBe(SECRET);
    expect(parse(run.files["docker/config.yml"]).auth.htpasswd.path).toBe(
      "/etc/docker/registry/htpasswd",
    );
  });

  test("secrets go by env, as a secret, never in config.yml", () => {
    expect(isWrappedSecret(container.inputs.envs)).toBe(true);
    const envs = reveal(container.inputs.envs, true) as string[];
    expect(envs).toHaveLength(1);
    // A YAML string: the registry parses REGISTRY_* values as YAML.
    expect(envs[0]).toMatch(/^REGISTRY_HTTP_SECRET="[A-Za-z0-9]{48}"$/);
    expect(run.files["docker/config.yml"]).not.toContain(envs[0].split("=")[1].slice(1, -1));
    expect(run.files["docker/config.yml"]).not.toMatch(/secret:/);
  });

  test("outputs: localhost:5000, user ci, a generated secret password, no CA", () => {
    expect(run.outputs.REGISTRY).toEqual({ value: "localhost:5000", secret: false });
    expect(run.outputs.REGISTRY_BACKEND.value).toBe("docker");
    expect(run.outputs.REGISTRY_USERNAME.value).toBe("ci");
    expect(run.outputs.REGISTRY_PASSWORD.secret).toBe(true);
    expect(run.outputs.REGISTRY_PASSWORD.value).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(run.outputs.REGISTRY_CA_CERT.value).toBe("");
    expect(Object.keys(run.files).sort()).toEqual(["docker/config.yml", "docker/htpasswd"]);
  });
});

describe("docker backend, configured: known password, public bind, TLS through nginx", () => {
  let run: ProgramRun;
  let shown: ProgramRun;
  const config = {
    "registry:backend": "docker",
    "registry:docker": {
      bindAddress: "0.0.0.0",
      advertiseHost: "registry.lan",
      restartPolicy: "always",
      keepVolumeOnDestroy: false,
      logMaxSize: "50m",
      logMaxFile: 5,
      containerName: "ci-registry",
      dockerHost: "ssh://builder@registry.lan",
      auth: { password: PASSWORD },
      tls: { enabled: true, port: 8443, serverNames: ["registry.lan", "10.0.0.5"] },
    },
  };

  beforeAll(async () => {
    run = await runProgram({ stack: "tls", config, secretKeys: ["registry:docker"] });
    shown = await runProgram({
      stack: "tls",
      config,
      secretKeys: ["registry:docker"],
      showSecrets: true,
    });
  });

  test("the registry is not published; nginx is, on bindAddress:tls.port", () => {
    const registry = one(run, "docker:index/container:Container", "registry-registry");
    const nginx = one(run, "docker:index/container:Container", "registry-tls-nginx");
    expect(registry.inputs.ports).toEqual([]);
    expect(registry.inputs.restart).toBe("always");
    expect(registry.inputs.logOpts).toEqual({ "max-size": "50m", "max-file": "5" });
    expect(nginx.inputs).toMatchObject({ name: "ci-registry-nginx", restart: "always" });
    expect(nginx.inputs.ports).toEqual([{ ip: "0.0.0.0", external: 8443, internal: 443 }]);
    expect(nginx.inputs.logOpts).toEqual({ "max-size": "50m", "max-file": "5" });
    expect(nginx.inputs.healthcheck).toMatchObject({
      tests: ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:8080/healthz"],
    });
    // Both on one private network, where nginx finds the registry by its container name.
    const network = one(run, "docker:index/network:Network");
    expect(network.inputs.name).toBe("ci-registry-net");
    expect(registry.inputs.networksAdvanced).toEqual([
      { name: "ci-registry-net", aliases: ["ci-registry"] },
    ]);
    expect(nginx.inputs.networksAdvanced).toEqual([{ name: "ci-registry-net" }]);
    expect(nginx.dependencies).toContain("docker:index/container:Container::registry-registry");
  });

  test("nginx.conf: TLS on 443 to the registry's container name, uploaded with the cert and a secret key", () => {
    const expected = run.files["docker/nginx.conf"];
    // The lines this backend decides (the rest is the shared nginx renderer's, tested beside it).
    for (const line of [
      "server ci-registry:5000;",
      "listen 443 ssl reuseport;",
      "ssl_certificate /etc/nginx/registry.crt;",
      "ssl_certificate_key /etc/nginx/registry.key;",
      "listen 127.0.0.1:8080;",
      "client_max_body_size 0;",
    ])
      expect(expected.split("\n").map((l) => l.trim())).toContain(line);
    const nginx = one(run, "docker:index/container:Container", "registry-tls-nginx");
    // The private key makes the whole uploads property secret.
    expect(isWrappedSecret(nginx.inputs.uploads)).toBe(true);
    const uploads = reveal(nginx.inputs.uploads, true) as { file: string; content: string }[];
    expect(uploads.map((u) => u.file)).toEqual([
      "/etc/nginx/nginx.conf",
      "/etc/nginx/registry.crt",
      "/etc/nginx/registry.key",
    ]);
    expect(uploads[0].content).toBe(expected);
    const key = one(run, "tls:index/privateKey:PrivateKey", "registry-tls-server-key");
    const cert = one(run, "tls:index/locallySignedCert:LocallySignedCert");
    expect(uploads[1].content).toBe(cert.state.certPem);
    expect(uploads[2].content).toBe(key.state.privateKeyPem);
  });

  test("a CA and a server certificate for the configured names", () => {
    const csr = one(run, "tls:index/certRequest:CertRequest");
    expect(csr.inputs).toMatchObject({ dnsNames: ["registry.lan"], ipAddresses: ["10.0.0.5"] });
    const ca = one(run, "tls:index/selfSignedCert:SelfSignedCert");
    expect(ca.inputs.isCaCertificate).toBe(true);
    const cert = one(run, "tls:index/locallySignedCert:LocallySignedCert");
    expect(cert.inputs.allowedUses).toContain("server_auth");
    expect(run.outputs.REGISTRY_CA_CERT.value).toBe(ca.state.certPem);
    expect(String(run.outputs.REGISTRY_CA_CERT.value)).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  test("outputs: the advertised host and the TLS port; the configured password, secret", () => {
    expect(run.outputs.REGISTRY.value).toBe("registry.lan:8443");
    expect(run.outputs.REGISTRY_PASSWORD).toEqual({ value: PASSWORD, secret: true });
    expect(Object.keys(run.files).sort()).toEqual([
      "docker/config.yml",
      "docker/htpasswd",
      "docker/nginx.conf",
    ]);
  });

  test("the htpasswd holds the configured password as bcrypt, never in clear", () => {
    const htpasswd = shown.files["docker/htpasswd"];
    expect(htpasswd).toMatch(/^ci:\$2y\$10\$[./A-Za-z0-9]{53}\n$/);
    expect(htpasswd).not.toContain(PASSWORD);
    // bcryptjs checks the hash against the known password, whatever salt the renderer chose.
    const hash = htpasswd.trimEnd().slice("ci:".length);
    expect(compareSync(PASSWORD, hash)).toBe(true);
    expect(compareSync(`${PASSWORD}x`, hash)).toBe(false);
  });

  test("the volume is dropped on destroy when keepVolumeOnDestroy is false; dockerHost gets a provider", () => {
    expect(one(run, "docker:index/volume:Volume").retainOnDelete).toBe(false);
    const provider = one(run, "pulumi:providers:docker");
    expect(provider.inputs.host).toBe("ssh://builder@registry.lan");
  });
});

describe("docker backend, object storage and a pull-through cache", () => {
  let run: ProgramRun;

  beforeAll(async () => {
    run = await runProgram({
      stack: "s3",
      config: {
        "registry:backend": "docker",
        "registry:docker": {
          storage: {
            driver: "s3",
            s3: {
              bucket: "images",
              region: "eu-west-1",
              accessKey: "AKIAEXAMPLE",
              secretKey: "s3-secret-key",
            },
          },
          proxy: {
            remoteUrl: "https://registry-1.docker.io",
            username: "hub-user",
            password: "hub-password",
          },
        },
      },
      secretKeys: ["registry:docker"],
    });
  });

  test("every secret goes by a secret env; the config names none of them", () => {
    const container = one(run, "docker:index/container:Container");
    expect(isWrappedSecret(container.inputs.envs)).toBe(true);
    const envs = reveal(container.inputs.envs, true) as string[];
    expect(envs.map((e) => e.split("=")[0])).toEqual([
      "REGISTRY_HTTP_SECRET",
      "REGISTRY_PROXY_PASSWORD",
      "REGISTRY_STORAGE_S3_ACCESSKEY",
      "REGISTRY_STORAGE_S3_SECRETKEY",
    ]);
    expect(envs).toContain('REGISTRY_PROXY_PASSWORD="hub-password"');
    const configYml = run.files["docker/config.yml"];
    for (const secret of ["AKIAEXAMPLE", "s3-secret-key", "hub-password"])
      expect(configYml).not.toContain(secret);
    expect(parse(configYml)).toMatchObject({
      storage: { s3: { bucket: "images", region: "eu-west-1" } },
      proxy: { remoteurl: "https://registry-1.docker.io", username: "hub-user" },
    });
  });

  test("no volume: the images live in the bucket", () => {
    expect(byType(run, "docker:index/volume:Volume")).toHaveLength(0);
    expect(one(run, "docker:index/container:Container").inputs.volumes).toBeUndefined();
  });
});

const GCS_KEY = serviceAccountKeyJson();

test("GCS storage: the key JSON is uploaded as a secret file that config.yml points to", async () => {
  const run = await runProgram({
    stack: "gcs",
    config: {
      "registry:backend": "docker",
      "registry:docker": {
        storage: {
          driver: "gcs",
          gcs: { bucket: "images", keyJson: GCS_KEY },
        },
      },
    },
    secretKeys: ["registry:docker"],
  });
  const container = one(run, "docker:index/container:Container");
  expect(isWrappedSecret(container.inputs.uploads)).toBe(true);
  const uploads = reveal(container.inputs.uploads, true) as {
    file: string;
    content: string;
    permissions: string;
  }[];
  expect(uploads.find((u) => u.file === "/etc/docker/registry/gcs-key.json")).toEqual({
    file: "/etc/docker/registry/gcs-key.json",
    content: GCS_KEY,
    permissions: "0600",
  });
  expect(parse(run.files["docker/config.yml"]).storage.gcs).toEqual({
    bucket: "images",
    keyfile: "/etc/docker/registry/gcs-key.json",
  });
  expect(run.files["docker/config.yml"]).not.toContain("service_account");
});

describe("docker backend, bad config", () => {
  test.each([
    [{ port: 0 }, "registry:docker.port must be an integer from 1 to 65535 (got 0)"],
    [
      { bindAddress: "0.0.0.0", auth: { enabled: false } },
      'registry:docker.bindAddress must be a loopback address such as 127.0.0.1 while auth.enabled is false (anyone on the network could push) (got "0.0.0.0")',
    ],
    [{ volume: "x" }, 'registry:docker has unknown key "volume"'],
  ])("%j is rejected before anything is registered", async (settings, line) => {
    const attempt = runProgram({
      stack: "bad",
      config: { "registry:backend": "docker", "registry:docker": settings },
    });
    await expect(attempt).rejects.toThrow(line);
    await expect(attempt).rejects.toMatchObject({ name: "ConfigError", problems: [line] });
    const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitor;
    expect(monitor.getRegisteredResources().size).toBe(0);
  });
});
