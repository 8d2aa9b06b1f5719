/**
 * `registry:kubernetes.tls`: how the registry serves TLS itself on the NodePort
 * (distribution's `http.tls`). `none` keeps plain HTTP, which Docker accepts only on
 * 127.0.0.0/8 unless every node lists the registry in `insecure-registries`.
 */
import { X509Certificate } from "node:crypto";
import * as net from "node:net";
import { z } from "zod";
import {
  certificateBlocks,
  certificates,
  DNS_NAME,
  host,
  oneOf,
  pattern,
  providedKeyMatches,
  secret,
  tlsPrivateKey,
} from "../../config/fields";
import { isLoopback } from "../shared/loopback";

const objectName = (what: string) => pattern(DNS_NAME, `${what} (a DNS name, lower case)`);

/** DNS names and IP addresses the certificate names, besides advertiseHost (added by itself). */
const serverNames = () =>
  z.array(host(), { error: "must be a list of DNS names or IP addresses" }).optional();

const noTls = z.strictObject({ mode: z.literal("none") });

/** A CA and a server certificate made here (components/shared/selfSignedTls.ts). */
const selfSignedTls = z.strictObject({ mode: z.literal("selfSigned"), serverNames: serverNames() });

const providedTls = z.strictObject({
  mode: z.literal("provided"),
  /** The server certificate, then its intermediates (PEM). With `key`; or set existingSecret. */
  certificate: certificates().optional(),
  /** The certificate's private key (PEM, unencrypted). */
  key: secret(tlsPrivateKey()).optional(),
  /** A kubernetes.io/tls Secret in the namespace (tls.crt, tls.key) someone else keeps. */
  existingSecret: objectName("a Secret name").optional(),
  /** The CA clients should trust, when it is not publicly trusted: it becomes REGISTRY_CA_CERT. */
  caCertificate: certificates().optional(),
});

/** A cert-manager Certificate the cluster's cert-manager issues and renews into a Secret. */
const certManagerTls = z.strictObject({
  mode: z.literal("certManager"),
  issuerRef: z.strictObject(
    {
      name: objectName("an Issuer or ClusterIssuer name"),
      /** Issuer (in the registry's namespace, cert-manager's default) or ClusterIssuer. */
      kind: oneOf(["Issuer", "ClusterIssuer"]).default("Issuer"),
      /** The issuer's API group (default cert-manager.io; external issuers have their own). */
      group: pattern(DNS_NAME, "an API group such as cert-manager.io").default("cert-manager.io"),
    },
    { error: "must be an object with the issuer's name (and kind Issuer or ClusterIssuer)" },
  ),
  serverNames: serverNames(),
  /** The issuer's CA, when clients do not already trust it: it becomes REGISTRY_CA_CERT. */
  caCertificate: certificates().optional(),
});

const TLS_MODES = ["none", "selfSigned", "provided", "certManager"] as const;

export const kubernetesTlsSettings = z
  .looseObject(
    { mode: oneOf(TLS_MODES) },
    { error: `must be an object with a mode (${TLS_MODES.join(", ")})` },
  )
  .pipe(z.discriminatedUnion("mode", [noTls, selfSignedTls, providedTls, certManagerTls]))
  .prefault({ mode: "none" });

export type KubernetesTlsSettings = z.output<typeof kubernetesTlsSettings>;

interface TlsContext {
  advertiseHost?: string;
  insecureRegistry: boolean;
  tls: KubernetesTlsSettings;
}

/** The address clients dial when advertiseHost is not set: nodes answer it with kube-proxy in iptables mode. */
export const DEFAULT_HOST = "127.0.0.1";

/** The names the server certificate must carry: advertiseHost, loopback names, serverNames. */
export function tlsServerNames(s: TlsContext): string[] {
  const advertised = s.advertiseHost ?? DEFAULT_HOST;
  const extra = "serverNames" in s.tls ? (s.tls.serverNames ?? []) : [];
  const loopback =
    isLoopback(advertised) || advertised === "localhost" ? ["127.0.0.1", "localhost"] : [];
  return [...new Set([advertised, ...loopback, ...extra])];
}

/** The rules that span tls and the rest of the settings. */
export function checkTls(
  s: TlsContext,
  issue: (path: (string | number)[], message: string, input: unknown) => void,
): void {
  const advertised = s.advertiseHost ?? DEFAULT_HOST;
  const local = isLoopback(advertised) || advertised === "localhost";
  if (s.tls.mode === "none" && !local && !s.insecureRegistry)
    issue(
      ["tls", "mode"],
      `must not be none when advertiseHost (${advertised}) is not a loopback address: the password would cross the network in clear and Docker refuses such a registry; set tls.mode to selfSigned, provided or certManager, or set insecureRegistry to true if every node's Docker and containerd list REGISTRY in insecure-registries`,
      "none",
    );
  if (s.tls.mode !== "none" && s.insecureRegistry)
    issue(["insecureRegistry"], "must be false when tls.mode is not none", true);
  if (s.tls.mode === "provided") checkProvided(s.tls, advertised, issue);
}

type ProvidedTls = z.output<typeof providedTls>;

/** Either PEMs (both halves, the key the certificate's, naming advertiseHost) or existingSecret. */
function checkProvided(
  t: ProvidedTls,
  advertised: string,
  issue: (path: (string | number)[], message: string, input: unknown) => void,
): void {
  const pems = t.certificate !== undefined || t.key !== undefined;
  if (pems && t.existingSecret !== undefined)
    return issue(
      ["tls", "existingSecret"],
      "must not be set with certificate and key: use one or the other",
      t.existingSecret,
    );
  if (!pems && t.existingSecret === undefined)
    return issue(
      ["tls", "certificate"],
      "is required (with key), or set existingSecret",
      undefined,
    );
  if (!pems) return;
  if (t.certificate === undefined || t.key === undefined)
    return issue(
      ["tls", t.key === undefined ? "key" : "certificate"],
      "is required with the other",
      undefined,
    );
  if (!providedKeyMatches(t.certificate, t.key))
    issue(
      ["tls", "key"],
      "does not match tls.certificate: the first certificate must be the server's own, issued for this key",
      undefined,
    );
  let cert: X509Certificate;
  try {
    cert = new X509Certificate((certificateBlocks(t.certificate) ?? [""])[0]);
  } catch {
    return; // the field's own rule says it does not parse
  }
  if (!(net.isIP(advertised) ? cert.checkIP(advertised) : cert.checkHost(advertised)))
    issue(
      ["tls", "certificate"],
      `must name ${advertised}, the host clients dial (advertiseHost), in its subject alternative names`,
      undefined,
    );
}
