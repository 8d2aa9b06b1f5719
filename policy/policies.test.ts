/**
 * Each rule of the pack on passing and failing resources. The validations are called
 * directly (policy/harness.ts); index.ts is never imported, since constructing the
 * PolicyPack starts a gRPC server.
 */
import { unknownCheckingProxy } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import bcrypt from "bcryptjs";
import { stringify } from "yaml";
import {
  ciAccessRepositoryScoped,
  nodePortInRange,
  podsRestricted,
  policies,
  registryRequiresAuth,
  repositoryIamNotMixed,
  secretsNotInPlainConfig,
  tlsMinimum12,
} from "./policies";
import { validateResource, validateStack, type FakeResource } from "./harness";
import { normalize, UNKNOWN } from "./inspect";

const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

test("every policy is mandatory and named once", () => {
  const names = policies.map((p) => p.name);
  expect(new Set(names).size).toBe(names.length);
  for (const p of policies) expect(p.enforcementLevel).toBe("mandatory");
  expect(names).toEqual([
    "ci-access-repository-scoped",
    "repository-iam-not-mixed",
    "pods-restricted",
    "nodeport-in-range",
    "registry-requires-auth",
    "tls-minimum-1-2",
    "secrets-not-in-plain-config",
  ]);
});

// ---- fixtures ----------------------------------------------------------------------------

const CI = "serviceAccount:registry-ci@acme-ci-prod.iam.gserviceaccount.com";

const restrictedContainer = (name = "registry") => ({
  name,
  image: "registry:2.8.3",
  securityContext: {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
  },
});
const restrictedPod = {
  securityContext: {
    runAsNonRoot: true,
    runAsUser: 1000,
    seccompProfile: { type: "RuntimeDefault" },
  },
  containers: [restrictedContainer()],
};
const deployment = (podSpec: Record<string, unknown>): FakeResource => ({
  type: "kubernetes:apps/v1:Deployment",
  name: "registry",
  props: {
    metadata: { name: "registry", namespace: "registry" },
    spec: {
      selector: { matchLabels: { app: "registry" } },
      template: { metadata: { labels: { app: "registry", tier: "server" } }, spec: podSpec },
    },
  },
});

const registryConfig = (extra: Record<string, unknown> = {}) =>
  stringify({
    version: 0.1,
    storage: { filesystem: { rootdirectory: "/var/lib/registry" } },
    http: { addr: ":5000" },
    ...extra,
  });
const HTPASSWD_AUTH = { auth: { htpasswd: { realm: "Registry", path: "/auth/htpasswd" } } };

const nginx = (protocols?: string) =>
  [
    "events {}",
    "http {",
    "  server {",
    "    listen 443 ssl;",
    "    ssl_certificate /etc/nginx/tls/server.crt;",
    "    ssl_certificate_key /etc/nginx/tls/server.key;",
    ...(protocols ? [`    ssl_protocols ${protocols};`] : []),
    "    location / { proxy_pass http://registry:5000; }",
    "  }",
    "}",
  ].join("\n");

const messages = (vs: { message: string }[]) => vs.map((v) => v.message);

// ---- 1. CI access ------------------------------------------------------------------------

