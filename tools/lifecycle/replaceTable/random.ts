/** Replace facts of pulumi-random; format and method in ./index.ts. */
import type { TypeRule } from "./types";

const RANDOM_SRC =
  "hashicorp/terraform-provider-random v3.9.0 (f8d869dc98d9) internal/provider/resource_{password,string,id}.go " +
  "(node_modules @pulumi/random 4.21.2; upstream pin not checked, the schema is unchanged up to HEAD ad788e233bb4)";

/** RandomPassword and RandomString share one schema: every input carries RequiresReplace. */
const RANDOM_CHARSET_INPUTS = [
  "length",
  "special",
  "upper",
  "lower",
  "number",
  "numeric",
  "minLower",
  "minUpper",
  "minNumeric",
  "minSpecial",
  "overrideSpecial",
  "keepers",
];

export const randomRules: Record<string, TypeRule> = {
  "random:index/randomPassword:RandomPassword": {
    source: `${RANDOM_SRC} (resource_password.go)`,
    replaces: RANDOM_CHARSET_INPUTS,
    updates: [],
    notes: [
      "every input has a RequiresReplace plan modifier; Update only copies the plan into state",
      "keepers: RequiresReplaceIfValuesNotNull - adding keys whose values are all null does not replace",
      'overrideSpecial: RequiresReplaceUnlessEmptyStringToNull - "" -> unset does not replace',
    ],
  },
  "random:index/randomString:RandomString": {
    source: `${RANDOM_SRC} (resource_string.go)`,
    replaces: RANDOM_CHARSET_INPUTS,
    updates: [],
    notes: ["same modifiers as RandomPassword: every input replaces"],
  },
  "random:index/randomId:RandomId": {
    source: `${RANDOM_SRC} (resource_id.go)`,
    replaces: ["byteLength", "prefix", "keepers"],
    updates: [],
  },
};
