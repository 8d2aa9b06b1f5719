/**
 * `registry:vm:Registry`: a registry and nginx (TLS) run by Docker Compose on one
 * machine — an existing host reached over SSH, or a Compute Engine VM created here.
 * The bundle (compose file, config.yml, htpasswd, env file, nginx.conf, certificate)
 * is copied over SSH and started with `docker compose up`, again only when its
 * content changes; the deploy then waits until https://<address>/v2/ answers 401.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  type GeneratedFile,
  type RegistryBackend,
  type RegistryEndpoint,
} from "../shared/contract";
import { createCredentials, selfHostedEndpoint } from "../shared/credentials";
import { createSelfSignedTls } from "../shared/selfSignedTls";
import { hostWithPort } from "../shared/hostPort";
import { createBootstrapCertificate } from "./acmeStack";
import { bundleFiles, type ServerTls } from "./bundle";
import { deliver, waitForRegistry } from "./delivery";
import { createGceHost, reserveGceAddress } from "./gceHost";
import { existingHost } from "./host";
import type { VmSettings } from "./settings";

export interface VmRegistryArgs {
  settings: VmSettings;
}

export class VmRegistry extends pulumi.ComponentResource implements RegistryBackend {
  readonly endpoint: RegistryEndpoint;
  readonly files: GeneratedFile[];

  constructor(name: string, args: VmRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("registry:vm:Registry", name, {}, opts);
    const s = args.settings;
    const credentials = createCredentials(name, s.auth, { parent: this });

    // A GCP VM's address is reserved first: the certificate may have to name it.
    const address =
      s.host.mode === "gcp" ? reserveGceAddress(name, s.host, this) : pulumi.output(s.host.address);
    const publicName = pulumi.output(s.domain ?? address);
    const serverTls = this.serverTls(name, s, publicName);
    const host =
      s.host.mode === "gcp" ? createGceHost(name, s, s.host, address, this) : existingHost(s.host);

    const bundle = bundleFiles(s, credentials, serverTls);
    const delivery = deliver(name, s, host, bundle, this);
    waitForRegistry(name, s, host, publicName, serverTls.caCert, delivery, this);

    const registry = publicName.apply((n) => hostWithPort(n, s.httpsPort));
    this.endpoint = selfHostedEndpoint({
      registry,
      credentials,
      caCert: serverTls.caCert,
      extra: { VM_ADDRESS: host.address, VM_SSH_USER: pulumi.output(host.sshUser) },
      // nginx always terminates TLS in front of the VM's registry.
      mirror: s.proxy && { https: true },
    });
    this.files = [
      ...bundle.map((f): GeneratedFile => ({ path: `vm/${f.path}`, text: f.content })),
      ...(host.cloudInit ? [{ path: "vm/cloud-init.yaml", text: host.cloudInit }] : []),
    ];
    this.registerOutputs({
      registry: this.endpoint.registry,
      username: this.endpoint.username,
      password: this.endpoint.password,
      caCert: this.endpoint.caCert,
      address: host.address,
    });
  }

  // ---- TLS ---------------------------------------------------------------------------

  /** selfSigned: a CA and a server certificate signed by it; provided: from config. */
  private serverTls(name: string, s: VmSettings, publicName: pulumi.Output<string>): ServerTls {
    if (s.tls.mode === "acme")
      // The settings require a domain. A publicly trusted certificate: clients need no CA.
      return {
        ...createBootstrapCertificate(name, s.domain ?? "", { parent: this }),
        caCert: pulumi.output(""),
      };
    if (s.tls.mode === "provided")
      return {
        certificate: pulumi.output(s.tls.certificate),
        key: pulumi.secret(s.tls.key),
        caCert: pulumi.output(s.tls.caCertificate ?? ""),
      };
    // A renewed server certificate changes the bundle hash: compose up runs again and
    // reloads nginx, which then serves it.
    const certificates = createSelfSignedTls(
      name,
      {
        serverNames: publicName.apply((n) => [n]),
        caCommonName: `registry CA (${pulumi.getStack()})`,
      },
      { parent: this },
    );
    return {
      certificate: certificates.certificatePem,
      key: certificates.privateKeyPem,
      caCert: certificates.caCertPem,
    };
  }
}
