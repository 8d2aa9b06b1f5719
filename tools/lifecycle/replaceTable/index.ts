/**
 * Which input changes REPLACE a resource and which UPDATE it in place, per Pulumi type token,
 * for every resource type the program registers (plus a few it is likely to). The lifecycle
 * harness classifies each changed input path of a resource between two runs with this table.
 *
 * Format. Paths are dot paths on the Pulumi (camelCase) input names; `*` matches one segment
 * (an array index or a map key); a path covers everything below it. The classifier takes the
 * LONGEST matching path across both lists, so a broad `replaces` entry can be narrowed by a
 * deeper `updates` entry (and vice versa). A changed path matched by neither list fails the
 * harness on purpose.
 *
 * How the facts were gathered (no guesses; each entry's `source` names the file and version):
 * - Bridged Terraform providers (docker, random, tls, gcp): the provider's own schema, read in
 *   the upstream repository at the tag the Pulumi package is built from (or the nearest one in
 *   the mirror). SDKv2 schemas: `ForceNew: true` replaces, anything else updates, plus any
 *   CustomizeDiff `ForceNew*`. Plugin-framework schemas: `RequiresReplace*` plan modifiers.
 *   Terraform snake_case names were mapped to the installed SDK's camelCase `*Args` names
 *   (node_modules/@pulumi/<pkg>/*.d.ts), which also pluralises list blocks (env -> envs).
 * - SDKv2 nested blocks: a change to a list/set block's element COUNT follows the block's own
 *   ForceNew; a change INSIDE an element follows the sub-field's ForceNew. The table lists the
 *   block (count changes) and then the sub-fields that differ from it.
 * - pulumi-command: the schema's `replaceOnChanges` plus the resource's Update code.
 * - pulumi-kubernetes (not bridged): provider/pkg/provider/diff.go `forceNewProperties` - its own
 *   table of immutable fields - and the Diff in provider/pkg/provider/provider.go.
 * An input that could not be verified sits in `replaces` with a note "unverified".
 */

import { dockerRules } from "./docker";
import { randomRules } from "./random";
import { tlsRules } from "./tls";
import { commandRules } from "./command";
import { gcpRules } from "./gcp";
import { kubernetesRules } from "./kubernetes";
import type { TypeRule } from "./types";

export type { TypeRule };

/** Every type token the harness knows, one file per provider. */
export const replaceTable: Record<string, TypeRule> = {
  ...dockerRules,
  ...randomRules,
  ...tlsRules,
  ...commandRules,
  ...gcpRules,
  ...kubernetesRules,
};
