/**
 * The registry's policies, every one mandatory. `index.ts` puts them in a PolicyPack
 * (which starts a gRPC server); tests import this file and call each validation
 * directly with fake arguments.
 *
 * Every rule reads plain data (`normalize`): values the engine does not know yet
 * (preview) read as UNKNOWN and are skipped, so a rule judges what it can see during
 * preview and everything during `pulumi up`, when each resource's inputs are known.
 */
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import {
  allTexts,
  at,
  envHasRegistryAuth,
  envVars,
  isLoopback,
  isNginxConfig,
  isObj,
  isRegistryImage,
  isSensitiveEnvName,
  isSensitiveKeyName,
  KUBERNETES_WORKLOADS,
  list,
  metaName,
  metaNamespace,
  nginxHasAuth,
  nginxWeakTls,
  normalize,
  type Obj,
  podContainers,
  podLabels,
  podSpec,
  registryConfigHasAuth,
  registryConfigInlineSecrets,
  registryConfigs,
  registryWeakTls,
  secretMaterial,
  str,
  UNKNOWN,
} from "./inspect";

/** A resource as the rules see it: type, name and plain props (inputs, or outputs in stack rules). */
export interface Resource {
  type: string;
  name: string;
  props: Obj;
  /** The resource option `additionalSecretOutputs`. */
  additionalSecretOutputs: string[];
}

async function resourceOf(args: {
  type: string;
  name: string;
  props: Record<string, unknown>;
  opts?: { additionalSecretOutputs?: string[] };
}): Promise<Resource> {
  const props = await normalize(args.props);
  return {
    type: args.type,
    name: args.name,
    props: isObj(props) ? props : {},
    additionalSecretOutputs: [...(args.opts?.additionalSecretOutputs ?? [])],
  };
}

/** A resource rule over plain data. */
function resourceRule(
  policy: Omit<ResourceValidationPolicy, "validateResource" | "enforcementLevel">,
  check: (r: Resource, report: (message: string) => void) => void,
): ResourceValidationPolicy {
  return {
    ...policy,
    enforcementLevel: "mandatory",
    validateResource: async (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
      check(await resourceOf(args), (message) => reportViolation(message));
    },
  };
}

/** A stack rule over plain data; a violation may name the resource it is about. */
function stackRule(
  policy: Omit<StackValidationPolicy, "validateStack" | "enforcementLevel">,
  check: (
    resources: (Resource & { urn: string })[],
    report: (message: string, urn?: string) => void,
  ) => void,
): StackValidationPolicy {
  return {
    ...policy,
    enforcementLevel: "mandatory",
    validateStack: async (args: StackValidationArgs, reportViolation: ReportViolation) => {
      const resources = await Promise.all(
        args.resources.map(async (r: PolicyResource) => ({ ...(await resourceOf(r)), urn: r.urn })),
      );
      check(resources, (message, urn) => reportViolation(message, urn));
    },
  };
}

// ---- 1. CI access is repository-scoped -------------------------------------------------

/** Project-, folder- and organization-wide IAM: a grant here reaches every repository and bucket. */
const WIDE_IAM_MEMBER = [
  "gcp:projects/iAMMember:IAMMember",
  "gcp:folder/iAMMember:IAMMember",
  "gcp:organizations/iAMMember:IAMMember",
];
const WIDE_IAM_BINDING = [
  "gcp:projects/iAMBinding:IAMBinding",
  "gcp:folder/iAMBinding:IAMBinding",
  "gcp:organizations/iAMBinding:IAMBinding",
];
const WIDE_IAM_POLICY = [
  "gcp:projects/iAMPolicy:IAMPolicy",
  "gcp:folder/iAMPolicy:IAMPolicy",
  "gcp:organizations/iAMPolicy:IAMPolicy",
];

const REPOSITORY_IAM_MEMBER = "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember";
const REPOSITORY_IAM_BINDING = "gcp:artifactregistry/repositoryIamBinding:RepositoryIamBinding";
const REPOSITORY_IAM_POLICY = "gcp:artifactregistry/repositoryIamPolicy:RepositoryIamPolicy";

/** The roles a repository grant may carry: pull, or pull and push. */
export const REPOSITORY_ROLES = ["roles/artifactregistry.reader", "roles/artifactregistry.writer"];

