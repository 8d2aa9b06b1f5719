/**
 * `registry:vm:Registry`: a registry and nginx (TLS) run by Docker Compose on one
 * machine — an existing host reached over SSH, or a Compute Engine VM created here.
 * The bundle (compose file, config.yml, htpasswd, env file, nginx.conf, certificate)
 * is copied over SSH and started with `docker compose up`, again only when its
 * content changes; the deploy then waits until https://<address>/v2/ answers 401.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import * as tls from "@pulumi/tls";
import { local, remote, types } from "@pulumi/command";
import type { GeneratedFile, RegistryBackend, RegistryEndpoint } from "../shared/contract";
import { createCredentials, type RegistryCredentials } from "../shared/credentials";
import { registryConfigPath, renderRegistryConfig } from "../shared/registryConfig";
import { selfHostedConfigSpec, selfHostedSecretEnv } from "../shared/selfHostedConfig";
import { createSelfSignedTls } from "../shared/selfSignedTls";
import { renderCloudInit } from "./cloudInit";
import {
  BUNDLE,
  IN_CONTAINER,
  renderComposeFile,
  renderEnvFile,
  type AcmeServiceOptions,
  type RegistryData,
} from "./composeFile";
import { renderAcmeClientScript, renderNginxReloader } from "./acme";
import {
  createBootstrapCertificate,
  vmAcmeClientOptions,
  vmAcmeNginxPaths,
  vmNginxReloaderOptions,
} from "./acmeStack";
import { renderNginxConfig, type NginxConfigOptions } from "../shared/nginxConfig";
import {
  renderComposeDownCommand,
  renderComposeUpCommand,
  renderGrowDataCommand,
  renderPrepareCommand,
  renderWaitScript,
} from "./scripts";
import type { ExistingHostSettings, GcpHostSettings, VmSettings } from "./settings";
import { hostWithPort } from "../shared/hostPort";

export interface VmRegistryArgs {
  settings: VmSettings;
}

/** Where the GCP VM mounts its data disk (the registry's /var/lib/registry). */
export const DATA_MOUNT_POINT = "/mnt/registry-data";
/** The data disk's device name: the guest sees /dev/disk/by-id/google-<name>. */
export const DATA_DEVICE_NAME = "registry-data";
/** Where the guest sees the data disk (Compute Engine names it by its device name). */
const DATA_DEVICE_PATH = `/dev/disk/by-id/google-${DATA_DEVICE_NAME}`;
/** Bundle files only some configurations have (the compose-up step removes them otherwise). */
const OPTIONAL_BUNDLE_FILES = [BUNDLE.gcsKey, BUNDLE.acmeCaBundle, BUNDLE.acmeEnv];
/** The named volume on an existing host. */
export const DATA_VOLUME = "registry-data";
/** tls.mode acme: the named volume of the ACME account, certificates and challenge webroot. */
export const ACME_VOLUME = "registry-acme";

/** The nginx.conf options of the deployed stack (tests map only ports and paths). */
export function vmNginxOptions(
  s: Pick<VmSettings, "domain" | "httpsPort" | "httpRedirectPort"> & {
    tls?: Pick<VmSettings["tls"], "mode">;
  },
): NginxConfigOptions {
  if (s.tls?.mode === "acme") {
    // The live certificate on the ACME volume; port 80 serves the HTTP-01 challenge.
    const acme = vmAcmeNginxPaths();
    return {
      ...vmNginxOptions({ ...s, tls: undefined, httpRedirectPort: IN_CONTAINER.httpPort }),
      certificatePath: acme.certificatePath,
      keyPath: acme.keyPath,
      acmeChallengeRoot: acme.webroot,
    };
  }
  return {
    upstream: IN_CONTAINER.registryUpstream,
    listenPort: IN_CONTAINER.httpsPort,
    serverName: s.domain,
    publicHttpsPort: s.httpsPort,
    certificatePath: IN_CONTAINER.certificate,
    keyPath: IN_CONTAINER.key,
    httpRedirectPort: s.httpRedirectPort === undefined ? undefined : IN_CONTAINER.httpPort,
    healthListen: IN_CONTAINER.nginxHealth,
    // The official image's user; its log files are links to the container's stdout/stderr.
    user: "nginx",
    pidPath: "/var/run/nginx.pid",
    errorLogPath: "/var/log/nginx/error.log",
    accessLogPath: "/var/log/nginx/access.log",
  };
}

