import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_REGISTRY_IMAGE } from "../shared/selfHostedSettings";
import { DEFAULT_KUBECTL_IMAGE, isCronSchedule, parseQuantity } from "./settings";
import { loadSettings, settingsProblems } from "./testing";

const load = loadSettings;
const problems = settingsProblems;

const s3 = { driver: "s3", s3: { bucket: "images", region: "eu-west-1" } };

describe("registry:kubernetes defaults", () => {
  test("an empty object is a complete, single-replica registry with a 10Gi claim", () => {
    const s = load({});
    expect(s).toMatchObject({
      image: DEFAULT_REGISTRY_IMAGE,
      auth: { enabled: true, username: "ci" },
      storage: { driver: "filesystem", deleteEnabled: true },
      logLevel: "info",
      namespace: "registry",
      createNamespace: true,
      replicas: 1,
      persistence: { enabled: true, size: "10Gi", accessMode: "ReadWriteOnce" },
      resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
      garbageCollection: {
        enabled: false,
        schedule: "0 3 * * 0",
        deleteUntagged: false,
        kubectlImage: DEFAULT_KUBECTL_IMAGE,
      },
      podDisruptionBudget: { enabled: false },
    });
    for (const optional of ["nodePort", "advertiseHost", "nodeSelector", "proxy"] as const)
      expect(s[optional]).toBeUndefined();
    expect(s.persistence.storageClass).toBeUndefined();
    expect(s.persistence.existingClaim).toBeUndefined();
    expect(s.resources.limits.cpu).toBeUndefined();
  });

  test("a full, valid object is accepted as given", () => {
    const s = load({
      ...{ storage: s3 },
      namespace: "ci-registry",
      createNamespace: false,
      replicas: 3,
      nodePort: 30500,
      advertiseHost: "registry.example.com",
      tls: { mode: "certManager", issuerRef: { name: "ca", kind: "ClusterIssuer" } },
      persistence: { enabled: false },
      resources: {
        requests: { cpu: "250m", memory: "256Mi" },
        limits: { cpu: "2", memory: "1Gi" },
      },
      garbageCollection: { enabled: true, schedule: "30 2 * * SUN", deleteUntagged: true },
      podDisruptionBudget: { enabled: true },
      nodeSelector: { "kubernetes.io/os": "linux", pool: "infra" },
    });
    expect(s.replicas).toBe(3);
    expect(s.nodePort).toBe(30500);
    expect(s.nodeSelector).toEqual({ "kubernetes.io/os": "linux", pool: "infra" });
  });

  test("a password from config comes out as a Pulumi secret", async () => {
    const s = load({ auth: { password: "a-long-enough-password" } });
    expect(await pulumi.isSecret(s.auth.password!)).toBe(true);
  });
});