/** Roles that reach images or their storage when granted wide (basic roles include them). */
function isRegistryRole(role: string): boolean {
  return (
    /^roles\/(artifactregistry|storage)\./.test(role) ||
    role === "roles/owner" ||
    role === "roles/editor"
  );
}

/** A workload identity: a service account (the CI account) or a federated principal acting as one. */
function isWorkloadMember(member: string): boolean {
  return /^(serviceAccount:|principal:\/\/|principalSet:\/\/)/.test(member);
}

/** role → members of an IAM policy document (`policyData`, JSON). */
function policyBindings(policyData: unknown): { role: string; members: string[] }[] {
  if (typeof policyData !== "string") return [];
  try {
    const doc = JSON.parse(policyData) as unknown;
    return list(at(doc, "bindings")).flatMap((b) => {
      const role = str(at(b, "role"));
      return role
        ? [
            {
              role,
              members: list(at(b, "members")).filter((m): m is string => typeof m === "string"),
            },
          ]
        : [];
    });
  } catch {
    return [];
  }
}

/** The (role, members) grants an IAM resource makes. */
function grants(r: Resource): { role: string; members: string[] }[] {
  const role = str(r.props.role);
  if (WIDE_IAM_MEMBER.includes(r.type) || r.type === REPOSITORY_IAM_MEMBER) {
    const member = str(r.props.member);
    return role && member ? [{ role, members: [member] }] : [];
  }
  if (WIDE_IAM_BINDING.includes(r.type) || r.type === REPOSITORY_IAM_BINDING)
    return role
      ? [{ role, members: list(r.props.members).filter((m): m is string => typeof m === "string") }]
      : [];
  if (WIDE_IAM_POLICY.includes(r.type) || r.type === REPOSITORY_IAM_POLICY)
    return policyBindings(r.props.policyData);
  return [];
}

export const ciAccessRepositoryScoped = resourceRule(
  {
    name: "ci-access-repository-scoped",
    description:
      "No project-, folder- or organization-wide Artifact Registry or Storage role for a service account (the CI account): grant roles/artifactregistry.writer or .reader on the repository (RepositoryIamMember).",
    severity: "high",
    tags: ["gcp", "iam"],
  },
  (r, report) => {
    const wide = [...WIDE_IAM_MEMBER, ...WIDE_IAM_BINDING, ...WIDE_IAM_POLICY].includes(r.type);
    const repository = [
      REPOSITORY_IAM_MEMBER,
      REPOSITORY_IAM_BINDING,
      REPOSITORY_IAM_POLICY,
    ].includes(r.type);
    if (!wide && !repository) return;
    const scope = r.type.split(/[:/]/)[1];
    for (const { role, members } of grants(r)) {
      if (wide && isRegistryRole(role))
        for (const member of members.filter(isWorkloadMember))
          report(
            `${member} gets ${role} on the whole ${scope === "projects" ? "project" : scope}: grant roles/artifactregistry.writer (or .reader) on the repository with a RepositoryIamMember instead`,
          );
      if (repository && !REPOSITORY_ROLES.includes(role))
        report(
          `${role} on the repository: repository grants are ${REPOSITORY_ROLES.join(" or ")} only`,
        );
    }
  },
);

/** The repository id a repository IAM resource is about ("projects/p/locations/l/repositories/r" or "r"). */
function repositoryKey(r: Resource): string | undefined {
  const repository = str(r.props.repository);
  if (!repository) return undefined;
  const id = repository.split("/").pop() ?? repository;
  const location = str(r.props.location) ?? /\/locations\/([^/]+)\//.exec(repository)?.[1] ?? "";
  return `${location}/${id}`;
}

