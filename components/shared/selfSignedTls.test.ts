/**
 * One certificate rule for every self-signed backend (VM, and Docker with TLS on): a
 * 10-year CA and a 90-day server certificate renewed by the first `pulumi up` in its
 * last 30 days. The backends run under Pulumi mocks; the certificates are real
 * (openssl), read here by Node's X509 parser. The mock plays the TLS provider's renewal
 * rule (`readyForRenewal` from the stored validity and a later clock).
 */
import { X509Certificate } from "node:crypto";
import { readyForRenewal } from "../../tools/mocks/vm";
import {
  reveal,
  runProgram,
  type ProgramRun,
  type RegisteredResource,
} from "../../tools/runProgram";

const CA = "tls:index/selfSignedCert:SelfSignedCert";
const SERVER = "tls:index/locallySignedCert:LocallySignedCert";
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const SSH_KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
const vmConfig = {
  "registry:backend": "vm",
  "registry:vm": {
    host: { mode: "existing", address: "203.0.113.7", privateKey: SSH_KEY },
  },
};
const dockerConfig = {
  "registry:backend": "docker",
  "registry:docker": {
    advertiseHost: "registry.lan",
    tls: { enabled: true, serverNames: ["registry.lan"] },
  },
};

const one = (run: ProgramRun, type: string): RegisteredResource => {
  const found = run.resources.filter((r) => r.type === type);
  expect(found).toHaveLength(1);
  return found[0];
};
/** Inputs as the program sets them, without what upstream resources computed (keys, PEMs). */
const UPSTREAM = ["privateKeyPem", "caPrivateKeyPem", "caCertPem", "certRequestPem"];
const ownInputs = (r: RegisteredResource) =>
  Object.fromEntries(
    Object.entries(reveal(r.inputs, true) as Record<string, unknown>).filter(
      ([k]) => !UPSTREAM.includes(k),
    ),
  );

const T0 = new Date("2026-03-01T10:00:00Z");
let vm: ProgramRun;
let docker: ProgramRun;
let vmLater: ProgramRun;

beforeAll(async () => {
  vm = await runProgram({ stack: "tls", config: vmConfig, now: T0 });
  docker = await runProgram({ stack: "tls", config: dockerConfig, now: T0 });
  vmLater = await runProgram({
    stack: "tls",
    config: vmConfig,
    now: new Date(T0.getTime() + 61 * DAY),
  });
});

describe.each([
  ["vm", () => vm],
  ["docker", () => docker],
])("self-signed TLS, %s backend", (_backend, run) => {
  test("a 10-year CA, and a 90-day server certificate renewed in its last 30 days", () => {
    expect(ownInputs(one(run(), CA))).toMatchObject({
      isCaCertificate: true,
      validityPeriodHours: 87600,
    });
    expect(one(run(), CA).inputs.earlyRenewalHours).toBeUndefined();
    expect(ownInputs(one(run(), SERVER))).toMatchObject({
      validityPeriodHours: 2160,
      earlyRenewalHours: 720,
    });
  });

  test("the certificates as a client reads them: 3650 and 90 days", () => {
    const lifetimeDays = (pem: unknown) => {
      const c = new X509Certificate(String(pem));
      return (Date.parse(c.validTo) - Date.parse(c.validFrom)) / DAY;
    };
    expect(lifetimeDays(one(run(), CA).state.certPem)).toBe(3650);
    expect(lifetimeDays(one(run(), SERVER).state.certPem)).toBe(90);
    expect(run().outputs.REGISTRY_CA_CERT.value).toBe(one(run(), CA).state.certPem);
  });

  test("the provider renews the server certificate after 60 days, the CA not for 10 years", () => {
    const server = one(run(), SERVER).state;
    const ca = one(run(), CA).state;
    const after = (days: number) => new Date(T0.getTime() + days * DAY);
    expect(server.validityEndTime).toBe("2026-05-30T10:00:00.000Z");
    expect(readyForRenewal(server, after(59))).toBe(false);
    expect(readyForRenewal(server, after(60))).toBe(true);
    expect(readyForRenewal(ca, after(61))).toBe(false);
    expect(readyForRenewal(ca, after(3649))).toBe(false);
    expect(readyForRenewal(ca, after(3650))).toBe(true);
  });

  test("the CA depends on its own key only: a new server certificate cannot change it", () => {
    const ca = one(run(), CA);
    expect(ca.dependencies).toEqual([
      expect.stringMatching(/^tls:index\/privateKey:PrivateKey::.*-ca-key$/),
    ]);
  });
});

test("both backends follow one rule", () => {
  for (const type of [CA, SERVER]) {
    const pick = (r: RegisteredResource) => {
      const i = ownInputs(r);
      return { v: i.validityPeriodHours, e: i.earlyRenewalHours, uses: i.allowedUses };
    };
    expect(pick(one(docker, type))).toEqual(pick(one(vm, type)));
  }
});

test("a run inside the renewal window changes no certificate input (the provider renews)", () => {
  for (const type of [CA, SERVER])
    expect(ownInputs(one(vmLater, type))).toEqual(ownInputs(one(vm, type)));
});
