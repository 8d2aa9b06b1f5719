import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../../config/errors";
import { readBackendSettings } from "../../config/load";
import { DEFAULT_NGINX_IMAGE } from "../shared/nginxConfig";
import { DEFAULT_GCP_IMAGE, vmSettings, type VmSettings } from "./settings";
import { tlsPair } from "../../tests/support/keyMaterial";

const KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
const { certificate: CERT, key: TLS_KEY } = tlsPair();
const existing = { mode: "existing", address: "203.0.113.7", privateKey: KEY };
const gcpHost = {
  mode: "gcp",
  project: "my-project-1",
  zone: "europe-west1-b",
  sshSourceRanges: ["198.51.100.0/24"],
};

function parse(value: unknown): VmSettings {
  return readBackendSettings(
    "vm",
    vmSettings,
    (k) => (k === "registry:vm" ? JSON.stringify(value) : undefined),
    [],
  );
}

function problems(value: unknown): string[] {
  try {
    parse(value);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("registry:vm settings", () => {
  test("an existing host needs only its address and key; the rest has defaults", () => {
    const s = parse({ host: existing });
    expect(s).toMatchObject({
      host: { mode: "existing", address: "203.0.113.7", port: 22, user: "root" },
      httpsPort: 443,
      tls: { mode: "selfSigned" },
      keepDataOnDestroy: true,
      nginxImage: DEFAULT_NGINX_IMAGE,
      waitTimeoutSeconds: 300,
      remoteDir: "/opt/registry",
      image: "registry:2.8.3",
      auth: { enabled: true, username: "ci" },
    });
    expect(s.domain).toBeUndefined();
    expect(s.httpRedirectPort).toBeUndefined();
  });

  test("tls.mode acme: Let's Encrypt production by default, the MAC key a secret", async () => {
    const s = parse({
      host: existing,
      domain: "registry.example.com",
      tls: {
        mode: "acme",
        email: "ops@example.com",
        eab: { kid: "kid-1", hmacKey: "abcdefghijklmnop_-" },
      },
    });
    expect(s.legoImage).toBe("goacme/lego:v4.9.1");
    expect(s.tls).toMatchObject({
      mode: "acme",
      email: "ops@example.com",
      directoryUrl: "https://acme-v02.api.letsencrypt.org/directory",
      eab: { kid: "kid-1" },
    });
    if (s.tls.mode !== "acme" || !s.tls.eab) throw new Error("expected acme with eab");
    expect(await pulumi.isSecret(s.tls.eab.hmacKey)).toBe(true);
  });

  test("a GCP host has defaults for everything but project, zone and who may SSH", () => {
    const s = parse({ host: gcpHost });
    expect(s.host).toMatchObject({
      machineType: "e2-small",
      image: DEFAULT_GCP_IMAGE,
      dataDiskSizeGb: 50,
      bootDiskSizeGb: 20,
      httpsSourceRanges: ["0.0.0.0/0"],
      sshUser: "registry",
      network: "default",
    });
  });

  test("secrets come out as Pulumi secrets, and are never printed", async () => {
    const s = parse({ host: existing, tls: { mode: "provided", certificate: CERT, key: TLS_KEY } });
    if (s.host.mode !== "existing" || s.tls.mode !== "provided") throw new Error("modes");
    expect(await pulumi.isSecret(s.host.privateKey)).toBe(true);
    expect(await pulumi.isSecret(s.tls.key)).toBe(true);
    expect(problems({ host: { ...existing, privateKey: "hunter2" } })).toEqual([
      "registry:vm.host.privateKey must be a PEM private key (got [secret])",
    ]);
  });

  test.each(
    (
      [
        [{}, "registry:vm.host is required: it must be an object with a mode (existing or gcp)"],
        [
          { host: { mode: "ssh" } },
          'registry:vm.host.mode must be one of existing, gcp (got "ssh")',
        ],
        [
          { host: { ...existing, port: 0 } },
          "registry:vm.host.port must be an integer from 1 to 65535 (got 0)",
        ],
        [
          { host: { ...existing, address: "not a host" } },
          'registry:vm.host.address must be a DNS name or an IP address (got "not a host")',
        ],
        [
          { host: existing, domain: "Registry.Example.com" },
          'registry:vm.domain must be a DNS name such as registry.example.com (got "Registry.Example.com")',
        ],
        [
          { host: existing, tls: { mode: "letsEncrypt" } },
          'registry:vm.tls.mode must be one of selfSigned, provided, acme (got "letsEncrypt")',
        ],
        [
          { host: existing, domain: "r.example.com", tls: { mode: "acme" } },
          "registry:vm.tls.email is required: it must be an email address such as ops@example.com",
        ],
        [
          {
            host: existing,
            domain: "r.example.com",
            tls: { mode: "acme", email: "ops@example.com", directoryUrl: "http://ca.example/dir" },
          },
          'registry:vm.tls.directoryUrl must be an https URL of an ACME directory such as https://acme-v02.api.letsencrypt.org/directory (got "http://ca.example/dir")',
        ],
        [
          { host: existing, domain: "192.0.2.1", tls: { mode: "acme", email: "ops@example.com" } },
          'registry:vm.domain must be a DNS name such as registry.example.com (got "192.0.2.1")',
        ],
        [
          { host: existing, tls: { mode: "acme", email: "ops@example.com" } },
          "registry:vm.domain is required when tls.mode is acme: the certificate names a DNS name that points at the VM",
        ],
        [
          {
            host: existing,
            domain: "r.example.com",
            httpRedirectPort: 8080,
            tls: { mode: "acme", email: "ops@example.com" },
          },
          "registry:vm.httpRedirectPort must be 80 (or unset) when tls.mode is acme: the CA validates HTTP-01 on port 80 (got 8080)",
        ],
        [
          {
            host: existing,
            domain: "r.example.com",
            tls: { mode: "acme", email: "ops@example.com", eab: { kid: "k1", hmacKey: "short" } },
          },
          "registry:vm.tls.eab.hmacKey must be a base64url MAC key with no padding (got [secret])",
        ],
        [
          { host: existing, tls: { mode: "provided", key: TLS_KEY } },
          "registry:vm.tls.certificate is required: it must be a PEM certificate",
        ],
        [
          { host: existing, tls: { mode: "selfSigned", validityDays: 825 } },
          "registry:vm.tls.validityDays is no longer read: the CA now lasts 10 years and the server certificate 90 days, renewed by the first `pulumi up` in its last 30 days; remove the key (got 825)",
        ],
        [
          { host: existing, nginxImage: "nginx" },
          'registry:vm.nginxImage must be an image reference pinned to a tag (not latest) or digest, such as registry:2.8.3 (got "nginx")',
        ],
        [
          { host: existing, remoteDir: "opt/registry" },
          "registry:vm.remoteDir must be an absolute path of letters, digits, '.', '_' or '-' such as /opt/registry (got \"opt/registry\")",
        ],
        [
          { host: existing, auth: { enabled: false } },
          "registry:vm.auth.enabled must be true on a VM: the registry is reachable over the network (got false)",
        ],
        [
          { host: existing, httpsPort: 8443, httpRedirectPort: 8443 },
          "registry:vm.httpRedirectPort must differ from httpsPort (got 8443)",
        ],
        [
          { host: { ...gcpHost, sshSourceRanges: ["10.0.0.0/8", "0.0.0.0/0"] } },
          'registry:vm.host.sshSourceRanges[1] must not open SSH to the whole internet: list the deployer\'s ranges, or set host.sshOpenToInternet to true (got "0.0.0.0/0")',
        ],
        [
          { host: { ...gcpHost, sshSourceRanges: [] } },
          "registry:vm.host.sshSourceRanges must list at least one CIDR block (got a list of 0 items)",
        ],
        [
          { host: { ...gcpHost, image: "debian-cloud/debian-12" } },
          'registry:vm.host.image must run cloud-init: GCE\'s Debian images do not (use an Ubuntu image such as ubuntu-os-cloud/ubuntu-2404-lts-amd64) (got "debian-cloud/debian-12")',
        ],
        [
          { host: { ...gcpHost, sshPrivateKey: KEY } },
          "registry:vm.host.sshPublicKey is required with the other half of the SSH key pair (or set neither to generate one)",
        ],
        [
          { host: gcpHost, tls: { mode: "provided", certificate: CERT, key: TLS_KEY } },
          "registry:vm.domain is required when tls.mode is provided and host.mode is gcp: the certificate must name an address known before the VM exists",
        ],
        [{ host: existing, colour: "blue" }, 'registry:vm has unknown key "colour"'],
      ] as [unknown, string][]
    ).map(([value, line]) => [line, value] as const),
  )("%s", (line, value) => {
    expect(problems(value)).toEqual([line]);
  });

  test("SSH open to the internet is an explicit choice", () => {
    expect(() =>
      parse({ host: { ...gcpHost, sshSourceRanges: ["0.0.0.0/0"], sshOpenToInternet: true } }),
    ).not.toThrow();
  });
});
