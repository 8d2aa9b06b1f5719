import { execFile, execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import {
  renderComposeDownCommand,
  renderComposeUpCommand,
  renderGrowDataCommand,
  renderPrepareCommand,
  renderWaitScript,
} from "./scripts";
import { describeWithTools } from "../../tests/support/tools";

/** Runs a script with sh, with `docker` and `sudo` replaced by recorders on PATH. */
function runWithFakeDocker(script: string, cwd: string) {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "vm-fake-bin-"));
  const log = path.join(bin, "calls.log");
  fs.writeFileSync(path.join(bin, "docker"), `#!/bin/sh\necho "docker $*" >> '${log}'\n`, {
    mode: 0o755,
  });
  fs.writeFileSync(path.join(bin, "sudo"), `#!/bin/sh\n[ "$1" = -n ] && shift\nexec "$@"\n`, {
    mode: 0o755,
  });
  const r = spawnSync("sh", ["-c", script], {
    cwd,
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    encoding: "utf8",
  });
  const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
  fs.rmSync(bin, { recursive: true, force: true });
  return { status: r.status, stderr: r.stderr, calls };
}

describe("remote commands", () => {
  let dir: string;
  const files = ["docker-compose.yml", "htpasswd", "registry.env", "certs/server.key"];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "vm-bundle-"));
    fs.mkdirSync(path.join(dir, "certs"));
    for (const f of files) fs.writeFileSync(path.join(dir, f), "x", { mode: 0o644 });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("are valid sh", () => {
    for (const script of [
      renderPrepareCommand({
        remoteDir: "/opt/registry",
        subDirs: ["certs"],
        waitForCloudInit: true,
      }),
      renderComposeUpCommand({ remoteDir: "/opt/registry", secretFiles: ["htpasswd"] }),
      renderComposeDownCommand({ remoteDir: "/opt/registry", removeVolumes: false, files }),
      renderWaitScript({ hint: "look" }),
    ])
      expect(() => execFileSync("sh", ["-n"], { input: script, stdio: "pipe" })).not.toThrow();
  });

  test("up: locks the secret files to their owner, starts the stack waiting for health, reloads nginx", () => {
    const r = runWithFakeDocker(
      renderComposeUpCommand({
        remoteDir: dir,
        secretFiles: ["htpasswd", "registry.env", "certs/server.key"],
      }),
      "/",
    );
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([
      "docker compose -p registry up -d --remove-orphans --wait",
      "docker compose -p registry exec -T nginx nginx -s reload",
    ]);
    for (const f of ["htpasswd", "registry.env", "certs/server.key"])
      expect(fs.statSync(path.join(dir, f)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(dir, "docker-compose.yml")).mode & 0o777).toBe(0o644);
  });

  test("up removes optional files the config no longer uses (a secret left behind otherwise)", () => {
    fs.writeFileSync(path.join(dir, "acme.env"), "ACME_EAB_HMAC=old\n");
    const r = runWithFakeDocker(
      renderComposeUpCommand({
        remoteDir: dir,
        secretFiles: ["htpasswd"],
        unusedFiles: ["acme.env", "gcs-key.json"],
      }),
      "/",
    );
    expect(r.status).toBe(0);
    expect(fs.existsSync(path.join(dir, "acme.env"))).toBe(false);
    expect(fs.existsSync(path.join(dir, "htpasswd"))).toBe(true);
  });

  test("down keeps the data volume by default and removes the bundle's files", () => {
    const r = runWithFakeDocker(
      renderComposeDownCommand({ remoteDir: dir, removeVolumes: false, files }),
      "/",
    );
    expect(r.status).toBe(0);
    expect(r.calls).toEqual(["docker compose -p registry down --remove-orphans"]);
    for (const f of files) expect(fs.existsSync(path.join(dir, f))).toBe(false);
  });

  test("down --volumes only when the data is not to be kept", () => {
    const r = runWithFakeDocker(
      renderComposeDownCommand({ remoteDir: dir, removeVolumes: true, files }),
      "/",
    );
    expect(r.calls).toEqual(["docker compose -p registry down --remove-orphans --volumes"]);
  });

  test("down on a host where the bundle is already gone succeeds", () => {
    const r = runWithFakeDocker(
      renderComposeDownCommand({ remoteDir: `${dir}/gone`, removeVolumes: false, files }),
      "/",
    );
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([]);
  });

  test("paths are never spliced unquoted into the shell", () => {
    expect(() =>
      renderComposeUpCommand({ remoteDir: "/opt/x; rm -rf /", secretFiles: [] }),
    ).toThrow(/plain path/);
  });
});

describe("the wait script (against a local HTTP server)", () => {
  let server: http.Server;
  let status = 401;
  let url: string;
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      res.statusCode = status;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  /** Runs the script without blocking the event loop (the server above answers in this process). */
  const wait = (env: Record<string, string>) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        "sh",
        ["-c", renderWaitScript({ hint: "Look at the host." })],
        {
          env: { ...process.env, WAIT_INTERVAL_SECONDS: "1", WAIT_TIMEOUT_SECONDS: "2", ...env },
          timeout: 30_000,
        },
        (err, stdout, stderr) =>
          resolve({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
      );
    });

  test("succeeds as soon as /v2/ answers 401", async () => {
    status = 401;
    const r = await wait({ REGISTRY_URL: url });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("answers 401");
  });

  test("fails after the timeout, naming the last answer, when /v2/ answers anything else", async () => {
    status = 200;
    const r = await wait({ REGISTRY_URL: url });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `registry did not come up: ${url} did not answer 401 within 2s (last: HTTP 200). Look at the host.`,
    );
  });

  test("fails with curl's reason when nothing answers", async () => {
    const r = await wait({ REGISTRY_URL: "http://127.0.0.1:9/v2/" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/last: curl: \(7\)/);
  });
});

describeWithTools("growing the data disk", ["resize2fs"], () => {
  // The real resize2fs on a real ext4 image that a bigger disk now holds (on the VM the
  // filesystem is mounted and grows online; a fresh, unmounted image grows the same way).
  test("the filesystem grows to the disk's new size, and a second run changes nothing", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vm-grow-"));
    const disk = path.join(dir, "data");
    try {
      execFileSync("truncate", ["-s", "16M", disk]);
      execFileSync("/usr/sbin/mkfs.ext4", ["-q", "-F", "-b", "1024", disk]);
      execFileSync("truncate", ["-s", "32M", disk]);
      const blocks = () =>
        /Block count:\s+(\d+)/.exec(
          execFileSync("/usr/sbin/dumpe2fs", ["-h", disk], { encoding: "utf8", stdio: "pipe" }),
        )?.[1];
      expect(blocks()).toBe("16384");
      const script = renderGrowDataCommand({ device: disk, sizeGb: 100 });
      const env = { ...process.env, PATH: `/usr/sbin:/sbin:${process.env.PATH}` };
      expect(spawnSync("sh", ["-c", script], { env, encoding: "utf8" }).status).toBe(0);
      expect(blocks()).toBe("32768");
      expect(spawnSync("sh", ["-c", script], { env, encoding: "utf8" }).status).toBe(0);
      expect(blocks()).toBe("32768");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the size is in the script's text, so a bigger disk re-runs it", () => {
    expect(renderGrowDataCommand({ device: "/dev/sdb", sizeGb: 50 })).not.toBe(
      renderGrowDataCommand({ device: "/dev/sdb", sizeGb: 100 }),
    );
  });
});