export const repositoryIamNotMixed = stackRule(
  {
    name: "repository-iam-not-mixed",
    description:
      "A repository's IAM is either authoritative (RepositoryIamPolicy / RepositoryIamBinding) or additive (RepositoryIamMember), never both: the authoritative one removes the members' grants on its next update.",
    severity: "high",
    tags: ["gcp", "iam"],
  },
  (resources, report) => {
    const byRepository = new Map<
      string,
      { members: Resource[]; authoritative: (Resource & { urn: string })[] }
    >();
    for (const r of resources) {
      const kind =
        r.type === REPOSITORY_IAM_MEMBER
          ? "members"
          : r.type === REPOSITORY_IAM_BINDING || r.type === REPOSITORY_IAM_POLICY
            ? "authoritative"
            : undefined;
      const key = kind && repositoryKey(r);
      if (!kind || !key) continue;
      const entry = byRepository.get(key) ?? { members: [], authoritative: [] };
      if (kind === "members") entry.members.push(r);
      else entry.authoritative.push(r);
      byRepository.set(key, entry);
    }
    for (const [key, { members, authoritative }] of byRepository)
      if (members.length > 0)
        for (const a of authoritative)
          report(
            `${a.type.split(":").pop()} ${a.name} is authoritative on repository ${key} where ${members.map((m) => m.name).join(", ")} add members: use RepositoryIamMember only`,
            a.urn,
          );
  },
);

// ---- 2. Registry pods: non-root, read-only, no escalation ---------------------------------

export const podsRestricted = resourceRule(
  {
    name: "pods-restricted",
    description:
      "Every container of a Kubernetes workload runs as non-root (runAsNonRoot, no runAsUser 0) with a read-only root filesystem, allowPrivilegeEscalation false, not privileged, capabilities drop ALL, and seccomp RuntimeDefault (pod or container level).",
    severity: "high",
    tags: ["kubernetes"],
  },
  (r, report) => {
    const spec = podSpec(r.type, r.props);
    if (!spec) return;
    const pod = isObj(spec.securityContext) ? spec.securityContext : {};
    for (const flag of ["hostNetwork", "hostPID", "hostIPC"])
      if (spec[flag] === true) report(`the pod sets ${flag}: true`);
    for (const { kind, container } of podContainers(spec)) {
      if (container.securityContext === UNKNOWN) continue;
      const where = `${kind === "containers" ? "container" : kind.replace(/s$/, "")} ${str(container.name) ?? "?"}`;
      const sc = isObj(container.securityContext) ? container.securityContext : {};
      const effective = (key: string) => (sc[key] !== undefined ? sc[key] : pod[key]);
      const skip = (v: unknown) => v === UNKNOWN;

      if (!skip(sc.readOnlyRootFilesystem) && sc.readOnlyRootFilesystem !== true)
        report(`${where}: securityContext.readOnlyRootFilesystem must be true`);
      if (!skip(sc.allowPrivilegeEscalation) && sc.allowPrivilegeEscalation !== false)
        report(`${where}: securityContext.allowPrivilegeEscalation must be false`);
      if (sc.privileged === true) report(`${where}: securityContext.privileged must not be true`);
      const nonRoot = effective("runAsNonRoot");
      if (!skip(nonRoot) && nonRoot !== true)
        report(`${where}: runAsNonRoot must be true (container or pod securityContext)`);
      if (effective("runAsUser") === 0) report(`${where}: runAsUser must not be 0 (root)`);
      const caps = isObj(sc.capabilities) ? sc.capabilities : {};
      if (sc.capabilities !== UNKNOWN && caps.drop !== UNKNOWN && !list(caps.drop).includes("ALL"))
        report(`${where}: securityContext.capabilities.drop must include ALL`);
      const added = list(caps.add).filter((c) => c !== "NET_BIND_SERVICE");
      if (added.length)
        report(
          `${where}: capabilities.add ${added.join(", ")} (only NET_BIND_SERVICE may be added back)`,
        );
      const seccomp = at(sc, "seccompProfile", "type") ?? at(pod, "seccompProfile", "type");
      if (!skip(seccomp) && seccomp !== "RuntimeDefault" && seccomp !== "Localhost")
        report(
          `${where}: seccompProfile.type must be RuntimeDefault (container or pod securityContext)`,
        );
    }
  },
);

// ---- 3. NodePort range --------------------------------------------------------------------

export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;

export const nodePortInRange = resourceRule(
  {
    name: "nodeport-in-range",
    description: `A Service's nodePort, when set, lies in the default NodePort range ${NODE_PORT_MIN}-${NODE_PORT_MAX}.`,
    severity: "medium",
    tags: ["kubernetes"],
  },
  (r, report) => {
    if (r.type !== "kubernetes:core/v1:Service") return;
    for (const port of list(at(r.props, "spec", "ports"))) {
      const nodePort = at(port, "nodePort");
      if (nodePort === undefined || nodePort === null || nodePort === UNKNOWN) continue;
      const n = typeof nodePort === "number" ? nodePort : Number(nodePort);
      if (!Number.isInteger(n) || n < NODE_PORT_MIN || n > NODE_PORT_MAX)
        report(
          `port ${str(at(port, "name")) ?? at(port, "port")}: nodePort ${String(nodePort)} is outside ${NODE_PORT_MIN}-${NODE_PORT_MAX}`,
        );
    }
  },
);

