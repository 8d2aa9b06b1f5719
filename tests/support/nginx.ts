/**
 * Debian's nginx on 127.0.0.1, serving a generated nginx.conf. The caller maps the
 * deployed file's paths and ports to this host's (support/vmStack.ts hostMappings);
 * this gives it the paths to map to and runs nginx in the foreground.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ServerProcess, waitForPort } from "./processes";
import { run, tool } from "./tools";

/** Where a test nginx keeps its files: all inside one temp directory. */
export interface NginxPaths {
  dir: string;
  configPath: string;
  certificatePath: string;
  keyPath: string;
  pidPath: string;
  errorLogPath: string;
  accessLogPath: string;
  tempDir: string;
}

export function nginxPaths(dir = fs.mkdtempSync(path.join(os.tmpdir(), "nginx-"))): NginxPaths {
  const tempDir = path.join(dir, "temp");
  fs.mkdirSync(tempDir, { recursive: true });
  // Workers run as nginx's default user when started as root: let them spill bodies here.
  fs.chmodSync(tempDir, 0o777);
  return {
    dir,
    configPath: path.join(dir, "nginx.conf"),
    certificatePath: path.join(dir, "server.crt"),
    keyPath: path.join(dir, "server.key"),
    pidPath: path.join(dir, "nginx.pid"),
    errorLogPath: path.join(dir, "error.log"),
    accessLogPath: path.join(dir, "access.log"),
    tempDir,
  };
}

export interface RunningNginx {
  paths: NginxPaths;
  process: ServerProcess;
  /** The error log so far (for failure messages). */
  errors(): string;
  stop(): Promise<void>;
}

/**
 * Writes the certificate, key and config, checks the config with `nginx -t`, then runs
 * nginx in the foreground and waits until `port` listens.
 */
export async function startNginx(opts: {
  paths: NginxPaths;
  config: string;
  certificatePem: string;
  keyPem: string;
  port: number;
}): Promise<RunningNginx> {
  const { paths } = opts;
  fs.writeFileSync(paths.certificatePath, opts.certificatePem);
  fs.writeFileSync(paths.keyPath, opts.keyPem, { mode: 0o600 });
  fs.writeFileSync(paths.configPath, opts.config);
  run(tool("nginx"), ["-t", "-q", "-c", paths.configPath, "-e", paths.errorLogPath]);
  const proc = new ServerProcess("nginx", tool("nginx"), [
    "-c",
    paths.configPath,
    "-e",
    paths.errorLogPath,
    "-g",
    "daemon off;",
  ]);
  const errors = () =>
    fs.existsSync(paths.errorLogPath) ? fs.readFileSync(paths.errorLogPath, "utf8") : "";
  try {
    await waitForPort(opts.port, 15_000, proc);
  } catch (err) {
    await proc.stop();
    throw new Error(`${(err as Error).message}\nnginx error log:\n${errors()}`, { cause: err });
  }
  // SIGQUIT: graceful shutdown (nginx's TERM is a fast one; either ends the workers too).
  return { paths, process: proc, errors, stop: () => proc.stop("SIGQUIT") };
}
