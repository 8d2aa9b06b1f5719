/**
 * `registry:docker:TlsProxy`: nginx terminating TLS in front of the registry
 * container, with a self-signed CA made here (clients trust it through
 * REGISTRY_CA_CERT, e.g. /etc/docker/certs.d/<host:port>/ca.crt). The nginx.conf is
 * the VM backend's renderer: one description of the proxy for both backends.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { renderNginxConfig } from "../vm/nginxConfig";
import { NGINX_PATHS, nginxHealthcheck, type DockerRegistryPlan } from "./plan";

export interface DockerTlsProxyArgs {
  plan: NonNullable<DockerRegistryPlan["tls"]>;
  nginxImage: string;
  /** The private network the registry container is on. */
  network: pulumi.Input<string>;
  restartPolicy: string;
  logOpts: Record<string, string>;
  /** The registry container: nginx starts once it answers. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** The CA lives long (clients install it once); the server certificate is renewed by `pulumi up`. */
const CA_VALIDITY_HOURS = 10 * 365 * 24;
const SERVER_VALIDITY_HOURS = 365 * 24;
const SERVER_EARLY_RENEWAL_HOURS = 30 * 24;

export class DockerTlsProxy extends pulumi.ComponentResource {
  /** The CA's certificate (PEM), for REGISTRY_CA_CERT. */
  readonly caCertPem: pulumi.Output<string>;
  /** The nginx.conf as uploaded. */
  readonly nginxConf: string;

  constructor(name: string, args: DockerTlsProxyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("registry:docker:TlsProxy", name, {}, opts);
    const child = { parent: this };
    const { plan } = args;

    const caKey = new tls.PrivateKey(
      `${name}-ca-key`,
      { algorithm: "ECDSA", ecdsaCurve: "P256" },
      child,
    );
    const ca = new tls.SelfSignedCert(
      `${name}-ca`,
      {
        privateKeyPem: caKey.privateKeyPem,
        isCaCertificate: true,
        subject: { commonName: "registry local CA", organization: "registry" },
        validityPeriodHours: CA_VALIDITY_HOURS,
        allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
      },
      child,
    );
    const serverKey = new tls.PrivateKey(
      `${name}-server-key`,
      { algorithm: "ECDSA", ecdsaCurve: "P256" },
      child,
    );
    const csr = new tls.CertRequest(
      `${name}-server-csr`,
      {
        privateKeyPem: serverKey.privateKeyPem,
        subject: { commonName: plan.serverNames[0] },
        dnsNames: plan.dnsNames,
        ipAddresses: plan.ipAddresses,
      },
      child,
    );
    const serverCert = new tls.LocallySignedCert(
      `${name}-server-cert`,
      {
        certRequestPem: csr.certRequestPem,
        caPrivateKeyPem: caKey.privateKeyPem,
        caCertPem: ca.certPem,
        validityPeriodHours: SERVER_VALIDITY_HOURS,
        earlyRenewalHours: SERVER_EARLY_RENEWAL_HOURS,
        allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
      },
      child,
    );

    this.nginxConf = renderNginxConfig(plan.nginx);
    const nginxImage = new docker.RemoteImage(
      `${name}-nginx-image`,
      { name: args.nginxImage, keepLocally: true },
      child,
    );
    const nginx = new docker.Container(
      `${name}-nginx`,
      {
        name: plan.nginxContainerName,
        image: nginxImage.imageId,
        restart: args.restartPolicy,
        ports: plan.nginxPorts,
        networksAdvanced: [{ name: args.network }],
        uploads: [
          { file: NGINX_PATHS.config, content: this.nginxConf, permissions: "0644" },
          { file: NGINX_PATHS.certificate, content: serverCert.certPem, permissions: "0644" },
          {
            file: NGINX_PATHS.key,
            content: pulumi.secret(serverKey.privateKeyPem),
            permissions: "0600",
          },
        ],
        healthcheck: nginxHealthcheck(),
        logDriver: "json-file",
        logOpts: args.logOpts,
        wait: true,
        waitTimeout: 60,
      },
      { ...child, dependsOn: args.dependsOn, additionalSecretOutputs: ["uploads"] },
    );

    this.caCertPem = ca.certPem;
    this.registerOutputs({ caCertPem: this.caCertPem, container: nginx.name });
  }
}
