/**
 * What each self-hosted backend deploys in its data path, taken from the program itself
 * (tools/runProgram.ts, Pulumi's mock runtime): the registry's config.yml and the
 * htpasswd with the generated password. The bench serves them with Debian's
 * docker-registry, mapping only the listen address, storage root and htpasswd path
 * (tests/support/registry.ts), and the VM's nginx.conf as deployed with the VM tests'
 * mappings (setups.ts deployedNginx); the Docker (default local stack) and Kubernetes
 * (dev stack) backends serve the registry on plain HTTP.
 */
import * as path from "node:path";
import { parse, parseAllDocuments, stringify } from "yaml";
import { runProgram, type ProgramRun } from "../../tools/runProgram";
import { readStackConfig } from "../../tools/stackConfig";
import { localVmConfig } from "../../tests/support/vmStack";

const ROOT = path.resolve(__dirname, "..", "..");

export type Backend = "vm" | "docker" | "kubernetes";
export const BACKENDS: Backend[] = ["vm", "docker", "kubernetes"];

export interface BackendFiles {
  backend: Backend;
  /** The stack the files come from. */
  stack: string;
  configYml: string;
  htpasswd: string;
  username: string;
  /** The generated password (the program's REGISTRY_PASSWORD). */
  password: string;
  /** The VM backend's nginx.conf as deployed (vm/nginx.conf); the others have none. */
  nginxConf?: string;
}

/** The stack config each backend is rendered from: the repository's own stacks where they run here. */
function stackConfig(backend: Backend): { stack: string; config: Record<string, unknown> } {
  if (backend === "docker")
    return { stack: "local", config: readStackConfig(path.join(ROOT, "Pulumi.local.yaml")).config };
  if (backend === "kubernetes")
    return { stack: "dev", config: readStackConfig(path.join(ROOT, "Pulumi.dev.yaml")).config };
  // staging's VM is created on GCP; an existing host gives the same files without a cloud.
  return { stack: "vm-bench", config: localVmConfig() };
}

/** config.yml and htpasswd from where each backend puts them. */
export function registryFilesOf(
  backend: Backend,
  run: Pick<ProgramRun, "files">,
): { configYml: string; htpasswd: string } {
  if (backend !== "kubernetes")
    return {
      configYml: run.files[`${backend}/config.yml`],
      htpasswd: run.files[`${backend}/htpasswd`],
    };
  const docs = parseAllDocuments(run.files["kubernetes/manifests.yaml"]).map(
    (d) =>
      d.toJS() as {
        kind?: string;
        data?: Record<string, string>;
        stringData?: Record<string, string>;
      },
  );
  const configMap = docs.find((d) => d?.kind === "ConfigMap");
  const secret = docs.find((d) => d?.kind === "Secret");
  return { configYml: configMap!.data!["config.yml"], htpasswd: secret!.stringData!.htpasswd };
}

/** Runs the program once per backend (one at a time: the mock runtime is global). */
export async function renderBackends(): Promise<Record<Backend, BackendFiles>> {
  const out = {} as Record<Backend, BackendFiles>;
  for (const backend of BACKENDS) {
    const { stack, config } = stackConfig(backend);
    const run = await runProgram({ stack, config, showSecrets: true });
    const files = registryFilesOf(backend, run);
    if (!files.configYml || !files.htpasswd)
      throw new Error(`the ${backend} backend rendered no config.yml or htpasswd`);
    out[backend] = {
      backend,
      stack,
      ...files,
      username: String(run.outputs.REGISTRY_USERNAME.value),
      password: String(run.outputs.REGISTRY_PASSWORD.value),
      nginxConf: run.files[`${backend}/nginx.conf`],
    };
  }
  return out;
}

/** The same config.yml with the `auth` section removed: the no-auth limit. */
export function withoutAuth(configYml: string): string {
  const config = parse(configYml) as Record<string, unknown>;
  delete config.auth;
  return stringify(config);
}