describe("registry:kubernetes field rules", () => {
  test.each([
    [
      { nodePort: 80 },
      "registry:kubernetes.nodePort must be an integer from 30000 to 32767 (got 80)",
    ],
    [
      { nodePort: 32768 },
      "registry:kubernetes.nodePort must be an integer from 30000 to 32767 (got 32768)",
    ],
    [
      { nodePort: 30500.5 },
      "registry:kubernetes.nodePort must be an integer from 30000 to 32767 (got 30500.5)",
    ],
    [
      { nodePort: "30500" },
      'registry:kubernetes.nodePort must be an integer from 30000 to 32767 (got "30500")',
    ],
    [{ replicas: 0 }, "registry:kubernetes.replicas must be an integer from 1 to 10 (got 0)"],
    [{ replicas: 11 }, "registry:kubernetes.replicas must be an integer from 1 to 10 (got 11)"],
    [
      { namespace: "Registry" },
      "registry:kubernetes.namespace must be a namespace name such as registry (lower-case letters, digits and '-', at most 63 characters) (got \"Registry\")",
    ],
    [
      { namespace: "a.b" },
      "registry:kubernetes.namespace must be a namespace name such as registry (lower-case letters, digits and '-', at most 63 characters) (got \"a.b\")",
    ],
    [
      { createNamespace: "yes" },
      'registry:kubernetes.createNamespace must be true or false (got "yes")',
    ],
    [
      { advertiseHost: "not a host" },
      'registry:kubernetes.advertiseHost must be a DNS name or an IP address (got "not a host")',
    ],
    [
      { persistence: { size: "10 GB" } },
      'registry:kubernetes.persistence.size must be a Kubernetes quantity such as 10Gi (got "10 GB")',
    ],
    [
      { persistence: { accessMode: "ReadOnlyMany" } },
      'registry:kubernetes.persistence.accessMode must be one of ReadWriteOnce, ReadWriteMany (got "ReadOnlyMany")',
    ],
    [
      { persistence: { storageClass: "Fast_SSD" } },
      'registry:kubernetes.persistence.storageClass must be a StorageClass name (a DNS name, lower case) (got "Fast_SSD")',
    ],
    [
      { persistence: { existingClaim: "My Claim" } },
      'registry:kubernetes.persistence.existingClaim must be a PersistentVolumeClaim name (a DNS name, lower case) (got "My Claim")',
    ],
    [
      { resources: { requests: { cpu: "lots" } } },
      'registry:kubernetes.resources.requests.cpu must be a Kubernetes quantity such as 100m (got "lots")',
    ],
    [
      { resources: { limits: { memory: 512 } } },
      "registry:kubernetes.resources.limits.memory must be a Kubernetes quantity such as 512Mi (got 512)",
    ],
    [
      { garbageCollection: { schedule: "every sunday" } },
      'registry:kubernetes.garbageCollection.schedule must be a cron schedule of five fields such as "0 3 * * 0" (got "every sunday")',
    ],
    [
      { garbageCollection: { schedule: "0 24 * * *" } },
      'registry:kubernetes.garbageCollection.schedule must be a cron schedule of five fields such as "0 3 * * 0" (got "0 24 * * *")',
    ],
    [
      { garbageCollection: { kubectlImage: "bitnami/kubectl" } },
      'registry:kubernetes.garbageCollection.kubectlImage must be an image reference pinned to a tag (not latest) or digest, such as registry:2.8.3 (got "bitnami/kubectl")',
    ],
    [
      { nodeSelector: { "bad key!": "x" } },
      'registry:kubernetes.nodeSelector.bad key! must be a label key such as kubernetes.io/hostname (got "bad key!")',
    ],
    [
      { nodeSelector: { pool: "has space" } },
      "registry:kubernetes.nodeSelector.pool must be a label value of at most 63 letters, digits, '-', '_' or '.' (got \"has space\")",
    ],
    [
      { image: "registry" },
      'registry:kubernetes.image must be an image reference pinned to a tag (not latest) or digest, such as registry:2.8.3 (got "registry")',
    ],
  ])("%j", (value, line) => {
    expect(problems(value)).toEqual([line]);
  });

  test("unknown keys are named, at any depth", () => {
    expect(problems({ replica: 2 })).toEqual(['registry:kubernetes has unknown key "replica"']);
    expect(problems({ persistence: { sise: "1Gi" } })).toEqual([
      'registry:kubernetes.persistence has unknown key "sise"',
    ]);
    expect(problems({ garbageCollection: { enable: true } })).toEqual([
      'registry:kubernetes.garbageCollection has unknown key "enable"',
    ]);
    expect(problems({ resources: { limits: { gpu: "1" } } })).toEqual([
      'registry:kubernetes.resources.limits has unknown key "gpu"',
    ]);
  });

  test("every problem is reported at once", () => {
    expect(problems({ nodePort: 1, replicas: 0 })).toHaveLength(2);
  });

  test("cross-field rules wait until the fields themselves are valid", () => {
    expect(problems({ resources: { requests: { memory: "lots" } } })).toEqual([
      'registry:kubernetes.resources.requests.memory must be a Kubernetes quantity such as 128Mi (got "lots")',
    ]);
  });

  test("a node selector must be a map", () => {
    expect(problems({ nodeSelector: ["linux"] })).toEqual([
      "registry:kubernetes.nodeSelector must be a map of node label keys to values (got a list of 1 item)",
    ]);
  });
});

