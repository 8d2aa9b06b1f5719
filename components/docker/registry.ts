/**
 * `registry:docker:Registry`: the CNCF distribution registry as one container on a
 * Docker engine, what a hand-written compose file does (a pinned image, a named
 * volume, a restart policy) plus auth, a healthcheck, log limits and a loopback
 * bind by default. With tls.enabled, nginx terminates TLS in front of it; with a pull-only
 * user (auth.pullUser), nginx guards it (plain HTTP unless tls.enabled).
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import {
  type GeneratedFile,
  type RegistryBackend,
  type RegistryEndpoint,
} from "../shared/contract";
import { createCredentials, selfHostedEndpoint } from "../shared/credentials";
import { renderRegistryConfig } from "../shared/registryConfig";
import { selfHostedSecretEnv } from "../shared/selfHostedConfig";
import {
  envLines,
  logOptions,
  planDockerRegistry,
  REGISTRY_DATA_DIR,
  registryHealthcheck,
  type DockerRegistryPlan,
} from "./plan";
import type { DockerSettings } from "./settings";
import { DockerNginxProxy } from "./nginxProxy";

export interface DockerRegistryArgs {
  settings: DockerSettings;
}

export class DockerRegistry extends pulumi.ComponentResource implements RegistryBackend {
  readonly endpoint: RegistryEndpoint;
  readonly files: GeneratedFile[];

  constructor(name: string, args: DockerRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("registry:docker:Registry", name, {}, opts);
    const s = args.settings;
    const plan = planDockerRegistry(s);

    // Without dockerHost the default provider follows DOCKER_HOST, as the docker CLI does.
    const provider = s.dockerHost
      ? new docker.Provider(`${name}-engine`, { host: s.dockerHost }, { parent: this })
      : undefined;
    const child: pulumi.CustomResourceOptions = { parent: this, provider };

    const credentials = createCredentials(name, s.auth, { parent: this });
    const configYml = renderRegistryConfig(plan.registryConfig);

    // keepLocally: destroying the stack must not delete an image other containers may use.
    const registryImage = new docker.RemoteImage(
      `${name}-image`,
      { name: s.image, keepLocally: true },
      child,
    );

    const volume = plan.volume
      ? new docker.Volume(
          `${name}-data`,
          { name: plan.volume.name },
          { ...child, retainOnDelete: plan.volume.retainOnDelete },
        )
      : undefined;

    // A fixed name (or host port) cannot be held twice: a replacement must delete the old
    // one first, or the new one collides (Pulumi creates before it deletes by default).
    const fixedName: pulumi.CustomResourceOptions = { ...child, deleteBeforeReplace: true };

    const network = plan.proxy
      ? new docker.Network(
          `${name}-network`,
          { name: plan.proxy.networkName, driver: "bridge" },
          fixedName,
        )
      : undefined;

    // Secrets reach the registry by env only, never in config.yml.
    const envs = selfHostedSecretEnv(s, credentials.httpSecret).apply(envLines);

    const uploads = registryUploads(s, plan, configYml, credentials.htpasswd);

    const registryContainer = this.registryContainer(name, s, plan, fixedName, {
      image: registryImage.imageId,
      envs,
      uploads,
      volume,
      network,
    });

    const files: GeneratedFile[] = [{ path: "docker/config.yml", text: configYml }];
    if (plan.htpasswdPath) files.push({ path: "docker/htpasswd", text: credentials.htpasswd });

    // With TLS or a pull-only user, nginx in front of the registry on their own network.
    const proxy =
      plan.proxy && network
        ? this.nginxProxy(name, s, plan.proxy, network, registryContainer, volume, provider)
        : undefined;
    const caCert = proxy?.caCertPem ?? pulumi.output("");
    if (proxy) files.push({ path: "docker/nginx.conf", text: proxy.nginxConf });
    const registry = pulumi.output(plan.address);
    this.endpoint = selfHostedEndpoint({
      registry,
      credentials,
      caCert,
      mirror: s.proxy && { https: s.tls.enabled },
    });
    this.files = files;
    this.registerOutputs({
      registry: this.endpoint.registry,
      username: this.endpoint.username,
      password: this.endpoint.password,
      caCert,
      container: registryContainer.name,
      volume: volume?.name,
    });
  }

  private nginxProxy(
    name: string,
    s: DockerSettings,
    proxyPlan: NonNullable<DockerRegistryPlan["proxy"]>,
    network: docker.Network,
    registryContainer: docker.Container,
    volume: docker.Volume | undefined,
    provider: docker.Provider | undefined,
  ): DockerNginxProxy {
    return new DockerNginxProxy(
      // The TLS proxy keeps its name (existing stacks); the plain one is the guard's.
      proxyPlan.serverNames ? `${name}-tls` : `${name}-proxy`,
      {
        plan: proxyPlan,
        nginxImage: s.nginxImage,
        network: network.name,
        restartPolicy: s.restartPolicy,
        logOpts: logOptions(s),
        registryContainerId: registryContainer.id,
        // Filesystem storage: nginx sends authorised blobs from the volume (read-only).
        dataVolume: proxyPlan.nginx.blobStorageRoot ? volume?.name : undefined,
      },
      { parent: this, providers: provider ? [provider] : undefined },
    );
  }

  /** The registry's container: its config and secrets uploaded, its data on the volume. */
  private registryContainer(
    name: string,
    s: DockerSettings,
    plan: DockerRegistryPlan,
    fixedName: pulumi.CustomResourceOptions,
    parts: {
      image: pulumi.Input<string>;
      envs: pulumi.Input<string[]>;
      uploads: docker.types.input.ContainerUpload[];
      volume?: docker.Volume;
      network?: docker.Network;
    },
  ): docker.Container {
    return new docker.Container(
      `${name}-registry`,
      {
        name: plan.registryContainerName,
        image: parts.image,
        restart: s.restartPolicy,
        envs: parts.envs,
        uploads: parts.uploads,
        ports: plan.registryPorts,
        volumes: parts.volume
          ? [{ volumeName: parts.volume.name, containerPath: REGISTRY_DATA_DIR }]
          : undefined,
        networksAdvanced: parts.network
          ? [{ name: parts.network.name, aliases: [plan.registryContainerName] }]
          : undefined,
        healthcheck: registryHealthcheck(),
        logDriver: "json-file",
        logOpts: logOptions(s),
        // Wait for the healthcheck on `pulumi up`, so "done" means "answering".
        wait: true,
        waitTimeout: 120,
      },
      // Kept encrypted in state whatever the provider echoes back. Nearly every input
      // (env, uploads, ports, image) replaces the container: the old one goes first.
      { ...fixedName, additionalSecretOutputs: ["envs", "uploads"] },
    );
  }
}

/** config.yml, and the htpasswd and GCS key files as secrets only the registry's user reads. */
function registryUploads(
  s: DockerSettings,
  plan: DockerRegistryPlan,
  configYml: string,
  htpasswd: pulumi.Input<string>,
): docker.types.input.ContainerUpload[] {
  const uploads: docker.types.input.ContainerUpload[] = [
    { file: plan.configPath, content: configYml, permissions: "0644" },
  ];
  if (plan.htpasswdPath)
    uploads.push({
      file: plan.htpasswdPath,
      content: pulumi.secret(htpasswd),
      permissions: "0600",
    });
  if (plan.gcsKeyPath && s.storage.gcs?.keyJson)
    uploads.push({
      file: plan.gcsKeyPath,
      content: pulumi.secret(s.storage.gcs.keyJson),
      permissions: "0600",
    });
  return uploads;
}
