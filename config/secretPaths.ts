/**
 * Where secrets sit in a settings schema. `secret()` marks its schema here; the walk
 * below finds every marked field through objects, wrappers (optional, default, ...),
 * pipes, unions, records and lists, so the error formatter knows which paths it must
 * never print a value at, and a test can list every secret key without a hand-kept list.
 */
import { z } from "zod";

/** The schemas `secret()` returns. */
export const SECRET_SCHEMAS = new WeakSet<object>();

/** A path into settings; "*" stands for any list index or record key. */
export type SecretPath = string[];

/** Zod's internal definition, as far as the walk reads it. */
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  options?: z.ZodType[];
  valueType?: z.ZodType;
  element?: z.ZodType;
  left?: z.ZodType;
  right?: z.ZodType;
}

const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Every path at which `schema` holds a secret, once each, in schema order. */
export function secretPaths(schema: z.ZodType): SecretPath[] {
  const found = new Map<string, SecretPath>();
  const walk = (s: z.ZodType, path: SecretPath, seen: Set<object>) => {
    if (SECRET_SCHEMAS.has(s)) found.set(path.join("\0"), path);
    if (seen.has(s)) return;
    const inner = new Set(seen).add(s);
    const def = defOf(s);
    if (def.shape) for (const [k, v] of Object.entries(def.shape)) walk(v, [...path, k], inner);
    for (const child of [def.innerType, def.in, def.out, def.left, def.right])
      if (child) walk(child, path, inner);
    for (const option of def.options ?? []) walk(option, path, inner);
    if (def.valueType) walk(def.valueType, [...path, "*"], inner);
    if (def.element) walk(def.element, [...path, "*"], inner);
  };
  walk(schema, [], new Set());
  return [...found.values()];
}

const segmentMatches = (pattern: string, p: PropertyKey) =>
  pattern === "*" || pattern === String(p);

/**
 * How a value at `path` relates to the secrets: "secret" when the path is a secret or
 * lies inside one, "holds" when a secret lies inside the value, else "none".
 */
export function secretRelation(
  paths: SecretPath[],
  path: readonly PropertyKey[],
): "secret" | "holds" | "none" {
  let holds = false;
  for (const sp of paths) {
    const n = Math.min(sp.length, path.length);
    let same = true;
    for (let i = 0; i < n && same; i++) same = segmentMatches(sp[i], path[i]);
    if (!same) continue;
    if (path.length >= sp.length) return "secret";
    holds = true;
  }
  return holds ? "holds" : "none";
}
