/**
 * `registry:docker:TlsProxy`: nginx terminating TLS in front of the registry
 * container, with a self-signed CA made here (clients trust it through
 * REGISTRY_CA_CERT, e.g. /etc/docker/certs.d/<host:port>/ca.crt). The nginx.conf is
 * the VM backend's renderer: one description of the proxy for both backends.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { createSelfSignedTls } from "../shared/selfSignedTls";
import { renderNginxConfig } from "../shared/nginxConfig";
import { NGINX_PATHS, REGISTRY_DATA_DIR, nginxHealthcheck, type DockerRegistryPlan } from "./plan";

export interface DockerTlsProxyArgs {
  plan: NonNullable<DockerRegistryPlan["tls"]>;
  nginxImage: string;
  /** The private network the registry container is on. */
  network: pulumi.Input<string>;
  restartPolicy: string;
  logOpts: Record<string, string>;
  /**
   * The registry container's id: nginx starts once it answers, and is replaced with it
   * (nginx resolves the upstream's address once, at start).
   */
  registryContainerId: pulumi.Input<string>;
  /** Filesystem storage: the registry's data volume, mounted read-only (nginx sends blobs from it). */
  dataVolume?: pulumi.Input<string>;
}

export class DockerTlsProxy extends pulumi.ComponentResource {
  /** The CA's certificate (PEM), for REGISTRY_CA_CERT. */
  readonly caCertPem: pulumi.Output<string>;
  /** The nginx.conf as uploaded. */
  readonly nginxConf: string;

  constructor(name: string, args: DockerTlsProxyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("registry:docker:TlsProxy", name, {}, opts);
    const child = { parent: this };
    const { plan } = args;

    // A renewed server certificate changes the uploads: the nginx container is replaced
    // and starts with it.
    const certificates = createSelfSignedTls(
      name,
      { serverNames: plan.serverNames, caCommonName: "registry local CA" },
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
        volumes: args.dataVolume
          ? [{ volumeName: args.dataVolume, containerPath: REGISTRY_DATA_DIR, readOnly: true }]
          : undefined,
        // nginx resolves `upstream` once, at start: a replaced registry container gets a
        // new address and nginx would answer 502 until restarted. This label replaces
        // nginx with it. (Per-request DNS through Docker's 127.0.0.11 would need a variable
        // in proxy_pass, which gives up the upstream block's keepalive connections.)
        labels: [{ label: "registry.upstream-container-id", value: args.registryContainerId }],
        uploads: [
          { file: NGINX_PATHS.config, content: this.nginxConf, permissions: "0644" },
          {
            file: NGINX_PATHS.certificate,
            content: certificates.certificatePem,
            permissions: "0644",
          },
          {
            file: NGINX_PATHS.key,
            content: certificates.privateKeyPem,
            permissions: "0600",
          },
        ],
        healthcheck: nginxHealthcheck(),
        logDriver: "json-file",
        logOpts: args.logOpts,
        wait: true,
        waitTimeout: 60,
      },
      {
        ...child,
        // Fixed name and host port: the old container goes before the new one starts.
        deleteBeforeReplace: true,
        replaceOnChanges: ["labels"],
        additionalSecretOutputs: ["uploads"],
      },
    );

    this.caCertPem = certificates.caCertPem;
    this.registerOutputs({ caCertPem: this.caCertPem, container: nginx.name });
  }
}
