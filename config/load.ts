/**
 * Stack config → one validated, typed model. Every `registry:*` value is checked
 * here, before any resource is registered; a bad one stops the program with one line
 * per problem, naming the full key.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ConfigError } from "./errors";
import { HIDDEN, hideUserinfo } from "./fields";
import { secretPaths, secretRelation, type SecretPath } from "./secretPaths";
import { BACKENDS, type BackendName } from "./backendNames";

export const PROJECT = "registry";

/** Reads one raw config value (a string; objects arrive as JSON). */
export type ConfigReader = (fullKey: string) => string | undefined;

export const readPulumiConfig: ConfigReader = (key) => pulumi.runtime.getConfig(key);

export interface ParsedBackend<S extends z.ZodType> {
  backend: BackendName;
  settings: z.output<S>;
}

/** The `registry:` keys this program reads; any other is a typo worth stopping for. */
export const KNOWN_KEYS = ["backend", ...BACKENDS] as const;

export function readBackendName(read: ConfigReader = readPulumiConfig): BackendName {
  const raw = read(`${PROJECT}:backend`);
  if (raw === undefined || raw === "")
    throw new ConfigError([
      `${PROJECT}:backend is required: set it to one of ${BACKENDS.join(", ")} (pulumi config set ${PROJECT}:backend kubernetes)`,
    ]);
  if (!(BACKENDS as readonly string[]).includes(raw))
    throw new ConfigError([
      `${PROJECT}:backend must be one of ${BACKENDS.join(", ")} (got ${JSON.stringify(raw)})`,
    ]);
  return raw as BackendName;
}

/** Parses and validates `registry:<backend>` with the backend's schema. */
export function readBackendSettings<S extends z.ZodType>(
  backend: BackendName,
  schema: S,
  read: ConfigReader = readPulumiConfig,
  allKeys: string[] = Object.keys(pulumi.runtime.allConfig()),
): z.output<S> {
  const problems: string[] = [];
  for (const key of allKeys) {
    const [ns, name] = splitKey(key);
    if (ns === PROJECT && !(KNOWN_KEYS as readonly string[]).includes(name))
      problems.push(
        `${key} is not a setting of this program (known: ${KNOWN_KEYS.map((k) => `${PROJECT}:${k}`).join(", ")})`,
      );
  }
  for (const other of BACKENDS)
    if (other !== backend && read(`${PROJECT}:${other}`) !== undefined)
      problems.push(
        `${PROJECT}:${other} is set but ${PROJECT}:backend is ${backend}: remove it or change the backend`,
      );

  const key = `${PROJECT}:${backend}`;
  const raw = read(key);
  let value: unknown = {};
  if (raw !== undefined) {
    try {
      value = JSON.parse(raw);
    } catch {
      problems.push(`${key} must be an object of settings (got ${kindOf(raw)})`);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      if (!problems.length)
        problems.push(`${key} must be an object of settings (got ${kindOf(value)})`);
    }
  }
  if (problems.length) throw new ConfigError(problems);

  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success)
    throw new ConfigError(formatIssues(key, result.error.issues, secretPaths(schema)));
  return result.data;
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf(":");
  return i < 0 ? ["", key] : [key.slice(0, i), key.slice(i + 1)];
}

/** What zod's own "Invalid input: expected <type>" means, in the words of these errors. */
const EXPECTED: Record<string, string> = {
  object: "must be an object of settings",
  array: "must be a list",
  string: "must be a string",
  number: "must be a number",
  boolean: "must be true or false",
};

/**
 * Turns zod issues into lines such as "registry:vm.port must be an integer from 1 to
 * 65535 (got 0)", one line per distinct problem. A value is shown only when it is a
 * plain string, number or boolean at a path that neither is nor holds a secret: lists
 * and objects are described by their kind, so no secret can ride along inside them.
 */
export function formatIssues(
  key: string,
  issues: z.core.$ZodIssue[],
  secrets: SecretPath[] = [],
): string[] {
  const lines = issues.map((issue) => {
    const path = issue.path
      .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
      .join("");
    const where = `${key}${path}`;
    if (issue.code === "unrecognized_keys") {
      const keys = issue.keys.map((k) => JSON.stringify(k)).join(", ");
      return `${where} has unknown key${issue.keys.length > 1 ? "s" : ""} ${keys}`;
    }
    const message =
      issue.code === "invalid_type" && issue.message.startsWith("Invalid input")
        ? (EXPECTED[issue.expected] ?? `must be ${issue.expected}`)
        : issue.message;
    const input = (issue as { input?: unknown }).input;
    if (input === undefined && issue.code === "invalid_type")
      return `${where} is required: it ${message}`;
    if (input === undefined) return `${where} ${message}`;
    const relation = secretRelation(secrets, issue.path);
    const shown =
      relation === "secret" ? HIDDEN : relation === "holds" ? kindOf(input) : describe(input);
    return `${where} ${message} (got ${shown})`;
  });
  return [...new Set(lines)];
}

/** A value for an error line: plain values as JSON (cut at 80 characters), anything else by its kind. */
function describe(input: unknown): string {
  if (!["string", "number", "boolean"].includes(typeof input)) return kindOf(input);
  const text = hideUserinfo(JSON.stringify(input));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** What a value is, never what it holds. */
function kindOf(input: unknown): string {
  if (input === HIDDEN || pulumi.Output.isInstance(input)) return HIDDEN;
  if (Array.isArray(input)) return `a list of ${input.length} item${input.length === 1 ? "" : "s"}`;
  if (input === null) return "null";
  if (typeof input === "object") return "an object";
  if (typeof input === "string") return "a string";
  return typeof input === "number" ? "a number" : typeof input;
}
