/**
 * The VM backend's data path on 127.0.0.1, as tests/vm-e2e.test.ts serves it: the
 * program runs for an existing host at 127.0.0.1 (test mocks make a real CA and server
 * certificate), Debian's docker-registry serves the generated config.yml, htpasswd and
 * env file, and Debian's nginx serves the generated nginx.conf (the VM's own options,
 * rendered by the backend's renderer; only ports and paths mapped) with the generated
 * certificate. Clients trust REGISTRY_CA_CERT only.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { renderNginxConfig } from "../../components/vm/nginxConfig";
import { vmNginxOptions } from "../../components/vm/registry";
import { runProgram, type ProgramRun } from "../../tools/runProgram";
import { certDirWith } from "./images";
import { nginxPaths, startNginx, type RunningNginx } from "./nginx";
import { freePort } from "./processes";
import { startRegistry, type RunningRegistry } from "./registry";

export interface VmStack {
  program: ProgramRun;
  registry: RunningRegistry;
  nginx: RunningNginx;
  /** REGISTRY as the program outputs it: 127.0.0.1:<https port>. */
  address: string;
  ca: string;
  /** A directory with ca.crt (skopeo --*-cert-dir). */
  certDir: string;
  username: string;
  password: string;
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

export async function startVmStack(work: string, password: string): Promise<VmStack> {
  const httpsPort = await freePort();
  const program = await runProgram({
    stack: "vm-data-path",
    config: localVmConfig({ httpsPort, auth: { password } }),
    showSecrets: true,
  });
  const ca = program.outputs.REGISTRY_CA_CERT.value as string;
  const address = program.outputs.REGISTRY.value as string;
  if (address !== `127.0.0.1:${httpsPort}`) throw new Error(`unexpected REGISTRY ${address}`);
  const certDir = certDirWith(path.join(work, "certs.d", address), ca);
  const files = program.files;
  const registry = await startRegistry({
    configYml: files["vm/config.yml"],
    htpasswd: files["vm/htpasswd"],
    env: parseEnvFile(files["vm/registry.env"]),
    dir: path.join(work, "registry"),
  });
  const deployed = vmNginxOptions({ httpsPort });
  if (renderNginxConfig(deployed) !== files["vm/nginx.conf"])
    throw new Error("vm/nginx.conf is not the VM's options rendered");
  const paths = nginxPaths(path.join(work, "nginx"));
  fs.mkdirSync(paths.dir, { recursive: true });
  let nginx: RunningNginx;
  try {
    nginx = await startNginx({
      paths,
      port: httpsPort,
      certificatePem: files["vm/certs/server.crt"],
      keyPem: files["vm/certs/server.key"],
      config: renderNginxConfig({
        ...deployed,
        upstream: registry.address,
        listenAddress: "127.0.0.1",
        listenPort: httpsPort,
        healthListen: `127.0.0.1:${await freePort()}`,
        user: undefined,
        certificatePath: paths.certificatePath,
        keyPath: paths.keyPath,
        pidPath: paths.pidPath,
        errorLogPath: paths.errorLogPath,
        accessLogPath: paths.accessLogPath,
        tempDir: paths.tempDir,
      }),
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
    ca,
    certDir,
    username: "ci",
    password,
    stop: async () => {
      await nginx.stop();
      await registry.stop();
    },
  };
}
