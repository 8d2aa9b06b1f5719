/**
 * The GCP backend: an Artifact Registry Docker repository, a CI service account that
 * may write to that repository only, and the credentials CI logs in with — a
 * service-account key, or keyless Workload Identity Federation for GitHub Actions.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { GeneratedFile, RegistryBackend, RegistryEndpoint } from "../shared/contract";
import { renderGithubActionsLogin } from "./ciLogin";
import {
  cleanupPolicies,
  fitDescription,
  GITHUB_ATTRIBUTE_MAPPING,
  GITHUB_OIDC_ISSUER,
  githubAttributeCondition,
  githubTrust,
  keyRotationPlan,
  memberSlug,
  registryAddress,
  repositoryPrincipalSet,
} from "./plan";
import { createPushNotifications } from "./notifications";
import type { GcpSettings } from "./settings";

export interface GcpRegistryArgs {
  settings: GcpSettings;
  /** The clock key rotation reads (tests pin it); default now. */
  now?: Date;
}

/** APIs every stack needs, and those only the keyless path needs (token exchange, impersonation). */
const CORE_APIS = ["artifactregistry.googleapis.com", "iam.googleapis.com"];
const WORKLOAD_IDENTITY_APIS = ["iamcredentials.googleapis.com", "sts.googleapis.com"];
const NOTIFICATION_APIS = ["pubsub.googleapis.com"];

export const CI_LOGIN_FILE = "gcp/github-actions-login.yml";

export class GcpRegistry extends pulumi.ComponentResource implements RegistryBackend {
  readonly endpoint: RegistryEndpoint;
  readonly files: GeneratedFile[];
  readonly repository: gcp.artifactregistry.Repository;
  readonly serviceAccount: gcp.serviceaccount.Account;

