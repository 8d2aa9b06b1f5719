/**
 * No error line carries a secret's value, whatever the path to it. Every secret key of
 * every backend schema (found through the `secret()` markers, and checked against a
 * literal list so a new secret key without cases fails here) gets a distinctive canary,
 * in every position: valid, of the wrong type, of the wrong length or form, inside a
 * block that is not read, and beside a bad sibling. No line may hold the canary or any
 * six characters of it.
 */
import { generateKeyPairSync } from "node:crypto";
import type { z } from "zod";
import { ConfigError } from "./errors";
import { readBackendSettings } from "./load";
import { secretPaths } from "./secretPaths";
import { dockerSettings } from "../components/docker/settings";
import { gcpSettings } from "../components/gcp/settings";
import { kubernetesSettings } from "../components/kubernetes/settings";
import { vmSettings } from "../components/vm/settings";
import { pemBody, strayKey, tlsPair } from "../tests/support/keyMaterial";

type Backend = "kubernetes" | "vm" | "docker" | "gcp";
const SCHEMAS: Record<Backend, z.ZodType> = {
  kubernetes: kubernetesSettings,
  vm: vmSettings,
  docker: dockerSettings,
  gcp: gcpSettings,
};

const SHARED = [
  "auth.password",
  "auth.pullUser.password",
  "storage.s3.accessKey",
  "storage.s3.secretKey",
  "storage.gcs.keyJson",
  "proxy.password",
  "notifications.endpoints.*.token",
];
/** Written by hand: a secret key the schemas gain must be added here, with its cases. */
const SECRET_KEYS: Record<Backend, string[]> = {
  kubernetes: [...SHARED, "tls.key"],
  docker: SHARED,
  vm: [...SHARED, "host.privateKey", "host.sshPrivateKey", "tls.key", "tls.eab.hmacKey"],
  gcp: [],
};

const SSH_PUB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIcanary canary@test";
const existing = { mode: "existing", address: "203.0.113.7", privateKey: sshKey("c2FmZWtleQ") };
const gcpHost = {
  mode: "gcp",
  project: "acme-staging-1",
  zone: "europe-west1-b",
  sshSourceRanges: ["198.51.100.0/24"],
};
const BASE: Record<Backend, Record<string, unknown>> = {
  kubernetes: {},
  docker: {},
  vm: { host: existing },
  gcp: {},
};

