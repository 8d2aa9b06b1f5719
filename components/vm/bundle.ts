/**
 * The files the VM's stack runs from, as Outputs (secret ones stay secret): the
 * component copies them to the host and writes them to the rendered output.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { RegistryCredentials } from "../shared/credentials";
import { registryConfigPath, renderRegistryConfig } from "../shared/registryConfig";
import { selfHostedConfigSpec, selfHostedSecretEnv } from "../shared/selfHostedConfig";
import { renderNginxConfig } from "../shared/nginxConfig";
import { pullOnlyGuardFor } from "../shared/pullOnlyGuard";
import { BUNDLE, IN_CONTAINER, renderComposeFile, renderEnvFile } from "./composeFile";
import { vmAcmeService, vmNginxOptions, vmRegistryData } from "./plan";
import type { VmSettings } from "./settings";

/** One file of the bundle: its path under the bundle directory and its content. */
export interface BundleFile {
  path: string;
  content: pulumi.Output<string>;
  secret: boolean;
}

/** The certificate nginx serves, its key, and what clients trust. */
export interface ServerTls {
  certificate: pulumi.Output<string>;
  /** Secret. */
  key: pulumi.Output<string>;
  /** PEM clients trust, or "". */
  caCert: pulumi.Output<string>;
}

/**
 * The bundle: config.yml, htpasswd, env file, nginx.conf, certificate and key, the
 * optional GCS key and ACME files, and the compose file that carries a digest of each.
 */
export function bundleFiles(
  s: VmSettings,
  credentials: RegistryCredentials,
  serverTls: ServerTls,
): BundleFile[] {
  const gcsKeyJson = s.storage.driver === "gcs" ? s.storage.gcs?.keyJson : undefined;

  const envFile = selfHostedSecretEnv(s, credentials.httpSecret).apply(renderEnvFile);

  const plain = (path: string, content: pulumi.Input<string>): BundleFile => ({
    path,
    content: pulumi.output(content),
    secret: false,
  });
  const secretFile = (path: string, content: pulumi.Input<string>): BundleFile => ({
    path,
    content: pulumi.secret(content),
    secret: true,
  });

  const files: BundleFile[] = [
    plain(
      BUNDLE.registryConfig,
      renderRegistryConfig(
        selfHostedConfigSpec(s, {
          listenAddress: IN_CONTAINER.registryListen,
          dataDir: IN_CONTAINER.data,
          htpasswdPath: IN_CONTAINER.htpasswd,
          gcsKeyPath: IN_CONTAINER.gcsKey,
        }),
      ),
    ),
    secretFile(BUNDLE.htpasswd, credentials.htpasswd),
    secretFile(BUNDLE.env, envFile),
    plain(
      BUNDLE.nginxConfig,
      renderNginxConfig({ ...vmNginxOptions(s), pullOnly: pullOnlyGuardFor(s.auth) }),
    ),
    // The leaf, then any intermediates (a provided chain as given); acme: the bootstrap one.
    plain(
      BUNDLE.certificate,
      serverTls.certificate.apply((pem) => `${pem.trim()}\n`),
    ),
    secretFile(
      BUNDLE.key,
      serverTls.key.apply((pem) => `${pem.trim()}\n`),
    ),
    ...(gcsKeyJson !== undefined ? [secretFile(BUNDLE.gcsKey, gcsKeyJson)] : []),
    ...(s.tls.mode === "acme" && s.tls.caBundle !== undefined
      ? [plain(BUNDLE.acmeCaBundle, `${s.tls.caBundle.trim()}\n`)]
      : []),
    ...(s.tls.mode === "acme" && s.tls.eab !== undefined
      ? [
          secretFile(
            BUNDLE.acmeEnv,
            s.tls.eab.hmacKey.apply((k) => renderEnvFile({ ACME_EAB_HMAC: k })),
          ),
        ]
      : []),
  ];

  return [plain(BUNDLE.compose, composeFile(s, files, gcsKeyJson !== undefined)), ...files];
}

/** The compose file, which carries a digest of every other file of the bundle. */
function composeFile(s: VmSettings, files: BundleFile[], gcsKey: boolean): pulumi.Output<string> {
  // The services carry a digest of each file they read, so a change to one recreates
  // its container. A SHA-256 of a bcrypt file or a private key reveals neither (as the
  // Kubernetes pod checksum), so the compose file stays plain and readable in a diff.
  const fileHashes = pulumi.unsecret(
    pulumi.all(
      files.map((f) =>
        f.content.apply((c) => [f.path, createHash("sha256").update(c).digest("hex")] as const),
      ),
    ),
  );
  return fileHashes.apply((hashes) =>
    renderComposeFile({
      registryImage: s.image,
      registryConfigPath: registryConfigPath(s.image),
      nginxImage: s.nginxImage,
      httpsPort: s.httpsPort,
      httpRedirectPort: s.tls.mode === "acme" ? IN_CONTAINER.httpPort : s.httpRedirectPort,
      data: vmRegistryData(s),
      htpasswd: true,
      gcsKey,
      fileHashes: Object.fromEntries(hashes),
      acme: vmAcmeService(s),
    }),
  );
}
