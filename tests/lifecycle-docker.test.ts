/**
 * Day two on the Docker backend (the local default): each change a user makes,
 * applied over the state the first `pulumi up` left. The registry container reads
 * its config, htpasswd and env at start, so any change to them is a new container;
 * its fixed name and host port mean the old one must go first.
 */
import { runCatalogue, stack, daysAfterFirstUp, type DayTwoCase } from "./lifecycle/catalogue";
import { hooks, TOKEN_A, TOKEN_B } from "./lifecycle/catalogue";

const BASE = { port: 5000 };
const TLS = { port: 5000, tls: { enabled: true } };
const local = (settings: Record<string, unknown>) => stack("docker", settings);
const PASSWORD_A = "correct-horse-battery-staple-1";
const PASSWORD_B = "correct-horse-battery-staple-2";
const TLS_RESOURCES = [
  "Network/registry-network",
  "SelfSignedCert/registry-tls-ca",
  "PrivateKey/registry-tls-ca-key",
  "Container/registry-tls-nginx",
  "RemoteImage/registry-tls-nginx-image",
  "LocallySignedCert/registry-tls-server-cert",
  "CertRequest/registry-tls-server-csr",
  "PrivateKey/registry-tls-server-key",
];

const cases: DayTwoCase[] = [
  {
    title: "add a push-notification endpoint with a token",
    change: {
      stack: "local",
      before: local(BASE),
      after: local({ ...BASE, ...hooks(TOKEN_A) }),
      secretKeys: ["registry:docker"],
    },
    expect: { plan: { replace: ["Container/registry-registry"] } },
  },
  {
    title: "rotate the notification token",
    change: {
      stack: "local",
      before: local({ ...BASE, ...hooks(TOKEN_A) }),
      after: local({ ...BASE, ...hooks(TOKEN_B) }),
      secretKeys: ["registry:docker"],
    },
    expect: { plan: { replace: ["Container/registry-registry"] } },
  },
  {
    title: "apply the committed local stack again",
    change: { stack: "local", before: local(BASE), after: local(BASE) },
    expect: { plan: {} },
  },
  {
    title: "set a password of your own instead of the generated one",
    change: {
      stack: "local",
      before: local(BASE),
      after: local({ ...BASE, auth: { password: PASSWORD_A } }),
      secretKeys: ["registry:docker"],
    },
    expect: {
      plan: {
        delete: ["RandomPassword/registry-password"],
        replace: ["Container/registry-registry"],
      },
    },
  },
  {
    title: "rotate that password",
    change: {
      stack: "local",
      before: local({ ...BASE, auth: { password: PASSWORD_A } }),
      after: local({ ...BASE, auth: { password: PASSWORD_B } }),
      secretKeys: ["registry:docker"],
    },
    expect: { plan: { replace: ["Container/registry-registry"] } },
  },
  {
    title: "bump the registry image",
    change: {
      stack: "local",
      before: local(BASE),
      after: local({ ...BASE, image: "registry:2.8.2" }),
    },
    expect: { plan: { replace: ["RemoteImage/registry-image", "Container/registry-registry"] } },
  },
  {
    title: "change the port",
    change: { stack: "local", before: local(BASE), after: local({ port: 5001 }) },
    expect: {
      plan: { replace: ["Container/registry-registry"] },
      movesRegistry: "the port is part of REGISTRY",
    },
  },
  {
    title: "turn TLS on",
    change: { stack: "local", before: local(BASE), after: local(TLS) },
    expect: {
      plan: { create: TLS_RESOURCES, replace: ["Container/registry-registry"] },
      movesRegistry: "TLS listens on tls.port (5443)",
    },
  },
  {
    title: "turn TLS off again",
    change: { stack: "local", before: local(TLS), after: local(BASE) },
    expect: {
      plan: { delete: TLS_RESOURCES, replace: ["Container/registry-registry"] },
      movesRegistry: "back on port (5000)",
    },
  },
  {
    title: "with TLS on, bump the registry image (nginx must reach the new container)",
    change: {
      stack: "local",
      before: local(TLS),
      after: local({ ...TLS, image: "registry:2.8.2" }),
    },
    expect: {
      plan: {
        replace: [
          "RemoteImage/registry-image",
          "Container/registry-registry",
          "Container/registry-tls-nginx",
        ],
      },
    },
  },
  {
    title: "with TLS on, add a server name",
    change: {
      stack: "local",
      before: local(TLS),
      after: local({ ...TLS, tls: { enabled: true, serverNames: ["localhost", "registry.lan"] } }),
    },
    expect: {
      plan: {
        replace: [
          "Container/registry-tls-nginx",
          "LocallySignedCert/registry-tls-server-cert",
          "CertRequest/registry-tls-server-csr",
        ],
      },
    },
  },
  {
    title: "with TLS on, the server certificate enters its renewal window",
    change: {
      stack: "local",
      before: local(TLS),
      after: local(TLS),
      secondAt: daysAfterFirstUp(61),
    },
    expect: {
      plan: {
        replace: ["Container/registry-tls-nginx", "LocallySignedCert/registry-tls-server-cert"],
      },
      timeWindow: true,
    },
  },
  {
    title: "add a pull-only user (nginx now fronts the registry on the same port, plain HTTP)",
    change: {
      stack: "local",
      before: local(BASE),
      after: local({ ...BASE, auth: { pullUser: { username: "reader" } } }),
    },
    expect: {
      plan: {
        create: [
          "RandomPassword/registry-pull-password",
          "RandomString/registry-pull-htpasswd-salt",
          "Network/registry-network",
          "Container/registry-proxy-nginx",
          "RemoteImage/registry-proxy-nginx-image",
        ],
        replace: ["Container/registry-registry"],
      },
    },
  },
  {
    title: "with TLS on, add a pull-only user (the guard joins the TLS nginx)",
    change: {
      stack: "local",
      before: local(TLS),
      after: local({ ...TLS, auth: { pullUser: { username: "reader" } } }),
    },
    expect: {
      plan: {
        create: [
          "RandomPassword/registry-pull-password",
          "RandomString/registry-pull-htpasswd-salt",
        ],
        replace: ["Container/registry-registry", "Container/registry-tls-nginx"],
      },
    },
  },
  {
    title: "raise the log level",
    change: {
      stack: "local",
      before: local(BASE),
      after: local({ ...BASE, logLevel: "debug" }),
    },
    expect: { plan: { replace: ["Container/registry-registry"] } },
  },
  {
    title: "turn deletes off",
    change: {
      stack: "local",
      before: local(BASE),
      after: local({ ...BASE, storage: { deleteEnabled: false } }),
    },
    expect: { plan: { replace: ["Container/registry-registry"] } },
  },
  {
    title: "make it a pull-through cache of Docker Hub",
    change: {
      stack: "local",
      before: local(BASE),
      after: local({ ...BASE, proxy: { remoteUrl: "https://registry-1.docker.io" } }),
    },
    expect: {
      plan: { replace: ["Container/registry-registry"] },
      changesRole:
        "a pull-through cache is a mirror: REGISTRY_ROLE mirror, the login moves to REGISTRY_PULL_*",
    },
  },
  {
    title: "restart policy always (an in-place update)",
    change: {
      stack: "local",
      before: local(BASE),
      after: local({ ...BASE, restartPolicy: "always" }),
    },
    expect: { plan: { update: ["Container/registry-registry"] } },
  },
  {
    title: "stop keeping the volume on destroy (state only)",
    change: {
      stack: "local",
      before: local(BASE),
      after: local({ ...BASE, keepVolumeOnDestroy: false }),
    },
    expect: { plan: {} },
  },
  {
    title: "switch storage to S3 (the volume is let go, not deleted)",
    change: {
      stack: "local",
      before: local(BASE),
      after: local({
        ...BASE,
        storage: { driver: "s3", s3: { bucket: "ci-images", region: "eu-west-1" } },
      }),
    },
    expect: {
      plan: { delete: ["Volume/registry-data"], replace: ["Container/registry-registry"] },
    },
  },
  {
    title:
      "with TLS on, switch storage to S3: nginx no longer mounts the volume nor sends blobs from it",
    change: {
      stack: "local",
      before: local({ ...BASE, ...TLS }),
      after: local({
        ...BASE,
        ...TLS,
        storage: { driver: "s3", s3: { bucket: "ci-images", region: "eu-west-1" } },
      }),
    },
    expect: {
      plan: {
        delete: ["Volume/registry-data"],
        replace: ["Container/registry-registry", "Container/registry-tls-nginx"],
      },
    },
  },
  {
    title: "rename the volume (a new, empty volume; the old one is kept)",
    change: {
      stack: "local",
      before: local(BASE),
      after: local({ ...BASE, volumeName: "registry-data-2" }),
    },
    expect: {
      plan: { replace: ["Volume/registry-data", "Container/registry-registry"] },
      losesImages: { readme: "Renaming `volumeName`" },
    },
  },
];

runCatalogue(cases);
