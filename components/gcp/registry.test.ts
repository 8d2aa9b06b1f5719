import * as path from "node:path";
import { parse } from "yaml";
import { renderedFiles, renderStack } from "../../tools/render";
import {
  reveal,
  runProgram,
  type ProgramRun,
  type RegisteredResource,
} from "../../tools/runProgram";

const T = {
  service: "gcp:projects/service:Service",
  repository: "gcp:artifactregistry/repository:Repository",
  account: "gcp:serviceaccount/account:Account",
  key: "gcp:serviceaccount/key:Key",
  repositoryIam: "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
  accountIam: "gcp:serviceaccount/iAMMember:IAMMember",
  pool: "gcp:iam/workloadIdentityPool:WorkloadIdentityPool",
  provider: "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
};
const COMPONENT = "registry:gcp:Registry::registry";
const EMAIL = "registry-ci@acme-ci-prod.iam.gserviceaccount.com";
const NODES = "serviceAccount:nodes@acme-gke.iam.gserviceaccount.com";

const gcpStack = (gcp: Record<string, unknown>) => ({
  stack: "test",
  config: { "registry:backend": "gcp", "registry:gcp": { project: "acme-ci-prod", ...gcp } },
});

let key: ProgramRun;
let keyRender: ProgramRun;
let keyless: ProgramRun;
let gcr: ProgramRun;

beforeAll(async () => {
  const keyConfig = gcpStack({
    location: "europe-west1",
    labels: { team: "platform" },
    readers: [NODES],
    credentials: { keyRotationDays: 30 },
  });
  key = await runProgram(keyConfig);
  keyRender = await runProgram({ ...keyConfig, mode: "render" });
  keyless = await runProgram(
    gcpStack({
      location: "us-central1",
      deletionProtection: false,
      credentials: {
        mode: "workloadIdentity",
        githubRepository: "acme/app",
        githubRepositoryId: 260064828,
        githubRepositoryOwnerId: "1342004",
      },
    }),
  );
  gcr = await runProgram(
    gcpStack({
      gcrDomain: "gcr.io",
      enableApis: false,
      immutableTags: true,
      cleanup: { enabled: false },
    }),
  );
});

const ofType = (run: ProgramRun, type: string) => run.resources.filter((r) => r.type === type);
function one(run: ProgramRun, type: string): RegisteredResource {
  const found = ofType(run, type);
  expect(found).toHaveLength(1);
  return found[0];
}
const inputs = (r: RegisteredResource) => reveal(r.inputs, true) as Record<string, unknown>;
const key_ = (r: RegisteredResource) => `${r.type}::${r.name}`;

describe.each([
  ["key", () => key],
  ["workloadIdentity", () => keyless],
  ["gcr.io", () => gcr],
])("GcpRegistry (%s mode): rules for every mode", (_mode, run) => {
  it("puts every resource under the registry:gcp:Registry component", () => {
    const component = one(run(), "registry:gcp:Registry");
    expect(component.parent).toBeNull();
    for (const r of run().resources.filter((r) => r.type.startsWith("gcp:")))
      expect(r.parent).toBe(COMPONENT);
  });

  it("grants IAM only on the repository and the CI account, never on the project", () => {
    const iamTypes = run()
      .resources.map((r) => r.type)
      .filter((t) => /iam/i.test(t) && !t.startsWith("gcp:iam/workloadIdentityPool"));
    expect(iamTypes.length).toBeGreaterThan(0);
    for (const t of iamTypes) expect([T.repositoryIam, T.accountIam]).toContain(t);
    const writers = ofType(run(), T.repositoryIam).filter(
      (r) => inputs(r).role === "roles/artifactregistry.writer",
    );
    expect(writers.map(inputs)).toEqual([
      expect.objectContaining({ member: `serviceAccount:${EMAIL}`, project: "acme-ci-prod" }),
    ]);
    // A wiring check: the grant names whatever the Repository resource returned as `name`
    // (the mock answers the short id, as @pulumi/gcp 9 documents), in its location.
    const repository = one(run(), T.repository);
    expect(inputs(writers[0])).toMatchObject({
      repository: repository.state.name,
      location: inputs(repository).location,
    });
  });

  it("makes a Docker repository with cleanup durations in seconds and dry run off unless asked", () => {
    const repo = inputs(one(run(), T.repository));
    expect(repo).toMatchObject({
      format: "DOCKER",
      project: "acme-ci-prod",
      cleanupPolicyDryRun: false,
    });
    for (const p of repo.cleanupPolicies as { condition?: { olderThan: string } }[])
      if (p.condition) expect(p.condition.olderThan).toMatch(/^[0-9]+s$/);
  });

  it("reports a CA-less, secret-password endpoint", () => {
    expect(run().outputs.REGISTRY_PASSWORD.secret).toBe(true);
    expect(run().outputs.REGISTRY_CA_CERT).toEqual({ value: "", secret: false });
    expect(run().outputs.GCP_SERVICE_ACCOUNT.value).toBe(EMAIL);
  });
});