function sshKey(body: string): string {
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----`;
}

function serviceAccountKey(id: string, privateKey: string): string {
  return JSON.stringify({
    type: "service_account",
    project_id: "acme-ci",
    private_key_id: id,
    private_key: privateKey,
    client_email: "registry@acme-ci.iam.gserviceaccount.com",
  });
}

/** A value put in config, and the strings of it that must never be printed. */
interface Planted {
  value: unknown;
  needles: string[];
}

let serial = 0;
/** A canary no error line could hold by chance: the serial keeps each case's own. */
const canary = () => `Zq7Kw${(serial++).toString(36).padStart(3, "0")}VxCanaryPb9Tm`;
const plain = (value: string): Planted => ({ value, needles: [value] });

/** Per key (its last path segment): a valid planted value, and invalid ones. */
const VALUES: Record<string, { valid(): Planted; invalid(): Planted[] }> = {
  password: {
    valid: () => plain(`pw-${canary()}`),
    invalid: () => [plain(canary().slice(0, 12)), plain(`${canary()} ${canary()}`)],
  },
  accessKey: { valid: () => plain(canary()), invalid: () => [] },
  secretKey: { valid: () => plain(canary()), invalid: () => [] },
  keyJson: {
    valid: () => {
      const pem = strayKey();
      const id = canary();
      return { value: serviceAccountKey(id, pem), needles: [id, ...pemBody(pem)] };
    },
    invalid: () => {
      const pem = strayKey();
      const id = canary();
      return [
        plain(`not json ${canary()}`),
        { value: serviceAccountKey(id, pem.slice(0, 120)), needles: [id, pem.slice(28, 120)] },
        {
          value: JSON.stringify({ private_key_id: id, private_key: pem }),
          needles: [id, ...pemBody(pem)],
        },
      ];
    },
  },
  privateKey: {
    valid: () => {
      const c = canary();
      return { value: sshKey(c), needles: [c] };
    },
    invalid: () => [plain(canary())],
  },
  sshPrivateKey: {
    valid: () => {
      const c = canary();
      return { value: sshKey(c), needles: [c] };
    },
    invalid: () => [plain(canary())],
  },
  token: {
    valid: () => plain(`tok-${canary()}`),
    // a space, and too short: both refused by the token's own pattern
    invalid: () => [plain(`${canary()} ${canary()}`), plain(canary().slice(0, 12))],
  },
  hmacKey: {
    valid: () => plain(`hmac-${canary()}`),
    // padded, and too short: both refused by the key's own pattern
    invalid: () => [plain(`${canary()}==`), plain(canary().slice(0, 12))],
  },
  key: {
    valid: () => ({ value: tlsPair().key, needles: pemBody(tlsPair().key) }),
    invalid: () => {
      const other = strayKey();
      const truncated = tlsPair().key.slice(0, 100);
      return [
        { value: other, needles: pemBody(other) },
        { value: truncated, needles: pemBody(truncated) },
      ];
    },
  },
};

/** Settings in which `path` is read, holding `value` there. */
function settingsWith(backend: Backend, path: string, value: unknown): Record<string, unknown> {
  const s = structuredClone(BASE[backend]);
  if (path === "host.sshPrivateKey") s.host = { ...gcpHost, sshPublicKey: SSH_PUB };
  if (path === "auth.pullUser.password") s.auth = { pullUser: { username: "reader" } };
  if (path.startsWith("storage.s3."))
    s.storage = { driver: "s3", s3: { bucket: "b", region: "r" } };
  if (path.startsWith("storage.gcs.")) s.storage = { driver: "gcs", gcs: { bucket: "b" } };
  if (path.startsWith("notifications.")) {
    s.logLevel = "warn";
    s.notifications = { endpoints: [{ name: "hook", url: "https://hooks.example.com/r" }] };
  }
  if (path.startsWith("proxy."))
    s.proxy = { remoteUrl: "https://registry-1.docker.io", username: "m" };
  if (path === "tls.key") s.tls = { mode: "provided", certificate: tlsPair().certificate };
  if (path === "tls.eab.hmacKey") {
    s.domain = "registry.example.com";
    s.tls = { mode: "acme", email: "ops@example.com", eab: { kid: "kid-1" } };
  }
  return setAt(s, keyPath(path), value);
}

/** A secret path as a settings path: a list's "*" is its first item. */
const keyPath = (path: string) => path.replace(/\*/g, "0").split(".");

function setAt(obj: Record<string, unknown>, path: string[], value: unknown) {
  const out = structuredClone(obj);
  let at = out;
  for (const k of path.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
  at[path[path.length - 1]] = value;
  return out;
}

function getAt(obj: Record<string, unknown>, path: string[]): unknown {
  return path.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], obj);
}

/** The same settings, with the block holding the secret where it is not read. */
function unusedBlock(backend: Backend, path: string, value: unknown): Record<string, unknown>[] {
  const used = settingsWith(backend, path, value);
  const parentPath = keyPath(path).slice(0, -1);
  const parent = getAt(used, parentPath);
  const out = [
    // under a key this program does not know
    { ...BASE[backend], typo: parent },
    // beside the driver or mode that does not read it
    ...(path.startsWith("storage.s3.")
      ? [
          setAt(used, ["storage", "driver"], "filesystem"),
          setAt(used, ["storage", "driver"], "gcs"),
        ]
      : []),
    ...(path.startsWith("storage.gcs.") ? [setAt(used, ["storage", "driver"], "filesystem")] : []),
    ...(path === "auth.password" || path === "auth.pullUser.password"
      ? [setAt(used, ["auth", "enabled"], false)]
      : []),
    // a pull user on a mirror is refused as redundant
    ...(path === "auth.pullUser.password"
      ? [{ ...used, proxy: { remoteUrl: "https://registry-1.docker.io" } }]
      : []),
    // read, but refused beside the log level that would print it
    ...(path === "notifications.endpoints.*.token" ? [setAt(used, ["logLevel"], "info")] : []),
    ...(path === "proxy.password" ? [setAt(used, ["proxy", "username"], undefined)] : []),
    ...(path === "host.privateKey" ? [{ ...used, host: { ...gcpHost, privateKey: value } }] : []),
    ...(path === "host.sshPrivateKey"
      ? [{ ...used, host: { ...existing, sshPrivateKey: value } }]
      : []),
    ...(path === "tls.key" ? [{ ...used, tls: { mode: "selfSigned", key: value } }] : []),
    ...(path === "tls.eab.hmacKey"
      ? [{ ...used, tls: { mode: "selfSigned", eab: { kid: "kid-1", hmacKey: value } } }]
      : []),
  ];
  return out;
}

function linesFor(backend: Backend, settings: unknown): string[] {
  try {
    readBackendSettings(
      backend,
      SCHEMAS[backend],
      (k) => (k === `registry:${backend}` ? JSON.stringify(settings) : undefined),
      [],
    );
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

/** Every six characters of every needle, none of them in any line. */
function expectNoLeak(lines: string[], needles: string[]) {
  expect(lines.length).toBeGreaterThan(0);
  const leaks: string[] = [];
  for (const needle of needles)
    for (let i = 0; i + 6 <= needle.length; i++) {
      const piece = needle.slice(i, i + 6);
      for (const line of lines) if (line.includes(piece)) leaks.push(`${piece} in: ${line}`);
    }
  expect(leaks).toEqual([]);
}

const BACKENDS = Object.keys(SCHEMAS) as Backend[];

test.each(BACKENDS)("%s: the secret keys the schema marks are the listed ones", (backend) => {
  const found = secretPaths(SCHEMAS[backend]).map((p) => p.join("."));
  expect(found.sort()).toEqual([...SECRET_KEYS[backend]].sort());
});

const CASES = BACKENDS.flatMap((b) =>
  secretPaths(SCHEMAS[b]).map((p) => [`${b}: ${p.join(".")}`, b, p.join(".")] as const),
);

describe.each(CASES)("%s", (_, backend, path) => {
  const values = VALUES[path.split(".").pop()!];
  // as error lines write it: a list item as [0]
  const key = `registry:${backend}.${path.replace(/\.\*/g, "[0]")}`;

  test("has planted values (a new secret key needs its cases)", () => {
    expect(values).toBeDefined();
  });

  test("valid, with a bad setting elsewhere: no line shows it", () => {
    const planted = values.valid();
    const lines = linesFor(backend, { ...settingsWith(backend, path, planted.value), logLevel: 5 });
    // The value is valid: the only complaint is the bad sibling.
    expect(lines.filter((l) => l.startsWith(`${key} `))).toEqual([]);
    expectNoLeak(lines, planted.needles);
  });

  test("valid, inside a block with a bad sibling key: no line shows it", () => {
    const planted = values.valid();
    const settings = settingsWith(backend, path, planted.value);
    const parentPath = keyPath(path).slice(0, -1);
    const parent = getAt(settings, parentPath) as Record<string, unknown>;
    for (const bad of [{ ...parent, typo: 1 }, [parent], JSON.stringify(parent)])
      expectNoLeak(linesFor(backend, setAt(settings, parentPath, bad)), planted.needles);
  });

  test("of the wrong type: no line shows it", () => {
    const c = canary();
    for (const value of [[c], { value: c }, [[c]], 918273645546, true])
      expectNoLeak(linesFor(backend, settingsWith(backend, path, value)), [c, "918273645546"]);
  });

  test("of the wrong length or form: no line shows it", () => {
    for (const planted of [
      ...values.invalid(),
      plain(`${canary()}\n`),
      plain(canary().repeat(12)),
    ]) {
      const lines = linesFor(backend, {
        ...settingsWith(backend, path, planted.value),
        logLevel: 5,
      });
      expectNoLeak(lines, planted.needles);
    }
  });

  test("inside a block that is not read: no line shows it", () => {
    for (const planted of [values.valid(), ...values.invalid()])
      for (const settings of unusedBlock(backend, path, planted.value))
        expectNoLeak(linesFor(backend, settings), planted.needles);
  });
});

test("the canaries are distinctive: a line with one is caught (the check can fail)", () => {
  const planted = VALUES.password.valid();
  expect(() =>
    expectNoLeak([`x (got "${String(planted.value).slice(3, 9)}")`], planted.needles),
  ).toThrow();
  // and the keys' own material is checked, not only the canary
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  expect(() => expectNoLeak([pem.slice(40, 50)], pemBody(pem))).toThrow();
});
