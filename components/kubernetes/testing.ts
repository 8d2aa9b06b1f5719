/**
 * Test helpers (used by the *.test.ts files only): Kubernetes objects checked offline
 * against the API's schemas (kubernetes-models), and the Pod Security Standards'
 * "restricted" profile as a checker that lists each violation.
 */
import {
  ConfigMap,
  Namespace,
  PersistentVolumeClaim,
  Secret,
  Service,
  ServiceAccount,
} from "kubernetes-models/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { CronJob } from "kubernetes-models/batch/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { Role, RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { ConfigError } from "../../config/errors";
import { readBackendSettings } from "../../config/load";
import { restrictedViolations as restrictedProfileViolations } from "../shared/restrictedProfile";
import { kubernetesSettings, type KubernetesSettings } from "./settings";

/** Parses `registry:kubernetes` as the program does; returns the settings. */
export function loadSettings(value: unknown): KubernetesSettings {
  const config: Record<string, string> = {
    "registry:backend": "kubernetes",
    "registry:kubernetes": JSON.stringify(value),
  };
  return readBackendSettings(
    "kubernetes",
    kubernetesSettings,
    (k) => config[k],
    Object.keys(config),
  );
}

/** The error lines `registry:kubernetes` gets (none: it is valid). */
export function settingsProblems(value: unknown): string[] {
  try {
    loadSettings(value);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

type ModelClass = new (data: never) => { validate(): void };

const MODELS: Record<string, ModelClass> = {
  "v1/Namespace": Namespace,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
  "apps/v1/Deployment": Deployment,
  "batch/v1/CronJob": CronJob,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "rbac.authorization.k8s.io/v1/Role": Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": RoleBinding,
};

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

/** Validates one object against its API schema; throws naming the object and the problem. */
export function validateAgainstSchema(obj: KubeObject): void {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!Model) throw new Error(`no schema known for ${obj.apiVersion} ${obj.kind}`);
  try {
    new Model(structuredClone(obj) as never).validate();
  } catch (err) {
    throw new Error(`${obj.kind}/${obj.metadata.name}: ${(err as Error).message}`, { cause: err });
  }
}

/** The pod specs inside workload objects, with where each one sits. */
export function podSpecsOf(objects: KubeObject[]): { where: string; spec: IPodSpec }[] {
  const found: { where: string; spec: IPodSpec }[] = [];
  for (const o of objects) {
    const x = o as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (o.kind === "Deployment")
      found.push({ where: `Deployment/${o.metadata.name}`, spec: x.spec.template.spec });
    if (o.kind === "CronJob")
      found.push({
        where: `CronJob/${o.metadata.name}`,
        spec: x.spec.jobTemplate.spec.template.spec,
      });
    if (o.kind === "Pod") found.push({ where: `Pod/${o.metadata.name}`, spec: x.spec });
  }
  return found;
}

/**
 * Violations of the Pod Security Standards "restricted" profile (the shared check the
 * policy pack also runs). An empty list means the pod would be admitted in an enforcing
 * namespace.
 */
export function restrictedViolations(pod: IPodSpec): string[] {
  return restrictedProfileViolations(pod);
}
