/**
 * How a policy of the pack reads a resource: as plain data (`normalize`), so each rule
 * is a function over values. Every rule is mandatory.
 */
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { isObj, normalize, type Obj } from "./inspect";

/** The docker provider's container type (rules 4 and 6 read its ports, envs and uploads). */
export const DOCKER_CONTAINER = "docker:index/container:Container";

/** A resource as the rules see it: type, name and plain props (inputs, or outputs in stack rules). */
export interface Resource {
  type: string;
  name: string;
  props: Obj;
  /** The resource option `additionalSecretOutputs`. */
  additionalSecretOutputs: string[];
}

async function resourceOf(args: {
  type: string;
  name: string;
  props: Record<string, unknown>;
  opts?: { additionalSecretOutputs?: string[] };
}): Promise<Resource> {
  const props = await normalize(args.props);
  return {
    type: args.type,
    name: args.name,
    props: isObj(props) ? props : {},
    additionalSecretOutputs: [...(args.opts?.additionalSecretOutputs ?? [])],
  };
}

/** A resource rule over plain data. */
export function resourceRule(
  policy: Omit<ResourceValidationPolicy, "validateResource" | "enforcementLevel">,
  check: (r: Resource, report: (message: string) => void) => void,
): ResourceValidationPolicy {
  return {
    ...policy,
    enforcementLevel: "mandatory",
    validateResource: async (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
      check(await resourceOf(args), (message) => reportViolation(message));
    },
  };
}

/** A stack rule over plain data; a violation may name the resource it is about. */
export function stackRule(
  policy: Omit<StackValidationPolicy, "validateStack" | "enforcementLevel">,
  check: (
    resources: (Resource & { urn: string })[],
    report: (message: string, urn?: string) => void,
  ) => void,
): StackValidationPolicy {
  return {
    ...policy,
    enforcementLevel: "mandatory",
    validateStack: async (args: StackValidationArgs, reportViolation: ReportViolation) => {
      const resources = await Promise.all(
        args.resources.map(async (r: PolicyResource) => ({ ...(await resourceOf(r)), urn: r.urn })),
      );
      check(resources, (message, urn) => reportViolation(message, urn));
    },
  };
}
