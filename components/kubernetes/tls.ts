/**
 * The registry's own TLS listener on Kubernetes, as plain data: where the certificate
 * is mounted, the kubernetes.io/tls Secret (selfSigned, provided PEMs) and the
 * cert-manager Certificate (certManager). The registry reads its certificate once, at
 * start (tls.LoadX509KeyPair in ListenAndServe; 2.8.2 shown in tests/kubernetes-tls.test.ts):
 * a new certificate is served only by new pods.
 */
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type { RegistryConfigSpec } from "../shared/registryConfig";
import type { SecretFiles } from "./podVolumes";
import { splitServerNames } from "../shared/selfSignedTls";
import type { KubernetesSettings } from "./settings";
import { tlsServerNames } from "./tlsSettings";

/** Where the TLS Secret's tls.crt and tls.key are mounted in the registry container. */
export const TLS_DIR = "/etc/registry-tls";
export const TLS_CERT_PATH = path.posix.join(TLS_DIR, "tls.crt");
export const TLS_KEY_PATH = path.posix.join(TLS_DIR, "tls.key");

/** cert-manager's certificate lifetime here: the same 90 days and 30-day early renewal as selfSigned. */
export const CERT_MANAGER_DURATION = "2160h";
export const CERT_MANAGER_RENEW_BEFORE = "720h";

/** The registry config's http.tls for these settings (none with mode none). */
export function registryTlsSpec(s: KubernetesSettings): RegistryConfigSpec["tls"] {
  if (s.tls.mode === "none") return undefined;
  return { certificate: TLS_CERT_PATH, key: TLS_KEY_PATH, minimumTls: "tls1.2" };
}

/** The Secret the registry mounts its certificate from: given, or `<instance>-tls`. */
export function tlsSecretName(instance: string, s: KubernetesSettings): string | undefined {
  if (s.tls.mode === "none") return undefined;
  if (s.tls.mode === "provided" && s.tls.existingSecret) return s.tls.existingSecret;
  return `${instance}-tls`;
}

/** The TLS Secret's files as the registry container mounts them. */
export function tlsSecretFiles(secretName: string): SecretFiles {
  return {
    volume: "tls",
    secretName,
    files: [
      ["tls.crt", TLS_CERT_PATH],
      ["tls.key", TLS_KEY_PATH],
    ],
  };
}

/** The certificate and key this program puts in the TLS Secret (selfSigned, provided PEMs). */
export interface TlsSecretValues {
  certificate: pulumi.Input<string>;
  key: pulumi.Input<string>;
}

/** Which TLS Secret this program writes itself (the others come from a user or cert-manager). */
export function writesTlsSecret(s: KubernetesSettings): boolean {
  return s.tls.mode === "selfSigned" || (s.tls.mode === "provided" && !s.tls.existingSecret);
}

type Meta = (
  name: string,
  component?: string,
) => {
  name: string;
  namespace: string;
  labels: Record<string, string>;
};

export function renderTlsSecret(name: string, meta: Meta, values: TlsSecretValues) {
  return {
    apiVersion: "v1" as const,
    kind: "Secret" as const,
    metadata: meta(name, "server"),
    type: "kubernetes.io/tls",
    stringData: { "tls.crt": values.certificate, "tls.key": values.key },
  };
}

export interface CertificateManifest {
  apiVersion: "cert-manager.io/v1";
  kind: "Certificate";
  metadata: ReturnType<Meta>;
  spec: Record<string, unknown>;
}

/** The cert-manager Certificate for mode certManager (cert-manager writes the Secret). */
export function renderCertificate(
  instance: string,
  s: KubernetesSettings,
  meta: Meta,
): CertificateManifest | undefined {
  if (s.tls.mode !== "certManager") return undefined;
  const names = tlsServerNames(s);
  const { dnsNames, ipAddresses } = splitServerNames(names);
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: meta(instance, "server"),
    spec: {
      secretName: tlsSecretName(instance, s),
      // A common name is at most 64 characters; the SANs are what clients check.
      ...(names[0].length <= 64 ? { commonName: names[0] } : {}),
      ...(dnsNames.length ? { dnsNames } : {}),
      ...(ipAddresses.length ? { ipAddresses } : {}),
      duration: CERT_MANAGER_DURATION,
      renewBefore: CERT_MANAGER_RENEW_BEFORE,
      privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
      usages: ["server auth", "digital signature", "key encipherment"],
      issuerRef: {
        name: s.tls.issuerRef.name,
        kind: s.tls.issuerRef.kind,
        group: s.tls.issuerRef.group,
      },
    },
  };
}
