import {
  maskCommands,
  parseStackOutputs,
  registryHost,
  secretValues,
  usesCredentialHelper,
} from "./stackOutputs";

const selfHosted = {
  REGISTRY: "registry.example.com:5000/team",
  REGISTRY_BACKEND: "vm",
  REGISTRY_USERNAME: "ci",
  REGISTRY_PASSWORD: "s3cret-password",
  REGISTRY_CA_CERT: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
};

describe("parseStackOutputs", () => {
  test("reads the registry outputs and the host docker logs in to", () => {
    const o = parseStackOutputs(JSON.stringify(selfHosted));
    expect(o).toMatchObject({
      registry: "registry.example.com:5000/team",
      host: "registry.example.com:5000",
      backend: "vm",
      username: "ci",
      password: "s3cret-password",
    });
    expect(o.caCert).toContain("BEGIN CERTIFICATE");
  });

  test("a scheme or trailing slash on REGISTRY is dropped", () => {
    expect(parseStackOutputs('{"REGISTRY":"https://r.example.com/"}').registry).toBe(
      "r.example.com",
    );
  });

  test("outputs read without --show-secrets are refused, naming the flag", () => {
    expect(() =>
      parseStackOutputs(JSON.stringify({ ...selfHosted, REGISTRY_PASSWORD: "[secret]" })),
    ).toThrow(/REGISTRY_PASSWORD.*--show-secrets/);
  });

  test.each([
    ["not json", /not JSON/],
    ["[]", /expected an object/],
    ['{"REGISTRY_BACKEND":"vm"}', /no REGISTRY output/],
  ])("%j is refused", (text, message) => {
    expect(() => parseStackOutputs(text)).toThrow(message);
  });
});

describe("masking", () => {
  test("masks the password and other secret-named outputs, never the CA or the username", () => {
    const o = parseStackOutputs(
      JSON.stringify({ ...selfHosted, GCP_SERVICE_ACCOUNT_KEY: "a2V5a2V5" }),
    );
    expect(maskCommands(o)).toEqual(["::add-mask::s3cret-password", "::add-mask::a2V5a2V5"]);
  });

  test("a multi-line secret (a raw JSON key) is masked line by line", () => {
    const key =
      '{\n  "private_key": "-----BEGIN PRIVATE KEY-----abc",\n  "type": "service_account"\n}';
    const o = parseStackOutputs(JSON.stringify({ REGISTRY: "gcr.io/p", REGISTRY_PASSWORD: key }));
    expect(secretValues(o)).toContain(key);
    expect(maskCommands(o)).toContain(
      '::add-mask::"private_key": "-----BEGIN PRIVATE KEY-----abc",',
    );
    expect(maskCommands(o).every((c) => !c.slice("::add-mask::".length).includes("\n"))).toBe(true);
  });

  test("an empty password masks nothing", () => {
    const o = parseStackOutputs(JSON.stringify({ ...selfHosted, REGISTRY_PASSWORD: "" }));
    expect(maskCommands(o)).toEqual([]);
  });
});

test("the keyless path is gcp with no password only", () => {
  const gcp = {
    REGISTRY: "europe-west1-docker.pkg.dev/p/r",
    REGISTRY_BACKEND: "gcp",
    REGISTRY_USERNAME: "",
  };
  expect(
    usesCredentialHelper(parseStackOutputs(JSON.stringify({ ...gcp, REGISTRY_PASSWORD: "" }))),
  ).toBe(true);
  expect(
    usesCredentialHelper(parseStackOutputs(JSON.stringify({ ...gcp, REGISTRY_PASSWORD: "k" }))),
  ).toBe(false);
  expect(
    usesCredentialHelper(
      parseStackOutputs(JSON.stringify({ ...selfHosted, REGISTRY_PASSWORD: "" })),
    ),
  ).toBe(false);
  expect(registryHost("europe-west1-docker.pkg.dev/p/r")).toBe("europe-west1-docker.pkg.dev");
});
