/**
 * Push notifications on GCP: Artifact Registry publishes every push, tag and delete in
 * the project to the Pub/Sub topic named exactly `gcr` (one per project, shared with
 * Container Registry). A push subscription forwards each message to a URL, with an OIDC
 * token signed by Google for a service account of its own, which the receiver verifies
 * (no secret in the URL or in state).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { bool, httpsUrl, pattern, text } from "../../config/fields";

/** The topic Artifact Registry publishes to: the name is fixed by Google. */
export const GCR_TOPIC = "gcr";

export const gcpNotificationSettings = z.strictObject({
  /** Where Pub/Sub POSTs each message (https, no user:password@). */
  pushEndpoint: httpsUrl("the receiver"),
  /** The OIDC token's `aud` claim; default the pushEndpoint URL. */
  audience: text("an audience such as https://deploy.example.com/registry").optional(),
  /**
   * false (default): use the `gcr` topic the Artifact Registry API creates in the project.
   * true: create it here (projects where it is missing, e.g. under a CMEK org policy);
   * creation fails if it already exists.
   */
  createTopic: bool().default(false),
  /** The push identity's account id: its OIDC token is what the receiver checks. */
  serviceAccountId: pattern(
    /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
    "a service account id of 6-30 lower-case letters, digits or hyphens, starting with a letter",
  ).default("registry-notify"),
  subscriptionId: pattern(
    /^[A-Za-z][A-Za-z0-9._~+%-]{2,254}$/,
    "a subscription id of 3-255 letters, digits or ._~+%- starting with a letter",
  ).default("registry-push"),
});

export type GcpNotificationSettings = z.output<typeof gcpNotificationSettings>;

/** The Pub/Sub topic's full name in a project. */
export const gcrTopicName = (project: string) => `projects/${project}/topics/${GCR_TOPIC}`;

/** The resources: the push identity, the topic when asked, and the push subscription. */
export function createPushNotifications(
  name: string,
  project: string,
  n: GcpNotificationSettings,
  opts: pulumi.CustomResourceOptions,
): { subscription: pulumi.Output<string>; pushServiceAccount: gcp.serviceaccount.Account } {
  const pushServiceAccount = new gcp.serviceaccount.Account(
    `${name}-notify`,
    {
      project,
      accountId: n.serviceAccountId,
      displayName: "Registry push notifications",
      description: `Signs the OIDC token of Pub/Sub pushes to ${n.pushEndpoint}; holds no role.`,
    },
    opts,
  );
  // The topic is the project's, not this stack's: a destroy leaves it for its other users.
  const topic = n.createTopic
    ? [
        new gcp.pubsub.Topic(
          `${name}-gcr-topic`,
          { project, name: GCR_TOPIC },
          { ...opts, retainOnDelete: true },
        ),
      ]
    : [];
  const subscription = new gcp.pubsub.Subscription(
    `${name}-push`,
    {
      project,
      name: n.subscriptionId,
      topic: gcrTopicName(project),
      pushConfig: {
        pushEndpoint: n.pushEndpoint,
        oidcToken: {
          serviceAccountEmail: pushServiceAccount.email,
          audience: n.audience ?? n.pushEndpoint,
        },
      },
      // Never expires while the receiver is down (the default TTL is 31 days of inactivity).
      expirationPolicy: { ttl: "" },
      ackDeadlineSeconds: 30,
      retryPolicy: { minimumBackoff: "10s", maximumBackoff: "600s" },
    },
    { ...opts, dependsOn: [...(opts.dependsOn as pulumi.Resource[]), ...topic] },
  );
  return {
    subscription: subscription.name.apply((s) => `projects/${project}/subscriptions/${s}`),
    pushServiceAccount,
  };
}
