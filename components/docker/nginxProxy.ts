/**
 * nginx in front of the registry container. With TLS (`registry:docker:TlsProxy`) it
 * terminates TLS with a self-signed CA made here (clients trust it through
 * REGISTRY_CA_CERT, e.g. /etc/docker/certs.d/<host:port>/ca.crt). Without TLS
 * (`registry:docker:NginxProxy`) it is there only for the pull-only guard, on plain HTTP.
 * The nginx.conf is the shared renderer: one description of the proxy for both backends.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { createSelfSignedTls } from "../shared/selfSignedTls";
import { renderNginxConfig } from "../shared/nginxConfig";
import { NGINX_PATHS, REGISTRY_DATA_DIR, nginxHealthcheck, type DockerRegistryPlan } from "./plan";

export interface DockerNginxProxyArgs {
  plan: NonNullable<DockerRegistryPlan["proxy"]>;
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

export class DockerNginxProxy extends pulumi.ComponentResource {
  /** The CA's certificate (PEM), for REGISTRY_CA_CERT; "" without TLS. */
  readonly caCertPem: pulumi.Output<string>;
  /** The nginx.conf as uploaded. */
  readonly nginxConf: string;

  constructor(name: string, args: DockerNginxProxyArgs, opts?: pulumi.ComponentResourceOptions) {
    // The TLS proxy keeps the type it always had, so existing stacks' URNs do not move.
    const type = args.plan.serverNames ? "registry:docker:TlsProxy" : "registry:docker:NginxProxy";
    super(type, name, {}, opts);
    const child = { parent: this };
    const { plan } = args;

    // A renewed server certificate changes the uploads: the nginx container is replaced
    // and starts with it.
    const certificates = plan.serverNames
      ? createSelfSignedTls(
          name,
          { serverNames: plan.serverNames, caCommonName: "registry local CA" },
          child,
        )
      : undefined;

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
          ...(certificates
            ? [
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
              ]
            : []),
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

    this.caCertPem = certificates?.caCertPem ?? pulumi.output("");
    this.registerOutputs({ caCertPem: this.caCertPem, container: nginx.name });
  }
}