describe("registry:kubernetes cross-field rules", () => {
  test("more than one replica needs object storage: filesystem uploads fail across replicas", () => {
    expect(problems({ replicas: 2 })).toEqual([
      'registry:kubernetes.replicas must be 1 with filesystem storage: every replica would keep its own files, so uploads that reach another replica fail ("blob upload unknown"); set storage.driver to s3 or gcs to scale out (got 2)',
    ]);
    expect(problems({ replicas: 2, storage: s3 })).toEqual([]);
    expect(
      problems({ replicas: 2, storage: { driver: "gcs", gcs: { bucket: "images" } } }),
    ).toEqual([]);
  });

  test("filesystem storage without persistence is allowed (an emptyDir)", () => {
    expect(problems({ persistence: { enabled: false } })).toEqual([]);
  });

  test("garbage collection needs persistent files when storage is filesystem", () => {
    expect(
      problems({ persistence: { enabled: false }, garbageCollection: { enabled: true } }),
    ).toEqual([
      "registry:kubernetes.garbageCollection.enabled must be false when persistence.enabled is false: the files live in the pod's emptyDir, which garbage collection cannot reach and which stopping the registry (as collection must) erases (got true)",
    ]);
    expect(problems({ garbageCollection: { enabled: true } })).toEqual([]);
    expect(
      problems({
        persistence: { accessMode: "ReadWriteMany" },
        garbageCollection: { enabled: true },
      }),
    ).toEqual([]);
    expect(
      problems({
        storage: s3,
        persistence: { enabled: false },
        garbageCollection: { enabled: true },
      }),
    ).toEqual([]);
  });

  test("a disruption budget needs more than one replica", () => {
    expect(problems({ podDisruptionBudget: { enabled: true } })).toEqual([
      "registry:kubernetes.podDisruptionBudget.enabled needs replicas of 2 or more (replicas is 1): with one pod a budget either blocks node drains or protects nothing (got true)",
    ]);
    expect(problems({ podDisruptionBudget: { enabled: true }, replicas: 2, storage: s3 })).toEqual(
      [],
    );
  });

  test("an existing claim takes no storage class", () => {
    expect(problems({ persistence: { existingClaim: "data", storageClass: "fast" } })).toEqual([
      'registry:kubernetes.persistence.storageClass is only read when a claim is created (persistence.existingClaim is set) (got "fast")',
    ]);
  });

  test("a request may not exceed its limit", () => {
    expect(problems({ resources: { requests: { memory: "1Gi" } } })).toEqual([
      'registry:kubernetes.resources.requests.memory must not exceed resources.limits.memory (512Mi) (got "1Gi")',
    ]);
    expect(problems({ resources: { requests: { cpu: "2" }, limits: { cpu: "1500m" } } })).toEqual([
      'registry:kubernetes.resources.requests.cpu must not exceed resources.limits.cpu (1500m) (got "2")',
    ]);
    // No CPU limit by default: any CPU request is fine.
    expect(problems({ resources: { requests: { cpu: "8" } } })).toEqual([]);
  });

  test("shared self-hosted rules still apply (storage driver settings)", () => {
    expect(problems({ storage: { driver: "s3" } })).toEqual([
      "registry:kubernetes.storage.s3 is required when driver is s3",
    ]);
  });

  test("a bad password never shows its value", () => {
    expect(problems({ auth: { password: "short" } })).toEqual([
      "registry:kubernetes.auth.password must be at least 16 characters, with no spaces or colons (got [secret])",
    ]);
  });
});

describe("settings only a registry 3 image reads (issue 14 item 9)", () => {
  const proxy = { remoteUrl: "https://registry-1.docker.io", ttl: "168h" };
  const s3 = { driver: "s3", s3: { bucket: "b", region: "r", forcePathStyle: true } };
  test("a 3.x image takes proxy.ttl and s3.forcePathStyle", () => {
    const s = load({ image: "registry:3.0.0", proxy, storage: s3, replicas: 2 });
    expect(s.proxy?.ttl).toBe("168h");
    expect(s.storage.s3?.forcePathStyle).toBe(true);
  });
  test("a 2.x image refuses both, each by name", () => {
    expect(problems({ image: "registry:2.8.3", proxy, storage: s3 })).toEqual([
      "registry:kubernetes.proxy.ttl is only read by registry 3 images (image is registry:2.8.3, a 2.x registry ignores it): use an image such as registry:3.0.0, or remove it",
      "registry:kubernetes.storage.s3.forcePathStyle is only read by registry 3 images (image is registry:2.8.3, a 2.x registry ignores it): use an image such as registry:3.0.0, or remove it",
    ]);
  });
});

describe("cron schedules", () => {
  test.each([
    "0 3 * * 0",
    "*/15 * * * *",
    "0 0 1,15 * *",
    "0 22 * * 1-5",
    "30 2 * JAN-MAR SUN",
    "@weekly",
    "0 0 ? * *",
  ])("accepts %s", (s) => expect(isCronSchedule(s)).toBe(true));
  test.each([
    "",
    "* * * *",
    "* * * * * *",
    "60 * * * *",
    "* * 0 * *",
    "* * * 13 *",
    "* * * * 7",
    "5-1 * * * *",
    "*/0 * * * *",
    "@every 1h",
  ])("rejects %j", (s) => expect(isCronSchedule(s)).toBe(false));
});

describe("quantities", () => {
  test("binary, decimal and milli suffixes", () => {
    expect(parseQuantity("512Mi")).toBe(512 * 2 ** 20);
    expect(parseQuantity("1G")).toBe(1e9);
    expect(parseQuantity("100m")).toBeCloseTo(0.1);
    expect(parseQuantity("1.5")).toBe(1.5);
    expect(parseQuantity("1Gi")).toBeGreaterThan(parseQuantity("1G"));
  });
});
