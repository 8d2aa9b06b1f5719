/**
 * The stack outputs CI consumes, read from `pulumi stack output --json --show-secrets`
 * (one JSON object, UPPER_SNAKE keys). Node builtins only (see imageTags.ts).
 */

export interface RegistryOutputs {
  /** Image prefix: host[:port][/path], no scheme. */
  registry: string;
  /** host[:port]: what docker logs in to and what certs.d is keyed by. */
  host: string;
  backend: string;
  /** REGISTRY_ROLE: "registry", or "mirror" for a pull-through mirror (refuses pushes); "registry" when absent (older stacks). */
  role: string;
  username: string;
  password: string;
  /** PEM, or "" when the certificate is publicly trusted. */
  caCert: string;
  /** Every output as text, for the extra ones (GCP_WORKLOAD_IDENTITY_PROVIDER, ...). */
  all: Record<string, string>;
}

/** Output names whose values are credentials and must be masked in logs. */
const SECRET_NAME = /(PASSWORD|SECRET|TOKEN|KEY)$/;

export function parseStackOutputs(json: string, source = "stack outputs"): RegistryOutputs {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new Error(`${source}: not JSON (${(err as Error).message})`, { cause: err });
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw))
    throw new Error(
      `${source}: expected an object of outputs, as \`pulumi stack output --json\` prints`,
    );
  const all: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw))
    all[k] = v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v);
  for (const [k, v] of Object.entries(all))
    if (v === "[secret]")
      throw new Error(`${source}: ${k} is "[secret]": run pulumi stack output with --show-secrets`);
  const registry = (all.REGISTRY ?? "").replace(/^[a-z]+:\/\//, "").replace(/\/+$/, "");
  if (!registry)
    throw new Error(`${source}: no REGISTRY output (is this a stack of the registry project?)`);
  return {
    registry,
    host: registryHost(registry),
    backend: all.REGISTRY_BACKEND ?? "",
    role: all.REGISTRY_ROLE || "registry",
    username: all.REGISTRY_USERNAME ?? "",
    password: all.REGISTRY_PASSWORD ?? "",
    caCert: all.REGISTRY_CA_CERT ?? "",
    all,
  };
}

/**
 * Stops a push to a stack that cannot take one: a pull-through mirror (distribution's
 * proxy mode) refuses every blob and manifest write, so a push would fail half-way.
 */
export function refuseMirrorPush(outputs: RegistryOutputs, source = "stack outputs"): void {
  if (outputs.role === "mirror")
    throw new Error(
      `${source}: REGISTRY_ROLE is mirror: ${outputs.registry} is a pull-through mirror, which refuses every push; push to a stack whose REGISTRY_ROLE is registry (the mirror's login is REGISTRY_PULL_USERNAME/REGISTRY_PULL_PASSWORD, for pulls only)`,
    );
  if (outputs.role !== "registry")
    throw new Error(
      `${source}: REGISTRY_ROLE must be registry or mirror (got ${JSON.stringify(outputs.role)})`,
    );
}

/** `host[:port]` of an image prefix: everything before the first `/`. */
export function registryHost(registry: string): string {
  return registry.split("/")[0];
}

/** The values to hide from logs: secret-named outputs, whole and line by line (JSON keys span lines). */
export function secretValues(outputs: RegistryOutputs): string[] {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(outputs.all)) {
    if (!SECRET_NAME.test(name) || value === "") continue;
    values.add(value);
    for (const line of value.split(/\r?\n/)) if (line.trim().length >= 4) values.add(line.trim());
  }
  return [...values];
}

/**
 * GitHub Actions workflow commands that mask each secret. Printed only under
 * GITHUB_ACTIONS=true: anywhere else the command is plain text and would show
 * the very value it means to hide.
 */
export function maskCommands(outputs: RegistryOutputs): string[] {
  return secretValues(outputs).flatMap((v) => (v.includes("\n") ? [] : [`::add-mask::${v}`]));
}

/** Keyless login: no password and a backend whose CLI provides credentials (gcloud's helper). */
export function usesCredentialHelper(outputs: RegistryOutputs): boolean {
  return outputs.password === "" && outputs.backend === "gcp";
}
