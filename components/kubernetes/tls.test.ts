/**
 * TLS on the Kubernetes backend: the settings' rules, the manifests of each mode
 * (checked against the Kubernetes API schemas and Pod Security "restricted"), and what
 * a program run registers and exports.
 */
import { X509Certificate } from "node:crypto";
import { parse } from "yaml";
import { reveal, runProgram, type ProgramRun } from "../../tools/runProgram";
import { newTlsPair, type TlsPair } from "../../tests/support/keyMaterial";
import { manifestList, renderManifests } from "./plan";
import {
  loadSettings,
  podSpecsOf,
  restrictedViolations,
  settingsProblems,
  validateAgainstSchema,
} from "./testing";
import { tlsServerNames } from "./tlsSettings";

const load = loadSettings;
const problems = settingsProblems;

// Made when the file loads: test.each tables read them.
const lan: TlsPair = newTlsPair(["registry.lan", "10.0.0.5"]);
const other: TlsPair = newTlsPair(["registry.lan"]);

const K = "registry:kubernetes";

describe("registry:kubernetes.tls rules", () => {
  test("default: mode none on 127.0.0.1, plain HTTP as before", () => {
    const s = load({});
    expect(s.tls).toEqual({ mode: "none" });
    expect(s.insecureRegistry).toBe(false);
    expect(problems({ advertiseHost: "localhost" })).toEqual([]);
    expect(problems({ advertiseHost: "::1" })).toEqual([]);
  });

  test("a non-loopback advertiseHost needs TLS, or insecureRegistry said by name", () => {
    expect(problems({ advertiseHost: "10.0.0.5" })).toEqual([
      `${K}.tls.mode must not be none when advertiseHost (10.0.0.5) is not a loopback address: the password would cross the network in clear and Docker refuses such a registry; set tls.mode to selfSigned, provided or certManager, or set insecureRegistry to true if every node's Docker and containerd list REGISTRY in insecure-registries (got "none")`,
    ]);
    expect(problems({ advertiseHost: "10.0.0.5", insecureRegistry: true })).toEqual([]);
    expect(problems({ advertiseHost: "10.0.0.5", tls: { mode: "selfSigned" } })).toEqual([]);
    expect(
      problems({ advertiseHost: "10.0.0.5", tls: { mode: "selfSigned" }, insecureRegistry: true }),
    ).toEqual([`${K}.insecureRegistry must be false when tls.mode is not none (got true)`]);
  });

  test("server names: advertiseHost first, loopback names with a loopback host, then serverNames", () => {
    expect(tlsServerNames(load({ tls: { mode: "selfSigned" } }))).toEqual([
      "127.0.0.1",
      "localhost",
    ]);
    expect(
      tlsServerNames(
        load({
          advertiseHost: "registry.lan",
          tls: { mode: "selfSigned", serverNames: ["10.0.0.5", "registry.lan"] },
        }),
      ),
    ).toEqual(["registry.lan", "10.0.0.5"]);
  });

  test.each([
    [
      { tls: { mode: "https" } },
      `${K}.tls.mode must be one of none, selfSigned, provided, certManager (got "https")`,
    ],
    [
      { tls: "selfSigned" },
      `${K}.tls must be an object with a mode (none, selfSigned, provided, certManager) (got a string)`,
    ],
    [
      { tls: { mode: "selfSigned", serverNames: ["bad name"] } },
      `${K}.tls.serverNames[0] must be a DNS name or an IP address (got "bad name")`,
    ],
    [
      { tls: { mode: "provided" } },
      `${K}.tls.certificate is required (with key), or set existingSecret`,
    ],
    [
      { tls: { mode: "provided", existingSecret: "Registry_TLS" } },
      `${K}.tls.existingSecret must be a Secret name (a DNS name, lower case) (got "Registry_TLS")`,
    ],
    [
      { tls: { mode: "certManager" } },
      `${K}.tls.issuerRef is required: it must be an object with the issuer's name (and kind Issuer or ClusterIssuer)`,
    ],
    [
      { tls: { mode: "certManager", issuerRef: { name: "ca", kind: "Cluster" } } },
      `${K}.tls.issuerRef.kind must be one of Issuer, ClusterIssuer (got "Cluster")`,
    ],
    [{ tls: { mode: "none", serverNames: ["a"] } }, `${K}.tls has unknown key "serverNames"`],
  ])("refused: %j", (settings, line) => {
    expect(problems(settings)).toEqual([line]);
  });

  test("provided: the key must be the certificate's, the certificate must name advertiseHost; no PEM in any line", () => {
    const provided = (t: Record<string, unknown>, host = "registry.lan") =>
      problems({ advertiseHost: host, tls: { mode: "provided", ...t } });
    expect(provided({ certificate: lan.certificate, key: lan.key })).toEqual([]);
    expect(provided({ certificate: lan.certificate, key: lan.key }, "10.0.0.5")).toEqual([]);
    const lines = [
      ...provided({ certificate: lan.certificate, key: other.key }),
      ...provided({ certificate: lan.certificate, key: lan.key }, "registry.example.com"),
      ...provided({ certificate: lan.certificate }),
      ...provided({ certificate: lan.certificate, key: lan.key, existingSecret: "tls" }),
    ];
    expect(lines).toEqual([
      `${K}.tls.key does not match tls.certificate: the first certificate must be the server's own, issued for this key`,
      `${K}.tls.certificate must name registry.example.com, the host clients dial (advertiseHost), in its subject alternative names`,
      `${K}.tls.key is required with the other`,
      `${K}.tls.existingSecret must not be set with certificate and key: use one or the other (got "tls")`,
    ]);
    for (const line of lines) expect(line).not.toMatch(/BEGIN|MII/);
  });
});

