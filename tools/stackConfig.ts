/**
 * Reads a stack file (Pulumi.<stack>.yaml) the way render needs it: its `config:`
 * map, with every `secure:` value (which cannot be decrypted offline) replaced by a
 * placeholder and its key marked secret.
 */
import * as fs from "node:fs";
import { parseDocument } from "yaml";
import { OFFLINE_SECRET } from "../config/fields";

export interface StackConfig {
  config: Record<string, unknown>;
  secretKeys: string[];
}

/** A stack file that cannot be read as one: its message is one line naming the file. */
export class StackFileError extends Error {}

/**
 * The stack file's `config:` map. `shownAs` is how an error names the file (render
 * passes it relative to the project); errors never quote the file's text, which may
 * hold secrets.
 */
export function readStackConfig(file: string, shownAs = file): StackConfig {
  const parsed = parseDocument(fs.readFileSync(file, "utf8"), { uniqueKeys: true });
  const [first] = parsed.errors;
  if (first) {
    const at = first.linePos
      ? ` at line ${first.linePos[0].line}, column ${first.linePos[0].col}`
      : "";
    const what = first.code === "DUPLICATE_KEY" ? "a key appears twice" : "not valid YAML";
    throw new StackFileError(`${shownAs}: ${what}${at}`);
  }
  const doc = parsed.toJS() ?? {};
  if (typeof doc !== "object" || Array.isArray(doc))
    throw new StackFileError(`${shownAs}: not a stack file (expected a map with a config: key)`);
  const raw = (doc as { config?: unknown }).config ?? {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new StackFileError(`${shownAs}: config must be a map of keys to values`);
  const config: Record<string, unknown> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const found = { secure: false };
    config[key] = replaceSecure(value, found);
    if (found.secure) secretKeys.push(key);
  }
  return { config, secretKeys };
}

function replaceSecure(value: unknown, found: { secure: boolean }): unknown {
  if (Array.isArray(value)) return value.map((v) => replaceSecure(v, found));
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (Object.keys(obj).length === 1 && typeof obj.secure === "string") {
      found.secure = true;
      return OFFLINE_SECRET;
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, replaceSecure(v, found)]));
  }
  return value;
}