describe("GcpRegistry, key mode", () => {
  it("registers the APIs, the repository, the account, its key and repository-scoped grants", () => {
    expect(key.resources.map((r) => r.type).sort()).toEqual(
      [
        "registry:gcp:Registry",
        T.service,
        T.service,
        T.repository,
        T.account,
        T.key,
        T.key,
        T.repositoryIam,
        T.repositoryIam,
      ].sort(),
    );
    expect(ofType(key, T.service).map(inputs)).toEqual([
      {
        project: "acme-ci-prod",
        service: "artifactregistry.googleapis.com",
        disableOnDestroy: false,
      },
      { project: "acme-ci-prod", service: "iam.googleapis.com", disableOnDestroy: false },
    ]);
  });

  it("orders every resource after the APIs it needs", () => {
    const apis = ofType(key, T.service).map(key_);
    for (const r of key.resources.filter((r) => r.type.startsWith("gcp:") && r.type !== T.service))
      expect(r.dependencies).toEqual(expect.arrayContaining(apis));
    for (const r of ofType(key, T.service)) expect(r.dependencies).toEqual([]);
  });

  it("configures the repository from settings and protects it from destroy", () => {
    const repo = one(key, T.repository);
    expect(inputs(repo)).toEqual({
      project: "acme-ci-prod",
      location: "europe-west1",
      repositoryId: "ci-images",
      format: "DOCKER",
      description: "Container images pushed by CI (managed by Pulumi)",
      labels: { team: "platform" },
      dockerConfig: { immutableTags: false },
      cleanupPolicies: [
        {
          id: "delete-untagged",
          action: "DELETE",
          condition: { tagState: "UNTAGGED", olderThan: "1209600s" },
        },
        { id: "keep-recent-versions", action: "KEEP", mostRecentVersions: { keepCount: 10 } },
      ],
      cleanupPolicyDryRun: false,
      vulnerabilityScanningConfig: { enablementConfig: "INHERITED" },
    });
    expect(repo.protect).toBe(true);
  });

  it("gives readers roles/artifactregistry.reader on the repository", () => {
    const readers = ofType(key, T.repositoryIam).filter(
      (r) => inputs(r).role === "roles/artifactregistry.reader",
    );
    expect(readers.map(inputs)).toEqual([
      {
        project: "acme-ci-prod",
        location: "europe-west1",
        repository: "ci-images", // Repository.name: the short id
        role: "roles/artifactregistry.reader",
        member: NODES,
      },
    ]);
  });

  it("makes two keys for the CI account, one per window parity", () => {
    const keys = ofType(key, T.key);
    expect(keys.map((k) => k.name).sort()).toEqual(["registry-ci-key-a", "registry-ci-key-b"]);
    // A wiring check: each key names the account by the `name` the Account resource returned
    // (mocked in the provider's documented form, projects/<project>/serviceAccounts/<email>).
    const account = one(key, T.account).state.name;
    for (const k of keys) expect(inputs(k).serviceAccountId).toBe(account);
  });

  it("outputs the address from config and the key as a secret _json_key_base64 password", () => {
    expect(key.outputs.REGISTRY).toEqual({
      value: "europe-west1-docker.pkg.dev/acme-ci-prod/ci-images",
      secret: false,
    });
    expect(key.outputs.REGISTRY_USERNAME.value).toBe("_json_key_base64");
    const password = key.outputs.REGISTRY_PASSWORD;
    expect(password.secret).toBe(true);
    const keyFile = JSON.parse(Buffer.from(String(password.value), "base64").toString("utf8"));
    expect(keyFile).toMatchObject({
      type: "service_account",
      client_email: EMAIL,
      project_id: "acme-ci-prod",
    });
    expect(key.outputs.GCP_REGISTRY_HOST.value).toBe("europe-west1-docker.pkg.dev");
    expect(key.outputs.GCP_WORKLOAD_IDENTITY_PROVIDER).toBeUndefined();
  });

  it("renders the key as [secret] and the address in the clear", () => {
    const rendered = renderedFiles(keyRender, false);
    const outputs = JSON.parse(rendered["outputs.json"]);
    expect(outputs.REGISTRY_PASSWORD).toBe("[secret]");
    expect(outputs.REGISTRY).toBe("europe-west1-docker.pkg.dev/acme-ci-prod/ci-images");
    expect(rendered["resources.json"]).not.toContain("known after deploy: service account key");
    const shown = renderedFiles(keyRender, true);
    expect(JSON.parse(shown["outputs.json"]).REGISTRY_PASSWORD).toBe(
      "<known after deploy: service account key of registry-ci@acme-ci-prod.iam.gserviceaccount.com>",
    );
    const login = parse(rendered["files/gcp/github-actions-login.yml"]);
    expect(login.jobs.push.steps[1].run).toBe(
      `printf '%s' "$REGISTRY_SECRET" | docker login --username _json_key_base64 --password-stdin europe-west1-docker.pkg.dev`,
    );
  });
});

