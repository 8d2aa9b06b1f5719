/**
 * The configurations the bench compares, each a registry (Debian's docker-registry) and,
 * for 2-4, an nginx in front of it, all on 127.0.0.1 with the same CA and certificate.
 * Each configuration has its own registry, and `reset()` empties its storage and restarts
 * it between samples, so no push finds a blob already stored (or mountable from an earlier
 * repository through the registry's in-memory descriptor cache).
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { renderHtpasswd } from "../../components/shared/htpasswd";
import { renderRegistryConfig } from "../../components/shared/registryConfig";
import { IN_CONTAINER } from "../../components/vm/composeFile";
import { renderNginxConfig, type NginxConfigOptions } from "../../components/vm/nginxConfig";
import { vmNginxOptions } from "../../components/vm/registry";
import { nginxPaths, startNginx, type RunningNginx } from "../../tests/support/nginx";
import { freePort } from "../../tests/support/processes";
import { startRegistry, type RunningRegistry } from "../../tests/support/registry";
import { run, tool } from "../../tests/support/tools";
import type { BenchTls } from "./certs";
import { fillTemplate, readFixture } from "./fixtures";
import { childPids, peakRssKiB } from "./proc";

export const USER = "bench";
export const PASSWORD = "bench-password-0123456789";

export interface SetupContext {
  work: string;
  tls: BenchTls;
}

/** What a configuration's nginx serves, given its mapped paths and ports. */
export type NginxConfigText = (m: {
  listenAddress: string;
  port: number;
  upstream: string;
  paths: ReturnType<typeof nginxPaths>;
  htpasswdPath: string;
}) => string;

export interface SetupSpec {
  id: string;
  label: string;
  /** undefined: the registry's own TLS listener is the endpoint. */
  nginx?: NginxConfigText;
  /** The registry checks htpasswd itself (the project's way); else it has no auth. */
  registryAuth: boolean;
  /** nginx's htpasswd (bcrypt, made with `htpasswd -Bbn` as the recipe says). */
  nginxHtpasswd?: boolean;
}

/** The project's registry config.yml (the VM backend's defaults), as deployed. */
function projectRegistryConfig(auth: boolean): string {
  return renderRegistryConfig({
    listenAddress: IN_CONTAINER.registryListen,
    storage: { driver: "filesystem", rootDirectory: "/var/lib/registry" },
    deleteEnabled: true,
    htpasswdPath: auth ? IN_CONTAINER.htpasswd : undefined,
    logLevel: "info",
  });
}

/** The generated nginx.conf as the VM backend deploys it, with only paths and ports mapped. */
export function generatedNginxOptions(m: Parameters<NginxConfigText>[0]): NginxConfigOptions {
  return {
    ...vmNginxOptions({ httpsPort: m.port, httpRedirectPort: undefined }),
    upstream: m.upstream,
    listenAddress: m.listenAddress,
    listenPort: m.port,
    healthListen: undefined,
    user: undefined,
    certificatePath: m.paths.certificatePath,
    keyPath: m.paths.keyPath,
    pidPath: m.paths.pidPath,
    errorLogPath: m.paths.errorLogPath,
    accessLogPath: m.paths.accessLogPath,
    tempDir: m.paths.tempDir,
  };
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

export const SETUPS: SetupSpec[] = [
  {
    id: "registry-tls",
    label: "1 registry's own TLS (reference)",
    registryAuth: true,
  },
  {
    id: "nginx-generated",
    label: "2 generated nginx.conf",
    registryAuth: true,
    nginx: (m) => renderNginxConfig(generatedNginxOptions(m)),
  },
  {
    id: "nginx-recipe",
    label: "3 distribution's nginx recipe",
    registryAuth: false,
    nginxHtpasswd: true,
    nginx: templateConfig(readFixture("recipe-nginx.conf")),
  },
  {
    id: "nginx-seed003",
    label: "4 seed 003 server block",
    registryAuth: false,
    nginx: templateConfig(readFixture("seed003-nginx.conf")),
  },
];

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
    const htpasswd = spec.registryAuth
      ? renderHtpasswd([
          {
            username: USER,
            password: PASSWORD,
            salt: randomBytes(16).toString("base64").replace(/[+=]/g, ".").slice(0, 22),
          },
        ])
      : undefined;
    this.registry = await startRegistry({
      configYml: projectRegistryConfig(spec.registryAuth),
      htpasswd,
      dir: path.join(this.dir, "registry"),
      tls: spec.nginx ? undefined : { certPem: ctx.tls.certPem, keyPem: ctx.tls.keyPem },
      env: { REGISTRY_HTTP_SECRET: randomBytes(24).toString("hex") },
    });
    this.registryAddress = this.registry.address;
    this.endpoint = this.registry.address;
    if (spec.nginx) {
      const paths = nginxPaths(path.join(this.dir, "nginx"));
      fs.chmodSync(paths.dir, 0o755);
      const htpasswdPath = path.join(paths.dir, "nginx.htpasswd");
      if (spec.nginxHtpasswd)
        fs.writeFileSync(htpasswdPath, run(tool("htpasswd"), ["-Bbn", USER, PASSWORD]), {
          mode: 0o644,
        });
      const port = await freePort();
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
        }),
      });
      this.endpoint = `127.0.0.1:${port}`;
    }
    this.certDir = path.join(this.dir, "certs.d", this.endpoint);
    fs.mkdirSync(this.certDir, { recursive: true });
    fs.writeFileSync(path.join(this.certDir, "ca.crt"), ctx.tls.caPem);
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

  async stop(): Promise<void> {
    this.notePeak();
    await this.nginx?.stop();
    await this.registry?.stop();
  }
}
