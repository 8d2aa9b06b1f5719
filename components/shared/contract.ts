/**
 * What every backend component hands back to the program: the values behind the
 * stack outputs, and the files it generates (for `render` and reviewers).
 */
import * as pulumi from "@pulumi/pulumi";
import type { BackendName } from "../../config/backendNames";

export { BACKENDS, type BackendName } from "../../config/backendNames";

export interface RegistryEndpoint {
  /** Image prefix: host[:port][/path], no scheme, no trailing slash. */
  registry: pulumi.Output<string>;
  username: pulumi.Output<string>;
  /** Always a Pulumi secret (empty where the backend has no password). */
  password: pulumi.Output<string>;
  /** PEM of the CA to trust, or "" when the certificate is publicly trusted or there is no TLS. */
  caCert: pulumi.Output<string>;
  /** A login that may only pull (self-hosted `auth.pullUser`); its password is a secret. */
  pull?: { username: pulumi.Output<string>; password: pulumi.Output<string> };
  /** Backend-specific outputs, UPPER_SNAKE, e.g. GCP_WORKLOAD_IDENTITY_PROVIDER. */
  extra?: Record<string, pulumi.Output<string>>;
  /**
   * Set only on a pull-through mirror (proxy mode): the URL for Docker's registry-mirrors
   * and containerd's hosts.toml. A mirror refuses every push, so its one login is a pull login.
   */
  mirrorUrl?: pulumi.Output<string>;
}

/** What a stack is for CI: a registry it pushes to, or a mirror it only pulls through. */
export type RegistryRole = "registry" | "mirror";

/** A mirror's URL as Docker's registry-mirrors and containerd's hosts.toml take it (scheme://host:port). */
export function mirrorUrl(registry: pulumi.Output<string>, https: boolean): pulumi.Output<string> {
  return registry.apply((r) => `${https ? "https" : "http"}://${r}`);
}

/**
 * A generated file, at a path relative to render's `files/` folder. `text` is the
 * file as deployed (a secret text is redacted whole by render); `yamlDocuments` is a
 * multi-document YAML file whose values may be Outputs, redacted one by one.
 */
export type GeneratedFile =
  { path: string; text: pulumi.Input<string> } | { path: string; yamlDocuments: unknown[] };

/** The face every backend component shows the program. */
export interface RegistryBackend {
  readonly endpoint: RegistryEndpoint;
  readonly files: GeneratedFile[];
}

/** The stack outputs, as CI reads them with `pulumi stack output --shell`. */
export function stackOutputs(
  backend: BackendName,
  endpoint: RegistryEndpoint,
): Record<string, pulumi.Output<string>> {
  const role: RegistryRole = endpoint.mirrorUrl ? "mirror" : "registry";
  // distribution refuses every write in proxy mode: a mirror's login is never presented
  // as a push credential, only as the pull login (the names a pull-only user also uses).
  const login: Record<string, pulumi.Output<string>> = endpoint.mirrorUrl
    ? {
        REGISTRY_PULL_USERNAME: endpoint.username,
        REGISTRY_PULL_PASSWORD: pulumi.secret(endpoint.password),
        REGISTRY_MIRROR_URL: endpoint.mirrorUrl,
      }
    : {
        REGISTRY_USERNAME: endpoint.username,
        REGISTRY_PASSWORD: pulumi.secret(endpoint.password),
      };
  return {
    REGISTRY: endpoint.registry,
    REGISTRY_BACKEND: pulumi.output(backend),
    REGISTRY_ROLE: pulumi.output(role),
    ...login,
    REGISTRY_CA_CERT: endpoint.caCert,
    ...(endpoint.pull && {
      REGISTRY_PULL_USERNAME: endpoint.pull.username,
      REGISTRY_PULL_PASSWORD: pulumi.secret(endpoint.pull.password),
    }),
    ...endpoint.extra,
  };
}

/**
 * Stands for a value that only a real deployment knows (an allocated port, an IP
 * address). The render mocks return it; components never invent one.
 */
export function afterDeploy(what: string): string {
  return `<known after deploy: ${what}>`;
}
