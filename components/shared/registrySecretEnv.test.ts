/**
 * The registry's secret environment (issue 11 item 7): every value is a YAML string,
 * since distribution parses REGISTRY_* values as YAML. Expected texts are literal; the
 * real registry reading them is tests/registry-secret-env.test.ts.
 */
import { registrySecretEnvVars, yamlString } from "./registryConfig";

test("values YAML would change are written as double-quoted YAML strings", () => {
  expect(yamlString("plain-Value_1")).toBe('"plain-Value_1"');
  expect(yamlString("!tag")).toBe('"!tag"');
  expect(yamlString("*alias")).toBe('"*alias"');
  expect(yamlString("a: b")).toBe('"a: b"');
  expect(yamlString("0123")).toBe('"0123"');
  expect(yamlString(" padded ")).toBe('" padded "');
  expect(yamlString("")).toBe('""');
});

test("quote, backslash, apostrophe, dollar, newline and non-ASCII become escapes", () => {
  expect(yamlString('say "hi"')).toBe('"say \\"hi\\""');
  expect(yamlString("back\\slash")).toBe('"back\\x5Cslash"');
  expect(yamlString("It's-a-$ecret-Pw-123")).toBe('"It\\x27s-a-\\x24ecret-Pw-123"');
  expect(yamlString("two\nlines\r\t")).toBe('"two\\x0Alines\\x0D\\x09"');
  expect(yamlString("pässwörd€😀")).toBe('"p\\xE4ssw\\xF6rd\\u20AC\\U0001F600"');
});

test("one env map for every backend: only the values that are set, each quoted", () => {
  expect(registrySecretEnvVars({ httpSecret: "abc" })).toEqual({ REGISTRY_HTTP_SECRET: '"abc"' });
  expect(
    registrySecretEnvVars({
      httpSecret: "abc",
      s3AccessKey: "AKIA",
      s3SecretKey: "%key",
      proxyPassword: "@pw",
    }),
  ).toEqual({
    REGISTRY_HTTP_SECRET: '"abc"',
    REGISTRY_STORAGE_S3_ACCESSKEY: '"AKIA"',
    REGISTRY_STORAGE_S3_SECRETKEY: '"%key"',
    REGISTRY_PROXY_PASSWORD: '"@pw"',
  });
});
