/**
 * The registry's policy pack. Pulumi runs this file (`pulumi preview --policy-pack policy`);
 * constructing the PolicyPack starts the gRPC server the engine talks to, so tests
 * import ./policies instead.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("registry-guardrails", {
  description:
    "The registry's guardrails: repository-scoped CI access, restricted pods, NodePort range, auth on every exposed registry, TLS 1.2 or newer, credentials only in secrets.",
  enforcementLevel: "mandatory",
  policies,
});
