/**
 * The VM backend's decisions as plain values: where the data lives (GCP data disk or a
 * named volume), nginx's options, the ACME client service. No Pulumi resources here:
 * the component and its host and delivery files wire these; tests call them directly.
 */
import { BUNDLE, IN_CONTAINER, type AcmeServiceOptions, type RegistryData } from "./composeFile";
import { renderAcmeClientScript, renderNginxReloader } from "./acme";
import { vmAcmeClientOptions, vmAcmeNginxPaths, vmNginxReloaderOptions } from "./acmeStack";
import type { NginxConfigOptions } from "../shared/nginxConfig";
import type { VmSettings } from "./settings";

/** Where the GCP VM mounts its data disk (the registry's /var/lib/registry). */
export const DATA_MOUNT_POINT = "/mnt/registry-data";
/** The data disk's device name: the guest sees /dev/disk/by-id/google-<name>. */
export const DATA_DEVICE_NAME = "registry-data";
/** Where the guest sees the data disk (Compute Engine names it by its device name). */
export const DATA_DEVICE_PATH = `/dev/disk/by-id/google-${DATA_DEVICE_NAME}`;
/** Bundle files only some configurations have (the compose-up step removes them otherwise). */
export const OPTIONAL_BUNDLE_FILES = [BUNDLE.gcsKey, BUNDLE.acmeCaBundle, BUNDLE.acmeEnv];
/** The named volume on an existing host. */
export const DATA_VOLUME = "registry-data";
/** tls.mode acme: the named volume of the ACME account, certificates and challenge webroot. */
export const ACME_VOLUME = "registry-acme";

/** The nginx.conf options of the deployed stack (tests map only ports and paths). */
export function vmNginxOptions(
  s: Pick<VmSettings, "domain" | "httpsPort" | "httpRedirectPort"> & {
    tls?: Pick<VmSettings["tls"], "mode">;
    storage: Pick<VmSettings["storage"], "driver">;
  },
): NginxConfigOptions {
  if (s.tls?.mode === "acme") {
    // The live certificate on the ACME volume; port 80 serves the HTTP-01 challenge.
    const acme = vmAcmeNginxPaths();
    return {
      ...vmNginxOptions({ ...s, tls: undefined, httpRedirectPort: IN_CONTAINER.httpPort }),
      certificatePath: acme.certificatePath,
      keyPath: acme.keyPath,
      acmeChallengeRoot: acme.webroot,
    };
  }
  return {
    upstream: IN_CONTAINER.registryUpstream,
    listenPort: IN_CONTAINER.httpsPort,
    serverName: s.domain,
    publicHttpsPort: s.httpsPort,
    certificatePath: IN_CONTAINER.certificate,
    keyPath: IN_CONTAINER.key,
    httpRedirectPort: s.httpRedirectPort === undefined ? undefined : IN_CONTAINER.httpPort,
    healthListen: IN_CONTAINER.nginxHealth,
    // The official image's user; its log files are links to the container's stdout/stderr.
    user: "nginx",
    pidPath: "/var/run/nginx.pid",
    errorLogPath: "/var/log/nginx/error.log",
    accessLogPath: "/var/log/nginx/access.log",
    // Filesystem storage: compose mounts the data read-only into nginx at the same path,
    // and nginx serves authorised blob GETs from it (shared/nginxBlobs.ts).
    ...(s.storage.driver === "filesystem" ? { blobStorageRoot: IN_CONTAINER.data } : {}),
  };
}

/** Where the registry keeps its data: the GCP data disk, a named volume, or nowhere (object storage). */
export function vmRegistryData(s: Pick<VmSettings, "storage" | "host">): RegistryData {
  return s.storage.driver !== "filesystem"
    ? { kind: "none" }
    : s.host.mode === "gcp"
      ? { kind: "hostPath", path: DATA_MOUNT_POINT }
      : { kind: "volume", name: DATA_VOLUME };
}

/** tls.mode acme: the ACME client service; its state lives beside the registry's data. */
export function vmAcmeService(s: VmSettings): AcmeServiceOptions | undefined {
  if (s.tls.mode !== "acme" || s.domain === undefined) return undefined;
  return {
    image: s.legoImage,
    clientScript: renderAcmeClientScript(vmAcmeClientOptions(s.domain, s.tls)),
    nginxScript: renderNginxReloader(vmNginxReloaderOptions()),
    // On the GCP data disk, which outlives the VM (a re-issue on every new VM would run
    // into the CA's duplicate-certificate limit); else a named volume of its own.
    state:
      s.host.mode === "gcp"
        ? { kind: "hostPath", path: `${DATA_MOUNT_POINT}/acme` }
        : { kind: "volume", name: ACME_VOLUME },
    caBundle: s.tls.caBundle !== undefined,
    eabEnv: s.tls.eab !== undefined,
  };
}

/** The network tag the firewall rules target: the VM's name and stack, as GCE allows (RFC 1035, 63). */
export function gceNetworkTag(name: string, stack: string): string {
  return `${name}-${stack}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, 63)
    .replace(/-+$/, "");
}