describe("ci-access-repository-scoped", () => {
  const check = (r: FakeResource) => validateResource(ciAccessRepositoryScoped, r).then(messages);

  test("a repository-scoped writer for the CI account passes", async () => {
    expect(
      await check({
        type: "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
        props: {
          repository: "ci-images",
          location: "europe-west1",
          role: "roles/artifactregistry.writer",
          member: CI,
        },
      }),
    ).toEqual([]);
  });

  test("a project-wide artifactregistry.writer for the CI account fails", async () => {
    const v = await check({
      type: "gcp:projects/iAMMember:IAMMember",
      props: { project: "acme-ci-prod", role: "roles/artifactregistry.writer", member: CI },
    });
    expect(v).toHaveLength(1);
    expect(v[0]).toMatch(/whole project.*RepositoryIamMember/);
  });

  test.each([
    [
      "gcp:projects/iAMBinding:IAMBinding",
      { role: "roles/storage.admin", members: ["user:a@x.io", CI] },
    ],
    [
      "gcp:organizations/iAMMember:IAMMember",
      { orgId: "1", role: "roles/artifactregistry.reader", member: CI },
    ],
    [
      "gcp:folder/iAMBinding:IAMBinding",
      { folder: "folders/1", role: "roles/editor", members: [CI] },
    ],
    [
      "gcp:projects/iAMMember:IAMMember",
      {
        role: "roles/artifactregistry.writer",
        member: "principalSet://iam.googleapis.com/x/attribute.repository/o/r",
      },
    ],
    [
      "gcp:projects/iAMPolicy:IAMPolicy",
      {
        policyData: JSON.stringify({
          bindings: [{ role: "roles/artifactregistry.writer", members: [CI] }],
        }),
      },
    ],
  ])("%s granting a registry role to a workload identity fails", async (type, props) => {
    expect(await check({ type, props })).toHaveLength(1);
  });

  test("project-wide roles that reach no images, or human members, pass", async () => {
    expect(
      await check({
        type: "gcp:projects/iAMMember:IAMMember",
        props: { role: "roles/logging.logWriter", member: CI },
      }),
    ).toEqual([]);
    expect(
      await check({
        type: "gcp:projects/iAMMember:IAMMember",
        props: { role: "roles/artifactregistry.admin", member: "group:platform@acme.io" },
      }),
    ).toEqual([]);
  });

  test("a repository grant beyond reader/writer fails", async () => {
    const v = await check({
      type: "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
      props: { repository: "ci-images", role: "roles/artifactregistry.admin", member: CI },
    });
    expect(v).toEqual([expect.stringMatching(/reader or roles\/artifactregistry.writer only/)]);
  });

  test("an unknown member (preview) is not judged", async () => {
    expect(
      await check({
        type: "gcp:projects/iAMMember:IAMMember",
        props: unknownCheckingProxy({
          role: "roles/artifactregistry.writer",
          member: UNKNOWN_STRING,
        }),
      }),
    ).toEqual([]);
  });
});

describe("repository-iam-not-mixed", () => {
  const member: FakeResource = {
    type: "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
    name: "ci-writer",
    props: {
      repository: "projects/p/locations/europe-west1/repositories/ci-images",
      location: "europe-west1",
      role: "roles/artifactregistry.writer",
      member: CI,
    },
  };

  test("members alone pass", async () => {
    expect(
      await validateStack(repositoryIamNotMixed, [member, { ...member, name: "reader" }]),
    ).toEqual([]);
  });

  test("an authoritative binding on the same repository fails", async () => {
    const v = await validateStack(repositoryIamNotMixed, [
      member,
      {
        type: "gcp:artifactregistry/repositoryIamBinding:RepositoryIamBinding",
        name: "readers",
        props: {
          repository: "ci-images",
          location: "europe-west1",
          role: "roles/artifactregistry.reader",
          members: ["group:dev@acme.io"],
        },
      },
    ]);
    expect(v).toHaveLength(1);
    expect(v[0].message).toMatch(/authoritative on repository europe-west1\/ci-images/);
    expect(v[0].urn).toMatch(/RepositoryIamBinding::readers$/);
  });

  test("an authoritative policy on another repository passes", async () => {
    expect(
      await validateStack(repositoryIamNotMixed, [
        member,
        {
          type: "gcp:artifactregistry/repositoryIamPolicy:RepositoryIamPolicy",
          props: { repository: "other", location: "europe-west1", policyData: "{}" },
        },
      ]),
    ).toEqual([]);
  });
});

// ---- 2. Pods ---------------------------------------------------------------------------

