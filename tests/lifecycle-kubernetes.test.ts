/**
 * Day two on the Kubernetes backend: each change a user makes, applied over the
 * state the first `pulumi up` left. Pods read the ConfigMap and Secret at start, so
 * a change to either must change the pod template (and roll the pods).
 */
import { newTlsPair } from "./support/keyMaterial";
import { daysAfterFirstUp, runCatalogue, stack, type DayTwoCase } from "./lifecycle/catalogue";
import { hooks, TOKEN_A, TOKEN_B } from "./lifecycle/catalogue";

// The committed dev stack (Pulumi.dev.yaml).
const DEV = {
  namespace: "registry",
  nodePort: 30500,
  persistence: { size: "10Gi" },
  garbageCollection: { enabled: true, schedule: "0 3 * * 0" },
};
const S3 = {
  namespace: "registry",
  nodePort: 30500,
  storage: { driver: "s3", s3: { bucket: "ci-images", region: "eu-west-1" } },
};
const k8s = (settings: Record<string, unknown>) => stack("kubernetes", settings);
const dev = (before: Record<string, unknown>, after: Record<string, unknown>) => ({
  stack: "dev",
  before: k8s(before),
  after: k8s(after),
  secretKeys: ["registry:kubernetes"],
});
const SELF_SIGNED = { ...DEV, tls: { mode: "selfSigned" } };
/** A certificate for the default host (127.0.0.1), then its replacement from the same CA user. */
const [FIRST, SECOND] = [1, 2].map(() => newTlsPair(["127.0.0.1", "localhost"]));
const provided = (c: typeof FIRST) => ({
  ...DEV,
  tls: { mode: "provided", certificate: c.certificate, key: c.key },
});
const PULL_USER_ADDED = {
  create: ["RandomPassword/registry-pull-password", "RandomString/registry-pull-htpasswd-salt"],
  replace: ["ConfigMap/registry-config", "Secret/registry-secrets"],
  update: ["Deployment/registry"],
};
const GC = [
  "CronJob/registry-gc",
  "Role/registry-gc",
  "RoleBinding/registry-gc",
  "ServiceAccount/registry-gc",
];

