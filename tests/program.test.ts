/**
 * `pulumi up` runs index.ts. For each committed Pulumi.<stack>.yaml, what index.ts exports
 * is checked against literal outputs written out here from that file's settings. The run
 * before each load only installs that stack's config and the render-mode mocks; values a
 * real deploy produces (passwords, certificates, addresses) are the mocks' named
 * "<known after deploy: ...>" placeholders, so those lines check wiring, not values.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig } from "../tools/stackConfig";
import { runProgram, unwrap } from "../tools/runProgram";

const ROOT = path.resolve(__dirname, "..");
const DAY_MS = 24 * 60 * 60 * 1000;

const PLAIN = (value: string) => ({ value, secret: false });
const SECRET_PLACEHOLDER = (what: string) => ({
  value: `<known after deploy: ${what}>`,
  secret: true,
});

const EXPECTED: Record<string, Record<string, { value: unknown; secret: boolean }>> = {
  local: {
    REGISTRY: PLAIN("localhost:5000"),
    REGISTRY_BACKEND: PLAIN("docker"),
    REGISTRY_ROLE: PLAIN("registry"),
    REGISTRY_USERNAME: PLAIN("ci"),
    REGISTRY_PASSWORD: SECRET_PLACEHOLDER("generated password registry-password"),
    REGISTRY_CA_CERT: PLAIN(""),
  },
  dev: {
    REGISTRY: PLAIN("127.0.0.1:30500"),
    REGISTRY_BACKEND: PLAIN("kubernetes"),
    REGISTRY_ROLE: PLAIN("registry"),
    REGISTRY_USERNAME: PLAIN("ci"),
    REGISTRY_PASSWORD: SECRET_PLACEHOLDER("generated password registry-password"),
    REGISTRY_CA_CERT: PLAIN(""),
  },
  staging: {
    REGISTRY: PLAIN("registry.staging.example.com"),
    REGISTRY_BACKEND: PLAIN("vm"),
    REGISTRY_ROLE: PLAIN("registry"),
    REGISTRY_USERNAME: PLAIN("ci"),
    REGISTRY_PASSWORD: SECRET_PLACEHOLDER("generated password registry-password"),
    REGISTRY_CA_CERT: PLAIN("<known after deploy: certificate registry-ca>"),
    VM_ADDRESS: PLAIN("<known after deploy: static IP of registry-address>"),
    VM_SSH_USER: PLAIN("registry"),
  },
  prod: {
    REGISTRY: PLAIN("europe-west1-docker.pkg.dev/acme-ci-prod/ci-images"),
    REGISTRY_BACKEND: PLAIN("gcp"),
    REGISTRY_ROLE: PLAIN("registry"),
    REGISTRY_USERNAME: PLAIN("_json_key_base64"),
    REGISTRY_PASSWORD: SECRET_PLACEHOLDER(
      "service account key of registry-ci@acme-ci-prod.iam.gserviceaccount.com",
    ),
    REGISTRY_CA_CERT: PLAIN(""),
    GCP_PROJECT: PLAIN("acme-ci-prod"),
    GCP_LOCATION: PLAIN("europe-west1"),
    GCP_REPOSITORY: PLAIN("ci-images"),
    GCP_REGISTRY_HOST: PLAIN("europe-west1-docker.pkg.dev"),
    GCP_SERVICE_ACCOUNT: PLAIN("registry-ci@acme-ci-prod.iam.gserviceaccount.com"),
    // Depends on today: checked below against the 90-day rotation in Pulumi.prod.yaml.
    GCP_KEY_VALID_UNTIL: { value: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), secret: false },
  },
};

test.each(Object.keys(EXPECTED))("index.ts exports the %s stack's outputs", async (stack) => {
  const { config, secretKeys } = readStackConfig(path.join(ROOT, `Pulumi.${stack}.yaml`));
  await runProgram({ stack, config, secretKeys, mode: "render" });
  // The mocks and config of that run are still in place: load the entry point as the CLI would.
  let exported: Record<string, pulumi.Output<string>> = {};
  jest.isolateModules(() => {
    exported = require("../index"); // eslint-disable-line @typescript-eslint/no-require-imports
  });
  const outputs: Record<string, { value: unknown; secret: boolean }> = {};
  for (const [key, output] of Object.entries(exported)) outputs[key] = await unwrap(output);
  expect(outputs).toEqual(EXPECTED[stack]);
  if (stack === "prod") {
    // The current key stays valid for more than one 90-day window and at most two.
    const until = Date.parse(`${outputs.GCP_KEY_VALID_UNTIL.value}T00:00:00Z`);
    expect(until - Date.now()).toBeGreaterThan(90 * DAY_MS);
    expect(until - Date.now()).toBeLessThanOrEqual(180 * DAY_MS);
  }
  // Let the entry point's registrations finish before the next stack's mocks replace these.
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
});