describe("pods-restricted", () => {
  const check = (r: FakeResource) => validateResource(podsRestricted, r).then(messages);

  test("a restricted pod passes (runAsNonRoot and seccomp at pod level)", async () => {
    expect(await check(deployment(restrictedPod))).toEqual([]);
  });

  test.each([
    [
      "readOnlyRootFilesystem",
      { readOnlyRootFilesystem: false },
      /readOnlyRootFilesystem must be true/,
    ],
    [
      "allowPrivilegeEscalation",
      { allowPrivilegeEscalation: true },
      /allowPrivilegeEscalation must be false/,
    ],
    ["runAsNonRoot", { runAsNonRoot: false }, /runAsNonRoot must be true/],
    ["runAsUser 0", { runAsUser: 0 }, /runAsUser must not be 0/],
    ["capabilities", { capabilities: { drop: ["NET_RAW"] } }, /drop must include ALL/],
    [
      "added capability",
      { capabilities: { drop: ["ALL"], add: ["SYS_ADMIN"] } },
      /capabilities.add SYS_ADMIN/,
    ],
    [
      "seccomp",
      { seccompProfile: { type: "Unconfined" } },
      /seccompProfile.type must be RuntimeDefault/,
    ],
    ["privileged", { privileged: true }, /privileged must not be true/],
  ])("a container overriding %s fails", async (_what, override, pattern) => {
    const c = restrictedContainer();
    const v = await check(
      deployment({
        ...restrictedPod,
        containers: [{ ...c, securityContext: { ...c.securityContext, ...override } }],
      }),
    );
    expect(v).toEqual([expect.stringMatching(pattern)]);
  });

  test("without pod-level runAsNonRoot and seccomp, the container must set them", async () => {
    const v = await check(deployment({ containers: [restrictedContainer()] }));
    expect(v).toEqual([expect.stringMatching(/seccompProfile/)]);
    const none = await check(
      deployment({ containers: [{ name: "registry", image: "registry:2" }] }),
    );
    expect(none).toHaveLength(5);
  });

  test("init containers and CronJob pods are checked too", async () => {
    const v = await check({
      type: "kubernetes:batch/v1:CronJob",
      props: {
        spec: {
          schedule: "0 3 * * 0",
          jobTemplate: {
            spec: {
              template: {
                spec: {
                  ...restrictedPod,
                  initContainers: [{ name: "gc", image: "registry:2", securityContext: {} }],
                },
              },
            },
          },
        },
      },
    });
    expect(v.every((m) => m.startsWith("initContainer gc:"))).toBe(true);
    expect(v).toHaveLength(3);
  });

  test("bare Pods, StatefulSets and DaemonSets are checked; host namespaces fail", async () => {
    for (const type of ["kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet"])
      expect(await check({ ...deployment({ containers: [{ name: "x" }] }), type })).not.toEqual([]);
    expect(
      await check({
        type: "kubernetes:core/v1:Pod",
        props: { spec: { ...restrictedPod, hostNetwork: true } },
      }),
    ).toEqual(["the pod sets hostNetwork: true"]);
  });

  test("other resources are not pods", async () => {
    expect(await check({ type: "kubernetes:core/v1:Service", props: { spec: {} } })).toEqual([]);
  });
});

// ---- 3. NodePort -----------------------------------------------------------------------

describe("nodeport-in-range", () => {
  const service = (nodePort?: unknown, type = "NodePort"): FakeResource => ({
    type: "kubernetes:core/v1:Service",
    props: {
      spec: {
        type,
        ports: [{ name: "http", port: 5000, ...(nodePort !== undefined ? { nodePort } : {}) }],
      },
    },
  });
  const check = (r: FakeResource) => validateResource(nodePortInRange, r).then(messages);

  test.each([30000, 30500, 32767, undefined])("nodePort %s passes", async (port) => {
    expect(await check(service(port))).toEqual([]);
  });

  test.each([29999, 32768, 80, 30000.5])("nodePort %s fails", async (port) => {
    expect(await check(service(port))).toEqual([expect.stringMatching(/outside 30000-32767/)]);
  });

  test("a LoadBalancer's nodePort is held to the same range", async () => {
    expect(await check(service(8080, "LoadBalancer"))).toHaveLength(1);
  });
});

// ---- 4. Auth on exposed registries ---------------------------------------------------------

