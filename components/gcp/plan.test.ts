import { parse } from "yaml";
import { renderGithubActionsLogin } from "./ciLogin";
import {
  cleanupPolicies,
  daysAsDuration,
  fitDescription,
  GITHUB_ATTRIBUTE_MAPPING,
  githubAttributeCondition,
  githubTrust,
  keyRotationWindow,
  memberSlug,
  registryAddress,
  repositoryPrincipalSet,
} from "./plan";

describe("GCP plan helpers", () => {
  it("builds the image prefix from config alone", () => {
    const s = { project: "acme-ci-prod", location: "europe-west1", repositoryId: "ci-images" };
    expect(registryAddress(s)).toEqual({
      host: "europe-west1-docker.pkg.dev",
      registry: "europe-west1-docker.pkg.dev/acme-ci-prod/ci-images",
    });
    expect(
      registryAddress({
        ...s,
        location: "europe",
        repositoryId: "eu.gcr.io",
        gcrDomain: "eu.gcr.io",
      }),
    ).toEqual({
      host: "eu.gcr.io",
      registry: "eu.gcr.io/acme-ci-prod",
    });
  });

  it("writes cleanup durations in seconds, keep-count only on a KEEP rule", () => {
    expect(daysAsDuration(14)).toBe("1209600s");
    expect(
      cleanupPolicies({
        enabled: true,
        deleteUntaggedAfterDays: 14,
        keepRecentVersions: 10,
        dryRun: false,
      }),
    ).toEqual([
      {
        id: "delete-untagged",
        action: "DELETE",
        condition: { tagState: "UNTAGGED", olderThan: "1209600s" },
      },
      { id: "keep-recent-versions", action: "KEEP", mostRecentVersions: { keepCount: 10 } },
    ]);
    expect(
      cleanupPolicies({
        enabled: false,
        deleteUntaggedAfterDays: 14,
        keepRecentVersions: 10,
        dryRun: false,
      }),
    ).toEqual([]);
  });

  it("pins the GitHub repository by its ids, and the branch or environment", () => {
    const ids = { repositoryId: "260064828", repositoryOwnerId: "1342004", anyRef: false };
    const pinned =
      'assertion.repository_owner_id == "1342004" && assertion.repository_id == "260064828"';
    expect(githubAttributeCondition({ ...ids, branch: "main" })).toBe(
      `${pinned} && assertion.ref == "refs/heads/main"`,
    );
    expect(githubAttributeCondition({ ...ids, environment: "production" })).toBe(
      `${pinned} && assertion.environment == "production"`,
    );
    expect(githubAttributeCondition({ ...ids, anyRef: true })).toBe(pinned);
    expect(
      repositoryPrincipalSet(
        "projects/123/locations/global/workloadIdentityPools/github-ci",
        "260064828",
      ),
    ).toBe(
      "principalSet://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/github-ci/attribute.repository_id/260064828",
    );
  });

  it("restricts to main by default, unless an environment or any ref is allowed", () => {
    const c = {
      mode: "workloadIdentity" as const,
      githubRepository: "acme/app",
      githubRepositoryId: "260064828",
      githubRepositoryOwnerId: "1342004",
      githubAnyRef: false,
      poolId: "github-ci",
      providerId: "github-actions",
    };
    expect(githubTrust(c).branch).toBe("main");
    expect(githubTrust({ ...c, githubBranch: "release/1.x" }).branch).toBe("release/1.x");
    expect(githubTrust({ ...c, githubEnvironment: "prod" })).toMatchObject({
      branch: undefined,
      environment: "prod",
    });
    expect(githubTrust({ ...c, githubAnyRef: true }).branch).toBeUndefined();
  });

  it("maps google.subject to at most 127 bytes, whatever the names in the token", () => {
    // GitHub's limits: owner 39, repository 100, a ref or environment up to 255.
    const repository = `${"o".repeat(39)}/${"r".repeat(100)}`;
    const token: Record<string, string> = {
      sub: `repo:${repository}:environment:${"e".repeat(255)}`,
      repository,
      repository_id: "9".repeat(20),
      repository_owner_id: "9".repeat(20),
      run_id: "9".repeat(20),
      run_attempt: "9".repeat(20),
      ref: `refs/heads/${"b".repeat(244)}`,
      actor: "a".repeat(39),
    };
    // A small evaluator for the one shape the mapping uses: "literal" + assertion.claim + ...
    const evaluate = (expr: string) =>
      expr
        .split(" + ")
        .map((part) =>
          part.startsWith('"')
            ? (JSON.parse(part) as string)
            : token[part.replace(/^assertion\./, "")],
        )
        .join("");
    const subject = evaluate(GITHUB_ATTRIBUTE_MAPPING["google.subject"]);
    expect(subject).toBe(`repository_id:${"9".repeat(20)}:run:${"9".repeat(20)}:${"9".repeat(20)}`);
    expect(Buffer.byteLength(subject)).toBeLessThanOrEqual(127);
    expect(Buffer.byteLength(token.sub)).toBeGreaterThan(127); // why not assertion.sub
  });

  it("cuts descriptions to the 256 characters Google accepts", () => {
    expect(fitDescription("short")).toBe("short");
    expect(fitDescription("x".repeat(256))).toBe("x".repeat(256));
    expect(fitDescription("x".repeat(300))).toBe(`${"x".repeat(255)}…`);
  });

  it("changes the rotation keeper once per window, not on every run", () => {
    const day = (iso: string) => new Date(`${iso}T12:00:00Z`);
    // 30-day windows from 1970-01-01: day 20070 (2024-12-13) starts one, day 20100 (2025-01-12) the next.
    expect(keyRotationWindow(day("2024-12-13"), 30)).toBe("2024-12-13");
    expect(keyRotationWindow(day("2025-01-11"), 30)).toBe("2024-12-13");
    expect(keyRotationWindow(day("2025-01-12"), 30)).toBe("2025-01-12");
    expect(keyRotationWindow(day("2025-01-10"), 1)).toBe("2025-01-10");
    expect(keyRotationWindow(day("2025-01-10"), 7)).toBe("2025-01-09");
  });

  it("names reader bindings by member, so reordering readers replaces nothing", () => {
    expect(memberSlug("serviceAccount:nodes@acme-gke.iam.gserviceaccount.com")).toBe(
      "serviceaccount-nodes-at-acme-gke.iam.gserviceaccount.com",
    );
    expect(
      memberSlug(
        "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/*",
      ),
    ).toBe("principalset-iam.googleapis.com-projects-1-locations-global-workloadIdentityPools-p");
  });

  it("renders GitHub Actions login steps as valid YAML for both modes", () => {
    const key = parse(
      renderGithubActionsLogin({
        mode: "key",
        host: "europe-west1-docker.pkg.dev",
        registry: "europe-west1-docker.pkg.dev/p/r",
      }),
    );
    expect(key.jobs.push.steps[1]).toEqual({
      name: "Log in to the registry",
      env: { REGISTRY_SECRET: "${{ secrets.REGISTRY_PASSWORD }}" },
      run: `printf '%s' "$REGISTRY_SECRET" | docker login --username _json_key_base64 --password-stdin europe-west1-docker.pkg.dev`,
    });
    const keyless = parse(
      renderGithubActionsLogin({
        mode: "workloadIdentity",
        host: "gcr.io",
        registry: "gcr.io/p",
        workloadIdentityProvider:
          "projects/<known after deploy: project number>/locations/global/x",
        serviceAccount: "registry-ci@p.iam.gserviceaccount.com",
        allowed: "environment production",
        environment: "production",
      }),
    );
    expect(keyless.jobs.push.permissions).toEqual({ contents: "read", "id-token": "write" });
    // The provider only accepts jobs that name the environment it pins.
    expect(keyless.jobs.push.environment).toBe("production");
    expect(keyless.jobs.push.steps[1]).toEqual({
      id: "auth",
      uses: "google-github-actions/auth@7c6bc770dae815cd3e89ee6cdf493a5fab2cc093",
      with: {
        workload_identity_provider:
          "projects/<known after deploy: project number>/locations/global/x",
        service_account: "registry-ci@p.iam.gserviceaccount.com",
        token_format: "access_token",
        create_credentials_file: false,
      },
    });
    expect(keyless.jobs.push.steps[2].run).toBe(
      `printf '%s' "$REGISTRY_SECRET" | docker login --username oauth2accesstoken --password-stdin gcr.io`,
    );
  });
});
