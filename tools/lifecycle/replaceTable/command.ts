/** Replace facts of pulumi-command (local and remote commands, copies); format and method in ./index.ts. */
import type { TypeRule } from "./types";

const COMMAND_SRC =
  "pulumi/pulumi-command v1.2.1 (7f3eb6f3b77c) provider/cmd/pulumi-resource-command/schema.json (replaceOnChanges) " +
  "and provider/pkg/provider/"; // + file below

export const commandRules: Record<string, TypeRule> = {
  "command:local:Command": {
    source: `${COMMAND_SRC}local/commandController.go Update`,
    replaces: ["triggers"],
    updates: [
      "create",
      "update",
      "delete",
      "environment",
      "stdin",
      "dir",
      "interpreter",
      "logging",
      "addPreviousOutputInEnv",
      "assetPaths",
      "archivePaths",
    ],
    notes: [
      "only triggers has replaceOnChanges: a replacement runs `create` for the new resource and `delete` for the old one (create first unless deleteBeforeReplace)",
      "any other input change is an update that runs `update`, or `create` again when `update` is unset (nothing if neither is set)",
      "a change to `delete` alone still re-runs update/create",
    ],
  },
  "command:remote:Command": {
    source: `${COMMAND_SRC}remote/commandController.go Update`,
    replaces: ["triggers"],
    updates: [
      "connection",
      "create",
      "update",
      "delete",
      "environment",
      "stdin",
      "logging",
      "addPreviousOutputInEnv",
    ],
    notes: [
      "as local Command: an update runs `update`, else `create` again; connection changes are updates (the command runs over the new connection)",
    ],
  },
  "command:remote:CopyToRemote": {
    source: `${COMMAND_SRC}remote/copyController.go Update`,
    replaces: ["triggers"],
    updates: ["source", "remotePath", "connection"],
    notes: [
      "Update re-copies only when the source hash or remotePath changed; a connection-only change updates state and copies nothing",
      "the file at the old remotePath is not removed",
    ],
  },
};