// ---- 4. No registry exposed without auth --------------------------------------------------

const DOCKER_CONTAINER = "docker:index/container:Container";
const REMOTE_TYPES = /^(command:remote:|gcp:compute\/(instance|instanceTemplate):)/;

/** Where a docker container is published beyond the host: `ip` unset means 0.0.0.0. */
function publicPorts(container: Resource): string[] {
  return list(container.props.ports).flatMap((p) => {
    const ip = at(p, "ip");
    if (ip === UNKNOWN) return [];
    const address = typeof ip === "string" && ip !== "" ? ip : "0.0.0.0";
    return isLoopback(address) ? [] : [`${address}:${String(at(p, "external") ?? "?")}`];
  });
}

interface RegistryRun {
  /** At least one registry config was found, or the registry image is used with its built-in config. */
  authed: boolean;
}

/** Whether a resource runs (or ships) a registry, and whether it checks credentials. */
function registryIn(r: Resource, image?: unknown): RegistryRun | undefined {
  const configs = registryConfigs(r.props);
  const envAuth = envHasRegistryAuth(envVars(r.props));
  if (configs.length > 0) return { authed: envAuth || configs.every(registryConfigHasAuth) };
  if (isRegistryImage(image)) return { authed: envAuth }; // the image's own config has no auth
  return undefined;
}

function kubernetesExposure(resources: Resource[]): Map<string, string> {
  // "namespace/service" → how it is reachable from outside the cluster
  const exposed = new Map<string, string>();
  for (const r of resources) {
    if (r.type === "kubernetes:core/v1:Service") {
      const type = str(at(r.props, "spec", "type")) ?? "ClusterIP";
      const externalIPs = list(at(r.props, "spec", "externalIPs"));
      if (type === "NodePort" || type === "LoadBalancer" || externalIPs.length > 0)
        exposed.set(
          `${metaNamespace(r.props)}/${metaName(r.props)}`,
          externalIPs.length ? "externalIPs" : type,
        );
    }
    if (r.type === "kubernetes:networking.k8s.io/v1:Ingress") {
      const names = allBackendServices(r.props);
      for (const n of names) exposed.set(`${metaNamespace(r.props)}/${n}`, "Ingress");
    }
  }
  return exposed;
}

function allBackendServices(ingress: Obj): string[] {
  const names: string[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (!isObj(v)) return;
    const name = at(v, "service", "name");
    if (typeof name === "string") names.push(name);
    Object.values(v).forEach(visit);
  };
  visit(ingress.spec);
  return names;
}

