/** What the providers compute for the gcp backend's resources (see types.ts for the modes). */
import { afterDeploy } from "../../components/shared/contract";
import { seeded, type MockMode, type MockTable } from "./types";

const DIGITS = "0123456789";

/** A project number (what Google assigns); only a real project knows it. */
function projectNumber(project: unknown, mode: MockMode): string {
  return mode === "render"
    ? afterDeploy(`project number of ${String(project)}`)
    : `1${seeded(String(project), 11, DIGITS)}`;
}

/** A key file as `gcloud iam service-accounts keys create` writes it, base64-encoded. */
function serviceAccountKeyFile(accountName: string, keyId: string): string {
  // accountName: projects/<project>/serviceAccounts/<email>
  const [, project, , email] = accountName.split("/");
  const json = {
    type: "service_account",
    project_id: project,
    private_key_id: keyId,
    private_key: `-----BEGIN PRIVATE KEY-----\n${seeded(keyId, 64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}\n-----END PRIVATE KEY-----\n`,
    client_email: email,
    client_id: seeded(email, 21, DIGITS),
    auth_uri: "https://accounts.google.com/o/oauth2/auth",
    token_uri: "https://oauth2.googleapis.com/token",
    universe_domain: "googleapis.com",
  };
  return Buffer.from(JSON.stringify(json, null, 2)).toString("base64");
}

export const gcpMocks: MockTable = {
  // @pulumi/gcp 9 documents Repository.name as the short id ("repo1"), not the full path.
  // Only `name` is read (the IAM members' `repository`); no other computed output is mocked.
  "gcp:artifactregistry/repository:Repository": ({ inputs }) => ({
    name: String(inputs.repositoryId),
  }),

  "gcp:serviceaccount/account:Account": ({ inputs }, mode) => {
    const email = `${inputs.accountId}@${inputs.project}.iam.gserviceaccount.com`;
    return {
      email,
      member: `serviceAccount:${email}`,
      name: `projects/${inputs.project}/serviceAccounts/${email}`,
      uniqueId:
        mode === "render" ? afterDeploy(`unique id of ${email}`) : `1${seeded(email, 20, DIGITS)}`,
    };
  },

  "gcp:serviceaccount/key:Key": ({ inputs, name }, mode) => {
    const keyId = seeded(name, 40, "0123456789abcdef");
    const account = String(inputs.serviceAccountId);
    return {
      name: `${account}/keys/${keyId}`,
      privateKey:
        mode === "render"
          ? afterDeploy(`service account key of ${account.split("/").pop()}`)
          : serviceAccountKeyFile(account, keyId),
      privateKeyType: "TYPE_GOOGLE_CREDENTIALS_FILE",
      keyAlgorithm: "KEY_ALG_RSA_2048",
    };
  },

  "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": ({ inputs }, mode) => ({
    name: `projects/${projectNumber(inputs.project, mode)}/locations/global/workloadIdentityPools/${inputs.workloadIdentityPoolId}`,
    state: "ACTIVE",
  }),

  "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": ({ inputs }, mode) => ({
    name: `projects/${projectNumber(inputs.project, mode)}/locations/global/workloadIdentityPools/${inputs.workloadIdentityPoolId}/providers/${inputs.workloadIdentityPoolProviderId}`,
    state: "ACTIVE",
  }),

  "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": ({ name }) => ({
    etag: `BwY${seeded(name, 9, DIGITS)}=`,
  }),
  "gcp:serviceaccount/iAMMember:IAMMember": ({ name }) => ({
    etag: `BwY${seeded(name, 9, DIGITS)}=`,
  }),
};
