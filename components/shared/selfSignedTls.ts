/**
 * A private CA and a server certificate signed by it (@pulumi/tls), for the backends
 * that terminate TLS themselves (VM, and Docker with TLS on). Clients trust the CA
 * through REGISTRY_CA_CERT (e.g. /etc/docker/certs.d/<host:port>/ca.crt).
 *
 * One rule for every self-signed backend: the CA lives long, because every client
 * installs it; the server certificate is short and renewed early, by the first
 * `pulumi up` in its last 30 days (the provider reports `readyForRenewal` and the
 * engine replaces it). A renewal changes neither the CA nor REGISTRY_CA_CERT.
 */
import * as net from "node:net";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

export const SELF_SIGNED_LIFETIMES = {
  /** 10 years: clients trust it once. */
  caValidityHours: 10 * 365 * 24,
  /** 90 days. */
  serverValidityHours: 90 * 24,
  /** Renewed at the first `pulumi up` in its last 30 days. */
  serverEarlyRenewalHours: 30 * 24,
} as const;

export interface SelfSignedTlsArgs {
  /** The names clients dial (DNS names and IP addresses); the first is the common name. */
  serverNames: pulumi.Input<string[]>;
  caCommonName: pulumi.Input<string>;
}

export interface SelfSignedTls {
  caCertPem: pulumi.Output<string>;
  certificatePem: pulumi.Output<string>;
  /** Secret. */
  privateKeyPem: pulumi.Output<string>;
}

/** Clients check the subject alternative names: DNS names and IPs go in different fields. */
export function splitServerNames(names: string[]): { dnsNames: string[]; ipAddresses: string[] } {
  const isIp = (n: string) => net.isIP(n) !== 0;
  return { dnsNames: names.filter((n) => !isIp(n)), ipAddresses: names.filter(isIp) };
}

export function createSelfSignedTls(
  name: string,
  args: SelfSignedTlsArgs,
  opts: pulumi.CustomResourceOptions,
): SelfSignedTls {
  const keyArgs = { algorithm: "ECDSA", ecdsaCurve: "P256" };
  const caKey = new tls.PrivateKey(`${name}-ca-key`, keyArgs, opts);
  const caPrivateKeyPem = pulumi.secret(caKey.privateKeyPem);
  const ca = new tls.SelfSignedCert(
    `${name}-ca`,
    {
      privateKeyPem: caPrivateKeyPem,
      isCaCertificate: true,
      subject: { commonName: args.caCommonName, organization: "registry" },
      validityPeriodHours: SELF_SIGNED_LIFETIMES.caValidityHours,
      allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
    },
    opts,
  );
  const serverKey = new tls.PrivateKey(`${name}-server-key`, keyArgs, opts);
  const serverPrivateKeyPem = pulumi.secret(serverKey.privateKeyPem);
  const names = pulumi.output(args.serverNames);
  const request = new tls.CertRequest(
    `${name}-server-csr`,
    {
      privateKeyPem: serverPrivateKeyPem,
      // A common name is at most 64 characters; the SANs are what clients check.
      subject: { commonName: names.apply((n) => (n[0].length <= 64 ? n[0] : "registry")) },
      dnsNames: names.apply((n) => splitServerNames(n).dnsNames),
      ipAddresses: names.apply((n) => splitServerNames(n).ipAddresses),
    },
    opts,
  );
  const server = new tls.LocallySignedCert(
    `${name}-server-cert`,
    {
      certRequestPem: request.certRequestPem,
      caPrivateKeyPem,
      caCertPem: ca.certPem,
      validityPeriodHours: SELF_SIGNED_LIFETIMES.serverValidityHours,
      earlyRenewalHours: SELF_SIGNED_LIFETIMES.serverEarlyRenewalHours,
      allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
    },
    opts,
  );
  return {
    caCertPem: ca.certPem,
    certificatePem: server.certPem,
    privateKeyPem: serverPrivateKeyPem,
  };
}