describe("registry-requires-auth", () => {
  const dockerRegistry = (opts: {
    ip?: string;
    config?: string;
    envs?: string[];
    image?: string;
  }): FakeResource => ({
    type: "docker:index/container:Container",
    name: "registry",
    props: {
      name: "registry",
      image: opts.image ?? "sha256:0123",
      envs: opts.envs ?? ["REGISTRY_HTTP_SECRET=abc"],
      uploads: opts.config
        ? [{ file: "/etc/docker/registry/config.yml", content: opts.config }]
        : [],
      ports: [
        { internal: 5000, external: 5000, ...(opts.ip !== undefined ? { ip: opts.ip } : {}) },
      ],
    },
  });
  const check = (rs: FakeResource[]) => validateStack(registryRequiresAuth, rs).then(messages);

  test("docker: an open registry on loopback passes; with auth on 0.0.0.0 passes", async () => {
    expect(await check([dockerRegistry({ ip: "127.0.0.1", config: registryConfig() })])).toEqual(
      [],
    );
    expect(
      await check([dockerRegistry({ ip: "0.0.0.0", config: registryConfig(HTPASSWD_AUTH) })]),
    ).toEqual([]);
  });

  test("docker: an open registry published on 0.0.0.0 (or with ip unset) fails", async () => {
    expect(await check([dockerRegistry({ ip: "0.0.0.0", config: registryConfig() })])).toEqual([
      expect.stringMatching(/publishes a registry without auth on 0.0.0.0:5000/),
    ]);
    expect(await check([dockerRegistry({ config: registryConfig() })])).toHaveLength(1);
  });

  test("docker: auth by env counts; the bare registry image has none", async () => {
    expect(
      await check([
        dockerRegistry({
          ip: "10.0.0.5",
          config: registryConfig(),
          envs: ["REGISTRY_AUTH_HTPASSWD_PATH=/auth/htpasswd"],
        }),
      ]),
    ).toEqual([]);
    expect(await check([dockerRegistry({ ip: "10.0.0.5", image: "registry:2.8.3" })])).toHaveLength(
      1,
    );
  });

  test("docker: a published nginx in front of an open registry fails", async () => {
    const registry = {
      ...dockerRegistry({ config: registryConfig() }),
      props: { ...dockerRegistry({ config: registryConfig() }).props, ports: [] },
    };
    const proxy: FakeResource = {
      type: "docker:index/container:Container",
      name: "nginx",
      props: {
        image: "nginx:1.27",
        uploads: [{ file: "/etc/nginx/nginx.conf", content: nginx("TLSv1.2 TLSv1.3") }],
        ports: [{ internal: 443, external: 5443 }],
      },
    };
    expect(await check([registry, proxy])).toEqual([
      expect.stringMatching(/in front of registry registry, which has no auth/),
    ]);
    const authedRegistry = dockerRegistry({ config: registryConfig(HTPASSWD_AUTH) });
    expect(
      await check([{ ...authedRegistry, props: { ...authedRegistry.props, ports: [] } }, proxy]),
    ).toEqual([]);
  });

  const configMap = (config: string): FakeResource => ({
    type: "kubernetes:core/v1:ConfigMap",
    props: {
      metadata: { name: "registry-config", namespace: "registry" },
      data: { "config.yml": config },
    },
  });
  const service = (type: string): FakeResource => ({
    type: "kubernetes:core/v1:Service",
    name: "registry-svc",
    props: {
      metadata: { name: "registry", namespace: "registry" },
      spec: { type, selector: { app: "registry" }, ports: [{ port: 5000 }] },
    },
  });
  const mountingDeployment = deployment({
    ...restrictedPod,
    volumes: [{ name: "config", configMap: { name: "registry-config" } }],
  });

  test("kubernetes: an open registry behind a NodePort Service fails", async () => {
    const v = await validateStack(registryRequiresAuth, [
      configMap(registryConfig()),
      mountingDeployment,
      service("NodePort"),
    ]);
    expect(messages(v)).toEqual([
      expect.stringMatching(/without auth through NodePort Service registry/),
    ]);
    expect(v[0].urn).toMatch(/registry-svc$/);
  });

  test("kubernetes: with htpasswd auth, or behind a ClusterIP Service, it passes", async () => {
    expect(
      await check([
        configMap(registryConfig(HTPASSWD_AUTH)),
        mountingDeployment,
        service("NodePort"),
      ]),
    ).toEqual([]);
    expect(
      await check([configMap(registryConfig()), mountingDeployment, service("ClusterIP")]),
    ).toEqual([]);
  });

  test("kubernetes: a Service selecting other pods does not expose the registry", async () => {
    const other = service("NodePort");
    (other.props.spec as Record<string, unknown>).selector = { app: "web" };
    expect(await check([configMap(registryConfig()), mountingDeployment, other])).toEqual([]);
  });

  test("vm: a registry config without auth shipped to a host fails", async () => {
    const copy = (config: string): FakeResource => ({
      type: "command:remote:CopyToRemote",
      props: {
        remotePath: "/opt/registry/config.yml",
        source: new pulumi.asset.StringAsset(config),
      },
    });
    expect(await check([copy(registryConfig())])).toEqual([
      expect.stringMatching(/without auth to a VM/),
    ]);
    expect(await check([copy(registryConfig(HTPASSWD_AUTH))])).toEqual([]);
  });
});

// ---- 5. TLS ------------------------------------------------------------------------------

