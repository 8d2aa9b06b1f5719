import { runProgram, type ProgramRun } from "../../tools/runProgram";

const T = {
  service: "gcp:projects/service:Service",
  account: "gcp:serviceaccount/account:Account",
  topic: "gcp:pubsub/topic:Topic",
  subscription: "gcp:pubsub/subscription:Subscription",
};
const PUSH_EMAIL = "registry-notify@acme-ci-prod.iam.gserviceaccount.com";

const gcpStack = (notifications?: Record<string, unknown>) => ({
  stack: "test",
  config: {
    "registry:backend": "gcp",
    "registry:gcp": { project: "acme-ci-prod", location: "europe-west1", notifications },
  },
});
const find = (run: ProgramRun, type: string) => run.resources.filter((r) => r.type === type);

let plain: ProgramRun;
let existing: ProgramRun;
let created: ProgramRun;

beforeAll(async () => {
  plain = await runProgram(gcpStack());
  existing = await runProgram(gcpStack({ pushEndpoint: "https://deploy.example.com/registry" }));
  created = await runProgram(
    gcpStack({
      pushEndpoint: "https://deploy.example.com/registry",
      audience: "registry-events",
      createTopic: true,
      serviceAccountId: "ci-push-notify",
      subscriptionId: "deploy-trigger",
    }),
  );
});

test("no notifications: no Pub/Sub API, subscription or push identity", () => {
  expect(find(plain, T.subscription)).toEqual([]);
  expect(find(plain, T.topic)).toEqual([]);
  expect(find(plain, T.service).map((s) => s.inputs.service)).not.toContain(
    "pubsub.googleapis.com",
  );
  expect(plain.outputs.GCP_NOTIFICATIONS_SERVICE_ACCOUNT).toBeUndefined();
});

test("a push subscription on the project's gcr topic, with an OIDC token (no secret)", () => {
  const [sub] = find(existing, T.subscription);
  expect(sub.inputs).toEqual({
    project: "acme-ci-prod",
    name: "registry-push",
    topic: "projects/acme-ci-prod/topics/gcr",
    pushConfig: {
      pushEndpoint: "https://deploy.example.com/registry",
      oidcToken: {
        serviceAccountEmail: PUSH_EMAIL,
        audience: "https://deploy.example.com/registry",
      },
    },
    expirationPolicy: { ttl: "" },
    ackDeadlineSeconds: 30,
    retryPolicy: { minimumBackoff: "10s", maximumBackoff: "600s" },
  });
  // The topic is Google's (made with the API): referenced, not created.
  expect(find(existing, T.topic)).toEqual([]);
  expect(sub.dependencies).toContain("gcp:projects/service:Service::registry-api-pubsub");
  const push = find(existing, T.account).find((a) => a.name === "registry-notify")!;
  expect(push.inputs.accountId).toBe("registry-notify");
  expect(existing.outputs.GCP_NOTIFICATIONS_SERVICE_ACCOUNT).toEqual({
    value: PUSH_EMAIL,
    secret: false,
  });
  expect(existing.outputs.GCP_NOTIFICATIONS_SUBSCRIPTION).toEqual({
    value: "projects/acme-ci-prod/subscriptions/registry-push",
    secret: false,
  });
});

test("createTopic: the gcr topic is made here, kept on destroy, and waited for", () => {
  const [topic] = find(created, T.topic);
  expect(topic.inputs).toEqual({ project: "acme-ci-prod", name: "gcr" });
  expect(topic.retainOnDelete).toBe(true);
  const [sub] = find(created, T.subscription);
  expect(sub.dependencies).toContain("gcp:pubsub/topic:Topic::registry-gcr-topic");
  expect(sub.inputs.name).toBe("deploy-trigger");
  expect(sub.inputs.pushConfig).toEqual({
    pushEndpoint: "https://deploy.example.com/registry",
    oidcToken: {
      serviceAccountEmail: "ci-push-notify@acme-ci-prod.iam.gserviceaccount.com",
      audience: "registry-events",
    },
  });
});
