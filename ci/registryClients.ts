/**
 * The registry clients the push script drives, as plans of commands (pure: tests
 * read them) that a runner then executes. Passwords travel on stdin only, never on
 * a command line (which `ps` and /proc show to every user of the machine).
 * Node builtins only (see imageTags.ts).
 */
import * as path from "node:path";

export interface Command {
  file: string;
  args: string[];
  /** Written to the command's stdin (the password). */
  input?: string;
  /** What the log shows instead of the command line, when it differs. */
  label?: string;
}

export interface LoginSpec {
  host: string;
  username: string;
  password: string;
  /** Directory holding ca.crt for this host (certs.d/<host>/), or undefined. */
  certDir?: string;
}

export interface PushSpec {
  /** Where the built image is: a local image for docker; oci:DIR:TAG or docker-archive:FILE for skopeo. */
  source: string;
  /** host[:port]/path/name:tag */
  target: string;
  certDir?: string;
}

export interface RegistryClient {
  name: string;
  login(spec: LoginSpec): Command[];
  /** The commands that put `source` at every one of `targets`. */
  push(source: string, targets: string[], certDir?: string): Command[];
}

/** docker: login with --password-stdin, then tag and push each target. The CA is read by the daemon from certs.d. */
export function dockerClient(binary = "docker"): RegistryClient {
  return {
    name: "docker",
    login: (s) => [
      {
        file: binary,
        args: ["login", s.host, "--username", s.username, "--password-stdin"],
        input: s.password,
      },
    ],
    push: (source, targets) =>
      targets.flatMap((t) => [
        { file: binary, args: ["tag", source, t] },
        { file: binary, args: ["push", t] },
      ]),
  };
}

/** Docker talks plain HTTP to a registry on the loopback network; skopeo must be told. */
export function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return name === "localhost" || name === "::1" || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/**
 * skopeo: copies an OCI layout or docker-archive straight to the registry (no
 * daemon). `skopeo login --password-stdin` stores the credentials in a private
 * auth file that each copy then reads.
 */
export function skopeoClient(authFile: string, binary = "skopeo"): RegistryClient {
  const tlsFlags = (host: string, certDir: string | undefined, side: "" | "dest-") => [
    ...(certDir ? [`--${side}cert-dir`, certDir] : []),
    ...(isLoopback(host) && !certDir ? [`--${side}tls-verify=false`] : []),
  ];
  return {
    name: "skopeo",
    login: (s) => [
      {
        file: binary,
        args: [
          "login",
          "--authfile",
          authFile,
          "--username",
          s.username,
          "--password-stdin",
          ...tlsFlags(s.host, s.certDir, ""),
          s.host,
        ],
        input: s.password,
      },
    ],
    push: (source, targets, certDir) => {
      if (!/^(oci|oci-archive|docker-archive|dir|containers-storage):/.test(source))
        throw new Error(
          `skopeo pushes from oci:DIR:TAG, oci-archive:FILE, docker-archive:FILE, dir:DIR or containers-storage:REF (got ${source})`,
        );
      return targets.map((t) => ({
        file: binary,
        args: [
          "--insecure-policy",
          "copy",
          "--retry-times",
          "2",
          "--dest-authfile",
          authFile,
          ...tlsFlags(t.split("/")[0], certDir, "dest-"),
          source,
          `docker://${t}`,
        ],
      }));
    },
  };
}

/** Where docker (and this script) keep a registry's CA: <root>/<host:port>/ca.crt. */
export function caCertPath(certsRoot: string, host: string): string {
  if (!/^[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9a-fA-F:]+\](:\d+)?$/.test(host))
    throw new Error(`not a registry host: ${JSON.stringify(host)}`);
  return path.join(certsRoot, host, "ca.crt");
}

/** A repository path under REGISTRY: lower-case components joined by `/` (Docker's grammar). */
export const IMAGE_NAME =
  /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

export interface ImageSpec {
  /** Repository under REGISTRY, e.g. `team/app`. */
  name: string;
  source: string;
}

/**
 * Parses `name=source` pairs separated by newlines, spaces or commas, as the
 * workflow input and the command line give them.
 */
export function parseImageSpecs(text: string): ImageSpec[] {
  const specs: ImageSpec[] = [];
  for (const item of text.split(/[\s,]+/).filter(Boolean)) {
    const eq = item.indexOf("=");
    if (eq <= 0 || eq === item.length - 1)
      throw new Error(
        `an image is name=source, e.g. team/app=app:build (got ${JSON.stringify(item)})`,
      );
    const name = item.slice(0, eq);
    if (!IMAGE_NAME.test(name))
      throw new Error(
        `${JSON.stringify(name)} is not a repository name (lower case, digits, . _ - and /)`,
      );
    specs.push({ name, source: item.slice(eq + 1) });
  }
  if (specs.length === 0) throw new Error("no images to push");
  return specs;
}