/** One file of the bundle: its path under the bundle directory and its content. */
interface BundleFile {
  path: string;
  content: pulumi.Output<string>;
  secret: boolean;
}

/** The machine the stack runs on, as the rest of the component needs it. */
interface VmHost {
  /** Where SSH (and the wait step) reach it: an IP or DNS name. */
  address: pulumi.Output<string>;
  /** The private key is a secret (and @pulumi/command keeps the whole connection secret). */
  connection: types.input.remote.ConnectionArgs;
  sshUser: string;
  /** Resources the first SSH session must wait for (the VM). */
  ready: pulumi.Resource[];
  /** Set when the component creates the VM. */
  cloudInit?: pulumi.Output<string>;
  /** Set when the component creates the data disk: its filesystem follows its size. */
  dataDisk?: { disk: gcp.compute.Disk; device: string; sizeGb: number };
}

interface Delivery {
  composeUp: remote.Command;
  /** Secret (it is computed from secret files). */
  bundleHash: pulumi.Output<string>;
}

interface ServerTls {
  certificate: pulumi.Output<string>;
  /** Secret. */
  key: pulumi.Output<string>;
  /** PEM clients trust, or "". */
  caCert: pulumi.Output<string>;
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
      s.host.mode === "gcp" ? this.reserveAddress(name, s.host) : pulumi.output(s.host.address);
    const publicName = pulumi.output(s.domain ?? address);
    const serverTls = this.serverTls(name, s, publicName);
    const host =
      s.host.mode === "gcp"
        ? this.createGcpHost(name, s, s.host, address)
        : this.existingHost(s.host);

    const bundle = this.bundleFiles(s, credentials, serverTls);
    const delivery = this.deliver(name, s, host, bundle);
    this.waitForRegistry(name, s, host, publicName, serverTls.caCert, delivery);

    this.endpoint = {
      registry: publicName.apply((n) => hostWithPort(n, s.httpsPort)),
      username: pulumi.output(credentials.username),
      password: credentials.password,
      caCert: serverTls.caCert,
      extra: { VM_ADDRESS: host.address, VM_SSH_USER: pulumi.output(host.sshUser) },
    };
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

  // ---- the host ----------------------------------------------------------------------

  private existingHost(h: ExistingHostSettings): VmHost {
    return {
      address: pulumi.output(h.address),
      connection: {
        host: h.address,
        port: h.port,
        user: h.user,
        privateKey: pulumi.secret(h.privateKey),
        ...(h.hostKey ? { hostKey: h.hostKey } : {}),
      },
      sshUser: h.user,
      ready: [],
    };
  }

  private reserveAddress(name: string, h: GcpHostSettings): pulumi.Output<string> {
    return new gcp.compute.Address(
      `${name}-address`,
      {
        project: h.project,
        region: h.zone.replace(/-[a-z]$/, ""),
        addressType: "EXTERNAL",
        description: "The registry VM's static external IP",
        labels: h.labels,
      },
      { parent: this },
    ).address;
  }

  /** A Compute Engine VM: static IP, firewall (HTTPS, SSH from the deployer), data disk, cloud-init. */
  private createGcpHost(
    name: string,
    s: VmSettings,
    h: GcpHostSettings,
    address: pulumi.Output<string>,
  ): VmHost {
    const child = { parent: this };
    const tag = `${name}-${pulumi.getStack()}`
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, "-")
      .slice(0, 63)
      .replace(/-+$/, "");

    const acme = s.tls.mode === "acme";
    const publicPorts = [
      String(s.httpsPort),
      ...(s.httpRedirectPort && !acme ? [String(s.httpRedirectPort)] : []),
    ];
    new gcp.compute.Firewall(
      `${name}-https`,
      {
        project: h.project,
        network: h.network,
        direction: "INGRESS",
        description: "Clients to the registry (nginx, TLS)",
        sourceRanges: h.httpsSourceRanges,
        targetTags: [tag],
        allows: [{ protocol: "tcp", ports: publicPorts }],
      },
      child,
    );
    if (acme)
      new gcp.compute.Firewall(
        `${name}-acme-http`,
        {
          project: h.project,
          network: h.network,
          direction: "INGRESS",
          description: "The ACME CA's HTTP-01 validation (from anywhere) and the redirect to HTTPS",
          sourceRanges: ["0.0.0.0/0"],
          targetTags: [tag],
          allows: [{ protocol: "tcp", ports: [String(IN_CONTAINER.httpPort)] }],
        },
        child,
      );
    new gcp.compute.Firewall(
      `${name}-ssh`,
      {
        project: h.project,
        network: h.network,
        direction: "INGRESS",
        description: "The deployer's SSH (bundle copy, docker compose)",
        sourceRanges: h.sshSourceRanges,
        targetTags: [tag],
        allows: [{ protocol: "tcp", ports: ["22"] }],
      },
      child,
    );

