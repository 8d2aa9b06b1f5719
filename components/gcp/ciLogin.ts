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

export function renderGithubActionsLogin(spec: CiLoginSpec): string {
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
      `    steps:`,
      `      - uses: actions/checkout@v4`,
      `      - uses: docker/login-action@v3`,
      `        with:`,
      `          registry: ${spec.host}`,
      `          username: _json_key_base64`,
      `          password: \${{ secrets.REGISTRY_PASSWORD }}`,
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
    `      - uses: actions/checkout@v4`,
    `      - id: auth`,
    `        uses: google-github-actions/auth@v2`,
    `        with:`,
    `          workload_identity_provider: ${JSON.stringify(spec.workloadIdentityProvider)}`,
    `          service_account: ${JSON.stringify(spec.serviceAccount)}`,
    `          token_format: access_token`,
    `      - uses: docker/login-action@v3`,
    `        with:`,
    `          registry: ${spec.host}`,
    `          username: oauth2accesstoken`,
    `          password: \${{ steps.auth.outputs.access_token }}`,
    ...push,
    ``,
  ].join("\n");
}
