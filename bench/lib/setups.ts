/**
 * A configuration the bench measures: a registry (Debian's docker-registry) serving a
 * generated config.yml on its own TLS listener, on plain HTTP, or behind an nginx, all on
 * 127.0.0.1 with the same CA and certificate.
 * Each configuration has its own registry, and `reset()` empties its storage and restarts
 * it between samples, so no push finds a blob already stored (or mountable from an earlier
 * repository through the registry's in-memory descriptor cache).
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { renderNginxConfig, type NginxConfigOptions } from "../../components/shared/nginxConfig";
import { applyMappings, hostMappings } from "../../tests/support/vmStack";
import { nginxPaths, startNginx, type RunningNginx } from "../../tests/support/nginx";
import { freePort } from "../../tests/support/processes";
import { startRegistry, type RunningRegistry } from "../../tests/support/registry";
import { run, tool } from "../../tests/support/tools";
import type { BenchTls } from "./certs";
import { fillTemplate, readFixture } from "./fixtures";
import { childPids, peakRssKiB } from "./proc";
import { round } from "./stats";

export interface SetupContext {
  work: string;
  tls: BenchTls;
}

/** What a configuration's nginx serves, given its mapped paths and ports. */
export type NginxConfigText = (m: NginxHostLayout) => string;

/** Where this host runs a configuration's nginx and registry. */
export interface NginxHostLayout {
  listenAddress: string;
  port: number;
  upstream: string;
  paths: ReturnType<typeof nginxPaths>;
  htpasswdPath: string;
  /** The registry's directory (its storage root is <registryDir>/data). */
  registryDir: string;
  /** A free port for the deployed file's in-container health listener. */
  healthPort: number;
}

export interface SetupSpec {
  id: string;
  label: string;
  /** The registry's config.yml as generated, and its htpasswd when the config turns auth on. */
  registry: { configYml: string; htpasswd?: string };
  /** What the client logs in with. */
  username: string;
  password: string;
  /** The registry serves TLS itself (the reference); else plain HTTP, behind nginx or not. */
  registryTls?: boolean;
  /** nginx in front of the registry, terminating TLS. */
  nginx?: NginxConfigText;
  /** nginx's own htpasswd (bcrypt, made with `htpasswd -Bbn` as the recipe says). */
  nginxHtpasswd?: boolean;
}

/**
 * A VM nginx.conf served with only paths and ports mapped: the same mappings as the VM
 * tests (tests/support/vmStack.ts hostMappings). `optional` mappings may be absent (the
 * "proxied" file has no storage root to map).
 */
export function deployedNginx(conf: string, opts: { optional?: boolean } = {}): NginxConfigText {
  return (m) => {
    const port = Number(m.upstream.split(":").pop());
    const mappings = hostMappings({
      nginx: m.paths,
      registryDir: m.registryDir,
      registryPort: port,
      httpsPort: m.port,
      healthPort: m.healthPort,
    })["vm/nginx.conf"].filter((x) => !opts.optional || conf.includes(x.from));
    return applyMappings("vm/nginx.conf", conf, mappings);
  };
}

/**
 * The VM's nginx.conf before blobs were sent from storage (every request proxied): the
 * deployed options without the storage root, re-rendered. bench.test.ts checks that adding
 * the root back gives the deployed file byte for byte.
 */
export function proxiedOnlyNginxConf(deployedOptions: NginxConfigOptions): string {
  return renderNginxConfig({ ...deployedOptions, blobStorageRoot: undefined });
}

/** Fills a template from bench/fixtures (or any file) with the mapped paths and ports. */
export function templateConfig(text: string): NginxConfigText {
  return (m) =>
    fillTemplate(text, {
      LISTEN: `${m.listenAddress}:${m.port}`,
      PORT: m.port,
      UPSTREAM: m.upstream,
      CERT: m.paths.certificatePath,
      KEY: m.paths.keyPath,
      PID: m.paths.pidPath,
      ERROR_LOG: m.paths.errorLogPath,
      ACCESS_LOG: m.paths.accessLogPath,
      TEMP: m.paths.tempDir,
      HTPASSWD: m.htpasswdPath,
    });
}

/** The nginx configurations the bench serves: the project's, and the two it is compared with. */
export const NGINX: Record<"recipe" | "seed003", NginxConfigText> = {
  recipe: templateConfig(readFixture("recipe-nginx.conf")),
  seed003: templateConfig(readFixture("seed003-nginx.conf")),
};

