/**
 * Looking for secret values where they must not be: every form a value could take in
 * a rendered file (as is, JSON-escaped, base64, each line of a PEM body), and every
 * place a secret-producing resource keeps the values it generates.
 */
import { createPublicKey } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { RegisteredResource } from "../../tools/runProgram";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** The strings that would give a secret away: the value, escaped, encoded, and its key lines. */
export function needles(value: string): string[] {
  const forms = new Set<string>([value, JSON.stringify(value).slice(1, -1)]);
  if (value.length >= 12) forms.add(Buffer.from(value).toString("base64"));
  const publicPart = publicKeyBytes(value);
  for (const line of value.split("\n")) {
    const t = line.trim();
    // PEM (and JSON key) body lines: long enough that a match is never chance, except
    // where a line is the public key that the private key carries (EC keys do): that
    // line rightly stands in the certificate, whenever the base64 alignment matches.
    if (t.length < 20 || t.startsWith("-----")) continue;
    if (publicPart && publicPart.includes(Buffer.from(t, "base64"))) continue;
    forms.add(t);
  }
  return [...forms].filter((f) => f.length >= 8);
}

/** The public key (SPKI DER) inside a PEM private key, or undefined for anything else. */
function publicKeyBytes(value: string): Buffer | undefined {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value)) return undefined;
  try {
    return createPublicKey(value).export({ type: "spki", format: "der" });
  } catch {
    return undefined;
  }
}

export interface Finding {
  secret: string;
  file: string;
  form: string;
}

/** Every occurrence of any form of any named secret in the files (path → content). */
export function findSecrets(
  files: Record<string, string>,
  secrets: Record<string, string>,
): Finding[] {
  const found: Finding[] = [];
  for (const [name, value] of Object.entries(secrets))
    for (const form of needles(value))
      for (const [file, content] of Object.entries(files))
        if (content.includes(form)) found.push({ secret: name, file, form: form.slice(0, 40) });
  return found;
}

/** Every file under a directory, path (relative, posix) → content. */
export function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else out[path.relative(dir, p).split(path.sep).join("/")] = fs.readFileSync(p, "utf8");
    }
  };
  walk(dir);
  return out;
}

function plain(value: unknown): unknown {
  if (value && typeof value === "object" && SECRET_SIG in value)
    return (value as unknown as { value: unknown }).value;
  return value;
}

/** Per type token: the state fields in which a provider hands back a generated secret. */
export const GENERATED_SECRET_FIELDS: Record<string, string[]> = {
  "random:index/randomPassword:RandomPassword": ["result"],
  "tls:index/privateKey:PrivateKey": ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"],
  "gcp:serviceaccount/key:Key": ["privateKey"],
};

/**
 * The generated secrets of a run, "<type>::<name>.<field>" → value. A GCP key file
 * (base64 JSON) also gives its inner private key, which is what a leak would show.
 */
export function generatedSecrets(resources: RegisteredResource[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of resources) {
    for (const field of GENERATED_SECRET_FIELDS[r.type] ?? []) {
      const v = plain(r.state[field]);
      if (typeof v !== "string" || v === "") continue;
      out[`${r.type}::${r.name}.${field}`] = v;
      if (r.type === "gcp:serviceaccount/key:Key") {
        const json = JSON.parse(Buffer.from(v, "base64").toString("utf8"));
        out[`${r.type}::${r.name}.${field}(private_key)`] = json.private_key;
      }
    }
  }
  return out;
}
