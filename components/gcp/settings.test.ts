import { ConfigError } from "../../config/errors";
import { readBackendSettings } from "../../config/load";
import { gcpSettings, type GcpSettings } from "./settings";

/** Parses `registry:gcp` as the program would; returns the settings or the error lines. */
function parse(gcp: Record<string, unknown>): GcpSettings | string[] {
  const config: Record<string, string> = {
    "registry:backend": "gcp",
    "registry:gcp": JSON.stringify(gcp),
  };
  try {
    return readBackendSettings("gcp", gcpSettings, (k) => config[k], Object.keys(config));
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

const base = { project: "acme-ci-prod", location: "europe-west1" };
const IDS = { githubRepositoryId: 260064828, githubRepositoryOwnerId: "1342004" };

describe("registry:gcp settings", () => {
  it("fills in the documented defaults", () => {
    expect(parse(base)).toEqual({
      project: "acme-ci-prod",
      location: "europe-west1",
      repositoryId: "ci-images",
      description: "Container images pushed by CI (managed by Pulumi)",
      labels: {},
      immutableTags: false,
      cleanup: {
        enabled: true,
        deleteUntaggedAfterDays: 14,
        keepRecentVersions: 10,
        dryRun: false,
      },
      vulnerabilityScanning: "inherited",
      deletionProtection: true,
      serviceAccountId: "registry-ci",
      readers: [],
      credentials: {
        mode: "key",
        githubAnyRef: false,
        poolId: "github-ci",
        providerId: "github-actions",
      },
      enableApis: true,
    });
  });

  it("gcr.io mode names the repository after the domain and takes the domain's location", () => {
    expect(parse({ project: "acme-ci-prod", gcrDomain: "eu.gcr.io" })).toMatchObject({
      location: "europe",
      repositoryId: "eu.gcr.io",
    });
    expect(parse({ project: "acme-ci-prod", gcrDomain: "gcr.io", location: "us" })).toMatchObject({
      location: "us",
      repositoryId: "gcr.io",
    });
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    [
      "a zone or made-up location",
      { ...base, location: "europe-west1-b" },
      [
        'registry:gcp.location must be a region such as us-central1 or a multi-region us, europe or asia (got "europe-west1-b")',
      ],
    ],
    [
      "no location",
      { project: "acme-ci-prod" },
      [
        "registry:gcp.location is required: a region such as us-central1 or a multi-region us, europe or asia",
      ],
    ],
    [
      "a repository id Artifact Registry rejects",
      { ...base, repositoryId: "CI_Images" },
      [
        'registry:gcp.repositoryId must be a repository id of 1-63 lower-case letters, digits or hyphens, starting with a letter and ending with a letter or digit (got "CI_Images")',
      ],
    ],
    [
      "a repository id ending with a hyphen",
      { ...base, repositoryId: "images-" },
      [
        'registry:gcp.repositoryId must be a repository id of 1-63 lower-case letters, digits or hyphens, starting with a letter and ending with a letter or digit (got "images-")',
      ],
    ],
    [
      "a project id",
      { ...base, project: "1acme" },
      [
        'registry:gcp.project must be a GCP project id: 6-30 lower-case letters, digits or hyphens, starting with a letter (got "1acme")',
      ],
    ],
    [
      "a cleanup duration of zero days",
      { ...base, cleanup: { deleteUntaggedAfterDays: 0 } },
      ["registry:gcp.cleanup.deleteUntaggedAfterDays must be an integer from 1 to 3650 (got 0)"],
    ],
    [
      "a cleanup duration written as text",
      { ...base, cleanup: { deleteUntaggedAfterDays: "14d" } },
      [
        'registry:gcp.cleanup.deleteUntaggedAfterDays must be an integer from 1 to 3650 (got "14d")',
      ],
    ],
    [
      "a fractional keep count",
      { ...base, cleanup: { keepRecentVersions: 2.5 } },
      ["registry:gcp.cleanup.keepRecentVersions must be an integer from 1 to 1000 (got 2.5)"],
    ],
    [
      "a workload-identity repository that is not owner/name",
      {
        ...base,
        credentials: { mode: "workloadIdentity", githubRepository: "acme", ...IDS },
      },
      [
        'registry:gcp.credentials.githubRepository must be a GitHub repository as owner/name (got "acme")',
      ],
    ],
    [
      "a workload-identity repository URL",
      {
        ...base,
        credentials: {
          mode: "workloadIdentity",
          githubRepository: "https://github.com/acme/app",
          ...IDS,
        },
      },
      [
        'registry:gcp.credentials.githubRepository must be a GitHub repository as owner/name (got "https://github.com/acme/app")',
      ],
    ],
    [
      "workloadIdentity with no repository",
      { ...base, credentials: { mode: "workloadIdentity" } },
      [
        "registry:gcp.credentials.githubRepository is required when mode is workloadIdentity (the owner/name allowed to push)",
        "registry:gcp.credentials.githubRepositoryId is required when mode is workloadIdentity: the repository's numeric id (curl -s https://api.github.com/repos/OWNER/NAME | jq .id)",
        "registry:gcp.credentials.githubRepositoryOwnerId is required when mode is workloadIdentity: the owner's numeric id (curl -s https://api.github.com/repos/OWNER/NAME | jq .owner.id)",
      ],
    ],
    [
      "a repository id that is not a number",
      {
        ...base,
        credentials: {
          mode: "workloadIdentity",
          githubRepository: "acme/app",
          githubRepositoryId: "acme/app",
          githubRepositoryOwnerId: 1.5,
        },
      },
      [
        'registry:gcp.credentials.githubRepositoryId must be a numeric GitHub id such as 260064828 (got "acme/app")',
        "registry:gcp.credentials.githubRepositoryOwnerId must be a numeric GitHub id such as 260064828 (got 1.5)",
      ],
    ],
    [
      "an environment with a quote (it would break the attribute condition)",
      {
        ...base,
        credentials: {
          mode: "workloadIdentity",
          githubRepository: "acme/app",
          ...IDS,
          githubEnvironment: 'prod" || true',
        },
      },
      [
        "registry:gcp.credentials.githubEnvironment must be an environment name of up to 255 letters, digits, spaces, '_', '.' or '-' (got \"prod\\\" || true\")",
      ],
    ],
    [
      "a branch with githubAnyRef",
      {
        ...base,
        credentials: {
          mode: "workloadIdentity",
          githubRepository: "acme/app",
          ...IDS,
          githubBranch: "main",
          githubAnyRef: true,
        },
      },
      [
        'registry:gcp.credentials.githubBranch cannot be combined with githubAnyRef: true (which allows every ref) (got "main")',
      ],
    ],
    [
      "a GitHub repository in key mode",
      { ...base, credentials: { githubRepository: "acme/app" } },
      [
        'registry:gcp.credentials.githubRepository is only read when mode is workloadIdentity (mode is key) (got "acme/app")',
      ],
    ],
    [
      "key rotation in workloadIdentity mode",
      {
        ...base,
        credentials: {
          mode: "workloadIdentity",
          githubRepository: "acme/app",
          ...IDS,
          keyRotationDays: 30,
        },
      },
      [
        "registry:gcp.credentials.keyRotationDays is only read when mode is key (mode is workloadIdentity) (got 30)",
      ],
    ],
    [
      "a provider id with Google's reserved prefix",
      {
        ...base,
        credentials: {
          mode: "workloadIdentity",
          githubRepository: "acme/app",
          ...IDS,
          providerId: "gcp-github",
        },
      },
      [
        'registry:gcp.credentials.providerId must not start with gcp- (the prefix is reserved by Google) (got "gcp-github")',
      ],
    ],
    [
      "a branch with a quote (it would break the attribute condition)",
      {
        ...base,
        credentials: {
          mode: "workloadIdentity",
          githubRepository: "acme/app",
          ...IDS,
          githubBranch: 'main" || true',
        },
      },
      [
        'registry:gcp.credentials.githubBranch must be a branch name such as main or release/1.x (got "main\\" || true")',
      ],
    ],
    [
      "gcrDomain with a location that does not serve it",
      { project: "acme-ci-prod", gcrDomain: "eu.gcr.io", location: "us" },
      [
        'registry:gcp.location must be europe when gcrDomain is eu.gcr.io (or be left unset) (got "us")',
      ],
    ],
    [
      "gcrDomain with a repository id",
      { project: "acme-ci-prod", gcrDomain: "gcr.io", repositoryId: "images" },
      [
        'registry:gcp.repositoryId is set by gcrDomain (the repository is named gcr.io): remove it (got "images")',
      ],
    ],
    [
      "an unknown gcr.io host",
      { project: "acme-ci-prod", gcrDomain: "eu.gcr.com" },
      [
        'registry:gcp.gcrDomain must be one of gcr.io, us.gcr.io, eu.gcr.io, asia.gcr.io (got "eu.gcr.com")',
      ],
    ],
    [
      "a KMS key in another location",
      { ...base, kmsKeyName: "projects/acme-kms/locations/us/keyRings/ci/cryptoKeys/registry" },
      [
        'registry:gcp.kmsKeyName must be a key in the repository\'s location europe-west1 (got "projects/acme-kms/locations/us/keyRings/ci/cryptoKeys/registry")',
      ],
    ],
    [
      "a public reader",
      { ...base, readers: ["allUsers"] },
      [
        'registry:gcp.readers[0] must be an IAM member such as serviceAccount:nodes@my-project.iam.gserviceaccount.com (or user:, group:, domain:, principal://, principalSet://) (got "allUsers")',
      ],
    ],
    [
      "a reader listed twice",
      {
        ...base,
        readers: ["group:ops@acme.example", "group:ops@acme.example"],
      },
      ['registry:gcp.readers[1] lists this member twice (got "group:ops@acme.example")'],
    ],
    [
      "a service account id that is too short",
      { ...base, serviceAccountId: "ci" },
      [
        'registry:gcp.serviceAccountId must be a service account id of 6-30 lower-case letters, digits or hyphens, starting with a letter (got "ci")',
      ],
    ],
    ["a typo in a key", { ...base, cleanUp: {} }, ['registry:gcp has unknown key "cleanUp"']],
  ])("stops on %s", (_what, gcp, lines) => {
    expect(parse(gcp)).toEqual(lines);
  });
});
