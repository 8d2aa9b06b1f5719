import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { describeWithTools, tool } from "../../tests/support/tools";
import { cloudInitObject, renderCloudInit, type CloudInitOptions } from "./cloudInit";

const options: CloudInitOptions = {
  dataDevice: "/dev/disk/by-id/google-registry-data",
  dataMountPoint: "/mnt/registry-data",
  bundleDir: "/opt/registry",
  sshUser: "registry",
  sshPublicKey:
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDh6g0N0W3s0xWmQ9x1dwbL7Xr3d7gk0H4oZ1mZ9Zk2V deploy",
};

type WriteFile = { path: string; content: string };

describe("renderCloudInit", () => {
  const doc = parse(renderCloudInit(options));
  const script = (p: string) => (doc.write_files as WriteFile[]).find((f) => f.path === p)!.content;

  test("is #cloud-config with the deploy user (public key, passwordless sudo) and no password login", () => {
    expect(renderCloudInit(options).startsWith("#cloud-config\n")).toBe(true);
    expect(doc.users[0]).toMatchObject({
      name: "registry",
      ssh_authorized_keys: [options.sshPublicKey],
    });
    expect(doc.ssh_pwauth).toBe(false);
  });

  test("installs Docker Engine with the compose plugin, mounts the data disk first", () => {
    expect(script("/usr/local/sbin/registry-install-docker")).toContain("docker-compose-plugin");
    expect(doc.runcmd[0]).toEqual(["/usr/local/sbin/registry-mount-data"]);
    expect(script("/etc/systemd/system/docker.service.d/registry-data.conf")).toContain(
      "RequiresMountsFor=/mnt/registry-data",
    );
  });

  test("formats the data disk only when blank (a kept disk is never wiped)", () => {
    expect(script("/usr/local/sbin/registry-mount-data")).toMatch(
      /if ! blkid "\$dev"[^\n]*\n\s+mkfs\.ext4/,
    );
  });

  test("its scripts are valid sh", () => {
    for (const f of doc.write_files as WriteFile[])
      if (f.content.startsWith("#!/bin/sh"))
        expect(() =>
          execFileSync("sh", ["-n"], { input: f.content, stdio: ["pipe", "pipe", "pipe"] }),
        ).not.toThrow();
  });

  test("refuses names that would need quoting", () => {
    expect(() => cloudInitObject({ ...options, bundleDir: "/opt/my registry" })).toThrow(
      /plain path/,
    );
  });
});

describeWithTools("cloud-init schema accepts the user-data", ["cloud-init"], () => {
  const check = (text: string) => {
    const file = path.join(
      fs.mkdtempSync(path.join(os.tmpdir(), "vm-cloud-init-")),
      "user-data.yaml",
    );
    fs.writeFileSync(file, text);
    return execFileSync(tool("cloud-init"), ["schema", "--config-file", file], {
      encoding: "utf8",
      stdio: "pipe",
    });
  };
  test("the generated file", () => {
    expect(check(renderCloudInit(options))).toContain("Valid cloud-config");
  });
  test("and rejects a broken one (the check can fail)", () => {
    expect(() =>
      check(renderCloudInit(options).replace("ssh_pwauth: false", "ssh_pwauth: [1]")),
    ).toThrow();
  });
});
