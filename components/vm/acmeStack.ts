/**
 * tls.mode acme, as the VM's Compose stack deploys it: the deployed options of the
 * client script and of nginx's reloader (tests map only paths, ports and binaries),
 * and the bootstrap certificate nginx serves until the CA's is issued.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { acmePaths, type AcmeClientOptions, type NginxReloaderOptions } from "./acme";
import { IN_CONTAINER } from "./composeFile";
import type { AcmeTlsSettings } from "./settings";

/** Renew 30 days before expiry (Let's Encrypt's certificates last 90 days). */
export const RENEW_BEFORE_DAYS = 30;
/** The client checks twice a day: a failed renewal has about 60 more tries before expiry. */
export const CHECK_INTERVAL_SECONDS = 12 * 3600;
/** nginx picks up an installed certificate within a minute. */
export const RELOAD_CHECK_SECONDS = 60;

export function vmAcmeClientOptions(domain: string, t: AcmeTlsSettings): AcmeClientOptions {
  return {
    lego: IN_CONTAINER.legoBinary,
    dataDir: IN_CONTAINER.acmeClientData,
    domain,
    email: t.email,
    directoryUrl: t.directoryUrl,
    caBundlePath: t.caBundle !== undefined ? IN_CONTAINER.acmeCaBundle : undefined,
    eabKid: t.eab?.kid,
    bootstrapCertificate: IN_CONTAINER.acmeBootstrapCertificate,
    bootstrapKey: IN_CONTAINER.acmeBootstrapKey,
    // nginx's port-80 server on the Compose network.
    challengeServerUrl: `http://nginx:${IN_CONTAINER.httpPort}`,
    renewBeforeDays: RENEW_BEFORE_DAYS,
    checkIntervalSeconds: CHECK_INTERVAL_SECONDS,
  };
}

/** Where nginx reads the live certificate and the challenge webroot (the ACME volume, read-only). */
export function vmAcmeNginxPaths() {
  const p = acmePaths(IN_CONTAINER.acmeNginxData);
  return { certificatePath: p.liveCertificate, keyPath: p.liveKey, webroot: p.webroot };
}

export function vmNginxReloaderOptions(): NginxReloaderOptions {
  const p = vmAcmeNginxPaths();
  return {
    nginx: "nginx",
    certificatePath: p.certificatePath,
    keyPath: p.keyPath,
    intervalSeconds: RELOAD_CHECK_SECONDS,
  };
}

/**
 * A self-signed certificate for the domain, so nginx can start (and serve the HTTP-01
 * challenge on port 80) before the CA has issued one. Nothing trusts it: the deploy's
 * wait step passes only once the CA's certificate is served.
 */
export function createBootstrapCertificate(
  name: string,
  domain: string,
  opts: pulumi.CustomResourceOptions,
): { certificate: pulumi.Output<string>; key: pulumi.Output<string> } {
  const key = new tls.PrivateKey(
    `${name}-acme-bootstrap-key`,
    { algorithm: "ECDSA", ecdsaCurve: "P256" },
    opts,
  );
  const keyPem = pulumi.secret(key.privateKeyPem);
  const cert = new tls.SelfSignedCert(
    `${name}-acme-bootstrap-cert`,
    {
      privateKeyPem: keyPem,
      subject: { commonName: domain },
      dnsNames: [domain],
      validityPeriodHours: 24 * 365,
      allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
    },
    opts,
  );
  return { certificate: cert.certPem, key: keyPem };
}
