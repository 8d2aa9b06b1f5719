/**
 * The registry's policies, every one mandatory. `index.ts` puts them in a PolicyPack
 * (which starts a gRPC server); tests import this file and call each validation
 * directly with fake arguments.
 *
 * Every rule reads plain data (`normalize`): values the engine does not know yet
 * (preview) read as UNKNOWN and are skipped, so a rule judges what it can see during
 * preview and everything during `pulumi up`, when each resource's inputs are known.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { KUBERNETES_WORKLOADS } from "./inspect";
import { ciAccessRepositoryScoped, REPOSITORY_ROLES, repositoryIamNotMixed } from "./ciAccess";
import { NODE_PORT_MAX, NODE_PORT_MIN, nodePortInRange, podsRestricted } from "./kubernetes";
import { registryRequiresAuth } from "./registryAuth";
import { secretsNotInPlainConfig } from "./secrets";
import { tlsMinimum12 } from "./tls";

export type { Resource } from "./rules";
export {
  ciAccessRepositoryScoped,
  NODE_PORT_MAX,
  NODE_PORT_MIN,
  nodePortInRange,
  podsRestricted,
  registryRequiresAuth,
  REPOSITORY_ROLES,
  repositoryIamNotMixed,
  secretsNotInPlainConfig,
  tlsMinimum12,
};

/** Every policy of the pack, in the order the README lists them. */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  ciAccessRepositoryScoped,
  repositoryIamNotMixed,
  podsRestricted,
  nodePortInRange,
  registryRequiresAuth,
  tlsMinimum12,
  secretsNotInPlainConfig,
];

/** The workload types the pod rule reads (for docs and tests). */
export const WORKLOAD_TYPES = Object.keys(KUBERNETES_WORKLOADS);
