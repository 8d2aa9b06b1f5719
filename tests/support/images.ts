/**
 * Real images with no Docker daemon: umoci builds OCI layouts from fresh random
 * data (so no layer is already stored anywhere), skopeo pushes and pulls them.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { run, tool } from "./tools";

export interface BuiltImage {
  /** The OCI layout directory. */
  layout: string;
  tag: string;
  /** skopeo's name for it: oci:<layout>:<tag>. */
  ref: string;
  /** Digests of the layers, in order. */
  layers: string[];
  manifestDigest: string;
}

/** Writes `bytes` of random data to a file, in chunks (images of 1 GiB stay cheap on memory). */
function writeRandomFile(file: string, bytes: number): void {
  const fd = fs.openSync(file, "w");
  try {
    const chunk = 8 * 1024 * 1024;
    for (let left = bytes; left > 0; left -= chunk)
      fs.writeSync(fd, randomBytes(Math.min(chunk, left)));
  } finally {
    fs.closeSync(fd);
  }
}

/** Builds an image whose every layer is one file of fresh random bytes. */
export function buildImage(
  workDir: string,
  opts: { tag?: string; layerSizes: number[] },
): BuiltImage {
  const tag = opts.tag ?? "v1";
  const layout = path.join(workDir, `oci-${tag}-${randomBytes(4).toString("hex")}`);
  const scratch = fs.mkdtempSync(path.join(workDir, "layer-"));
  run(tool("umoci"), ["init", "--layout", layout]);
  run(tool("umoci"), ["new", "--image", `${layout}:${tag}`]);
  opts.layerSizes.forEach((size, i) => {
    const file = path.join(scratch, `layer${i}.bin`);
    writeRandomFile(file, size);
    run(tool("umoci"), ["insert", "--image", `${layout}:${tag}`, file, `/data/layer${i}.bin`], {
      timeoutMs: 600_000,
    });
    fs.rmSync(file);
  });
  fs.rmSync(scratch, { recursive: true, force: true });
  const { layers, manifestDigest } = ociManifest(layout, tag);
  return { layout, tag, ref: `oci:${layout}:${tag}`, layers, manifestDigest };
}

/** The manifest digest and layer digests of a tag in an OCI layout. */
export function ociManifest(
  layout: string,
  tag: string,
): { manifestDigest: string; layers: string[] } {
  const index = JSON.parse(fs.readFileSync(path.join(layout, "index.json"), "utf8"));
  const entry = index.manifests.find(
    (m: { annotations?: Record<string, string> }) =>
      m.annotations?.["org.opencontainers.image.ref.name"] === tag,
  );
  if (!entry) throw new Error(`no tag ${tag} in ${layout}`);
  const [alg, hex] = entry.digest.split(":");
  const manifest = JSON.parse(fs.readFileSync(path.join(layout, "blobs", alg, hex), "utf8"));
  return {
    manifestDigest: entry.digest,
    layers: manifest.layers.map((l: { digest: string }) => l.digest),
  };
}

export interface RegistryAccess {
  username?: string;
  password?: string;
  /** A directory holding ca.crt for a private CA (TLS verified against it). */
  certDir?: string;
  /** Plain HTTP (a registry on 127.0.0.1 with no TLS). */
  plainHttp?: boolean;
}

function accessFlags(side: "src" | "dest", a: RegistryAccess | undefined): string[] {
  if (!a) return [];
  const flags: string[] = [];
  if (a.username !== undefined) flags.push(`--${side}-creds`, `${a.username}:${a.password ?? ""}`);
  if (a.certDir) flags.push(`--${side}-cert-dir`, a.certDir);
  if (a.plainHttp) flags.push(`--${side}-tls-verify=false`);
  return flags;
}

/** skopeo copy from one reference to another, e.g. oci:dir:tag → docker://host:port/repo:tag. */
export function copyImage(
  src: string,
  dest: string,
  opts: { src?: RegistryAccess; dest?: RegistryAccess; timeoutMs?: number } = {},
): void {
  run(
    tool("skopeo"),
    [
      "--insecure-policy",
      "copy",
      "--retry-times",
      "0",
      ...accessFlags("src", opts.src),
      ...accessFlags("dest", opts.dest),
      src,
      dest,
    ],
    { timeoutMs: opts.timeoutMs ?? 600_000 },
  );
}

/** Writes a CA certificate where skopeo (and docker, under certs.d) look for it. */
export function certDirWith(dir: string, caPem: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "ca.crt"), caPem);
  return dir;
}

/** Pushes an image and pulls it back into a new layout; returns the pulled digests. */
export function pushAndPull(
  image: BuiltImage,
  target: string,
  access: RegistryAccess,
  workDir: string,
): { pushed: BuiltImage; pulled: { manifestDigest: string; layers: string[] } } {
  copyImage(image.ref, `docker://${target}`, { dest: access });
  const pulledLayout = path.join(workDir, `pulled-${randomBytes(4).toString("hex")}`);
  copyImage(`docker://${target}`, `oci:${pulledLayout}:${image.tag}`, { src: access });
  return { pushed: image, pulled: ociManifest(pulledLayout, image.tag) };
}