const cases: DayTwoCase[] = [
  {
    title: "add a push-notification endpoint with a token",
    change: dev(DEV, { ...DEV, ...hooks(TOKEN_A) }),
    expect: {
      plan: {
        replace: ["ConfigMap/registry-config", "Secret/registry-secrets"],
        update: ["Deployment/registry"],
      },
    },
  },
  {
    title: "rotate the notification token",
    change: dev({ ...DEV, ...hooks(TOKEN_A) }, { ...DEV, ...hooks(TOKEN_B) }),
    expect: { plan: { replace: ["Secret/registry-secrets"], update: ["Deployment/registry"] } },
  },
  {
    title: "apply the committed dev stack again",
    change: dev(DEV, DEV),
    expect: { plan: {} },
  },
  {
    title: "turn garbage collection on",
    change: dev({ ...DEV, garbageCollection: { enabled: false } }, DEV),
    expect: { plan: { create: GC } },
  },
  {
    title: "fix the NodePort the cluster had allocated",
    change: dev({ namespace: "registry" }, { namespace: "registry", nodePort: 30500 }),
    expect: {
      plan: { update: ["Service/registry-service"] },
      movesRegistry: "the allocated NodePort becomes 30500",
    },
  },
  {
    title: "set a password of your own instead of the generated one",
    change: dev(DEV, { ...DEV, auth: { password: "correct-horse-battery-staple-1" } }),
    expect: {
      plan: {
        delete: ["RandomPassword/registry-password"],
        // pulumi-kubernetes replaces a ConfigMap or Secret whose data changes (named: deleted first).
        replace: ["Secret/registry-secrets"],
        update: ["Deployment/registry"],
      },
    },
  },
  {
    title: "add a pull-only user (nginx joins the pod, the registry moves to loopback)",
    change: dev(DEV, { ...DEV, auth: { pullUser: { username: "reader" } } }),
    // The htpasswd (Secret) and nginx.conf (ConfigMap) change; the pod template rolls.
    expect: { plan: PULL_USER_ADDED },
  },
  {
    title: "with selfSigned TLS, add a pull-only user (nginx now terminates TLS)",
    change: dev(SELF_SIGNED, { ...SELF_SIGNED, auth: { pullUser: { username: "reader" } } }),
    // The htpasswd (Secret) and nginx.conf (ConfigMap) change; the pod template rolls.
    expect: { plan: PULL_USER_ADDED },
  },
  {
    title: "bump the registry image",
    change: dev(DEV, { ...DEV, image: "registry:2.8.2" }),
    expect: { plan: { update: ["Deployment/registry"] } },
  },
  {
    title: "move the NodePort",
    change: dev(DEV, { ...DEV, nodePort: 30600 }),
    expect: {
      plan: { update: ["Service/registry-service"] },
      movesRegistry: "the NodePort is in REGISTRY",
    },
  },
  {
    title: "grow the claim",
    change: dev(DEV, { ...DEV, persistence: { size: "20Gi" } }),
    expect: { plan: { update: ["PersistentVolumeClaim/registry-data"] } },
  },
  {
    title: "raise the log level",
    change: dev(DEV, { ...DEV, logLevel: "debug" }),
    expect: {
      plan: { replace: ["ConfigMap/registry-config"], update: ["Deployment/registry"] },
    },
  },
  {
    title: "turn garbage collection off",
    change: dev(DEV, { ...DEV, garbageCollection: { enabled: false } }),
    expect: { plan: { delete: GC } },
  },
  {
    title: "move the garbage-collection schedule",
    change: dev(DEV, { ...DEV, garbageCollection: { enabled: true, schedule: "0 4 * * 6" } }),
    expect: { plan: { update: ["CronJob/registry-gc"] } },
  },
  {
    title: "make it a pull-through cache with an upstream login",
    change: dev(DEV, {
      ...DEV,
      garbageCollection: { enabled: false },
      proxy: {
        remoteUrl: "https://registry-1.docker.io",
        username: "mirror",
        password: "upstream-token-0123456789",
      },
    }),
    expect: {
      plan: {
        delete: GC,
        replace: ["ConfigMap/registry-config", "Secret/registry-secrets"],
        update: ["Deployment/registry"],
      },
      changesRole:
        "a pull-through cache is a mirror: REGISTRY_ROLE mirror, the login moves to REGISTRY_PULL_*",
    },
  },
  {
    title: "switch storage from the claim to S3",
    change: dev(
      { ...DEV, garbageCollection: { enabled: false } },
      {
        ...DEV,
        garbageCollection: { enabled: false },
        storage: { driver: "s3", s3: { bucket: "ci-images", region: "eu-west-1" } },
      },
    ),
    expect: {
      plan: {
        delete: ["PersistentVolumeClaim/registry-data"],
        replace: ["ConfigMap/registry-config"],
        update: ["Deployment/registry"],
      },
      losesImages: { readme: "Switching `storage.driver` away from `filesystem`" },
    },
  },
  {
    title: "with object storage, scale to 2 replicas",
    change: dev(S3, { ...S3, replicas: 2 }),
    expect: { plan: { update: ["Deployment/registry"] } },
  },
  {
    title: "with object storage, move to another bucket",
    change: dev(S3, {
      ...S3,
      storage: { driver: "s3", s3: { bucket: "ci-images-2", region: "eu-west-1" } },
    }),
    expect: {
      plan: { replace: ["ConfigMap/registry-config"], update: ["Deployment/registry"] },
    },
  },
  {
    title: "give the registry more memory",
    change: dev(DEV, { ...DEV, resources: { limits: { memory: "1Gi" } } }),
    expect: { plan: { update: ["Deployment/registry"] } },
  },
  {
    title: "a new StorageClass for the claim (a new, empty claim)",
    change: dev(DEV, { ...DEV, persistence: { size: "10Gi", storageClass: "fast" } }),
    expect: {
      plan: { replace: ["PersistentVolumeClaim/registry-data"] },
      losesImages: { readme: "Changing `persistence.storageClass`" },
    },
  },
  {
    title: "turn TLS on (selfSigned) where it was plain HTTP",
    change: dev(DEV, SELF_SIGNED),
    expect: {
      plan: {
        create: [
          "CertRequest/registry-server-csr",
          "LocallySignedCert/registry-server-cert",
          "PrivateKey/registry-ca-key",
          "PrivateKey/registry-server-key",
          "Secret/registry-tls",
          "SelfSignedCert/registry-ca",
        ],
        replace: ["ConfigMap/registry-config"],
        update: ["Deployment/registry"],
      },
    },
  },
  {
    title: "with selfSigned TLS, the server certificate enters its renewal window (day 61)",
    change: { ...dev(SELF_SIGNED, SELF_SIGNED), secondAt: daysAfterFirstUp(61) },
    expect: {
      plan: {
        // A new certificate from the same CA: REGISTRY_CA_CERT stays; the pods roll to serve it.
        replace: ["LocallySignedCert/registry-server-cert", "Secret/registry-tls"],
        update: ["Deployment/registry"],
      },
      timeWindow: true,
    },
  },
  {
    title: "with selfSigned TLS, day 59: nothing to renew yet",
    change: { ...dev(SELF_SIGNED, SELF_SIGNED), secondAt: daysAfterFirstUp(59) },
    expect: { plan: {} },
  },
  {
    title: "with provided TLS, put in the replacement certificate",
    change: dev(provided(FIRST), provided(SECOND)),
    expect: {
      plan: { replace: ["Secret/registry-tls"], update: ["Deployment/registry"] },
    },
  },
  {
    title: "let the registry pods tolerate a dedicated node's taint",
    change: dev(DEV, {
      ...DEV,
      tolerations: [{ key: "dedicated", value: "registry", effect: "NoSchedule" }],
    }),
    // The collector's pod takes the tolerations too: it must schedule where the registry may.
    expect: { plan: { update: ["CronJob/registry-gc", "Deployment/registry"] } },
  },
  {
    title: "turn metrics on",
    change: dev(DEV, { ...DEV, metrics: { enabled: true } }),
    expect: {
      plan: {
        create: ["Service/registry-metrics"],
        replace: ["ConfigMap/registry-config"],
        update: ["Deployment/registry"],
      },
    },
  },
  {
    title: "with metrics on, add a ServiceMonitor",
    change: dev(
      { ...DEV, metrics: { enabled: true } },
      { ...DEV, metrics: { enabled: true, serviceMonitor: { enabled: true } } },
    ),
    expect: { plan: { create: ["ServiceMonitor/registry-servicemonitor"] } },
  },
  {
    title: "change the ServiceAccount's workload-identity annotation",
    change: dev(
      {
        ...S3,
        serviceAccount: {
          annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/registry" },
        },
      },
      {
        ...S3,
        serviceAccount: {
          annotations: {
            "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/registry-2",
          },
        },
      },
    ),
    expect: { plan: { update: ["ServiceAccount/registry-server"] } },
  },
  {
    title: "mount the ServiceAccount token (a workload-identity webhook needs it)",
    change: dev(S3, { ...S3, serviceAccount: { automountToken: true } }),
    expect: { plan: { update: ["Deployment/registry", "ServiceAccount/registry-server"] } },
  },
  {
    title: "move S3 to an object store in the cluster over plain HTTP",
    change: dev(S3, {
      ...S3,
      storage: {
        driver: "s3",
        s3: {
          bucket: "ci-images",
          region: "us-east-1",
          regionEndpoint: "http://minio.minio.svc:9000",
          secure: false,
        },
      },
    }),
    expect: {
      plan: { replace: ["ConfigMap/registry-config"], update: ["Deployment/registry"] },
    },
  },
];

runCatalogue(cases);
