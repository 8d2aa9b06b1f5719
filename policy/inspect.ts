/**
 * Reading resource properties the way the policies need them: plain data (the
 * policy SDK hands over proxies that throw on values unknown during preview, and
 * assets whose text is a Promise), every string a resource carries (nested YAML,
 * JSON and base64 included), registry config.yml files, nginx configs, env vars,
 * and Kubernetes pod specs. No Pulumi runtime here, so tests call it directly.
 */
// Buffer is node's: say so, since the pack runner compiles without a tsconfig (skipProject)
// and, once this file imports from outside policy/, no longer finds node's types by itself.
/// <reference types="node" />
import { parseAllDocuments } from "yaml";
import { parseImageRef } from "../config/imageRef";

/** A value the engine does not know yet (during preview). Rules skip what they cannot see. */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");

/**
 * The engine's wire sentinels for unknown values (bool, number, string, array, asset,
 * archive, object): the same constants as @pulumi/pulumi's runtime and @pulumi/policy's
 * proxy.ts, which does not export them.
 */
const UNKNOWN_SENTINELS = new Set([
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
  "030794c1-ac77-496b-92df-f27374a8bd58",
  "e48ece36-62e2-4504-bad9-02848725956a",
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

/**
 * @pulumi/policy wraps `props` in a proxy (unknownCheckingProxy) that answers this key
 * with the object it wraps. Reading through the proxy throws on unknown values, and a
 * proxied Promise (a StringAsset's text) cannot be awaited, so we read the target.
 */
const PROXY_TARGET = "__getSpecialProxyTarget";

function unproxy(value: unknown): unknown {
  if (value !== null && typeof value === "object") {
    try {
      const target = (value as Record<string, unknown>)[PROXY_TARGET];
      if (target !== null && typeof target === "object") return target;
    } catch {
      // not a proxy we know: use it as it is
    }
  }
  return value;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/**
 * Props as plain data: proxies unwrapped, unknown sentinels replaced by UNKNOWN,
 * Promises (an asset's `text`) awaited. Assets keep their fields, so a StringAsset
 * becomes `{ __pulumiAsset: true, text: "..." }`.
 */
export async function normalize(value: unknown, depth = 0): Promise<unknown> {
  if (depth > 64) return UNKNOWN;
  const v = unproxy(value);
  if (typeof v === "string") return UNKNOWN_SENTINELS.has(v) ? UNKNOWN : v;
  if (v === null || typeof v !== "object") return v;
  if (isThenable(v)) {
    try {
      return await normalize(await v, depth + 1);
    } catch {
      return UNKNOWN;
    }
  }
  if (Array.isArray(v)) return Promise.all(v.map((e) => normalize(e, depth + 1)));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v))
    out[key] = await normalize((v as Record<string, unknown>)[key], depth + 1);
  return out;
}

export type Obj = Record<string, unknown>;

export function isObj(value: unknown): value is Obj {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** `at(x, "a", "b", 0)`: x.a.b[0], or undefined where the path breaks (UNKNOWN stays UNKNOWN). */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === UNKNOWN) return UNKNOWN;
    if (Array.isArray(v) && typeof key === "number") v = v[key];
    else if (isObj(v) && typeof key === "string") v = v[key];
    else return undefined;
  }
  return v;
}

export function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

// ---- every string a resource carries ---------------------------------------------------

const BASE64 = /^[A-Za-z0-9+/\r\n]+={0,2}$/;

function decodeBase64(s: string): string | undefined {
  const compact = s.replace(/\s+/g, "");
  if (compact.length < 24 || compact.length % 4 !== 0 || !BASE64.test(compact)) return undefined;
  const text = Buffer.from(compact, "base64").toString("utf8");
  // Only text that reads as text: configs, keys, htpasswd files.
  return /^[\t\n\r\x20-\x7e]*$/.test(text) ? text : undefined;
}

