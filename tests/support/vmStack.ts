/**
 * The VM backend's data path on 127.0.0.1, as the VM tests serve it: the program runs for
 * an existing host at 127.0.0.1 (test mocks make a real CA and server certificate), and
 * the files it generated — vm/config.yml, vm/htpasswd, vm/registry.env, vm/nginx.conf,
 * vm/certs/* — are served as deployed by Debian's docker-registry and nginx. The only
 * differences are the ones a test host forces, listed in hostMappings() below: paths (the
 * compose file's mounts), ports (the compose file's published ports) and the upstream host
 * (compose's service name). Clients trust REGISTRY_CA_CERT only.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { runProgram, type ProgramRun } from "../../tools/runProgram";
import { certDirWith } from "./images";
import { nginxPaths, startNginx, type NginxPaths, type RunningNginx } from "./nginx";
import { freePort } from "./processes";
import { startRegistry, type RunningRegistry } from "./registry";

export interface VmStack {
  program: ProgramRun;
  registry: RunningRegistry;
  nginx: RunningNginx;
  /** REGISTRY as the program outputs it: 127.0.0.1:<https port>. */
  address: string;
  /** The published plain-HTTP port that redirects to HTTPS (when asked for). */
  redirectPort?: number;
  ca: string;
  /** A directory with ca.crt (skopeo --*-cert-dir). */
  certDir: string;
  username: string;
  password: string;
  /** Each served file's differences from the deployed one (hostMappings). */
  mappings: Record<MappedFile, HostMapping[]>;
  stop(): Promise<void>;
}

/** NAME=value lines of a generated env file (values single-quoted when special). */
export function parseEnvFile(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const i = line.indexOf("=");
        return [line.slice(0, i), line.slice(i + 1).replace(/^'(.*)'$/, "$1")];
      }),
  );
}

/** Stack config for the VM backend on an existing host at 127.0.0.1, plus `settings`. */
export function localVmConfig(settings: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    "registry:backend": "vm",
    "registry:vm": {
      host: {
        mode: "existing",
        address: "127.0.0.1",
        privateKey:
          "-----BEGIN OPENSSH PRIVATE KEY-----\nunused\n-----END OPENSSH PRIVATE KEY-----",
      },
      ...settings,
    },
  };
}

/** One text substitution from the deployed file to the file this host serves. */
export interface HostMapping {
  from: string;
  to: string;
}

type MappedFile = "vm/nginx.conf" | "vm/config.yml";

/** Where this host keeps what the VM keeps elsewhere, and the ports it uses. */
interface HostLayout {
  nginx: NginxPaths;
  registryDir: string;
  registryPort: number;
  httpsPort: number;
  healthPort: number;
  redirectPort?: number;
}

/**
 * Every difference between a deployed file and what this host serves, in one place. Each
 * `from` must occur exactly once in its file (applyMappings checks), so a change to the
 * generated files cannot slip past unmapped or half-mapped.
 */
export function hostMappings(l: HostLayout): Record<MappedFile, HostMapping[]> {
  return {
    "vm/nginx.conf": [
      // Account, not path or port: the nginx image's worker user does not exist on Debian;
      // nobody/nogroup is nginx's own default, the one every other test nginx here runs as
      // (nginx chowns the shared /var/lib/nginx temp dirs to its worker user at start).
      { from: "user nginx;", to: "user nobody nogroup;" },
      // Paths nginx writes to inside its container.
      { from: "pid /var/run/nginx.pid;", to: `pid ${l.nginx.pidPath};` },
      {
        from: "error_log /var/log/nginx/error.log warn;",
        to: `error_log ${l.nginx.errorLogPath} warn;`,
      },
      {
        from: "access_log /var/log/nginx/access.log;",
        to: `access_log ${l.nginx.accessLogPath};`,
      },
      // Upstream host: compose's service name `registry` → the test registry's address.
      { from: "server registry:5000;", to: `server 127.0.0.1:${l.registryPort};` },
      // Ports: compose publishes httpsPort:443 (and redirectPort:80); here nginx listens on
      // the published ports itself, on 127.0.0.1 only.
      { from: "listen 443 ssl reuseport;", to: `listen 127.0.0.1:${l.httpsPort} ssl reuseport;` },
      ...(l.redirectPort === undefined
        ? []
        : [{ from: "listen 80;", to: `listen 127.0.0.1:${l.redirectPort};` }]),
      // The in-container health listener: a free port, as tests run side by side.
      { from: "listen 127.0.0.1:8080;", to: `listen 127.0.0.1:${l.healthPort};` },
      // Paths: compose mounts ./certs/server.{crt,key} at /etc/nginx/certs/.
      {
        from: "ssl_certificate /etc/nginx/certs/server.crt;",
        to: `ssl_certificate ${l.nginx.certificatePath};`,
      },
      {
        from: "ssl_certificate_key /etc/nginx/certs/server.key;",
        to: `ssl_certificate_key ${l.nginx.keyPath};`,
      },
      // Path: compose mounts the registry's data (read-only) at /var/lib/registry in nginx
      // too; here nginx reads the test registry's storage root.
      {
        from: "alias /var/lib/registry/",
        to: `alias ${path.join(l.registryDir, "data")}/`,
      },
    ],
    "vm/config.yml": [
      // Port: the registry is only exposed to nginx; here on 127.0.0.1 and a free port.
      { from: "addr: :5000", to: `addr: 127.0.0.1:${l.registryPort}` },
      // Paths: the data volume and compose's mount of ./htpasswd at /auth/htpasswd.
      {
        from: "rootdirectory: /var/lib/registry",
        to: `rootdirectory: ${path.join(l.registryDir, "data")}`,
      },
      { from: "path: /auth/htpasswd", to: `path: ${path.join(l.registryDir, "htpasswd")}` },
    ],
  };
}

