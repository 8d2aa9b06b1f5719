/** Policy 4: no registry is exposed beyond loopback without credentials. */
import {
  allTexts,
  at,
  envHasRegistryAuth,
  envVars,
  isLoopback,
  isNginxConfig,
  isObj,
  isRegistryImage,
  list,
  metaName,
  metaNamespace,
  nginxHasAuth,
  type Obj,
  podContainers,
  podLabels,
  podSpec,
  registryConfigHasAuth,
  registryConfigs,
  str,
  UNKNOWN,
} from "./inspect";
import { DOCKER_CONTAINER, type Resource, stackRule } from "./rules";

// ---- 4. No registry exposed without auth --------------------------------------------------

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