describe("GcpRegistry, workloadIdentity mode", () => {
  it("creates no key at all, and enables the token-exchange APIs", () => {
    expect(ofType(keyless, T.key)).toEqual([]);
    expect(ofType(keyless, T.service).map((r) => inputs(r).service)).toEqual([
      "artifactregistry.googleapis.com",
      "iam.googleapis.com",
      "iamcredentials.googleapis.com",
      "sts.googleapis.com",
    ]);
    const apis = ofType(keyless, T.service).map(key_);
    for (const type of [T.pool, T.provider, T.accountIam, T.account, T.repository])
      expect(one(keyless, type).dependencies).toEqual(expect.arrayContaining(apis));
  });

  it("trusts GitHub's OIDC issuer for one repository, by id, on main by default", () => {
    expect(inputs(one(keyless, T.pool))).toMatchObject({
      workloadIdentityPoolId: "github-ci",
      disabled: false,
    });
    expect(inputs(one(keyless, T.provider))).toMatchObject({
      workloadIdentityPoolId: "github-ci",
      workloadIdentityPoolProviderId: "github-actions",
      disabled: false,
      oidc: { issuerUri: "https://token.actions.githubusercontent.com" },
      attributeCondition:
        'assertion.repository_owner_id == "1342004" && assertion.repository_id == "260064828" && assertion.ref == "refs/heads/main"',
      attributeMapping: expect.objectContaining({
        "attribute.repository_id": "assertion.repository_id",
        "attribute.repository_owner_id": "assertion.repository_owner_id",
        "attribute.repository": "assertion.repository",
      }),
      description: "Tokens of acme/app (repository id 260064828), branch main only",
    });
  });

  it("keeps the pool and provider descriptions within Google's 256 characters", async () => {
    const repository = `${"o".repeat(39)}/${"r".repeat(100)}`;
    const long = await runProgram(
      gcpStack({
        location: "northamerica-northeast2",
        repositoryId: "r".repeat(63),
        credentials: {
          mode: "workloadIdentity",
          githubRepository: repository,
          githubRepositoryId: "9007199254740991",
          githubRepositoryOwnerId: "9007199254740991",
          githubBranch: "b".repeat(200),
          githubEnvironment: "e".repeat(255),
        },
      }),
    );
    for (const type of [T.pool, T.provider]) {
      const description = String(inputs(one(long, type)).description);
      expect([...description].length).toBeLessThanOrEqual(256);
      expect(description).toContain(repository);
    }
  });

  it("lets only that repository's principalSet (by id) act as the CI account", () => {
    // Wiring: the project number is whatever the pool resource returned (the mock invents a
    // 12-digit one; only a real project knows it), and the account is the Account's `name`.
    const number = /^projects\/([0-9]+)\//.exec(String(one(keyless, T.pool).state.name))?.[1];
    expect(number).toBeDefined();
    expect(keyless.outputs.GCP_WORKLOAD_IDENTITY_PROVIDER.value).toMatch(
      new RegExp(`^projects/${number}/`),
    );
    expect(inputs(one(keyless, T.accountIam))).toEqual({
      serviceAccountId: one(keyless, T.account).state.name,
      role: "roles/iam.workloadIdentityUser",
      member: `principalSet://iam.googleapis.com/projects/${number}/locations/global/workloadIdentityPools/github-ci/attribute.repository_id/260064828`,
    });
  });

  it("outputs oauth2accesstoken, an empty secret password and what google-github-actions/auth needs", () => {
    expect(keyless.outputs.REGISTRY.value).toBe(
      "us-central1-docker.pkg.dev/acme-ci-prod/ci-images",
    );
    expect(keyless.outputs.REGISTRY_USERNAME.value).toBe("oauth2accesstoken");
    expect(keyless.outputs.REGISTRY_PASSWORD).toEqual({ value: "", secret: true });
    expect(keyless.outputs.GCP_WORKLOAD_IDENTITY_PROVIDER.value).toMatch(
      /^projects\/[0-9]+\/locations\/global\/workloadIdentityPools\/github-ci\/providers\/github-actions$/,
    );
    const login = parse(keyless.files["gcp/github-actions-login.yml"]);
    expect(login.jobs.push.steps[1].with).toEqual({
      workload_identity_provider: keyless.outputs.GCP_WORKLOAD_IDENTITY_PROVIDER.value,
      service_account: EMAIL,
      token_format: "access_token",
      create_credentials_file: false,
    });
  });

  it("leaves the repository unprotected when deletionProtection is false", () => {
    expect(one(keyless, T.repository).protect).toBe(false);
  });
});