describe("tls-minimum-1-2", () => {
  const check = (r: FakeResource) => validateResource(tlsMinimum12, r).then(messages);
  const copy = (content: string): FakeResource => ({
    type: "command:remote:CopyToRemote",
    props: {
      remotePath: "/opt/registry/nginx.conf",
      source: new pulumi.asset.StringAsset(content),
    },
  });

  test("nginx with TLSv1.2 TLSv1.3 passes", async () => {
    expect(await check(copy(nginx("TLSv1.2 TLSv1.3")))).toEqual([]);
  });

  test.each(["TLSv1 TLSv1.1 TLSv1.2", "SSLv3 TLSv1.2", "TLSv1.1 TLSv1.2 TLSv1.3"])(
    "nginx ssl_protocols %s fails",
    async (protocols) => {
      expect(await check(copy(nginx(protocols)))).toEqual([
        expect.stringMatching(/ssl_protocols allows/),
      ]);
    },
  );

  test("nginx TLS without ssl_protocols fails (old nginx defaults allow TLSv1)", async () => {
    expect(await check(copy(nginx()))).toEqual([expect.stringMatching(/ssl_protocols is not set/)]);
  });

  test("a commented-out weak directive does not count", async () => {
    expect(
      await check(copy(nginx("TLSv1.2").replace("events {}", "# ssl_protocols TLSv1;\nevents {}"))),
    ).toEqual([]);
  });

  test("found in a ConfigMap, a docker upload (base64 too) and a remote command script", async () => {
    const weak = nginx("TLSv1 TLSv1.2");
    for (const r of [
      { type: "kubernetes:core/v1:ConfigMap", props: { data: { "nginx.conf": weak } } },
      {
        type: "docker:index/container:Container",
        props: { uploads: [{ file: "/etc/nginx/nginx.conf", content: weak }] },
      },
      {
        type: "docker:index/container:Container",
        props: {
          uploads: [
            { file: "/etc/nginx/nginx.conf", contentBase64: Buffer.from(weak).toString("base64") },
          ],
        },
      },
      {
        type: "command:remote:Command",
        props: { create: `cat > /etc/nginx/nginx.conf <<'EOF'\n${weak}\nEOF` },
      },
    ])
      expect(await check(r)).toHaveLength(1);
  });

  test("registry http.tls.minimumtls below tls1.2 fails; tls1.2 or unset passes", async () => {
    const cm = (tls: Record<string, unknown>): FakeResource => ({
      type: "kubernetes:core/v1:ConfigMap",
      props: {
        data: {
          "config.yml": registryConfig({
            http: { addr: ":5000", tls: { certificate: "/c", key: "/k", ...tls } },
          }),
        },
      },
    });
    expect(await check(cm({ minimumtls: "tls1.1" }))).toEqual([
      expect.stringMatching(/minimumtls is tls1.1/),
    ]);
    expect(await check(cm({ minimumtls: "tls1.0" }))).toHaveLength(1);
    expect(await check(cm({ minimumtls: "tls1.2" }))).toEqual([]);
    expect(await check(cm({}))).toEqual([]);
  });

  test("REGISTRY_HTTP_TLS_MINIMUMTLS in env fails below tls1.2", async () => {
    const v = await check(
      deployment({
        ...restrictedPod,
        containers: [
          {
            ...restrictedContainer(),
            env: [{ name: "REGISTRY_HTTP_TLS_MINIMUMTLS", value: "tls1.0" }],
          },
        ],
      }),
    );
    expect(v).toEqual([expect.stringMatching(/REGISTRY_HTTP_TLS_MINIMUMTLS is tls1.0/)]);
  });
});

// ---- 6. Secrets --------------------------------------------------------------------------