    // The images live on their own disk: it outlives the VM (and, by default, the stack).
    const dataDisk = new gcp.compute.Disk(
      `${name}-data`,
      {
        project: h.project,
        zone: h.zone,
        size: h.dataDiskSizeGb,
        type: h.dataDiskType,
        labels: h.labels,
      },
      { parent: this, retainOnDelete: s.keepDataOnDestroy },
    );

    let sshPublicKey: pulumi.Output<string>;
    let sshPrivateKey: pulumi.Output<string>;
    if (h.sshPublicKey !== undefined && h.sshPrivateKey !== undefined) {
      sshPublicKey = pulumi.output(h.sshPublicKey);
      sshPrivateKey = pulumi.secret(h.sshPrivateKey);
    } else {
      const key = new tls.PrivateKey(`${name}-ssh-key`, { algorithm: "ED25519" }, child);
      sshPublicKey = key.publicKeyOpenssh.apply((k) => k.trim());
      sshPrivateKey = pulumi.secret(key.privateKeyOpenssh);
    }

    const cloudInit = sshPublicKey.apply((key) =>
      renderCloudInit({
        dataDevice: DATA_DEVICE_PATH,
        dataMountPoint: DATA_MOUNT_POINT,
        bundleDir: s.remoteDir,
        sshUser: h.sshUser,
        sshPublicKey: key,
      }),
    );

    const instance = new gcp.compute.Instance(
      `${name}-vm`,
      {
        project: h.project,
        zone: h.zone,
        machineType: h.machineType,
        tags: [tag],
        labels: h.labels,
        bootDisk: {
          autoDelete: true,
          initializeParams: { image: h.image, size: h.bootDiskSizeGb },
        },
        attachedDisks: [{ source: dataDisk.selfLink, deviceName: DATA_DEVICE_NAME }],
        networkInterfaces: [{ network: h.network, accessConfigs: [{ natIp: address }] }],
        metadata: {
          "user-data": cloudInit,
          // Only the key above logs in: not the project's keys.
          "block-project-ssh-keys": "true",
        },
        ...(h.serviceAccountEmail
          ? { serviceAccount: { email: h.serviceAccountEmail, scopes: ["cloud-platform"] } }
          : {}),
        shieldedInstanceConfig: {
          enableSecureBoot: true,
          enableVtpm: true,
          enableIntegrityMonitoring: true,
        },
        allowStoppingForUpdate: true,
      },
      child,
    );