/** The file with each mapping applied; throws unless each `from` occurs exactly once. */
export function applyMappings(file: string, text: string, mappings: HostMapping[]): string {
  let out = text;
  for (const { from, to } of mappings) {
    const count = out.split(from).length - 1;
    if (count !== 1) throw new Error(`${file}: "${from}" occurs ${count} times, expected once`);
    out = out.replace(from, () => to);
  }
  return out;
}

export async function startVmStack(
  work: string,
  password: string,
  opts: { httpRedirect?: boolean; settings?: Record<string, unknown> } = {},
): Promise<VmStack> {
  const httpsPort = await freePort();
  const redirectPort = opts.httpRedirect ? await freePort() : undefined;
  const program = await runProgram({
    stack: "vm-data-path",
    config: localVmConfig({
      // The published ports are the test's: REGISTRY and the redirect come out as clients see them.
      httpsPort,
      ...(redirectPort === undefined ? {} : { httpRedirectPort: redirectPort }),
      auth: { password },
      ...opts.settings,
    }),
    secretKeys: ["registry:vm"],
    showSecrets: true,
  });
  const ca = program.outputs.REGISTRY_CA_CERT.value as string;
  const address = program.outputs.REGISTRY.value as string;
  if (address !== `127.0.0.1:${httpsPort}`) throw new Error(`unexpected REGISTRY ${address}`);
  const certDir = certDirWith(path.join(work, "certs.d", address), ca);
  const files = program.files;

  const registryDir = path.join(work, "registry");
  const layout: HostLayout = {
    nginx: nginxPaths(path.join(work, "nginx")),
    registryDir,
    registryPort: await freePort(),
    httpsPort,
    healthPort: await freePort(),
    redirectPort,
  };
  const mappings = hostMappings(layout);
  const served = (file: MappedFile) => applyMappings(file, files[file], mappings[file]);

  fs.mkdirSync(registryDir, { recursive: true });
  // nginx's workers (nobody here; the image's nginx user on the VM) read blobs from the
  // registry's storage: on the VM the volume is root's, 0755 directories and 0644 files
  // (the registry's umask); here the temp directories on the way must be as open.
  for (const dir of [work, registryDir]) fs.chmodSync(dir, 0o755);
  fs.writeFileSync(path.join(registryDir, "htpasswd"), files["vm/htpasswd"], { mode: 0o600 });
  const registry = await startRegistry({
    configYml: served("vm/config.yml"),
    premapped: true,
    port: layout.registryPort,
    env: parseEnvFile(files["vm/registry.env"]),
    dir: registryDir,
  });
  let nginx: RunningNginx;
  try {
    nginx = await startNginx({
      paths: layout.nginx,
      port: httpsPort,
      certificatePem: files["vm/certs/server.crt"],
      keyPem: files["vm/certs/server.key"],
      config: served("vm/nginx.conf"),
    });
  } catch (err) {
    await registry.stop();
    throw err;
  }
  return {
    program,
    registry,
    nginx,
    address,
    redirectPort,
    ca,
    certDir,
    username: "ci",
    password,
    mappings,
    stop: async () => {
      await nginx.stop();
      await registry.stop();
    },
  };
}
