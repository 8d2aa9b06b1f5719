/**
 * Day two on the VM backend: each change a user makes, applied over the state the
 * first `pulumi up` left. A change to any bundle file re-runs `docker compose up`
 * (an update of the compose-up command, never its replacement: a replacement would
 * run the old command's `down` after the new `up`), and a service whose files changed
 * must be recreated by it.
 */
import { runCatalogue, stack, daysAfterFirstUp, type DayTwoCase } from "./lifecycle/catalogue";
import { hooks, TOKEN_A, TOKEN_B } from "./lifecycle/catalogue";

// The committed staging stack (Pulumi.staging.yaml): a GCE VM this stack creates.
const HOST = {
  mode: "gcp",
  project: "my-staging-project",
  zone: "europe-west1-b",
  machineType: "e2-small",
  dataDiskSizeGb: 50,
  sshSourceRanges: ["203.0.113.0/24"],
};
const STAGING = {
  host: HOST,
  domain: "registry.staging.example.com",
  tls: { mode: "selfSigned" },
  storage: { deleteEnabled: true },
  keepDataOnDestroy: true,
};
const ACME = { mode: "acme", email: "ops@example.com" };
const vm = (before: Record<string, unknown>, after: Record<string, unknown>) => ({
  stack: "staging",
  before: stack("vm", before),
  after: stack("vm", after),
  secretKeys: ["registry:vm"],
});
/** What a change to the bundle re-runs: the copy of each changed file, compose up, the health gate. */
const redeploy = (...files: string[]) => ({
  update: [...files.map((f) => `CopyToRemote/registry-copy-${f}`), "Command/registry-compose-up"],
  replace: ["Command/registry-wait-for-registry"],
});