export class RunningSetup {
  registry!: RunningRegistry;
  nginx?: RunningNginx;
  endpoint = "";
  /** The registry's own address (plain HTTP for 2-4). */
  registryAddress = "";
  certDir = "";
  peakRegistryKiB = 0;
  private dir: string;

  constructor(
    readonly spec: SetupSpec,
    private ctx: SetupContext,
  ) {
    this.dir = path.join(ctx.work, spec.id);
  }

  async start(): Promise<void> {
    const { spec, ctx } = this;
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    fs.chmodSync(this.dir, 0o755);
    this.registry = await startRegistry({
      configYml: spec.registry.configYml,
      htpasswd: spec.registry.htpasswd,
      dir: path.join(this.dir, "registry"),
      tls: spec.registryTls ? { certPem: ctx.tls.certPem, keyPem: ctx.tls.keyPem } : undefined,
      env: { REGISTRY_HTTP_SECRET: randomBytes(24).toString("hex") },
    });
    this.registryAddress = this.registry.address;
    this.endpoint = this.registry.address;
    if (spec.nginx) {
      const paths = nginxPaths(path.join(this.dir, "nginx"));
      fs.chmodSync(paths.dir, 0o755);
      const htpasswdPath = path.join(paths.dir, "nginx.htpasswd");
      if (spec.nginxHtpasswd)
        fs.writeFileSync(
          htpasswdPath,
          run(tool("htpasswd"), ["-Bbn", spec.username, spec.password]),
          {
            mode: 0o644,
          },
        );
      const port = await freePort();
      const healthPort = await freePort();
      this.nginx = await startNginx({
        paths,
        port,
        certificatePem: ctx.tls.certPem,
        keyPem: ctx.tls.keyPem,
        config: spec.nginx({
          listenAddress: "127.0.0.1",
          port,
          upstream: this.registry.address,
          paths,
          htpasswdPath,
          registryDir: this.registry.dir,
          healthPort,
        }),
      });
      this.endpoint = `127.0.0.1:${port}`;
    }
    this.certDir = path.join(this.dir, "certs.d", this.endpoint);
    fs.mkdirSync(this.certDir, { recursive: true });
    fs.writeFileSync(path.join(this.certDir, "ca.crt"), ctx.tls.caPem);
  }

  /** skopeo's TLS flags for this endpoint, on its "src" or "dest" side. */
  tlsFlags(side: "src" | "dest"): string[] {
    return this.spec.registryTls || this.spec.nginx
      ? [`--${side}-cert-dir`, this.certDir]
      : [`--${side}-tls-verify=false`];
  }

  registryPid(): number[] {
    return this.registry.process.pid ? [this.registry.process.pid] : [];
  }

  nginxPids(): number[] {
    const master = this.nginx?.process.pid;
    return master ? [master, ...childPids(master)] : [];
  }

  /** Bytes stored by the registry (to check a push really sent its layers). */
  storedBytes(): number {
    let total = 0;
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile()) total += fs.statSync(p).size;
      }
    };
    if (fs.existsSync(this.registry.dataDir)) walk(this.registry.dataDir);
    return total;
  }

  private notePeak(): void {
    for (const pid of this.registryPid())
      this.peakRegistryKiB = Math.max(this.peakRegistryKiB, peakRssKiB(pid));
  }

  /** Empties the registry's storage and restarts it (fresh in-memory caches too). */
  async reset(): Promise<void> {
    this.notePeak();
    await this.registry.process.stop();
    fs.rmSync(this.registry.dataDir, { recursive: true, force: true });
    fs.mkdirSync(this.registry.dataDir, { recursive: true });
    await this.registry.restart();
  }

  /** Peak RSS: nginx master + workers (they live through the run), registry (max over restarts). */
  memory(): Record<string, unknown> {
    this.notePeak();
    const nginx = this.nginxPids().map((pid) => round(peakRssKiB(pid) / 1024, 1)!);
    return {
      registryPeakRssMiB: round(this.peakRegistryKiB / 1024, 1),
      ...(nginx.length
        ? {
            nginxPeakRssMiB: round(
              nginx.reduce((t, x) => t + x, 0),
              1,
            ),
            nginxProcesses: nginx.length,
            nginxPerProcessPeakMiB: nginx,
          }
        : {}),
    };
  }

  async stop(): Promise<void> {
    this.notePeak();
    await this.nginx?.stop();
    await this.registry?.stop();
  }
}
