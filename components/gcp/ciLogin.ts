/**
 * `gcp/github-actions-login.yml`: the GitHub Actions steps that log in to this
 * repository, for the credential mode the stack uses. It holds no secret: in key
 * mode the key is read from a repository secret; in workloadIdentity mode there is
 * no key, only the provider's resource name and the account's email.
 */
export type CiLoginSpec =
  | { mode: "key"; host: string; registry: string }
  | {
      mode: "workloadIdentity";
      host: string;
      registry: string;
      workloadIdentityProvider: string;
      serviceAccount: string;
      /** What the provider accepts, for the comment: e.g. "branch main". */
      allowed: string;
      /** The GitHub environment the job must name, when the provider requires one. */
      environment?: string;
    };

/**
 * Pinned as the project's own workflows pin them (tests/ci-actions.test.ts checks
 * these against ci/actionFacts.json): a tag can be moved, a commit cannot.
 */
export const CI_LOGIN_ACTIONS = {
  checkout: "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
  auth: "google-github-actions/auth@7c6bc770dae815cd3e89ee6cdf493a5fab2cc093 # v3.0.0",
};

/** docker login reads the secret from stdin: never on a command line, never in the workspace. */
function loginStep(host: string, username: string, secret: string): string[] {
  return [
    `      - name: Log in to the registry`,
    `        env:`,
    `          REGISTRY_SECRET: ${secret}`,
    `        run: printf '%s' "$REGISTRY_SECRET" | docker login --username ${username} --password-stdin ${host}`,
  ];
}

export function renderGithubActionsLogin(spec: CiLoginSpec): string {
  // persist-credentials: false keeps the job's GITHUB_TOKEN out of .git, which
  // `docker build .` would otherwise send in its context.
  const checkout = [
    `      - uses: ${CI_LOGIN_ACTIONS.checkout}`,
    `        with:`,
    `          persist-credentials: false`,
  ];
  const push = [
    `      - run: |`,
    `          docker build -t ${spec.registry}/app:\${GITHUB_SHA::12} .`,
    `          docker push ${spec.registry}/app:\${GITHUB_SHA::12}`,
  ];
  if (spec.mode === "key")
    return [
      `# Key mode: store the stack output REGISTRY_PASSWORD (base64 JSON key, one line) as the`,
      `# repository secret REGISTRY_PASSWORD: pulumi stack output REGISTRY_PASSWORD --show-secrets`,
      `# With keyRotationDays, re-store it within one rotation window after each rotation:`,
      `# the previous key stays valid until the next one (stack output GCP_KEY_VALID_UNTIL).`,
      `jobs:`,
      `  push:`,
      `    runs-on: ubuntu-latest`,
      `    permissions:`,
      `      contents: read`,
      `    steps:`,
      ...checkout,
      ...loginStep(spec.host, "_json_key_base64", "${{ secrets.REGISTRY_PASSWORD }}"),
      ...push,
      ``,
    ].join("\n");
  return [
    `# Workload Identity mode: no key. The workflow's OIDC token is exchanged for a`,
    `# short-lived access token of the CI service account. Accepted: ${spec.allowed}.`,
    `jobs:`,
    `  push:`,
    `    runs-on: ubuntu-latest`,
    ...(spec.environment ? [`    environment: ${JSON.stringify(spec.environment)}`] : []),
    `    permissions:`,
    `      contents: read`,
    `      id-token: write`,
    `    steps:`,
    ...checkout,
    `      - id: auth`,
    `        uses: ${CI_LOGIN_ACTIONS.auth}`,
    `        with:`,
    `          workload_identity_provider: ${JSON.stringify(spec.workloadIdentityProvider)}`,
    `          service_account: ${JSON.stringify(spec.serviceAccount)}`,
    `          token_format: access_token`,
    `          # Only the access token is needed: no gha-creds-*.json in the workspace,`,
    `          # which is the build context below.`,
    `          create_credentials_file: false`,
    ...loginStep(spec.host, "oauth2accesstoken", "${{ steps.auth.outputs.access_token }}"),
    ...push,
    ``,
  ].join("\n");
}