describe("secrets-not-in-plain-config", () => {
  const check = (r: FakeResource) => validateResource(secretsNotInPlainConfig, r).then(messages);
  const HTPASSWD = `ci:${bcrypt.hashSync("not-a-real-password", 4)}\n`;
  const PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n";

  test("a ConfigMap with a plain registry config passes; a Secret may hold anything", async () => {
    expect(
      await check({
        type: "kubernetes:core/v1:ConfigMap",
        props: { data: { "config.yml": registryConfig(HTPASSWD_AUTH) } },
      }),
    ).toEqual([]);
    expect(
      await check({
        type: "kubernetes:core/v1:Secret",
        props: { stringData: { htpasswd: HTPASSWD, "tls.key": PRIVATE_KEY } },
      }),
    ).toEqual([]);
  });

  test("a ConfigMap holding an htpasswd, a private key or a credential name fails", async () => {
    expect(
      await check({ type: "kubernetes:core/v1:ConfigMap", props: { data: { users: HTPASSWD } } }),
    ).toEqual([expect.stringMatching(/htpasswd \(bcrypt\) entry/)]);
    expect(
      await check({
        type: "kubernetes:core/v1:ConfigMap",
        props: { data: { "tls.key": PRIVATE_KEY } },
      }),
    ).toHaveLength(2);
    expect(
      await check({
        type: "kubernetes:core/v1:ConfigMap",
        props: { binaryData: { cert: Buffer.from(PRIVATE_KEY).toString("base64") } },
      }),
    ).toEqual([expect.stringMatching(/private key/)]);
  });

  test("a registry config with inline secrets in a ConfigMap fails", async () => {
    const v = await check({
      type: "kubernetes:core/v1:ConfigMap",
      props: {
        data: {
          "config.yml": registryConfig({
            http: { addr: ":5000", secret: "s3cr3t" },
            proxy: { remoteurl: "https://registry-1.docker.io", password: "pw" },
          }),
        },
      },
    });
    expect(v).toEqual([expect.stringMatching(/http.secret, proxy.password inline/)]);
  });

  test("container env: secrets by secretKeyRef pass, plain values fail", async () => {
    const withEnv = (env: unknown[]) =>
      check(deployment({ ...restrictedPod, containers: [{ ...restrictedContainer(), env }] }));
    expect(
      await withEnv([
        {
          name: "REGISTRY_HTTP_SECRET",
          valueFrom: { secretKeyRef: { name: "s", key: "http-secret" } },
        },
        { name: "REGISTRY_AUTH_HTPASSWD_PATH", value: "/auth/htpasswd" },
        { name: "HOME", value: "/tmp" },
      ]),
    ).toEqual([]);
    expect(await withEnv([{ name: "REGISTRY_HTTP_SECRET", value: "abc" }])).toEqual([
      expect.stringMatching(/env REGISTRY_HTTP_SECRET is a plain value/),
    ]);
    expect(
      await withEnv([
        {
          name: "REGISTRY_STORAGE_S3_SECRETKEY",
          valueFrom: { configMapKeyRef: { name: "c", key: "k" } },
        },
      ]),
    ).toEqual([expect.stringMatching(/plain configMapKeyRef/)]);
  });

  test("kubernetes annotations must not carry key material", async () => {
    expect(
      await check({
        type: "kubernetes:core/v1:Service",
        props: { metadata: { annotations: { key: PRIVATE_KEY } } },
      }),
    ).toEqual([expect.stringMatching(/metadata.annotations.key holds a private key/)]);
  });

  test("docker: secrets in envs and uploads need additionalSecretOutputs and a private file mode", async () => {
    const container = (extra: Partial<FakeResource>, mode?: string): FakeResource => ({
      type: "docker:index/container:Container",
      props: {
        envs: ["REGISTRY_HTTP_SECRET=abc", "TZ=UTC"],
        uploads: [
          {
            file: "/etc/docker/registry/htpasswd",
            content: HTPASSWD,
            ...(mode ? { permissions: mode } : {}),
          },
        ],
      },
      ...extra,
    });
    expect(
      await check(container({ additionalSecretOutputs: ["envs", "uploads"] }, "0600")),
    ).toEqual([]);
    const v = await check(container({}, "0644"));
    expect(v).toEqual([
      expect.stringMatching(/envs carries REGISTRY_HTTP_SECRET/),
      expect.stringMatching(/"uploads" to additionalSecretOutputs/),
      expect.stringMatching(/world-readable \(permissions 0644\)/),
    ]);
    expect(await check(container({ additionalSecretOutputs: ["envs", "uploads"] }))).toEqual([
      expect.stringMatching(/default 0644/),
    ]);
  });
});

// ---- reading props as the engine hands them over ---------------------------------------

describe("normalize", () => {
  test("unknown values (preview) become UNKNOWN instead of throwing", async () => {
    const props = unknownCheckingProxy({ a: { b: UNKNOWN_STRING, c: "x" } });
    expect(() => (props as { a: { b: string } }).a.b).toThrow();
    expect(await normalize(props)).toEqual({ a: { b: UNKNOWN, c: "x" } });
  });

  test("a StringAsset behind the policy proxy gives its text", async () => {
    const props = unknownCheckingProxy({ source: new pulumi.asset.StringAsset("hello") });
    expect(await normalize(props)).toMatchObject({ source: { text: "hello" } });
  });
});
