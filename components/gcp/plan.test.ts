import { parse } from "yaml";
import { renderGithubActionsLogin } from "./ciLogin";
import {
  cleanupPolicies,
  daysAsDuration,
  githubAttributeCondition,
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

  it("pins the GitHub repository, and the branch when given", () => {
    expect(githubAttributeCondition("acme/app")).toBe('assertion.repository == "acme/app"');
    expect(githubAttributeCondition("acme/app", "main")).toBe(
      'assertion.repository == "acme/app" && assertion.ref == "refs/heads/main"',
    );
    expect(
      repositoryPrincipalSet(
        "projects/123/locations/global/workloadIdentityPools/github-ci",
        "acme/app",
      ),
    ).toBe(
      "principalSet://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/github-ci/attribute.repository/acme/app",
    );
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
    expect(key.jobs.push.steps[1].with).toEqual({
      registry: "europe-west1-docker.pkg.dev",
      username: "_json_key_base64",
      password: "${{ secrets.REGISTRY_PASSWORD }}",
    });
    const keyless = parse(
      renderGithubActionsLogin({
        mode: "workloadIdentity",
        host: "gcr.io",
        registry: "gcr.io/p",
        workloadIdentityProvider:
          "projects/<known after deploy: project number>/locations/global/x",
        serviceAccount: "registry-ci@p.iam.gserviceaccount.com",
      }),
    );
    expect(keyless.jobs.push.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(keyless.jobs.push.steps[1]).toEqual({
      id: "auth",
      uses: "google-github-actions/auth@v2",
      with: {
        workload_identity_provider:
          "projects/<known after deploy: project number>/locations/global/x",
        service_account: "registry-ci@p.iam.gserviceaccount.com",
        token_format: "access_token",
      },
    });
    expect(keyless.jobs.push.steps[2].with.username).toBe("oauth2accesstoken");
  });
});
