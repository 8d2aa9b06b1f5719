/**
 * The component's own endpoint, outside the program: stackOutputs wraps
 * REGISTRY_PASSWORD again, so only here does a missing pulumi.secret show. The mock
 * monitor ignores the provider's additionalSecretOutputs, so the key arrives plain.
 * (A static import is fine: registry.ts registers nothing at load time.)
 */
import * as pulumi from "@pulumi/pulumi";
import { gcpMocks } from "../../tools/mocks/gcp";
import { GcpRegistry } from "./registry";
import { gcpSettings } from "./settings";

beforeAll(() =>
  pulumi.runtime.setMocks(
    {
      newResource: (args) => ({
        id: `${args.name}-id`,
        state: { ...args.inputs, ...gcpMocks[args.type]?.(args, "test") },
      }),
      call: (args) => args.inputs,
    },
    "registry",
    "endpoint",
    false,
  ),
);

it("holds the service-account key as a secret, and the address in the clear", async () => {
  const settings = gcpSettings.parse({ project: "acme-ci-prod", location: "europe-west1" });
  const registry = new GcpRegistry("registry", { settings });
  expect(await pulumi.isSecret(registry.endpoint.password)).toBe(true);
  expect(await pulumi.isSecret(registry.endpoint.registry)).toBe(false);
  const password = await new Promise<string>((resolve) =>
    registry.endpoint.password.apply(resolve),
  );
  expect(JSON.parse(Buffer.from(password, "base64").toString()).type).toBe("service_account");
});