const cases: DayTwoCase[] = [
  {
    title: "add a push-notification endpoint with a token",
    change: vm(STAGING, { ...STAGING, ...hooks(TOKEN_A) }),
    expect: { plan: redeploy("config-yml", "docker-compose-yml", "registry-env") },
  },
  {
    title: "rotate the notification token",
    change: vm({ ...STAGING, ...hooks(TOKEN_A) }, { ...STAGING, ...hooks(TOKEN_B) }),
    // Compose compares the env file itself: the compose file stays, the registry is recreated.
    expect: { plan: redeploy("registry-env") },
  },
  {
    title: "apply the committed staging stack again",
    change: vm(STAGING, STAGING),
    expect: { plan: {} },
  },
  {
    title: "set a password of your own instead of the generated one",
    change: vm(STAGING, { ...STAGING, auth: { password: "correct-horse-battery-staple-1" } }),
    expect: {
      plan: {
        delete: ["RandomPassword/registry-password"],
        ...redeploy("htpasswd", "docker-compose-yml"),
      },
    },
  },
  {
    title: "add a pull-only user (its htpasswd line, and the guard in nginx.conf)",
    change: vm(STAGING, { ...STAGING, auth: { pullUser: { username: "reader" } } }),
    expect: {
      plan: {
        create: [
          "RandomPassword/registry-pull-password",
          "RandomString/registry-pull-htpasswd-salt",
        ],
        ...redeploy("htpasswd", "nginx-conf", "docker-compose-yml"),
      },
    },
  },
  {
    title: "raise the log level (only config.yml changes)",
    change: vm(STAGING, { ...STAGING, logLevel: "debug" }),
    expect: { plan: redeploy("config-yml", "docker-compose-yml") },
  },
  {
    title: "move to another S3 bucket",
    change: vm(
      { ...STAGING, storage: { driver: "s3", s3: { bucket: "ci-images", region: "eu-west-1" } } },
      { ...STAGING, storage: { driver: "s3", s3: { bucket: "ci-images-2", region: "eu-west-1" } } },
    ),
    expect: { plan: redeploy("config-yml", "docker-compose-yml") },
  },
  {
    title:
      "switch from the data disk to S3: nginx no longer mounts the data nor sends blobs from it",
    change: vm(STAGING, {
      ...STAGING,
      storage: { driver: "s3", s3: { bucket: "ci-images", region: "eu-west-1" } },
    }),
    expect: { plan: redeploy("config-yml", "nginx-conf", "docker-compose-yml") },
  },
  {
    title: "bump the registry image",
    change: vm(STAGING, { ...STAGING, image: "registry:2.8.2" }),
    expect: { plan: redeploy("docker-compose-yml") },
  },
  {
    title: "bump the nginx image",
    change: vm(STAGING, { ...STAGING, nginxImage: "nginx:1.27.5-alpine" }),
    expect: { plan: redeploy("docker-compose-yml") },
  },
  {
    title: "grow the data disk",
    change: vm(STAGING, { ...STAGING, host: { ...HOST, dataDiskSizeGb: 100 } }),
    // The disk grows live; the script's text carries the size, so resize2fs runs again.
    expect: { plan: { update: ["Command/registry-grow-data", "Disk/registry-data"] } },
  },
  {
    title: "a bigger machine type",
    change: vm(STAGING, { ...STAGING, host: { ...HOST, machineType: "e2-medium" } }),
    expect: { plan: { update: ["Instance/registry-vm"] } },
  },
  {
    title: "let another range reach SSH",
    change: vm(STAGING, {
      ...STAGING,
      host: { ...HOST, sshSourceRanges: ["203.0.113.0/24", "198.51.100.0/24"] },
    }),
    expect: { plan: { update: ["Firewall/registry-ssh"] } },
  },
  {
    title: "change the domain",
    change: vm(STAGING, { ...STAGING, domain: "registry.ci.example.com" }),
    expect: {
      plan: {
        update: [
          "Command/registry-compose-up",
          "CopyToRemote/registry-copy-certs-server-crt",
          "CopyToRemote/registry-copy-docker-compose-yml",
          "CopyToRemote/registry-copy-nginx-conf",
        ],
        replace: [
          "CertRequest/registry-server-csr",
          "Command/registry-wait-for-registry",
          "LocallySignedCert/registry-server-cert",
        ],
      },
      movesRegistry: "the domain is REGISTRY",
    },
  },
  {
    title: "the server certificate enters its renewal window",
    change: { ...vm(STAGING, STAGING), secondAt: daysAfterFirstUp(70) },
    expect: {
      plan: {
        update: [
          "Command/registry-compose-up",
          "CopyToRemote/registry-copy-certs-server-crt",
          "CopyToRemote/registry-copy-docker-compose-yml",
        ],
        replace: ["Command/registry-wait-for-registry", "LocallySignedCert/registry-server-cert"],
      },
      timeWindow: true,
    },
  },
  {
    title: "make it a pull-through cache with an upstream login",
    change: vm(STAGING, {
      ...STAGING,
      proxy: {
        remoteUrl: "https://registry-1.docker.io",
        username: "mirror",
        password: "upstream-token-0123456789",
      },
    }),
    expect: {
      plan: redeploy("config-yml", "docker-compose-yml", "registry-env"),
      changesRole:
        "a pull-through cache is a mirror: REGISTRY_ROLE mirror, the login moves to REGISTRY_PULL_*",
    },
  },
  {
    title: "stop keeping the data on destroy",
    change: vm(STAGING, { ...STAGING, keepDataOnDestroy: false }),
    expect: { plan: { update: ["Command/registry-compose-up"] } },
  },
  {
    title: "switch from the private CA to ACME (Let's Encrypt)",
    change: vm(STAGING, { ...STAGING, tls: ACME }),
    expect: {
      plan: {
        create: [
          "Firewall/registry-acme-http",
          "PrivateKey/registry-acme-bootstrap-key",
          "SelfSignedCert/registry-acme-bootstrap-cert",
        ],
        update: [
          "Command/registry-compose-up",
          "CopyToRemote/registry-copy-certs-server-crt",
          "CopyToRemote/registry-copy-certs-server-key",
          "CopyToRemote/registry-copy-docker-compose-yml",
          "CopyToRemote/registry-copy-nginx-conf",
        ],
        replace: ["Command/registry-wait-for-registry"],
        delete: [
          "CertRequest/registry-server-csr",
          "LocallySignedCert/registry-server-cert",
          "PrivateKey/registry-ca-key",
          "PrivateKey/registry-server-key",
          "SelfSignedCert/registry-ca",
        ],
      },
    },
  },
  {
    title: "switch from ACME back to the private CA",
    change: vm({ ...STAGING, tls: ACME }, STAGING),
    expect: {
      plan: {
        create: [
          "CertRequest/registry-server-csr",
          "LocallySignedCert/registry-server-cert",
          "PrivateKey/registry-ca-key",
          "PrivateKey/registry-server-key",
          "SelfSignedCert/registry-ca",
        ],
        update: [
          "Command/registry-compose-up",
          "CopyToRemote/registry-copy-certs-server-crt",
          "CopyToRemote/registry-copy-certs-server-key",
          "CopyToRemote/registry-copy-docker-compose-yml",
          "CopyToRemote/registry-copy-nginx-conf",
        ],
        replace: ["Command/registry-wait-for-registry"],
        delete: [
          "Firewall/registry-acme-http",
          "PrivateKey/registry-acme-bootstrap-key",
          "SelfSignedCert/registry-acme-bootstrap-cert",
        ],
      },
    },
  },
];

runCatalogue(cases);
