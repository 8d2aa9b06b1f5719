/** Background servers for tests: start, wait until they listen, stop. Loopback only. */
import { spawn, type ChildProcess } from "node:child_process";
import * as net from "node:net";

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function waitForPort(
  port: number,
  timeoutMs = 15_000,
  proc?: ServerProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc && proc.exited)
      throw new Error(`${proc.label} exited before listening on ${port}:\n${proc.log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(
        `nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms${proc ? `:\n${proc.log()}` : ""}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A long-running program whose output is kept for error messages. */
export class ServerProcess {
  private output: string[] = [];
  private child: ChildProcess;
  exited = false;

  constructor(
    readonly label: string,
    readonly file: string,
    readonly args: string[],
    readonly opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
  ) {
    this.child = this.spawn();
  }

  private spawn(): ChildProcess {
    this.exited = false;
    const child = spawn(this.file, this.args, {
      cwd: this.opts.cwd,
      env: this.opts.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (b: Buffer) => {
      this.output.push(b.toString());
      if (this.output.length > 400) this.output.splice(0, 200);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    child.on("exit", () => (this.exited = true));
    return child;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The last `lines` lines of output (the last 200 or more chunks are kept). */
  log(lines = 40): string {
    return this.output.join("").split("\n").slice(-lines).join("\n");
  }

  /** Sends a signal and waits for the process to end (SIGKILL after a grace period). */
  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 5_000): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await done;
    clearTimeout(timer);
  }

  /** Stops and starts the same command again (same files, same data). */
  async restart(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    await this.stop(signal);
    this.child = this.spawn();
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}
