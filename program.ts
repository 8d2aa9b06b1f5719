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

export function deployRegistry(): RegistryProgram {
  const backend = readBackendName();
  const definition = backends[backend];
  const settings = readBackendSettings(backend, definition.settings);
  const component = definition.create("registry", settings);
  return { backend, outputs: stackOutputs(backend, component.endpoint), files: component.files };
}