describe("manifests of each TLS mode", () => {
  const render = (settings: unknown) =>
    renderManifests({
      instance: "registry",
      settings: load(settings),
      secretValues: { httpSecret: '"s"', htpasswd: "ci:$2y$10$x" },
      checksum: "0".repeat(64),
      tls: { certificate: lan.certificate, key: lan.key },
    });
  const modes = {
    selfSigned: { advertiseHost: "registry.lan", tls: { mode: "selfSigned" } },
    provided: {
      advertiseHost: "registry.lan",
      tls: { mode: "provided", certificate: lan.certificate, key: lan.key },
    },
    existingSecret: {
      advertiseHost: "registry.lan",
      tls: { mode: "provided", existingSecret: "registry-lan-tls" },
    },
    certManager: {
      advertiseHost: "registry.lan",
      tls: {
        mode: "certManager",
        serverNames: ["10.0.0.5"],
        issuerRef: { name: "internal-ca", kind: "ClusterIssuer" },
      },
    },
  };

  test.each(Object.entries(modes))(
    "%s: valid objects, restricted pods, the registry serves TLS 1.2+ from the mounted Secret, HTTPS probes",
    (mode, settings) => {
      const m = render(settings);
      const objects = manifestList(m);
      for (const obj of objects.filter((o) => o.kind !== "Certificate"))
        validateAgainstSchema(obj as never);
      for (const { spec } of podSpecsOf(objects as never))
        expect(restrictedViolations(spec)).toEqual([]);
      expect(parse(m.configMap.data["config.yml"]).http.tls).toEqual({
        certificate: "/etc/registry-tls/tls.crt",
        key: "/etc/registry-tls/tls.key",
        minimumtls: "tls1.2",
      });
      const pod = (m.deployment.spec.template as { spec: unknown }).spec as {
        volumes: { name: string; secret?: unknown }[];
        containers: {
          volumeMounts: { name: string; mountPath: string }[];
          readinessProbe: unknown;
          livenessProbe: { httpGet: unknown };
        }[];
      };
      const secretName = mode === "existingSecret" ? "registry-lan-tls" : "registry-tls";
      expect(pod.volumes.find((v) => v.name === "tls")).toEqual({
        name: "tls",
        secret: {
          secretName,
          items: [
            { key: "tls.crt", path: "tls.crt" },
            { key: "tls.key", path: "tls.key" },
          ],
          defaultMode: 0o440,
        },
      });
      const c = pod.containers[0];
      expect(c.volumeMounts.find((v) => v.name === "tls")).toEqual({
        name: "tls",
        mountPath: "/etc/registry-tls",
        readOnly: true,
      });
      expect(c.livenessProbe.httpGet).toEqual({ path: "/", port: "http", scheme: "HTTPS" });
      // Which object holds the certificate: this program's Secret, or someone else's.
      expect(m.tlsSecret?.type).toBe(
        mode === "selfSigned" || mode === "provided" ? "kubernetes.io/tls" : undefined,
      );
      expect(m.certificate?.kind).toBe(mode === "certManager" ? "Certificate" : undefined);
      // Someone else's Secret renews without `pulumi up`: Reloader (if installed) rolls the pods.
      expect(m.deployment.metadata.annotations).toEqual({
        "pulumi.com/patchForce": "true",
        ...(mode === "existingSecret" || mode === "certManager"
          ? { "secret.reloader.stakater.com/reload": secretName }
          : {}),
      });
    },
  );

  test("certManager: a Certificate for advertiseHost and serverNames, 90 days renewed 30 days early", () => {
    expect(render(modes.certManager).certificate).toEqual({
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: {
        name: "registry",
        namespace: "registry",
        labels: {
          "app.kubernetes.io/name": "registry",
          "app.kubernetes.io/instance": "registry",
          "app.kubernetes.io/component": "server",
          "app.kubernetes.io/managed-by": "pulumi",
        },
      },
      spec: {
        secretName: "registry-tls",
        commonName: "registry.lan",
        dnsNames: ["registry.lan"],
        ipAddresses: ["10.0.0.5"],
        duration: "2160h",
        renewBefore: "720h",
        privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
        usages: ["server auth", "digital signature", "key encipherment"],
        issuerRef: { name: "internal-ca", kind: "ClusterIssuer", group: "cert-manager.io" },
      },
    });
  });

  test("mode none: no TLS anywhere, HTTP probes (today's manifests)", () => {
    const m = render({});
    expect(parse(m.configMap.data["config.yml"]).http.tls).toBeUndefined();
    const c = (m.deployment.spec.template as { spec: unknown }).spec as {
      volumes: { name: string }[];
      containers: { livenessProbe: { httpGet: unknown } }[];
    };
    expect(c.volumes.map((v) => v.name)).not.toContain("tls");
    expect(c.containers[0].livenessProbe.httpGet).toEqual({ path: "/", port: "http" });
    expect(m.tlsSecret).toBeUndefined();
  });
});