    return {
      address,
      connection: {
        host: address,
        user: h.sshUser,
        privateKey: sshPrivateKey,
        // A new VM takes a minute or two to boot and start sshd.
        dialErrorLimit: 40,
        perDialTimeout: 15,
      },
      sshUser: h.sshUser,
      ready: [instance],
      cloudInit,
      dataDisk: { disk: dataDisk, device: DATA_DEVICE_PATH, sizeGb: h.dataDiskSizeGb },
    };
  }

  // ---- the bundle --------------------------------------------------------------------

  private bundleFiles(
    s: VmSettings,
    credentials: RegistryCredentials,
    serverTls: ServerTls,
  ): BundleFile[] {
    const gcsKeyJson = s.storage.driver === "gcs" ? s.storage.gcs?.keyJson : undefined;
    const data: RegistryData =
      s.storage.driver !== "filesystem"
        ? { kind: "none" }
        : s.host.mode === "gcp"
          ? { kind: "hostPath", path: DATA_MOUNT_POINT }
          : { kind: "volume", name: DATA_VOLUME };

    const envFile = selfHostedSecretEnv(s, credentials.httpSecret).apply(renderEnvFile);

    const plain = (path: string, content: pulumi.Input<string>): BundleFile => ({
      path,
      content: pulumi.output(content),
      secret: false,
    });
    const secretFile = (path: string, content: pulumi.Input<string>): BundleFile => ({
      path,
      content: pulumi.secret(content),
      secret: true,
    });

    const files: BundleFile[] = [
      plain(
        BUNDLE.registryConfig,
        renderRegistryConfig(
          selfHostedConfigSpec(s, {
            listenAddress: IN_CONTAINER.registryListen,
            dataDir: IN_CONTAINER.data,
            htpasswdPath: IN_CONTAINER.htpasswd,
            gcsKeyPath: IN_CONTAINER.gcsKey,
          }),
        ),
      ),
      secretFile(BUNDLE.htpasswd, credentials.htpasswd),
      secretFile(BUNDLE.env, envFile),
      plain(BUNDLE.nginxConfig, renderNginxConfig(vmNginxOptions(s))),
      // The leaf, then any intermediates (a provided chain as given); acme: the bootstrap one.
      plain(
        BUNDLE.certificate,
        serverTls.certificate.apply((pem) => `${pem.trim()}\n`),
      ),
      secretFile(
        BUNDLE.key,
        serverTls.key.apply((pem) => `${pem.trim()}\n`),
      ),
      ...(gcsKeyJson !== undefined ? [secretFile(BUNDLE.gcsKey, gcsKeyJson)] : []),
      ...(s.tls.mode === "acme" && s.tls.caBundle !== undefined
        ? [plain(BUNDLE.acmeCaBundle, `${s.tls.caBundle.trim()}\n`)]
        : []),
      ...(s.tls.mode === "acme" && s.tls.eab !== undefined
        ? [
            secretFile(
              BUNDLE.acmeEnv,
              s.tls.eab.hmacKey.apply((k) => renderEnvFile({ ACME_EAB_HMAC: k })),
            ),
          ]
        : []),
    ];

    // The services carry a digest of each file they read, so a change to one recreates
    // its container. A SHA-256 of a bcrypt file or a private key reveals neither (as the
    // Kubernetes pod checksum), so the compose file stays plain and readable in a diff.
    const fileHashes = pulumi.unsecret(
      pulumi.all(
        files.map((f) =>
          f.content.apply((c) => [f.path, createHash("sha256").update(c).digest("hex")] as const),
        ),
      ),
    );
    const compose = fileHashes.apply((hashes) =>
      renderComposeFile({
        registryImage: s.image,
        registryConfigPath: registryConfigPath(s.image),
        nginxImage: s.nginxImage,
        httpsPort: s.httpsPort,
        httpRedirectPort: s.tls.mode === "acme" ? IN_CONTAINER.httpPort : s.httpRedirectPort,
        data,
        htpasswd: true,
        gcsKey: gcsKeyJson !== undefined,
        fileHashes: Object.fromEntries(hashes),
        acme: this.acmeService(s),
      }),
    );
    return [plain(BUNDLE.compose, compose), ...files];
  }

  /** tls.mode acme: the ACME client service; its state lives beside the registry's data. */
  private acmeService(s: VmSettings): AcmeServiceOptions | undefined {
    if (s.tls.mode !== "acme" || s.domain === undefined) return undefined;
    return {
      image: s.legoImage,
      clientScript: renderAcmeClientScript(vmAcmeClientOptions(s.domain, s.tls)),
      nginxScript: renderNginxReloader(vmNginxReloaderOptions()),
      // On the GCP data disk, which outlives the VM (a re-issue on every new VM would run
      // into the CA's duplicate-certificate limit); else a named volume of its own.
      state:
        s.host.mode === "gcp"
          ? { kind: "hostPath", path: `${DATA_MOUNT_POINT}/acme` }
          : { kind: "volume", name: ACME_VOLUME },
      caBundle: s.tls.caBundle !== undefined,
      eabEnv: s.tls.eab !== undefined,
    };
  }

  // ---- delivery ----------------------------------------------------------------------

  /** Copies the bundle over SSH and runs `docker compose up`. */
  private deliver(name: string, s: VmSettings, host: VmHost, bundle: BundleFile[]): Delivery {
    const prepare = new remote.Command(
      `${name}-prepare-host`,
      {
        connection: host.connection,
        create: renderPrepareCommand({
          remoteDir: s.remoteDir,
          subDirs: [
            ...new Set(bundle.map((f) => f.path.split("/").slice(0, -1).join("/")).filter(Boolean)),
          ],
          waitForCloudInit: s.host.mode === "gcp",
        }),
        addPreviousOutputInEnv: false,
      },
      { parent: this, dependsOn: host.ready },
    );

    if (host.dataDisk) {
      const d = host.dataDisk;
      new remote.Command(
        `${name}-grow-data`,
        {
          connection: host.connection,
          create: renderGrowDataCommand({ device: d.device, sizeGb: d.sizeGb }),
          addPreviousOutputInEnv: false,
        },
        { parent: this, dependsOn: [prepare, d.disk] },
      );
    }

    const copies = bundle.map(
      (f) =>
        new remote.CopyToRemote(
          `${name}-copy-${f.path.replace(/[^A-Za-z0-9]+/g, "-")}`,
          {
            connection: host.connection,
            source: f.content.apply((text) => new pulumi.asset.StringAsset(text)),
            remotePath: `${s.remoteDir}/${f.path}`,
          },
          { parent: this, dependsOn: [prepare] },
        ),
    );

    // The bundle's content, hashed: `compose up` runs again exactly when it changes.
    const bundleHash = pulumi
      .all(bundle.map((f) => f.content.apply((c) => `${f.path}\0${c}\0`)))
      .apply((parts) => createHash("sha256").update(parts.join("")).digest("hex"));

    const upScript = renderComposeUpCommand({
      remoteDir: s.remoteDir,
      secretFiles: bundle.filter((f) => f.secret).map((f) => f.path),
      unusedFiles: OPTIONAL_BUNDLE_FILES.filter((p) => !bundle.some((f) => f.path === p)),
    });
    // The bundle's hash rides in the script's text, not in `triggers`: a changed
    // trigger replaces the command, and a replacement runs the old resource's `down`
    // after the new `up`, stopping the stack it just started. A changed text is an
    // update, which runs `update` (pulumi-command), on the stack that is up.
    // The hash is not a secret: the bundle holds the 32-character generated http.secret,
    // so no guess of the other secrets in it can be checked against the hash. Left
    // plain, a preview shows the script.
    const up = pulumi.unsecret(bundleHash).apply((hash) => `${upScript}# bundle sha256 ${hash}\n`);
    const composeUp = new remote.Command(
      `${name}-compose-up`,
      {
        connection: host.connection,
        create: up,
        update: up,
        delete: renderComposeDownCommand({
          remoteDir: s.remoteDir,
          removeVolumes: !s.keepDataOnDestroy,
          files: bundle.map((f) => f.path),
        }),
        addPreviousOutputInEnv: false,
      },
      { parent: this, dependsOn: copies },
    );
    return { composeUp, bundleHash };
  }

  /** Fails the update unless https://<address>/v2/ answers 401 within waitTimeoutSeconds. */
  private waitForRegistry(
    name: string,
    s: VmSettings,
    host: VmHost,
    publicName: pulumi.Output<string>,
    caCert: pulumi.Output<string>,
    delivery: Delivery,
  ): local.Command {
    const url = publicName.apply((n) => `https://${hostWithPort(n, s.httpsPort)}/v2/`);
    // Dial the host itself even when the domain's DNS does not point at it yet.
    const connectTo = pulumi
      .all([publicName, host.address])
      .apply(([n, a]) =>
        n === a
          ? ""
          : `${hostWithPort(n, s.httpsPort, true)}:${hostWithPort(a, s.httpsPort, true)}`,
      );
    return new local.Command(
      `${name}-wait-for-registry`,
      {
        create: renderWaitScript({
          hint: `On the host: cd ${s.remoteDir} && sudo docker compose -p registry ps && sudo docker compose -p registry logs`,
        }),
        environment: {
          REGISTRY_URL: url,
          REGISTRY_CONNECT_TO: connectTo,
          REGISTRY_CA_CERT: caCert,
          WAIT_TIMEOUT_SECONDS: String(s.waitTimeoutSeconds),
        },
        // Again whenever the stack was (re)started.
        triggers: [delivery.bundleHash],
        addPreviousOutputInEnv: false,
      },
      { parent: this, dependsOn: [delivery.composeUp] },
    );
  }
}
