/**
 * Serves a generated registry config.yml for real: Debian's docker-registry
 * (CNCF distribution) on 127.0.0.1, with only ports and paths mapped into a temp
 * directory. Everything else in the file is served as generated.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { freePort, ServerProcess, waitForPort } from "./processes";
import { tool } from "./tools";

export interface StartRegistryOptions {
  /** The config.yml as the program generated it. */
  configYml: string;
  /** The htpasswd as generated (required when the config turns auth on). */
  htpasswd?: string;
  /** Working directory (a new temp dir by default); data lives in <dir>/data. */
  dir?: string;
  port?: number;
  /** Serve TLS on the registry's own listener (certificate and key in PEM). */
  tls?: { certPem: string; keyPem: string };
  /** The port the config's debug (metrics) listener moves to; without it the listener is dropped. */
  debugPort?: number;
  /** Extra environment, e.g. REGISTRY_HTTP_SECRET, as the deployment would set it. */
  env?: Record<string, string>;
  /**
   * configYml already carries this host's port (`port`, required) and paths, mapped by the
   * caller (its htpasswd written where the file says, its data in <dir>/data): served as is.
   */
  premapped?: boolean;
}

export interface RunningRegistry {
  port: number;
  /** host:port, as REGISTRY would be. */
  address: string;
  dir: string;
  dataDir: string;
  configPath: string;
  process: ServerProcess;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

/** Rewrites listen address, storage root, htpasswd path and TLS files to local ones. */
export function mapRegistryConfig(
  configYml: string,
  map: {
    addr: string;
    rootDirectory: string;
    htpasswdPath?: string;
    tls?: { certificate: string; key: string };
    debugAddr?: string;
  },
): string {
  const config = parse(configYml) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  config.http = { ...config.http, addr: map.addr };
  // A second listener on a fixed port would clash between parallel tests: moved or dropped.
  if (map.debugAddr && config.http.debug)
    config.http.debug = { ...config.http.debug, addr: map.debugAddr };
  else delete config.http.debug;
  // Only the files move: minimumtls and the rest of http.tls stay as generated.
  if (map.tls) config.http.tls = { ...config.http.tls, ...map.tls };
  if (config.storage?.filesystem) config.storage.filesystem.rootdirectory = map.rootDirectory;
  if (config.auth?.htpasswd) {
    if (!map.htpasswdPath)
      throw new Error("the config turns htpasswd auth on: pass the generated htpasswd");
    config.auth.htpasswd.path = map.htpasswdPath;
  }
  return stringify(config);
}

export async function startRegistry(opts: StartRegistryOptions): Promise<RunningRegistry> {
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "registry-"));
  const dataDir = path.join(dir, "data");
  fs.mkdirSync(dataDir, { recursive: true });
  if (opts.premapped && opts.port === undefined)
    throw new Error("a premapped config.yml needs the port it listens on");
  // A port freePort found can be taken by a parallel test before the registry binds it:
  // then try another, a bounded number of times (a port the caller chose is not retried).
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    try {
      return await launchRegistry(opts, dir, dataDir, port);
    } catch (e) {
      const taken = /bind: address already in use/.test((e as Error).message);
      if (!taken || opts.port !== undefined || attempt >= 5) throw e;
    }
  }
}

async function launchRegistry(
  opts: StartRegistryOptions,
  dir: string,
  dataDir: string,
  port: number,
): Promise<RunningRegistry> {
  let htpasswdPath: string | undefined;
  if (opts.htpasswd !== undefined && !opts.premapped) {
    htpasswdPath = path.join(dir, "htpasswd");
    fs.writeFileSync(htpasswdPath, opts.htpasswd, { mode: 0o600 });
  }
  let tls: { certificate: string; key: string } | undefined;
  if (opts.tls) {
    tls = { certificate: path.join(dir, "registry.crt"), key: path.join(dir, "registry.key") };
    fs.writeFileSync(tls.certificate, opts.tls.certPem);
    fs.writeFileSync(tls.key, opts.tls.keyPem, { mode: 0o600 });
  }
  const configPath = path.join(dir, "config.yml");
  fs.writeFileSync(
    configPath,
    opts.premapped
      ? opts.configYml
      : mapRegistryConfig(opts.configYml, {
          addr: `127.0.0.1:${port}`,
          rootDirectory: dataDir,
          htpasswdPath,
          tls,
          debugAddr: opts.debugPort ? `127.0.0.1:${opts.debugPort}` : undefined,
        }),
  );
  const proc = new ServerProcess(
    "docker-registry",
    tool("docker-registry"),
    ["serve", configPath],
    {
      env: { ...process.env, ...opts.env },
    },
  );
  await waitForPort(port, 15_000, proc);
  return {
    port,
    address: `127.0.0.1:${port}`,
    dir,
    dataDir,
    configPath,
    process: proc,
    stop: () => proc.stop(),
    restart: async () => {
      await proc.restart();
      await waitForPort(port, 15_000, proc);
    },
  };
}
