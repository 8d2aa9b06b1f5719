/**
 * Day two on the GCP backend: each change a user makes, applied over the state the
 * first `pulumi up` left. The repository holds the images: no change here may
 * replace it.
 */
import { runCatalogue, stack, daysAfterFirstUp, type DayTwoCase } from "./lifecycle/catalogue";

// The committed prod stack (Pulumi.prod.yaml).
const PROD = {
  project: "acme-ci-prod",
  location: "europe-west1",
  repositoryId: "ci-images",
  labels: { team: "platform", env: "prod" },
  cleanup: { deleteUntaggedAfterDays: 14, keepRecentVersions: 10 },
  credentials: { mode: "key", keyRotationDays: 90 },
};
const gcp = (before: Record<string, unknown>, after: Record<string, unknown>) => ({
  stack: "prod",
  before: stack("gcp", before),
  after: stack("gcp", after),
});
const REPOSITORY = "Repository/registry-repository";

/** Push notifications (issue 14 item 17): the gcr topic pushed to a receiver. */
const NOTIFY = { pushEndpoint: "https://deploy.example.com/registry" };

const cases: DayTwoCase[] = [
  {
    title: "add push notifications (the gcr topic exists: subscribe to it)",
    change: gcp(PROD, { ...PROD, notifications: NOTIFY }),
    expect: {
      plan: {
        create: [
          "Service/registry-api-pubsub",
          "Account/registry-notify",
          "Subscription/registry-push",
        ],
      },
    },
  },
  {
    title: "move the receiver (push endpoint and audience)",
    change: gcp(
      { ...PROD, notifications: NOTIFY },
      { ...PROD, notifications: { pushEndpoint: "https://deploy2.example.com/hook" } },
    ),
    expect: { plan: { update: ["Subscription/registry-push", "Account/registry-notify"] } },
  },
  {
    title: "create the gcr topic where the project has none",
    change: gcp(
      { ...PROD, notifications: NOTIFY },
      { ...PROD, notifications: { ...NOTIFY, createTopic: true } },
    ),
    expect: { plan: { create: ["Topic/registry-gcr-topic"] } },
  },
  {
    title: "apply the committed prod stack again",
    change: gcp(PROD, PROD),
    expect: { plan: {} },
  },
  {
    title: "keep untagged images longer",
    change: gcp(PROD, {
      ...PROD,
      cleanup: { deleteUntaggedAfterDays: 30, keepRecentVersions: 10 },
    }),
    expect: { plan: { update: [REPOSITORY] } },
  },
  {
    title: "add a reader (a cluster that pulls)",
    change: gcp(PROD, {
      ...PROD,
      readers: ["serviceAccount:nodes@acme-ci-prod.iam.gserviceaccount.com"],
    }),
    expect: {
      plan: {
        create: [
          "RepositoryIamMember/registry-reader-serviceaccount-nodes-at-acme-ci-prod.iam.gserviceaccount.com",
        ],
      },
    },
  },
  {
    title: "relabel the repository",
    change: gcp(PROD, { ...PROD, labels: { team: "platform", env: "prod", cost: "ci" } }),
    expect: { plan: { update: [REPOSITORY] } },
  },
  {
    title: "make tags immutable",
    change: gcp(PROD, { ...PROD, immutableTags: true }),
    expect: { plan: { update: [REPOSITORY] } },
  },
  {
    title: "turn vulnerability scanning off",
    change: gcp(PROD, { ...PROD, vulnerabilityScanning: "disabled" }),
    expect: { plan: { update: [REPOSITORY] } },
  },
  {
    title: "a key-rotation window passes",
    change: { ...gcp(PROD, PROD), secondAt: daysAfterFirstUp(91) },
    // 2026-01-05 is in 90-day window 227 (days since 1970 / 90); day 91 is in window 228,
    // even: slot a is renewed, slot b (made in 227) stays valid for one more window.
    expect: { plan: { replace: ["Key/registry-ci-key-a"] }, timeWindow: true },
  },
  {
    title: "a day passes inside the rotation window",
    change: { ...gcp(PROD, PROD), secondAt: daysAfterFirstUp(1) },
    expect: { plan: {} },
  },
  {
    title: "switch from a key to keyless Workload Identity",
    change: gcp(PROD, {
      ...PROD,
      credentials: {
        mode: "workloadIdentity",
        githubRepository: "acme/app",
        githubRepositoryId: "123456789",
        githubRepositoryOwnerId: "987654",
      },
    }),
    expect: {
      plan: {
        create: [
          "IAMMember/registry-ci-workload-identity-user",
          // The token exchange needs these two APIs; the key path did not.
          "Service/registry-api-iamcredentials",
          "Service/registry-api-sts",
          "WorkloadIdentityPool/registry-github-pool",
          "WorkloadIdentityPoolProvider/registry-github-provider",
        ],
        delete: ["Key/registry-ci-key-a", "Key/registry-ci-key-b"],
      },
      movesRegistry: "the login changes from a key to an access token",
    },
  },
];

runCatalogue(cases);
