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

/** How CI logs in: the user name, the password (secret), and the workflow step. */
interface CiLogin {
  username: string;
  password: pulumi.Output<string>;
  ciLogin: pulumi.Input<string>;
}

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
    const afterApis: pulumi.CustomResourceOptions = {
      parent: this,
      dependsOn: this.enableApis(name, s, keyless),
    };

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
    // Repository-scoped, non-authoritative grants: nothing at project level.
    this.grantRepositoryAccess(name, s, afterApis);

    const extra: Record<string, pulumi.Output<string>> = {
      GCP_PROJECT: pulumi.output(s.project),
      GCP_LOCATION: pulumi.output(s.location),
      GCP_REPOSITORY: pulumi.output(s.repositoryId),
      GCP_REGISTRY_HOST: pulumi.output(host),
      GCP_SERVICE_ACCOUNT: this.serviceAccount.email,
    };
    if (s.notifications) Object.assign(extra, this.pushNotifications(name, s, afterApis));
    const login = keyless
      ? this.workloadIdentityLogin(name, s, afterApis, extra)
      : this.keyLogin(name, s, args.now ?? new Date(), afterApis, extra);
    const { username, password, ciLogin } = login;

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

  /** The CI account writes to the repository; each of `readers` may pull from it. */
  private grantRepositoryAccess(
    name: string,
    s: GcpSettings,
    afterApis: pulumi.CustomResourceOptions,
  ): void {
    const ciMember = pulumi.interpolate`serviceAccount:${this.serviceAccount.email}`;

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
  }

  /** disableOnDestroy false: other workloads in the project may use the same APIs. */
  private enableApis(name: string, s: GcpSettings, keyless: boolean): gcp.projects.Service[] {
    if (!s.enableApis) return [];
    return [
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
    );
  }

  /** Push notifications on the project's gcr topic; what the receiver checks goes to the outputs. */
  private pushNotifications(
    name: string,
    s: GcpSettings,
    afterApis: pulumi.CustomResourceOptions,
  ): Record<string, pulumi.Output<string>> {
    if (!s.notifications) return {};
    const { subscription, pushServiceAccount } = createPushNotifications(
      name,
      s.project,
      s.notifications,
      afterApis,
    );
    // What the receiver checks: the token's email claim, and which subscription pushed.
    return {
      GCP_NOTIFICATIONS_SERVICE_ACCOUNT: pushServiceAccount.email,
      GCP_NOTIFICATIONS_SUBSCRIPTION: subscription,
    };
  }

  /** Keyless: a GitHub OIDC pool and provider whose repository's runs may act as the CI account. */
  private workloadIdentityLogin(
    name: string,
    s: GcpSettings,
    afterApis: pulumi.CustomResourceOptions,
    extra: Record<string, pulumi.Output<string>>,
  ): CiLogin {
    const { host, registry } = registryAddress(s);
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
        member: pool.name.apply((poolName) => repositoryPrincipalSet(poolName, trust.repositoryId)),
      },
      afterApis,
    );
    extra.GCP_WORKLOAD_IDENTITY_PROVIDER = provider.name;
    const ciLogin = pulumi
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
    return { username: "oauth2accesstoken", password: pulumi.secret(""), ciLogin };
  }

  /** A service-account key: one, or two in turn when keyRotationDays is set. */
  private keyLogin(
    name: string,
    s: GcpSettings,
    now: Date,
    afterApis: pulumi.CustomResourceOptions,
    extra: Record<string, pulumi.Output<string>>,
  ): CiLogin {
    const { host, registry } = registryAddress(s);
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
      const plan = keyRotationPlan(now, rotationDays);
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
    return {
      username: "_json_key_base64",
      password: pulumi.secret(key.privateKey),
      ciLogin: renderGithubActionsLogin({ mode: "key", host, registry }),
    };
  }
}
