/**
 * The backends, by the name `registry:backend` selects: each one's settings schema
 * (validated before anything is registered) and the component that deploys it.
 */
import type { z } from "zod";
import type { BackendName, RegistryBackend } from "./shared/contract";
import { dockerSettings } from "./docker/settings";
import { DockerRegistry } from "./docker/registry";
import { kubernetesSettings } from "./kubernetes/settings";
import { KubernetesRegistry } from "./kubernetes/registry";
import { vmSettings } from "./vm/settings";
import { VmRegistry } from "./vm/registry";
import { gcpSettings } from "./gcp/settings";
import { GcpRegistry } from "./gcp/registry";

/** What the program knows besides the settings: the clock it read once. */
export interface DeployContext {
  now: Date;
}

export interface BackendDefinition<S extends z.ZodType = z.ZodType> {
  settings: S;
  create(name: string, settings: z.output<S>, context: DeployContext): RegistryBackend;
}

function define<S extends z.ZodType>(d: BackendDefinition<S>): BackendDefinition {
  return d as unknown as BackendDefinition;
}

export const backends: Record<BackendName, BackendDefinition> = {
  kubernetes: define({
    settings: kubernetesSettings,
    create: (name, settings) => new KubernetesRegistry(name, { settings }),
  }),
  vm: define({
    settings: vmSettings,
    create: (name, settings) => new VmRegistry(name, { settings }),
  }),
  gcp: define({
    settings: gcpSettings,
    create: (name, settings, { now }) => new GcpRegistry(name, { settings, now }),
  }),
  docker: define({
    settings: dockerSettings,
    create: (name, settings) => new DockerRegistry(name, { settings }),
  }),
};
