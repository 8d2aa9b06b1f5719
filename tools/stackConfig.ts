/**
 * Reads a stack file (Pulumi.<stack>.yaml) the way render needs it: its `config:`
 * map, with every `secure:` value (which cannot be decrypted offline) replaced by a
 * placeholder and its key marked secret.
 */
import * as fs from "node:fs";
import { parse } from "yaml";
import { OFFLINE_SECRET } from "../config/fields";

export interface StackConfig {
  config: Record<string, unknown>;
  secretKeys: string[];
}

export function readStackConfig(file: string): StackConfig {
  const doc = parse(fs.readFileSync(file, "utf8")) ?? {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new Error(`${file}: not a stack file`);
  const raw = (doc as { config?: unknown }).config ?? {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new Error(`${file}: 'config' must be a map of keys to values`);
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