  constructor(name: string, args: GcpRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("registry:gcp:Registry", name, {}, opts);
    const s = args.settings;
    const keyless = s.credentials.mode === "workloadIdentity";
    const { host, registry } = registryAddress(s);

    // Enabling an API returns before it is usable, so everything below waits for these.
    // disableOnDestroy false: other workloads in the project may use the same APIs.
    const apis = s.enableApis
      ? [
          ...CORE_APIS,
          ...(keyless ? WORKLOAD_IDENTITY_APIS : []),
          ...(s.notifications ? NOTIFICATION_APIS : []),
        ].map(
          (service) =>
            new gcp.projects.Service(
              `${name}-api-${service.split(".")[0]}`,
              { project: s.project, service, disableOnDestroy: false },
              { parent: this },
            ),
        )
      : [];
    const afterApis: pulumi.CustomResourceOptions = { parent: this, dependsOn: apis };

    this.repository = new gcp.artifactregistry.Repository(
      `${name}-repository`,
      {
        project: s.project,
        location: s.location,
        repositoryId: s.repositoryId,
        format: "DOCKER",
        description: s.description,
        labels: s.labels,
        dockerConfig: { immutableTags: s.immutableTags },
        cleanupPolicies: cleanupPolicies(s.cleanup),
        cleanupPolicyDryRun: s.cleanup.dryRun,
        kmsKeyName: s.kmsKeyName,
        vulnerabilityScanningConfig: { enablementConfig: s.vulnerabilityScanning.toUpperCase() },
      },
      // protect: `pulumi destroy` (or a replacement) stops instead of deleting every image.
      { ...afterApis, protect: s.deletionProtection },
    );

    this.serviceAccount = new gcp.serviceaccount.Account(
      `${name}-ci`,
      {
        project: s.project,
        accountId: s.serviceAccountId,
        displayName: `Registry CI (${s.repositoryId})`,
        description: `Pushes images to ${registry}; writer on that repository only.`,
      },
      afterApis,
    );
    const ciMember = pulumi.interpolate`serviceAccount:${this.serviceAccount.email}`;

    // Repository-scoped, non-authoritative grants: nothing at project level.
    const onRepository = {
      project: this.repository.project,
      location: this.repository.location,
      repository: this.repository.name,
    };
    new gcp.artifactregistry.RepositoryIamMember(
      `${name}-ci-writer`,
      { ...onRepository, role: "roles/artifactregistry.writer", member: ciMember },
      afterApis,
    );
    for (const member of s.readers)
      new gcp.artifactregistry.RepositoryIamMember(
        `${name}-reader-${memberSlug(member)}`,
        { ...onRepository, role: "roles/artifactregistry.reader", member },
        afterApis,
      );

    const extra: Record<string, pulumi.Output<string>> = {
      GCP_PROJECT: pulumi.output(s.project),
      GCP_LOCATION: pulumi.output(s.location),
      GCP_REPOSITORY: pulumi.output(s.repositoryId),
      GCP_REGISTRY_HOST: pulumi.output(host),
      GCP_SERVICE_ACCOUNT: this.serviceAccount.email,
    };
    if (s.notifications) {
      const { subscription, pushServiceAccount } = createPushNotifications(
        name,
        s.project,
        s.notifications,
        afterApis,
      );
      // What the receiver checks: the token's email claim, and which subscription pushed.
      extra.GCP_NOTIFICATIONS_SERVICE_ACCOUNT = pushServiceAccount.email;
      extra.GCP_NOTIFICATIONS_SUBSCRIPTION = subscription;
    }
    let username: string;
    let password: pulumi.Output<string>;
    let ciLogin: pulumi.Input<string>;

    if (keyless) {
      const c = s.credentials;
      const repository = c.githubRepository as string; // required in this mode by the schema
      const trust = githubTrust(c);
      const scope = trust.anyRef
        ? "any ref"
        : [
            trust.branch && `branch ${trust.branch}`,
            trust.environment && `environment ${trust.environment}`,
          ]
            .filter(Boolean)
            .join(", ");
      const pool = new gcp.iam.WorkloadIdentityPool(
        `${name}-github-pool`,
        {
          project: s.project,
          workloadIdentityPoolId: c.poolId,
          displayName: "GitHub Actions",
          description: fitDescription(`GitHub Actions of ${repository}, for ${registry}`),
          disabled: false,
        },
        afterApis,
      );
      const provider = new gcp.iam.WorkloadIdentityPoolProvider(
        `${name}-github-provider`,
        {
          project: s.project,
          workloadIdentityPoolId: pool.workloadIdentityPoolId,
          workloadIdentityPoolProviderId: c.providerId,
          displayName: "GitHub OIDC",
          description: fitDescription(
            `Tokens of ${repository} (repository id ${trust.repositoryId}), ${scope} only`,
          ),
          disabled: false,
          attributeMapping: GITHUB_ATTRIBUTE_MAPPING,
          attributeCondition: githubAttributeCondition(trust),
          oidc: { issuerUri: GITHUB_OIDC_ISSUER },
        },
        afterApis,
      );
      // Runs of that repository may act as the CI account (and so push); nothing else may.
      new gcp.serviceaccount.IAMMember(
        `${name}-ci-workload-identity-user`,
        {
          serviceAccountId: this.serviceAccount.name,
          role: "roles/iam.workloadIdentityUser",
          member: pool.name.apply((poolName) =>
            repositoryPrincipalSet(poolName, trust.repositoryId),
          ),
        },
        afterApis,
      );
      username = "oauth2accesstoken";
      password = pulumi.secret("");
      extra.GCP_WORKLOAD_IDENTITY_PROVIDER = provider.name;
      ciLogin = pulumi
        .all([provider.name, this.serviceAccount.email])
        .apply(([workloadIdentityProvider, serviceAccount]) =>
          renderGithubActionsLogin({
            mode: "workloadIdentity",
            host,
            registry,
            workloadIdentityProvider,
            serviceAccount,
            allowed: scope,
            environment: trust.environment,
          }),
        );
    } else {
      const rotationDays = s.credentials.keyRotationDays;
      let key: gcp.serviceaccount.Key;
      if (rotationDays === undefined)
        key = new gcp.serviceaccount.Key(
          `${name}-ci-key`,
          { serviceAccountId: this.serviceAccount.name },
          afterApis,
        );
      else {
        // Two keys, one per window parity: a new window replaces only the older key
        // (changed keepers replace a key, deleting the old one), so the key pipelines
        // stored before stays valid for one more window.
        const plan = keyRotationPlan(args.now ?? new Date(), rotationDays);
        const keys = (["a", "b"] as const).map(
          (slot) =>
            new gcp.serviceaccount.Key(
              `${name}-ci-key-${slot}`,
              {
                serviceAccountId: this.serviceAccount.name,
                keepers: { rotationWindow: plan.keepers[slot] },
              },
              {
                ...afterApis,
                // The single key of earlier releases becomes the current slot: its keeper
                // (this window's start) is the same when it was made in this window.
                aliases: slot === plan.current ? [{ name: `${name}-ci-key` }] : [],
              },
            ),
        );
        key = keys[plan.current === "a" ? 0 : 1];
        extra.GCP_KEY_VALID_UNTIL = pulumi.output(plan.currentKeyValidUntil);
      }
      username = "_json_key_base64";
      password = pulumi.secret(key.privateKey);
      ciLogin = renderGithubActionsLogin({ mode: "key", host, registry });
    }

    this.endpoint = {
      registry: pulumi.output(registry),
      username: pulumi.output(username),
      password,
      caCert: pulumi.output(""),
      extra,
    };
    this.files = [{ path: CI_LOGIN_FILE, text: ciLogin }];
    this.registerOutputs({
      registry: this.endpoint.registry,
      username: this.endpoint.username,
      repository: this.repository.name,
      serviceAccount: this.serviceAccount.email,
      ...extra,
    });
  }
}
