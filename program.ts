/**
 * The program, as one function: stack config → validated model → the chosen
 * backend's component → stack outputs. `index.ts` (for `pulumi up`) and `render`
 * (offline, under mocks) both call it, so there is one description of the stack.
 */
import type * as pulumi from "@pulumi/pulumi";
import { readBackendName, readBackendSettings } from "./config/load";
import { backends } from "./components/backends";
import { stackOutputs, type BackendName, type GeneratedFile } from "./components/shared/contract";

export interface RegistryProgram {
  backend: BackendName;
  outputs: Record<string, pulumi.Output<string>>;
  files: GeneratedFile[];
}

export interface DeployOptions {
  /**
   * The clock the program reads, once (GCP key rotation windows). Default: now. Tests
   * pin it to run the program at two points in time.
   */
  now?: Date;
}

export function deployRegistry(options: DeployOptions = {}): RegistryProgram {
  const backend = readBackendName();
  const definition = backends[backend];
  const settings = readBackendSettings(backend, definition.settings);
  const component = definition.create("registry", settings, { now: options.now ?? new Date() });
  return { backend, outputs: stackOutputs(backend, component.endpoint), files: component.files };
}
