/** The nginx configurations the bench serves as text: templates with @NAME@ placeholders. */
import * as fs from "node:fs";
import * as path from "node:path";

export const FIXTURES = path.join(__dirname, "..", "fixtures");

export type TemplateValues = Record<string, string | number>;

/** Fills every @NAME@; an unknown or missing name is an error (nothing half-mapped is served). */
export function fillTemplate(text: string, values: TemplateValues): string {
  const out = text.replace(/@([A-Z_0-9]+)@/g, (_m, name: string) => {
    if (!(name in values)) throw new Error(`template needs @${name}@`);
    return String(values[name]);
  });
  return out;
}

export function readFixture(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, name), "utf8");
}
