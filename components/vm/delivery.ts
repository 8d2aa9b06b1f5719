/**
 * Delivery to the VM's host, new or existing: the bundle copied over SSH, `docker compose
 * up` run again exactly when the bundle's content changes, then a wait until
 * https://<address>/v2/ answers 401.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { local, remote } from "@pulumi/command";
import { hostWithPort } from "../shared/hostPort";
import type { BundleFile } from "./bundle";
import type { VmHost } from "./host";
import { OPTIONAL_BUNDLE_FILES } from "./plan";
import {
  renderComposeDownCommand,
  renderComposeUpCommand,
  renderGrowDataCommand,
  renderPrepareCommand,
  renderWaitScript,
} from "./scripts";
import type { VmSettings } from "./settings";

export interface Delivery {
  composeUp: remote.Command;
  /** Secret (it is computed from secret files). */
  bundleHash: pulumi.Output<string>;
}

/** Copies the bundle over SSH and runs `docker compose up`. */
export function deliver(
  name: string,
  s: VmSettings,
  host: VmHost,
  bundle: BundleFile[],
  parent: pulumi.Resource,
): Delivery {
  const prepare = prepareHost(name, s, host, bundle, parent);

  const copies = bundle.map(
    (f) =>
      new remote.CopyToRemote(
        `${name}-copy-${f.path.replace(/[^A-Za-z0-9]+/g, "-")}`,
        {
          connection: host.connection,
          source: f.content.apply((text) => new pulumi.asset.StringAsset(text)),
          remotePath: `${s.remoteDir}/${f.path}`,
        },
        { parent, dependsOn: [prepare] },
      ),
  );

  // The bundle's content, hashed: `compose up` runs again exactly when it changes.
  const bundleHash = pulumi
    .all(bundle.map((f) => f.content.apply((c) => `${f.path}\0${c}\0`)))
    .apply((parts) => createHash("sha256").update(parts.join("")).digest("hex"));

  const upScript = renderComposeUpCommand({
    remoteDir: s.remoteDir,
    secretFiles: bundle.filter((f) => f.secret).map((f) => f.path),
    unusedFiles: OPTIONAL_BUNDLE_FILES.filter((p) => !bundle.some((f) => f.path === p)),
  });
  // The bundle's hash rides in the script's text, not in `triggers`: a changed
  // trigger replaces the command, and a replacement runs the old resource's `down`
  // after the new `up`, stopping the stack it just started. A changed text is an
  // update, which runs `update` (pulumi-command), on the stack that is up.
  // The hash is not a secret: the bundle holds the 32-character generated http.secret,
  // so no guess of the other secrets in it can be checked against the hash. Left
  // plain, a preview shows the script.
  const up = pulumi.unsecret(bundleHash).apply((hash) => `${upScript}# bundle sha256 ${hash}\n`);
  const composeUp = new remote.Command(
    `${name}-compose-up`,
    {
      connection: host.connection,
      create: up,
      update: up,
      delete: renderComposeDownCommand({
        remoteDir: s.remoteDir,
        removeVolumes: !s.keepDataOnDestroy,
        files: bundle.map((f) => f.path),
      }),
      addPreviousOutputInEnv: false,
    },
    { parent, dependsOn: copies },
  );
  return { composeUp, bundleHash };
}

/** The bundle's directories on the host (after cloud-init on a new VM); the data disk's filesystem grown to its size. */
function prepareHost(
  name: string,
  s: VmSettings,
  host: VmHost,
  bundle: BundleFile[],
  parent: pulumi.Resource,
): remote.Command {
  const prepare = new remote.Command(
    `${name}-prepare-host`,
    {
      connection: host.connection,
      create: renderPrepareCommand({
        remoteDir: s.remoteDir,
        subDirs: [
          ...new Set(bundle.map((f) => f.path.split("/").slice(0, -1).join("/")).filter(Boolean)),
        ],
        waitForCloudInit: s.host.mode === "gcp",
      }),
      addPreviousOutputInEnv: false,
    },
    { parent, dependsOn: host.ready },
  );

  if (host.dataDisk) {
    const d = host.dataDisk;
    new remote.Command(
      `${name}-grow-data`,
      {
        connection: host.connection,
        create: renderGrowDataCommand({ device: d.device, sizeGb: d.sizeGb }),
        addPreviousOutputInEnv: false,
      },
      { parent, dependsOn: [prepare, d.disk] },
    );
  }
  return prepare;
}

/** Fails the update unless https://<address>/v2/ answers 401 within waitTimeoutSeconds. */
export function waitForRegistry(
  name: string,
  s: VmSettings,
  host: VmHost,
  publicName: pulumi.Output<string>,
  caCert: pulumi.Output<string>,
  delivery: Delivery,
  parent: pulumi.Resource,
): local.Command {
  const url = publicName.apply((n) => `https://${hostWithPort(n, s.httpsPort)}/v2/`);
  // Dial the host itself even when the domain's DNS does not point at it yet.
  const connectTo = pulumi
    .all([publicName, host.address])
    .apply(([n, a]) =>
      n === a ? "" : `${hostWithPort(n, s.httpsPort, true)}:${hostWithPort(a, s.httpsPort, true)}`,
    );
  return new local.Command(
    `${name}-wait-for-registry`,
    {
      create: renderWaitScript({
        hint: `On the host: cd ${s.remoteDir} && sudo docker compose -p registry ps && sudo docker compose -p registry logs`,
      }),
      environment: {
        REGISTRY_URL: url,
        REGISTRY_CONNECT_TO: connectTo,
        REGISTRY_CA_CERT: caCert,
        WAIT_TIMEOUT_SECONDS: String(s.waitTimeoutSeconds),
      },
      // Again whenever the stack was (re)started.
      triggers: [delivery.bundleHash],
      addPreviousOutputInEnv: false,
    },
    { parent, dependsOn: [delivery.composeUp] },
  );
}
