/** Policy 6: credentials only in secret stores. */
import {
  allTexts,
  at,
  envVars,
  isObj,
  isSensitiveEnvName,
  isSensitiveKeyName,
  list,
  type Obj,
  podContainers,
  podSpec,
  registryConfigInlineSecrets,
  registryConfigs,
  secretMaterial,
  str,
  UNKNOWN,
} from "./inspect";
import { DOCKER_CONTAINER, resourceRule } from "./rules";

// ---- 6. Credentials only in secrets -------------------------------------------------------

const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const KUBERNETES_SECRET = "kubernetes:core/v1:Secret";

/** World-readable file mode ("0644", "644", 420): the last octal digit has the read bit. */
function worldReadable(permissions: unknown): boolean {
  if (permissions === UNKNOWN) return false;
  if (permissions === undefined || permissions === null || permissions === "") return true; // docker's default is 0644
  const mode = typeof permissions === "number" ? permissions : parseInt(String(permissions), 8);
  return Number.isNaN(mode) || (mode & 0o004) !== 0;
}

export const secretsNotInPlainConfig = resourceRule(
  {
    name: "secrets-not-in-plain-config",
    description:
      "Passwords, keys and htpasswd files live only in secret stores: not in ConfigMaps (nor inline in a registry config), not in plain container env values (use secretKeyRef), not in Kubernetes labels or annotations; a docker container that carries them marks envs/uploads as additionalSecretOutputs and does not upload them world-readable.",
    severity: "critical",
    tags: ["secrets", "kubernetes", "docker"],
  },
  (r, report) => {
    // Kubernetes metadata is shown everywhere (kubectl get, events, dashboards).
    if (r.type.startsWith("kubernetes:") && r.type !== KUBERNETES_SECRET)
      for (const field of ["labels", "annotations"])
        for (const [k, v] of Object.entries(
          (at(r.props, "metadata", field) as Obj | undefined) ?? {},
        ))
          if (typeof v === "string" && secretMaterial(v))
            report(`metadata.${field}.${k} holds ${secretMaterial(v)}`);

    if (r.type === CONFIG_MAP) {
      for (const field of ["data", "binaryData"]) {
        const data = at(r.props, field);
        if (!isObj(data)) continue;
        for (const [key, value] of Object.entries(data)) {
          if (isSensitiveKeyName(key))
            report(`${field}.${key}: a credential's name in a ConfigMap; put it in a Secret`);
          for (const text of allTexts(value)) {
            const material = secretMaterial(text);
            if (material) report(`${field}.${key} holds ${material}; put it in a Secret`);
          }
          for (const config of registryConfigs(value)) {
            const inline = registryConfigInlineSecrets(config);
            if (inline.length)
              report(
                `${field}.${key}: registry config has ${inline.join(", ")} inline; pass them as REGISTRY_* env vars from a Secret`,
              );
          }
        }
      }
    }

    const spec = podSpec(r.type, r.props);
    if (spec)
      for (const { container } of podContainers(spec))
        for (const e of envVars(container.env))
          if (isSensitiveEnvName(e.name) && (e.value !== undefined || e.from === "configMapKeyRef"))
            report(
              `container ${str(container.name)}: env ${e.name} is a plain ${e.from ?? "value"}; take it from a Secret (valueFrom.secretKeyRef)`,
            );

    if (r.type === DOCKER_CONTAINER) {
      const sensitiveEnv = envVars(r.props.envs).filter((e) => isSensitiveEnvName(e.name));
      if (sensitiveEnv.length && !r.additionalSecretOutputs.includes("envs"))
        report(
          `envs carries ${sensitiveEnv.map((e) => e.name).join(", ")}: add "envs" to additionalSecretOutputs so the state keeps it secret`,
        );
      const secretUploads = list(r.props.uploads).filter((u) =>
        allTexts([at(u, "content"), at(u, "contentBase64")]).some((t) => secretMaterial(t)),
      );
      if (secretUploads.length && !r.additionalSecretOutputs.includes("uploads"))
        report(
          `uploads carry credentials: add "uploads" to additionalSecretOutputs so the state keeps them secret`,
        );
      for (const u of secretUploads)
        if (worldReadable(at(u, "permissions")))
          report(
            `upload ${str(at(u, "file"))} holds credentials but is world-readable (permissions ${String(at(u, "permissions") ?? "default 0644")}); use 0600 or 0400`,
          );
    }
  },
);