function parseYamlDocuments(s: string): unknown[] {
  if (!/[:\n{[]/.test(s)) return [];
  try {
    const docs = parseAllDocuments(s, { uniqueKeys: false });
    if (!Array.isArray(docs)) return [];
    if (docs.some((d) => d.errors.length > 0)) return [];
    return docs.map((d) => d.toJS({ maxAliasCount: 100 }));
  } catch {
    return [];
  }
}

/**
 * Every string in a value, and the strings inside them: a string that is YAML or JSON
 * (a compose file, cloud-init user-data, a manifest) gives its own strings too, and a
 * base64 string that decodes to text (Secret or ConfigMap binary data, cloud-init b64
 * content, docker contentBase64) gives the text.
 */
export function allTexts(value: unknown, maxDepth = 4): string[] {
  const seen = new Set<string>();
  const visit = (v: unknown, depth: number): void => {
    if (typeof v === "string") {
      if (seen.has(v)) return;
      seen.add(v);
      if (depth >= maxDepth) return;
      const decoded = decodeBase64(v);
      if (decoded !== undefined) visit(decoded, depth + 1);
      if (v.includes("\n") || /^\s*[{[]/.test(v))
        for (const doc of parseYamlDocuments(v)) if (typeof doc === "object") visit(doc, depth + 1);
      return;
    }
    if (Array.isArray(v)) v.forEach((e) => visit(e, depth));
    else if (isObj(v)) Object.values(v).forEach((e) => visit(e, depth));
  };
  visit(value, 0);
  return [...seen];
}

// ---- environment variables ----------------------------------------------------------------

export interface EnvVar {
  name: string;
  /** The plain value, when the variable has one (not one from a secret or field reference). */
  value?: string;
  /** Where the value comes from when it is not plain (e.g. "secretKeyRef", "configMapKeyRef"). */
  from?: string;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Env vars wherever they appear: Kubernetes `{name, value | valueFrom}` entries, docker
 * `NAME=value` strings, and compose-style maps whose keys are REGISTRY_* variables.
 */
export function envVars(value: unknown): EnvVar[] {
  const out: EnvVar[] = [];
  const visit = (v: unknown): void => {
    if (typeof v === "string") {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(v);
      if (m) out.push({ name: m[1], value: m[2] });
      return;
    }
    if (Array.isArray(v)) return v.forEach(visit);
    if (!isObj(v)) return;
    if (typeof v.name === "string" && ENV_NAME.test(v.name) && ("value" in v || "valueFrom" in v)) {
      const from = isObj(v.valueFrom) ? Object.keys(v.valueFrom)[0] : undefined;
      out.push({ name: v.name, value: typeof v.value === "string" ? v.value : undefined, from });
      return;
    }
    for (const [k, e] of Object.entries(v)) {
      if (/^REGISTRY_[A-Z0-9_]+$/.test(k) && (typeof e === "string" || typeof e === "number"))
        out.push({ name: k, value: String(e) });
      else visit(e);
    }
  };
  visit(value);
  return out;
}

/** Variable names that carry credentials (a *_FILE / *_PATH variable names a file, not a secret). */
export function isSensitiveEnvName(name: string): boolean {
  if (/(_FILE|_PATH|_DIR|_REF|_NAME|_ID|_REALM|_SERVICE|_ISSUER)$/i.test(name)) return false;
  return /(PASSW(OR)?D|SECRET|TOKEN|PRIVATE_?KEY|ACCESS_?KEY|API_?KEY|ACCOUNT_?KEY|CREDENTIALS?|HTPASSWD|(^|_)KEY$)/i.test(
    name,
  );
}

// ---- secret material ----------------------------------------------------------------------

/** What kind of credential a text holds, or undefined. */
export function secretMaterial(text: string): string | undefined {
  if (/-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/.test(text)) return "a private key (PEM)";
  if (/^[^:\s#]+:\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}\s*$/m.test(text))
    return "an htpasswd (bcrypt) entry";
  if (/^[^:\s#]+:(\$apr1\$|\{SHA\}|\$1\$|\$5\$|\$6\$)/m.test(text)) return "an htpasswd entry";
  if (/"type"\s*:\s*"service_account"/.test(text) && /"private_key"\s*:/.test(text))
    return "a service-account JSON key";
  return undefined;
}

/** A key of a ConfigMap (or a file name) that names a credential. */
export function isSensitiveKeyName(key: string): boolean {
  return /(passw(or)?d|secret|token|htpasswd|credential|private[-_.]?key|(^|[-_.])key(\.json|\.pem)?$|\.p12$|\.pfx$)/i.test(
    key,
  );
}

// ---- registry config.yml ----------------------------------------------------------------

export type RegistryConfig = Obj & { http: Obj; storage?: unknown };

/** A CNCF distribution config.yml (an `http` map beside `storage`, `version` or `auth`). */
export function asRegistryConfig(doc: unknown): RegistryConfig | undefined {
  if (!isObj(doc) || !isObj(doc.http)) return undefined;
  if (!("storage" in doc) && !("version" in doc)) return undefined;
  return doc as RegistryConfig;
}

/** Registry configs among a resource's texts. */
export function registryConfigs(value: unknown): RegistryConfig[] {
  const configs: RegistryConfig[] = [];
  for (const text of allTexts(value))
    if (/\bhttp\s*:/.test(text) || /"http"\s*:/.test(text))
      for (const doc of parseYamlDocuments(text)) {
        const config = asRegistryConfig(doc);
        if (config) configs.push(config);
      }
  return configs;
}

/** The registry checks credentials: htpasswd or token auth (`silly` accepts anyone with any header). */
export function registryConfigHasAuth(config: RegistryConfig): boolean {
  const auth = config.auth;
  return isObj(auth) && (isObj(auth.htpasswd) || isObj(auth.token));
}

/** Auth switched on by env (REGISTRY_AUTH=htpasswd, REGISTRY_AUTH_HTPASSWD_PATH=...). */
export function envHasRegistryAuth(env: EnvVar[]): boolean {
  return env.some(
    (e) =>
      /^REGISTRY_AUTH_(HTPASSWD|TOKEN)_/.test(e.name) ||
      (e.name === "REGISTRY_AUTH" && /^(htpasswd|token)$/i.test(e.value ?? "")),
  );
}

/** Secrets written inline in a registry config (they belong in env vars from a secret store). */
export function registryConfigInlineSecrets(config: RegistryConfig): string[] {
  const found: string[] = [];
  const has = (...path: string[]) => {
    const v = at(config, ...path);
    return typeof v === "string" && v.length > 0;
  };
  if (has("http", "secret")) found.push("http.secret");
  for (const key of ["accesskey", "secretkey", "sessiontoken"])
    if (has("storage", "s3", key)) found.push(`storage.s3.${key}`);
  if (has("storage", "azure", "accountkey")) found.push("storage.azure.accountkey");
  if (has("proxy", "password")) found.push("proxy.password");
  if (has("redis", "password")) found.push("redis.password");
  return found;
}

const TLS_OK = new Set(["tls1.2", "tls1.3"]);

/** A registry TLS floor below 1.2 (`http.tls.minimumtls`), or undefined (absent means tls1.2). */
export function registryWeakTls(config: RegistryConfig): string | undefined {
  const min = at(config, "http", "tls", "minimumtls");
  if (typeof min === "string" && !TLS_OK.has(min.toLowerCase())) return min;
  return undefined;
}

// ---- nginx ------------------------------------------------------------------------------

const WEAK_PROTOCOLS = new Set(["SSLv2", "SSLv3", "TLSv1", "TLSv1.1"]);

function stripNginxComments(text: string): string {
  return text.replace(/(^|[\s;{}])#[^\n]*/g, "$1");
}

/** An nginx config: directives ending in ';' and block braces, with an ssl_* or listen directive. */
export function isNginxConfig(text: string): boolean {
  const t = stripNginxComments(text);
  return (
    /[;{]/.test(t) &&
    /(^|[\s{;])(ssl_certificate|ssl_protocols|listen|server_name|proxy_pass)\s/.test(t)
  );
}

/**
 * What in an nginx config lets a client in below TLS 1.2: an `ssl_protocols` naming
 * SSLv2/SSLv3/TLSv1/TLSv1.1, or TLS with no `ssl_protocols` at all (nginx before
 * 1.23.4, e.g. Debian 12's 1.22, then allows TLSv1 and TLSv1.1).
 */
export function nginxWeakTls(text: string): string[] {
  if (!isNginxConfig(text)) return [];
  const t = stripNginxComments(text);
  const problems: string[] = [];
  const directives = [...t.matchAll(/(?:^|[\s;{}])ssl_protocols\s+([^;]*);/g)];
  for (const d of directives) {
    const weak = d[1].split(/\s+/).filter((p) => WEAK_PROTOCOLS.has(p));
    if (weak.length) problems.push(`ssl_protocols allows ${weak.join(", ")}`);
  }
  const usesTls =
    /(?:^|[\s;{}])ssl_certificate\s/.test(t) || /(?:^|[\s;{}])listen\s[^;]*\bssl\b/.test(t);
  if (usesTls && directives.length === 0)
    problems.push(
      "TLS is on but ssl_protocols is not set (nginx before 1.23.4 then allows TLSv1 and TLSv1.1)",
    );
  return problems;
}

/** nginx asks for a password itself (auth_basic or auth_request) somewhere in the config. */
export function nginxHasAuth(text: string): boolean {
  const t = stripNginxComments(text);
  return (
    /(?:^|[\s;{}])auth_basic\s+(?!off\s*;)[^;]+;/.test(t) || /(?:^|[\s;{}])auth_request\s/.test(t)
  );
}

// ---- Kubernetes -------------------------------------------------------------------------

export const KUBERNETES_WORKLOADS: Record<string, (string | number)[]> = {
  "kubernetes:core/v1:Pod": ["spec"],
  "kubernetes:apps/v1:Deployment": ["spec", "template", "spec"],
  "kubernetes:apps/v1:StatefulSet": ["spec", "template", "spec"],
  "kubernetes:apps/v1:DaemonSet": ["spec", "template", "spec"],
  "kubernetes:apps/v1:ReplicaSet": ["spec", "template", "spec"],
  "kubernetes:core/v1:ReplicationController": ["spec", "template", "spec"],
  "kubernetes:batch/v1:Job": ["spec", "template", "spec"],
  "kubernetes:batch/v1:CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
};

/** The pod spec of a workload (by type token), or undefined for other resources. */
export function podSpec(type: string, props: unknown): Obj | undefined {
  const path = KUBERNETES_WORKLOADS[type];
  if (!path) return undefined;
  const spec = at(props, ...path);
  return isObj(spec) ? spec : undefined;
}

/** The pod template's labels (for matching a Service selector). */
export function podLabels(type: string, props: unknown): Obj {
  const path = KUBERNETES_WORKLOADS[type];
  if (!path) return {};
  const metaPath =
    type === "kubernetes:core/v1:Pod" ? ["metadata"] : [...path.slice(0, -1), "metadata"];
  const labels = at(props, ...metaPath, "labels");
  return isObj(labels) ? labels : {};
}

export function podContainers(spec: Obj): { kind: string; container: Obj }[] {
  const out: { kind: string; container: Obj }[] = [];
  for (const kind of ["initContainers", "containers", "ephemeralContainers"])
    for (const c of list(spec[kind])) if (isObj(c)) out.push({ kind, container: c });
  return out;
}

export function metaName(props: unknown): string | undefined {
  return str(at(props, "metadata", "name"));
}

export function metaNamespace(props: unknown): string {
  return str(at(props, "metadata", "namespace")) ?? "default";
}

// ---- addresses --------------------------------------------------------------------------

/** 127.0.0.0/8 and ::1: reachable from the host alone. */
export function isLoopback(address: string): boolean {
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address)) return true;
  return /^(0{0,4}:){1,7}0{0,3}1$|^::1$|^localhost$/i.test(address);
}

/** The registry image (CNCF distribution), by name. */
export function isRegistryImage(image: unknown): boolean {
  return (
    typeof image === "string" &&
    /(^|\/)(registry|distribution\/distribution|docker-registry)$/.test(parseImageRef(image).name)
  );
}