describe("a program run with TLS", () => {
  const runWith = (tls: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    runProgram({
      stack: "dev",
      config: {
        "registry:backend": "kubernetes",
        "registry:kubernetes": { advertiseHost: "registry.lan", nodePort: 30500, tls, ...extra },
      },
      showSecrets: true,
    });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const find = (run: ProgramRun, type: string, name: string): any =>
    reveal(run.resources.find((r) => r.type === type && r.name === name)?.inputs, true);

  test("selfSigned: REGISTRY_CA_CERT is a 10-year CA that signs the 90-day server certificate in the Secret", async () => {
    const run = await runWith({ mode: "selfSigned", serverNames: ["10.0.0.5"] });
    const ca = new X509Certificate(run.outputs.REGISTRY_CA_CERT.value as string);
    const secret = find(run, "kubernetes:core/v1:Secret", "registry-tls");
    expect(secret.type).toBe("kubernetes.io/tls");
    const server = new X509Certificate(secret.stringData["tls.crt"]);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.subjectAltName).toBe("DNS:registry.lan, IP Address:10.0.0.5");
    const days = (c: X509Certificate) =>
      Math.round((Date.parse(c.validTo) - Date.parse(c.validFrom)) / 86_400_000);
    expect(days(server)).toBe(90);
    expect(days(ca)).toBe(3650);
    expect(ca.ca).toBe(true);
    expect(run.outputs.REGISTRY.value).toBe("registry.lan:30500");
    const cert = run.resources.find(
      (r) => r.type === "tls:index/locallySignedCert:LocallySignedCert",
    );
    expect(reveal(cert?.inputs, true)).toMatchObject({
      validityPeriodHours: 2160,
      earlyRenewalHours: 720,
    });
  });

  test("provided PEMs: the Secret holds them as given, REGISTRY_CA_CERT is caCertificate", async () => {
    const run = await runWith({
      mode: "provided",
      certificate: lan.certificate,
      key: lan.key,
      caCertificate: lan.ca,
    });
    const secret = find(run, "kubernetes:core/v1:Secret", "registry-tls");
    expect(secret.stringData).toEqual({ "tls.crt": lan.certificate, "tls.key": lan.key });
    expect(run.outputs.REGISTRY_CA_CERT.value).toBe(lan.ca);
  });

  test("a new provided certificate rolls the pods (the checksum covers the TLS Secret this program writes)", async () => {
    const checksum = async (tls: Record<string, unknown>) =>
      find(await runWith(tls), "kubernetes:apps/v1:Deployment", "registry").spec.template.metadata
        .annotations["checksum/config-and-secrets"];
    const a = await checksum({ mode: "provided", certificate: lan.certificate, key: lan.key });
    const again = await checksum({ mode: "provided", certificate: lan.certificate, key: lan.key });
    const renewed = newTlsPair(["registry.lan"]);
    const b = await checksum({
      mode: "provided",
      certificate: renewed.certificate,
      key: renewed.key,
    });
    expect(a).toBe(again);
    expect(b).not.toBe(a);
  });

  test("existingSecret: no Secret made, REGISTRY_CA_CERT empty unless caCertificate; certManager registers the Certificate", async () => {
    const existing = await runWith({ mode: "provided", existingSecret: "registry-lan-tls" });
    expect(existing.resources.map((r) => r.name)).not.toContain("registry-tls");
    expect(existing.outputs.REGISTRY_CA_CERT.value).toBe("");
    const cm = await runWith({
      mode: "certManager",
      issuerRef: { name: "internal-ca" },
      caCertificate: lan.ca,
    });
    const certificate = find(
      cm,
      "kubernetes:cert-manager.io/v1:Certificate",
      "registry-certificate",
    );
    expect(certificate.spec.issuerRef).toEqual({
      name: "internal-ca",
      kind: "Issuer",
      group: "cert-manager.io",
    });
    expect(cm.outputs.REGISTRY_CA_CERT.value).toBe(lan.ca);
  });
});