describe("GcpRegistry, key rotation with overlap (keyRotationDays 30)", () => {
  // 30-day windows from 1970-01-01: window 670 starts 2025-01-12, window 671 2025-02-11.
  const inWindow670 = new Date("2025-01-20T09:00:00Z");
  const inWindow671 = new Date("2025-02-11T00:30:00Z");
  const laterIn671 = new Date("2025-03-12T23:00:00Z");
  const config = gcpStack({ location: "europe-west1", credentials: { keyRotationDays: 30 } });
  let before: ProgramRun;
  let after: ProgramRun;
  let lateSameWindow: ProgramRun;
  beforeAll(async () => {
    before = await runProgram({ ...config, now: inWindow670 });
    after = await runProgram({ ...config, now: inWindow671 });
    lateSameWindow = await runProgram({ ...config, now: laterIn671 });
  });
  const slot = (run: ProgramRun, s: "a" | "b") =>
    run.resources.find((r) => r.type === T.key && r.name === `registry-ci-key-${s}`)!;
  const keeper = (run: ProgramRun, s: "a" | "b") => inputs(slot(run, s)).keepers;
  const passwordKeyId = (run: ProgramRun) =>
    JSON.parse(Buffer.from(String(run.outputs.REGISTRY_PASSWORD.value), "base64").toString())
      .private_key_id as string;
  const keyId = (run: ProgramRun, s: "a" | "b") => String(slot(run, s).state.name).split("/").pop();

  it("changes only the older key's keeper when a new window starts", () => {
    expect(keeper(before, "a")).toEqual({ rotationWindow: "2025-01-12" });
    expect(keeper(before, "b")).toEqual({ rotationWindow: "2024-12-13" });
    expect(keeper(after, "a")).toEqual({ rotationWindow: "2025-01-12" });
    expect(keeper(after, "b")).toEqual({ rotationWindow: "2025-02-11" });
  });

  it("leaves the other key's inputs untouched, so it survives the rotation", () => {
    const a = (run: ProgramRun) => inputs(slot(run, "a"));
    expect(a(after)).toEqual(a(before));
  });

  it("exports the newest key as REGISTRY_PASSWORD, and says until when it is valid", () => {
    expect(passwordKeyId(before)).toBe(keyId(before, "a"));
    expect(passwordKeyId(after)).toBe(keyId(after, "b"));
    expect(keyId(after, "a")).not.toBe(keyId(after, "b"));
    expect(before.outputs.GCP_KEY_VALID_UNTIL).toEqual({ value: "2025-03-13", secret: false });
    expect(after.outputs.GCP_KEY_VALID_UNTIL).toEqual({ value: "2025-04-12", secret: false });
  });

  it("changes nothing on a later run in the same window (no perpetual diff)", () => {
    for (const s of ["a", "b"] as const)
      expect(keeper(lateSameWindow, s)).toEqual(keeper(after, s));
  });

  it("lets the current slot take over the single key of earlier releases", () => {
    expect(slot(before, "a").aliases).toEqual(["registry-ci-key"]);
    expect(slot(before, "b").aliases).toEqual([]);
    expect(slot(after, "b").aliases).toEqual(["registry-ci-key"]);
    expect(slot(after, "a").aliases).toEqual([]);
  });
});

