import { z } from "zod";
import { ConfigError } from "./errors";
import {
  cidr,
  host,
  integer,
  OFFLINE_SECRET,
  password,
  pinnedImage,
  port,
  quantity,
  secret,
  text,
} from "./fields";
import { formatIssues, readBackendName, readBackendSettings, type ConfigReader } from "./load";
import * as pulumi from "@pulumi/pulumi";

function reader(values: Record<string, unknown>): ConfigReader {
  return (key) => {
    const v = values[key];
    return v === undefined ? undefined : typeof v === "string" ? v : JSON.stringify(v);
  };
}

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

const schema = z.strictObject({
  nodePort: integer(30000, 32767).optional(),
  host: host().optional(),
  nested: z.strictObject({ size: quantity().default("10Gi") }).prefault({}),
  password: password().optional(),
});

describe("registry:backend", () => {
  test("is required", () => {
    expect(problems(() => readBackendName(reader({})))).toEqual([
      "registry:backend is required: set it to one of kubernetes, vm, gcp, docker (pulumi config set registry:backend kubernetes)",
    ]);
  });
  test("must be a known backend", () => {
    expect(problems(() => readBackendName(reader({ "registry:backend": "aws" })))).toEqual([
      'registry:backend must be one of kubernetes, vm, gcp, docker (got "aws")',
    ]);
  });
  test("a known backend is returned", () => {
    expect(readBackendName(reader({ "registry:backend": "vm" }))).toBe("vm");
  });
});

describe("registry:<backend> settings", () => {
  const read = (values: Record<string, unknown>) =>
    readBackendSettings("kubernetes", schema, reader(values), Object.keys(values));

  test("defaults apply when the object is absent", () => {
    expect(read({ "registry:backend": "kubernetes" })).toEqual({ nested: { size: "10Gi" } });
  });
  test("a value out of range names the full key, the rule and the value", () => {
    expect(problems(() => read({ "registry:kubernetes": { nodePort: 80 } }))).toEqual([
      "registry:kubernetes.nodePort must be an integer from 30000 to 32767 (got 80)",
    ]);
  });
  test("a value of the wrong type", () => {
    expect(problems(() => read({ "registry:kubernetes": { nodePort: "30500" } }))).toEqual([
      'registry:kubernetes.nodePort must be an integer from 30000 to 32767 (got "30500")',
    ]);
  });
  test("unknown keys, nested too", () => {
    expect(
      problems(() =>
        read({ "registry:kubernetes": { nodeport: 1, nested: { sise: "1Gi" } } }),
      ).sort(),
    ).toEqual([
      'registry:kubernetes has unknown key "nodeport"',
      'registry:kubernetes.nested has unknown key "sise"',
    ]);
  });
  test("every problem is reported, one line each", () => {
    expect(
      problems(() => read({ "registry:kubernetes": { nodePort: 1.5, host: "not a host" } })),
    ).toEqual([
      "registry:kubernetes.nodePort must be an integer from 30000 to 32767 (got 1.5)",
      'registry:kubernetes.host must be a DNS name or an IP address (got "not a host")',
    ]);
  });
  test("the settings must be an object", () => {
    expect(problems(() => read({ "registry:kubernetes": "[1,2]" }))).toEqual([
      "registry:kubernetes must be an object of settings (got a list of 2 items)",
    ]);
    expect(problems(() => read({ "registry:kubernetes": "nodePort=1" }))).toEqual([
      "registry:kubernetes must be an object of settings (got a string)",
    ]);
  });
  test("settings of another backend are a mistake worth stopping for", () => {
    expect(problems(() => read({ "registry:vm": { host: "x" } }))).toEqual([
      "registry:vm is set but registry:backend is kubernetes: remove it or change the backend",
    ]);
  });
  test("unknown registry: keys are typos", () => {
    expect(problems(() => read({ "registry:kubernets": {} }))).toEqual([
      "registry:kubernets is not a setting of this program (known: registry:backend, registry:kubernetes, registry:vm, registry:gcp, registry:docker)",
    ]);
  });
  test("other namespaces (provider config) are left alone", () => {
    expect(read({ "kubernetes:context": "kind-kind", "gcp:project": "p" })).toEqual({
      nested: { size: "10Gi" },
    });
  });
});

describe("secrets in config", () => {
  const read = (values: Record<string, unknown>) =>
    readBackendSettings("kubernetes", schema, reader(values), Object.keys(values));

  test("a bad secret is reported without its value", () => {
    const lines = problems(() => read({ "registry:kubernetes": { password: "short pw" } }));
    expect(lines).toEqual([
      "registry:kubernetes.password must be at least 16 characters, with no spaces or colons (got [secret])",
    ]);
    expect(lines.join("\n")).not.toContain("short pw");
  });
  test("a good secret comes out as a Pulumi secret", async () => {
    const settings = read({ "registry:kubernetes": { password: "a-long-enough-password" } });
    expect(pulumi.Output.isInstance(settings.password)).toBe(true);
    expect(await pulumi.isSecret(settings.password!)).toBe(true);
  });
  test("the offline placeholder of a secure value passes any secret rule", () => {
    const pem = secret(text()).safeParse(OFFLINE_SECRET);
    expect(pem.success).toBe(true);
    expect(password().safeParse(OFFLINE_SECRET).success).toBe(true);
  });
});

describe("field rules", () => {
  const ok = (s: z.ZodType, v: unknown) => s.safeParse(v).success;
  test("ports", () => {
    expect(ok(port(), 1)).toBe(true);
    expect(ok(port(), 65535)).toBe(true);
    expect(ok(port(), 0)).toBe(false);
    expect(ok(port(), 65536)).toBe(false);
  });
  test("hosts", () => {
    for (const v of ["registry.example.com", "10.0.0.1", "::1", "localhost"])
      expect(ok(host(), v)).toBe(true);
    for (const v of ["https://x.com", "Registry.Example.com", "-a.com", "a..b", ""])
      expect(ok(host(), v)).toBe(false);
  });
  test("CIDRs", () => {
    for (const v of ["203.0.113.0/24", "0.0.0.0/0", "2001:db8::/32"])
      expect(ok(cidr(), v)).toBe(true);
    for (const v of ["203.0.113.0", "203.0.113.0/33", "x/8", "2001:db8::/129"])
      expect(ok(cidr(), v)).toBe(false);
  });
  test("images must be pinned", () => {
    for (const v of [
      "registry:2.8.3",
      "docker.io/library/registry:3.0.0",
      "localhost:5000/registry:2",
      `registry@sha256:${"a".repeat(64)}`,
    ])
      expect(ok(pinnedImage(), v)).toBe(true);
    for (const v of ["registry", "localhost:5000/registry", "Registry:2", "registry:latest:x"])
      expect(ok(pinnedImage(), v)).toBe(false);
  });
  test("quantities", () => {
    for (const v of ["10Gi", "500m", "1", "1.5G"]) expect(ok(quantity(), v)).toBe(true);
    for (const v of ["10 Gi", "ten", "10gb", ""]) expect(ok(quantity(), v)).toBe(false);
  });
});

test("formatIssues names a missing required key", () => {
  const r = z.strictObject({ project: text("a project id") }).safeParse({}, { reportInput: true });
  expect(r.success).toBe(false);
  if (!r.success)
    expect(formatIssues("registry:gcp", r.error.issues)).toEqual([
      "registry:gcp.project is required: it must be a project id",
    ]);
});
