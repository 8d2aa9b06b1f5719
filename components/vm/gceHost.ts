/**
 * The VM backend's Compute Engine host: a static IP, firewall rules (HTTPS, SSH from the
 * deployer, HTTP-01 for ACME), a data disk that outlives the VM, and the VM with cloud-init.
 */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import * as tls from "@pulumi/tls";
import { renderCloudInit } from "./cloudInit";
import { IN_CONTAINER } from "./composeFile";
import type { VmHost } from "./host";
import { DATA_DEVICE_NAME, DATA_DEVICE_PATH, DATA_MOUNT_POINT, gceNetworkTag } from "./plan";
import type { GcpHostSettings, VmSettings } from "./settings";

/** The VM's static external IP, reserved first: the certificate may have to name it. */
export function reserveGceAddress(
  name: string,
  h: GcpHostSettings,
  parent: pulumi.Resource,
): pulumi.Output<string> {
  return new gcp.compute.Address(
    `${name}-address`,
    {
      project: h.project,
      region: h.zone.replace(/-[a-z]$/, ""),
      addressType: "EXTERNAL",
      description: "The registry VM's static external IP",
      labels: h.labels,
    },
    { parent },
  ).address;
}

/** A Compute Engine VM: static IP, firewall (HTTPS, SSH from the deployer), data disk, cloud-init. */
export function createGceHost(
  name: string,
  s: VmSettings,
  h: GcpHostSettings,
  address: pulumi.Output<string>,
  parent: pulumi.Resource,
): VmHost {
  const child = { parent };
  const tag = gceNetworkTag(name, pulumi.getStack());
  createGceFirewalls(name, s, h, tag, parent);

  const dataDisk = createDataDisk(name, s, h, parent);

  const { sshPublicKey, sshPrivateKey } = sshKeys(name, h, parent);

  const cloudInit = sshPublicKey.apply((key) =>
    renderCloudInit({
      dataDevice: DATA_DEVICE_PATH,
      dataMountPoint: DATA_MOUNT_POINT,
      bundleDir: s.remoteDir,
      sshUser: h.sshUser,
      sshPublicKey: key,
    }),
  );

  const instance = new gcp.compute.Instance(
    `${name}-vm`,
    {
      project: h.project,
      zone: h.zone,
      machineType: h.machineType,
      tags: [tag],
      labels: h.labels,
      bootDisk: {
        autoDelete: true,
        initializeParams: { image: h.image, size: h.bootDiskSizeGb },
      },
      attachedDisks: [{ source: dataDisk.selfLink, deviceName: DATA_DEVICE_NAME }],
      networkInterfaces: [{ network: h.network, accessConfigs: [{ natIp: address }] }],
      metadata: {
        "user-data": cloudInit,
        // Only the key above logs in: not the project's keys.
        "block-project-ssh-keys": "true",
      },
      ...(h.serviceAccountEmail
        ? { serviceAccount: { email: h.serviceAccountEmail, scopes: ["cloud-platform"] } }
        : {}),
      shieldedInstanceConfig: {
        enableSecureBoot: true,
        enableVtpm: true,
        enableIntegrityMonitoring: true,
      },
      allowStoppingForUpdate: true,
    },
    child,
  );

  return {
    address,
    connection: {
      host: address,
      user: h.sshUser,
      privateKey: sshPrivateKey,
      // A new VM takes a minute or two to boot and start sshd.
      dialErrorLimit: 40,
      perDialTimeout: 15,
    },
    sshUser: h.sshUser,
    ready: [instance],
    cloudInit,
    dataDisk: { disk: dataDisk, device: DATA_DEVICE_PATH, sizeGb: h.dataDiskSizeGb },
  };
}

/** Clients to nginx (HTTPS and any redirect port), the ACME CA's HTTP-01, the deployer's SSH. */
function createGceFirewalls(
  name: string,
  s: VmSettings,
  h: GcpHostSettings,
  tag: string,
  parent: pulumi.Resource,
): void {
  const child = { parent };
  const acme = s.tls.mode === "acme";
  const publicPorts = [
    String(s.httpsPort),
    ...(s.httpRedirectPort && !acme ? [String(s.httpRedirectPort)] : []),
  ];
  new gcp.compute.Firewall(
    `${name}-https`,
    {
      project: h.project,
      network: h.network,
      direction: "INGRESS",
      description: "Clients to the registry (nginx, TLS)",
      sourceRanges: h.httpsSourceRanges,
      targetTags: [tag],
      allows: [{ protocol: "tcp", ports: publicPorts }],
    },
    child,
  );
  if (acme)
    new gcp.compute.Firewall(
      `${name}-acme-http`,
      {
        project: h.project,
        network: h.network,
        direction: "INGRESS",
        description: "The ACME CA's HTTP-01 validation (from anywhere) and the redirect to HTTPS",
        sourceRanges: ["0.0.0.0/0"],
        targetTags: [tag],
        allows: [{ protocol: "tcp", ports: [String(IN_CONTAINER.httpPort)] }],
      },
      child,
    );
  new gcp.compute.Firewall(
    `${name}-ssh`,
    {
      project: h.project,
      network: h.network,
      direction: "INGRESS",
      description: "The deployer's SSH (bundle copy, docker compose)",
      sourceRanges: h.sshSourceRanges,
      targetTags: [tag],
      allows: [{ protocol: "tcp", ports: ["22"] }],
    },
    child,
  );
}

/** The SSH key pair the deployer logs in with: from config, or generated here (ED25519). */
function sshKeys(
  name: string,
  h: GcpHostSettings,
  parent: pulumi.Resource,
): { sshPublicKey: pulumi.Output<string>; sshPrivateKey: pulumi.Output<string> } {
  const child = { parent };
  let sshPublicKey: pulumi.Output<string>;
  let sshPrivateKey: pulumi.Output<string>;
  if (h.sshPublicKey !== undefined && h.sshPrivateKey !== undefined) {
    sshPublicKey = pulumi.output(h.sshPublicKey);
    sshPrivateKey = pulumi.secret(h.sshPrivateKey);
  } else {
    const key = new tls.PrivateKey(`${name}-ssh-key`, { algorithm: "ED25519" }, child);
    sshPublicKey = key.publicKeyOpenssh.apply((k) => k.trim());
    sshPrivateKey = pulumi.secret(key.privateKeyOpenssh);
  }
  return { sshPublicKey, sshPrivateKey };
}

/** The images live on their own disk: it outlives the VM (and, by default, the stack). */
function createDataDisk(
  name: string,
  s: VmSettings,
  h: GcpHostSettings,
  parent: pulumi.Resource,
): gcp.compute.Disk {
  return new gcp.compute.Disk(
    `${name}-data`,
    {
      project: h.project,
      zone: h.zone,
      size: h.dataDiskSizeGb,
      type: h.dataDiskType,
      labels: h.labels,
    },
    { parent, retainOnDelete: s.keepDataOnDestroy },
  );
}