describe("GcpRegistry, key mode without rotation", () => {
  it("makes one key with no keeper", async () => {
    const run = await runProgram(gcpStack({ location: "europe-west1" }));
    const k = one(run, T.key);
    expect(k.name).toBe("registry-ci-key");
    expect(inputs(k).keepers).toBeUndefined();
    expect(run.outputs.GCP_KEY_VALID_UNTIL).toBeUndefined();
  });
});

describe("GcpRegistry, gcr.io mode", () => {
  it("names the repository gcr.io in us and outputs gcr.io/<project>", () => {
    expect(inputs(one(gcr, T.repository))).toMatchObject({
      repositoryId: "gcr.io",
      location: "us",
      dockerConfig: { immutableTags: true },
      cleanupPolicies: [],
    });
    expect(gcr.outputs.REGISTRY.value).toBe("gcr.io/acme-ci-prod");
    expect(gcr.outputs.GCP_REGISTRY_HOST.value).toBe("gcr.io");
  });

  it("enables no API when enableApis is false", () => {
    expect(ofType(gcr, T.service)).toEqual([]);
    expect(one(gcr, T.repository).dependencies).toEqual([]);
  });
});

describe("npm run render -- prod", () => {
  it("renders the prod stack: the address in outputs.json, the key redacted", async () => {
    const root = path.resolve(__dirname, "../..");
    // renderStack is what `npm run render` runs, minus writing the files.
    const files = await renderStack({
      stack: "prod",
      out: path.join(root, "render", "prod"),
      configFile: path.join(root, "Pulumi.prod.yaml"),
      showSecrets: false,
    });
    const outputs = JSON.parse(files["outputs.json"]);
    expect(outputs).toMatchObject({
      REGISTRY: "europe-west1-docker.pkg.dev/acme-ci-prod/ci-images",
      REGISTRY_BACKEND: "gcp",
      REGISTRY_USERNAME: "_json_key_base64",
      REGISTRY_PASSWORD: "[secret]",
    });
    const types = (JSON.parse(files["resources.json"]) as { type: string }[]).map((r) => r.type);
    expect(types).toContain(T.repository);
  });
});