function selectorMatches(selector: unknown, labels: Obj): boolean {
  if (!isObj(selector) || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export const registryRequiresAuth = stackRule(
  {
    name: "registry-requires-auth",
    description:
      "A registry reachable beyond its host (docker port on a non-loopback address, a NodePort/LoadBalancer/Ingress Service, a VM) checks credentials: htpasswd or token auth in its config.yml or REGISTRY_AUTH_* env.",
    severity: "critical",
    tags: ["docker", "kubernetes", "vm"],
  },
  (resources, report) => {
    // Docker: a published registry, or a published nginx in front of an open registry.
    const containers = resources.filter((r) => r.type === DOCKER_CONTAINER);
    const openRegistries = containers.filter((c) => registryIn(c, c.props.image)?.authed === false);
    for (const c of containers) {
      const ports = publicPorts(c);
      if (ports.length === 0) continue;
      const registry = registryIn(c, c.props.image);
      if (registry && !registry.authed)
        report(
          `container ${c.name} publishes a registry without auth on ${ports.join(", ")}: turn on auth (htpasswd) or bind to 127.0.0.1`,
          c.urn,
        );
      const proxy = allTexts(c.props).filter(isNginxConfig);
      if (!registry && proxy.length > 0 && !proxy.some(nginxHasAuth))
        for (const open of openRegistries.filter((o) => o !== c))
          report(
            `container ${c.name} publishes ${ports.join(", ")} in front of registry ${open.name}, which has no auth`,
            c.urn,
          );
    }

    // Kubernetes: workloads behind an exposed Service, with the config they mount.
    const exposed = kubernetesExposure(resources);
    const configMaps = new Map<string, Resource>();
    for (const r of resources)
      if (r.type === "kubernetes:core/v1:ConfigMap")
        configMaps.set(`${metaNamespace(r.props)}/${metaName(r.props)}`, r);
    for (const w of resources) {
      const spec = podSpec(w.type, w.props);
      if (!spec) continue;
      const namespace = metaNamespace(w.props);
      const labels = podLabels(w.type, w.props);
      const services = resources.filter(
        (s) =>
          s.type === "kubernetes:core/v1:Service" &&
          metaNamespace(s.props) === namespace &&
          exposed.has(`${namespace}/${metaName(s.props)}`) &&
          selectorMatches(at(s.props, "spec", "selector"), labels),
      );
      if (services.length === 0) continue;
      const mounted = list(spec.volumes).flatMap((v) => {
        const name = str(at(v, "configMap", "name"));
        const cm = name && configMaps.get(`${namespace}/${name}`);
        return cm ? [cm] : [];
      });
      for (const { container } of podContainers(spec).filter((c) => c.kind === "containers")) {
        const configs = mounted.flatMap((cm) => registryConfigs(cm.props));
        const envAuth = envHasRegistryAuth(envVars(container.env));
        const runsRegistry = configs.length > 0 ? true : isRegistryImage(container.image);
        if (!runsRegistry) continue;
        const authed = envAuth || (configs.length > 0 && configs.every(registryConfigHasAuth));
        if (!authed)
          for (const s of services)
            report(
              `${w.type.split(":").pop()} ${w.name} (container ${str(container.name)}) serves a registry without auth through ${exposed.get(`${namespace}/${metaName(s.props)}`)} Service ${metaName(s.props)}: turn on auth (htpasswd)`,
              s.urn,
            );
      }
    }

    // A VM: whatever is shipped to a remote host or a Compute instance is served to the network.
    for (const r of resources.filter((x) => REMOTE_TYPES.test(x.type))) {
      const registry = registryIn(r);
      if (registry && !registry.authed)
        report(
          `${r.type.split(":").pop()} ${r.name} ships a registry config without auth to a VM: turn on auth (htpasswd)`,
          r.urn,
        );
    }
  },
);

// ---- 5. Nothing below TLS 1.2 -------------------------------------------------------------

export const tlsMinimum12 = resourceRule(
  {
    name: "tls-minimum-1-2",
    description:
      "TLS configs allow nothing below TLS 1.2: nginx ssl_protocols (wherever an nginx config is shipped: remote commands, uploads, ConfigMaps, user-data) and the registry's http.tls.minimumtls.",
    severity: "high",
    tags: ["tls", "nginx", "registry"],
  },
  (r, report) => {
    const texts = allTexts(r.props);
    const problems = new Set<string>();
    for (const text of texts)
      for (const p of nginxWeakTls(text)) problems.add(`nginx config: ${p}`);
    for (const config of registryConfigs(r.props)) {
      const weak = registryWeakTls(config);
      if (weak)
        problems.add(`registry config: http.tls.minimumtls is ${weak} (use tls1.2 or tls1.3)`);
    }
    for (const e of envVars(r.props))
      if (e.name === "REGISTRY_HTTP_TLS_MINIMUMTLS" && e.value && !/^tls1\.[23]$/i.test(e.value))
        problems.add(`REGISTRY_HTTP_TLS_MINIMUMTLS is ${e.value} (use tls1.2 or tls1.3)`);
    for (const p of problems) report(p);
  },
);

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

/** Every policy of the pack, in the order the README lists them. */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  ciAccessRepositoryScoped,
  repositoryIamNotMixed,
  podsRestricted,
  nodePortInRange,
  registryRequiresAuth,
  tlsMinimum12,
  secretsNotInPlainConfig,
];

/** The workload types the pod rule reads (for docs and tests). */
export const WORKLOAD_TYPES = Object.keys(KUBERNETES_WORKLOADS);
