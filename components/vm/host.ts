/**
 * The machine the VM backend's stack runs on, as the component needs it, and the
 * existing host (one the user runs). The Compute Engine host is in gceHost.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as gcp from "@pulumi/gcp";
import type { types } from "@pulumi/command";
import type { ExistingHostSettings } from "./settings";

/** The machine the stack runs on, as the rest of the component needs it. */
export interface VmHost {
  /** Where SSH (and the wait step) reach it: an IP or DNS name. */
  address: pulumi.Output<string>;
  /** The private key is a secret (and @pulumi/command keeps the whole connection secret). */
  connection: types.input.remote.ConnectionArgs;
  sshUser: string;
  /** Resources the first SSH session must wait for (the VM). */
  ready: pulumi.Resource[];
  /** Set when the component creates the VM. */
  cloudInit?: pulumi.Output<string>;
  /** Set when the component creates the data disk: its filesystem follows its size. */
  dataDisk?: { disk: gcp.compute.Disk; device: string; sizeGb: number };
}

/** A host the user runs, reached over SSH with the key from config. */
export function existingHost(h: ExistingHostSettings): VmHost {
  return {
    address: pulumi.output(h.address),
    connection: {
      host: h.address,
      port: h.port,
      user: h.user,
      privateKey: pulumi.secret(h.privateKey),
      ...(h.hostKey ? { hostKey: h.hostKey } : {}),
    },
    sshUser: h.user,
    ready: [],
  };
}
