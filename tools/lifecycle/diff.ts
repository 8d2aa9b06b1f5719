/**
 * Which input paths differ between two values, and what a provider does about a
 * changed path. A path is a list of segments (map keys may hold dots, as label keys
 * do); rule paths are dot paths on the Pulumi input names, may use `*` for one
 * segment, and cover everything below them.
 */
export type Path = string[];

/**
 * The paths where `before` and `after` differ. A list whose length changed is one
 * change of the list itself: bridged providers decide a count change by the list's
 * own rule, and a change inside an element by the element field's rule.
 */
export function changedPaths(before: unknown, after: unknown, at: Path = []): Path[] {
  if (Object.is(before, after)) return [];
  const bothObjects =
    before !== null && after !== null && typeof before === "object" && typeof after === "object";
  if (!bothObjects || Array.isArray(before) !== Array.isArray(after)) return [at];
  if (Array.isArray(before) && before.length !== (after as unknown[]).length) return [at];
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  return keys.flatMap((k) => {
    if (b[k] === undefined && a[k] === undefined) return [];
    return changedPaths(b[k], a[k], [...at, k]);
  });
}

/** How many leading segments of `path` the rule matches (-1: no match). */
export function matchLength(rule: string, path: Path): number {
  const r = rule.split(".");
  const n = Math.min(r.length, path.length);
  // A rule deeper than the path (a whole subtree appeared or went) still touches it.
  return r.slice(0, n).every((seg, i) => seg === "*" || seg === path[i]) ? n : -1;
}

export type Effect = "replace" | "update";

/**
 * The effect of one changed path: the longest matching rule wins, a tie goes to
 * replace (the safe side); undefined when no rule knows the path.
 */
export function effectOf(
  path: Path,
  rules: { replaces: string[]; updates: string[] },
): Effect | undefined {
  let best = -1;
  let effect: Effect | undefined;
  for (const [list, e] of [
    [rules.updates, "update"],
    [rules.replaces, "replace"],
  ] as const) {
    for (const rule of list) {
      const n = matchLength(rule, path);
      if (n > best || (n === best && n >= 0 && e === "replace")) {
        best = n;
        effect = e;
      }
    }
  }
  return best >= 0 ? effect : undefined;
}

/** True when `path` is at or below one of `rules` (Pulumi's ignoreChanges/replaceOnChanges). */
export function coveredBy(path: Path, rules: string[]): boolean {
  return rules.some((rule) => {
    const r = rule.split(".");
    return r.length <= path.length && r.every((seg, i) => seg === "*" || seg === path[i]);
  });
}

export const showPath = (p: Path) => p.join(".");
