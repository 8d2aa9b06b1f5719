/**
 * Calls the pack's validations the way the engine's analyzer does, without a
 * PolicyPack (which would start a gRPC server): fake ResourceValidationArgs /
 * StackValidationArgs and a reportViolation that collects messages.
 */
import type {
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";

export interface FakeResource {
  type: string;
  name?: string;
  props: Record<string, unknown>;
  additionalSecretOutputs?: string[];
}

export interface Violation {
  policy: string;
  message: string;
  urn?: string;
}

const urnOf = (r: FakeResource, i: number) =>
  `urn:pulumi:test::registry::${r.type}::${r.name ?? `r${i}`}`;

function options(r: FakeResource): PolicyResourceOptions {
  return {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: r.additionalSecretOutputs ?? [],
  };
}

const notApplicable = (reason?: string): never => {
  throw new Error(`not applicable: ${reason ?? ""}`);
};

export async function validateResource(
  policy: ResourceValidationPolicy,
  r: FakeResource,
  i = 0,
): Promise<Violation[]> {
  const violations: Violation[] = [];
  const args: ResourceValidationArgs = {
    type: r.type,
    props: r.props,
    urn: urnOf(r, i),
    name: r.name ?? `r${i}`,
    opts: options(r),
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => ({}) as T,
    notApplicable,
  };
  const validations = Array.isArray(policy.validateResource)
    ? policy.validateResource
    : policy.validateResource
      ? [policy.validateResource]
      : [];
  for (const validate of validations)
    await validate(args, (message, urn) => violations.push({ policy: policy.name, message, urn }));
  return violations;
}

export async function validateStack(
  policy: StackValidationPolicy,
  resources: FakeResource[],
): Promise<Violation[]> {
  const violations: Violation[] = [];
  const policyResources: PolicyResource[] = resources.map((r, i) => ({
    type: r.type,
    props: r.props,
    urn: urnOf(r, i),
    name: r.name ?? `r${i}`,
    opts: options(r),
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  }));
  const args: StackValidationArgs = {
    resources: policyResources,
    stackTags: new Map(),
    getConfig: <T extends object>() => ({}) as T,
    notApplicable,
  };
  await policy.validateStack(args, (message, urn) =>
    violations.push({ policy: policy.name, message, urn }),
  );
  return violations;
}

/** Every policy of a pack over a set of resources: resource rules on each, stack rules on all. */
export async function validateAll(
  policies: (ResourceValidationPolicy | StackValidationPolicy)[],
  resources: FakeResource[],
  stackResources: FakeResource[] = resources,
): Promise<Violation[]> {
  const violations: Violation[] = [];
  for (const policy of policies) {
    if ("validateResource" in policy && policy.validateResource)
      for (const [i, r] of resources.entries())
        violations.push(...(await validateResource(policy, r, i)));
    if ("validateStack" in policy)
      violations.push(...(await validateStack(policy as StackValidationPolicy, stackResources)));
  }
  return violations;
}
