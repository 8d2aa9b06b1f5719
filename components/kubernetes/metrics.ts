/**
 * The registry's Prometheus metrics: distribution's debug server (`http.debug` with
 * `prometheus.enabled`) on its own port, a ClusterIP Service for it, and an optional
 * prometheus-operator ServiceMonitor. The debug server has no auth and also serves Go's
 * /debug/vars and /debug/pprof/, so it never goes on the NodePort Service (each port of a
 * NodePort Service answers on every node).
 */
import { z } from "zod";
import type * as In from "@pulumi/kubernetes/types/input";
import { bool, integer, pattern } from "../../config/fields";
import { labelMap } from "./podPlacement";

/** The path distribution serves the metrics on (its config's http.debug.prometheus.path). */
export const METRICS_PATH = "/metrics";
export const DEFAULT_METRICS_PORT = 5001;

export const metricsSettings = z
  .strictObject({
    /** distribution's debug server with Prometheus metrics at /metrics, and a ClusterIP Service for it (default false). */
    enabled: bool().default(false),
    /** The metrics port in the pod and on the metrics Service (default 5001). */
    port: integer(1024, 65535).default(DEFAULT_METRICS_PORT),
    serviceMonitor: z
      .strictObject({
        /** A monitoring.coreos.com/v1 ServiceMonitor for the metrics Service (default false; needs the prometheus-operator CRDs). */
        enabled: bool().default(false),
        /** How often Prometheus scrapes, e.g. 30s (default: Prometheus's own). */
        interval: pattern(/^[0-9]+(ms|s|m|h)$/, "a duration such as 30s").optional(),
        /** Labels on the ServiceMonitor, so a Prometheus's serviceMonitorSelector picks it (e.g. release: kube-prometheus-stack). */
        labels: labelMap("release").optional(),
      })
      .prefault({}),
  })
  .prefault({});

export type MetricsSettings = z.output<typeof metricsSettings>;

/** Cross-field rules (from the backend's superRefine). */
export function checkMetrics(
  m: MetricsSettings,
  /** Ports the pod already listens on, each with what listens there. */
  taken: [port: number, what: string][],
  issue: (path: (string | number)[], message: string, input: unknown) => void,
): void {
  if (m.serviceMonitor.enabled && !m.enabled)
    issue(
      ["metrics", "serviceMonitor", "enabled"],
      "needs metrics.enabled true: the ServiceMonitor scrapes the metrics Service",
      true,
    );
  const clash = m.enabled ? taken.find(([port]) => port === m.port) : undefined;
  if (clash)
    issue(
      ["metrics", "port"],
      `must differ from ${clash[1]}'s port ${clash[0]}: the debug server listens on its own port`,
      m.port,
    );
}

/** The debug listener's address in config.yml (unset: no debug server). */
export function debugAddress(m: MetricsSettings): string | undefined {
  return m.enabled ? `:${m.port}` : undefined;
}

/** The container port the debug server listens on (none when metrics are off). */
export function metricsContainerPorts(m: MetricsSettings): In.core.v1.ContainerPort[] {
  return m.enabled ? [{ name: "metrics", containerPort: m.port, protocol: "TCP" }] : [];
}

type Meta = (
  name: string,
  component?: string,
) => { name: string; namespace: string; labels: Record<string, string> };

export interface MetricsManifests {
  service: {
    apiVersion: "v1";
    kind: "Service";
    metadata: ReturnType<Meta>;
    spec: In.core.v1.ServiceSpec;
  };
  serviceMonitor?: {
    apiVersion: "monitoring.coreos.com/v1";
    kind: "ServiceMonitor";
    metadata: ReturnType<Meta>;
    spec: Record<string, unknown>;
  };
}

/** The metrics Service (ClusterIP: in-cluster only) and the ServiceMonitor, when metrics are on. */
export function renderMetrics(
  name: string,
  m: MetricsSettings,
  meta: Meta,
  podSelector: Record<string, string>,
): MetricsManifests | undefined {
  if (!m.enabled) return undefined;
  const metadata = meta(name, "metrics");
  const service: MetricsManifests["service"] = {
    apiVersion: "v1",
    kind: "Service",
    metadata,
    spec: {
      type: "ClusterIP",
      selector: podSelector,
      ports: [{ name: "metrics", port: m.port, targetPort: "metrics", protocol: "TCP" }],
    },
  };
  if (!m.serviceMonitor.enabled) return { service };
  const serviceMonitor: MetricsManifests["serviceMonitor"] = {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: { ...metadata, labels: { ...metadata.labels, ...m.serviceMonitor.labels } },
    spec: {
      selector: { matchLabels: metadata.labels },
      namespaceSelector: { matchNames: [metadata.namespace] },
      endpoints: [
        {
          port: "metrics",
          path: METRICS_PATH,
          scheme: "http",
          ...(m.serviceMonitor.interval ? { interval: m.serviceMonitor.interval } : {}),
        },
      ],
    },
  };
  return { service, serviceMonitor };
}
