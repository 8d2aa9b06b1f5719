/**
 * cloud-init user-data for the VM this backend creates on GCP: Docker Engine with
 * the compose plugin from Docker's apt repository, and the data disk formatted (only
 * when blank) and mounted where the registry keeps its images, and the SSH user the
 * deploy logs in as. No secrets (the SSH key here is the public half): instance
 * metadata is readable by anyone who can view the instance. The bundle comes later,
 * over SSH.
 */
import { stringify } from "yaml";

export interface CloudInitOptions {
  /** The data disk, as the guest sees it: /dev/disk/by-id/google-<deviceName>. */
  dataDevice: string;
  /** Where the data disk is mounted (the registry's /var/lib/registry). */
  dataMountPoint: string;
  /** The directory the bundle is copied to; created for the SSH user. */
  bundleDir: string;
  /** The user the deploy logs in as: passwordless sudo, this key only. */
  sshUser: string;
  sshPublicKey: string;
}

const INSTALL_DOCKER = `#!/bin/sh
# Docker Engine and the compose plugin from Docker's apt repository (Debian or Ubuntu).
set -eu
. /etc/os-release
install -m 0755 -d /etc/apt/keyrings
curl -fsSL --retry 5 "https://download.docker.com/linux/$ID/gpg" -o /etc/apt/keyrings/docker.asc
chmod a+r /etc/apt/keyrings/docker.asc
echo "deb [arch=$(dpkg --print-architecture) signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/$ID $VERSION_CODENAME stable" > /etc/apt/sources.list.d/docker.list
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y docker-ce docker-ce-cli containerd.io docker-compose-plugin
systemctl enable --now docker
docker compose version
`;

function mountDataDisk(o: CloudInitOptions): string {
  return `#!/bin/sh
# Formats the data disk only when it holds no filesystem (a kept disk is never wiped),
# then mounts it for good.
set -eu
dev='${o.dataDevice}'
mnt='${o.dataMountPoint}'
i=0
until [ -b "$dev" ]; do
  i=$((i + 1))
  if [ "$i" -gt 60 ]; then echo "data disk $dev did not appear" >&2; exit 1; fi
  sleep 2
done
if ! blkid "$dev" >/dev/null 2>&1; then
  mkfs.ext4 -m 0 -L registry-data -E lazy_itable_init=0,lazy_journal_init=0,discard "$dev"
fi
mkdir -p "$mnt"
grep -q " $mnt " /etc/fstab || echo "$dev $mnt ext4 defaults,nofail,discard 0 2" >> /etc/fstab
mountpoint -q "$mnt" || mount "$mnt"
`;
}

export function cloudInitObject(o: CloudInitOptions): Record<string, unknown> {
  const { sshPublicKey, ...plain } = o;
  for (const [what, value] of Object.entries(plain))
    if (!/^[A-Za-z0-9._/-]+$/.test(value))
      throw new Error(`cloud-init ${what} must be a plain path or name (got ${value})`);
  return {
    users: [
      {
        name: o.sshUser,
        shell: "/bin/bash",
        sudo: "ALL=(ALL) NOPASSWD:ALL",
        lock_passwd: true,
        ssh_authorized_keys: [sshPublicKey],
      },
    ],
    package_update: true,
    packages: ["ca-certificates", "curl"],
    ssh_pwauth: false,
    write_files: [
      {
        path: "/usr/local/sbin/registry-install-docker",
        permissions: "0755",
        content: INSTALL_DOCKER,
      },
      {
        path: "/usr/local/sbin/registry-mount-data",
        permissions: "0755",
        content: mountDataDisk(o),
      },
      {
        // Docker must not start the registry on the bare mount point before the disk is mounted.
        path: "/etc/systemd/system/docker.service.d/registry-data.conf",
        permissions: "0644",
        content: `[Unit]\nRequiresMountsFor=${o.dataMountPoint}\n`,
      },
    ],
    runcmd: [
      ["/usr/local/sbin/registry-mount-data"],
      ["/usr/local/sbin/registry-install-docker"],
      ["install", "-d", "-m", "0750", "-o", o.sshUser, "-g", o.sshUser, o.bundleDir],
    ],
  };
}

export function renderCloudInit(o: CloudInitOptions): string {
  return `#cloud-config\n${stringify(cloudInitObject(o), { lineWidth: 0 })}`;
}
