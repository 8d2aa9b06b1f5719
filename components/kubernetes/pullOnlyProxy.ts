/**
 * The pull-only guard on Kubernetes: with `auth.pullUser` set, an nginx container joins
 * the registry's pod and takes the Service's named port "http"; the registry moves to
 * the pod's loopback, where only containers of this pod reach it. nginx runs the shared
 * renderer's conf with the guard (components/shared/pullOnlyGuard.ts).
 *
 * TLS (tls.mode other than none): nginx terminates it with the same mounted Secret and
 * the registry serves plain HTTP on loopback. One TLS listener, the one the VM and
 * Docker backends already prove; proxying to the registry's own TLS would add a
 * second handshake per connection and a CA for nginx to trust, for traffic that never
 * leaves the pod's network namespace.
 *
 * Pod Security "restricted": nginx runs as the pod's non-root user, no privilege
 * escalation, all capabilities dropped, read-only root filesystem; it writes only to
 * emptyDirs (its temp directories and pid). The image's entrypoint (which edits files
 * under /etc/nginx as root) is bypassed with an explicit `nginx -c`.
 */
import type * as In from "@pulumi/kubernetes/types/input";
import { renderNginxConfig, type NginxConfigOptions } from "../shared/nginxConfig";
import { pullOnlyGuardFor } from "../shared/pullOnlyGuard";
import { RESTRICTED_CONTAINER_SECURITY } from "./podSecurity";
import type { KubernetesSettings } from "./settings";
import { TLS_CERT_PATH, TLS_DIR, TLS_KEY_PATH } from "./tls";

/** The registry's listener behind nginx: the pod's loopback only (5001 is the usual debug/metrics port). */
export const REGISTRY_LOOPBACK = "127.0.0.1:5010";
/** The nginx container's name in the registry pod. */
export const NGINX_CONTAINER = "nginx";
/** Where nginx reads its conf (the ConfigMap's nginx.conf key). */
export const NGINX_CONF_DIR = "/etc/registry-nginx";
/** nginx's writable places: its temp directories (the image's compiled-in paths) and the pid. */
const NGINX_CACHE_DIR = "/var/cache/nginx";
const NGINX_RUN_DIR = "/tmp/nginx";

/** Whether the pod gets the guard (a pull-only user is configured). */
export function hasPullOnlyProxy(s: KubernetesSettings): boolean {
  return pullOnlyGuardFor(s.auth) !== undefined;
}

/** nginx.conf options in the pod: the Service's port, TLS from the mounted Secret. */
export function podNginxOptions(s: KubernetesSettings, listenPort: number): NginxConfigOptions {
  const tls = s.tls.mode !== "none";
  return {
    upstream: REGISTRY_LOOPBACK,
    listenPort,
    ...(tls ? { certificatePath: TLS_CERT_PATH, keyPath: TLS_KEY_PATH } : {}),
    pidPath: `${NGINX_RUN_DIR}/nginx.pid`,
    // The image links these to the container's stderr and stdout (kubectl logs).
    errorLogPath: "/var/log/nginx/error.log",
    accessLogPath: "/var/log/nginx/access.log",
    pullOnly: pullOnlyGuardFor(s.auth),
  };
}

/** The nginx.conf the ConfigMap carries (key nginx.conf). */
export function podNginxConf(s: KubernetesSettings, port: number): string {
  return renderNginxConfig(podNginxOptions(s, port));
}

/**
 * Puts nginx in front of the registry in the Deployment's pod: nginx takes the port
 * named "http" (so the Service is unchanged) and the registry's probes; the registry
 * keeps its container, on loopback, probed from inside.
 */
export function guardPod(
  deployment: { spec: In.apps.v1.DeploymentSpec },
  configMapName: string,
  port: number,
  s: KubernetesSettings,
  tlsSecretName: string | undefined,
): void {
  // renderManifests builds these as plain objects (no Inputs at this level).
  const pod = (deployment.spec.template as In.core.v1.PodTemplateSpec)
    .spec as In.core.v1.PodSpec & {
    containers: In.core.v1.Container[];
    volumes: In.core.v1.Volume[];
  };
  const registry = { ...pod.containers[0] };
  const { readinessProbe, livenessProbe } = registry;
  // nginx takes the port the Service targets.
  delete registry.ports;
  pod.containers[0] = {
    ...registry,
    readinessProbe: loopbackProbe({ periodSeconds: 5, failureThreshold: 3 }),
    livenessProbe: loopbackProbe({
      initialDelaySeconds: 10,
      periodSeconds: 10,
      failureThreshold: 3,
    }),
  };
  pod.containers.push({
    name: NGINX_CONTAINER,
    image: s.nginxImage,
    imagePullPolicy: "IfNotPresent",
    command: ["nginx", "-c", `${NGINX_CONF_DIR}/nginx.conf`, "-g", "daemon off;"],
    ports: [{ name: "http", containerPort: port, protocol: "TCP" }],
    // The registry's probes on the same port: they now pass nginx and the registry.
    readinessProbe,
    livenessProbe,
    volumeMounts: [
      { name: "nginx-conf", mountPath: NGINX_CONF_DIR, readOnly: true },
      { name: "nginx-cache", mountPath: NGINX_CACHE_DIR },
      { name: "nginx-run", mountPath: NGINX_RUN_DIR },
      ...(tlsSecretName ? [{ name: "tls", mountPath: TLS_DIR, readOnly: true }] : []),
    ],
    resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { memory: "128Mi" } },
    securityContext: RESTRICTED_CONTAINER_SECURITY,
  });
  pod.volumes.push(
    {
      name: "nginx-conf",
      configMap: { name: configMapName, items: [{ key: "nginx.conf", path: "nginx.conf" }] },
    },
    // Request bodies stream through (proxy_request_buffering off) and answers stay in
    // memory (proxy_max_temp_file_size 0): nginx's temp directories stay near empty.
    { name: "nginx-cache", emptyDir: { sizeLimit: "64Mi" } },
    { name: "nginx-run", emptyDir: { sizeLimit: "1Mi" } },
  );
}

/**
 * The registry's probes behind nginx: kubelet cannot reach the pod's loopback, so they
 * run busybox wget inside the registry container (the image is Alpine-based).
 */
function loopbackProbe(extra: Partial<In.core.v1.Probe>): In.core.v1.Probe {
  return {
    exec: { command: ["wget", "-q", "--spider", `http://${REGISTRY_LOOPBACK}/`] },
    timeoutSeconds: 3,
    ...extra,
  };
}
