/**
 * The shell the deploy runs: on the host over SSH (prepare the bundle directory,
 * start and stop the Compose stack), and on the deployer (wait until the registry
 * answers). POSIX sh, plain values in, text out.
 */
import { COMPOSE_PROJECT } from "./composeFile";

/** Root runs docker directly; any other user through passwordless sudo (never a prompt). */
const SUDO = `if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo -n"; fi`;

const quote = (s: string) => {
  if (!/^[A-Za-z0-9._/=:@-]+$/.test(s))
    throw new Error(`not a plain path or word: ${JSON.stringify(s)}`);
  return `'${s}'`;
};

const compose = `$SUDO docker compose -p ${COMPOSE_PROJECT}`;

export interface PrepareOptions {
  remoteDir: string;
  /** Sub-directories of remoteDir the bundle needs (e.g. certs). */
  subDirs: string[];
  /** A VM just created: wait until cloud-init has installed Docker. */
  waitForCloudInit: boolean;
}

/** Makes the bundle directory the SSH user's own (0750) and checks Docker is there. */
export function renderPrepareCommand(o: PrepareOptions): string {
  const dirs = [o.remoteDir, ...o.subDirs.map((d) => `${o.remoteDir}/${d}`)].map(quote).join(" ");
  return [
    "set -eu",
    SUDO,
    ...(o.waitForCloudInit
      ? [
          "# A new VM: cloud-init installs Docker on first boot.",
          'if command -v cloud-init >/dev/null 2>&1; then $SUDO cloud-init status --wait >/dev/null || echo "cloud-init reported errors; checking Docker anyway" >&2; fi',
        ]
      : []),
    `$SUDO install -d -m 0750 -o "$(id -un)" -g "$(id -gn)" ${dirs}`,
    `$SUDO docker compose version >/dev/null 2>&1 || { echo "Docker Engine with the compose plugin is missing on $(hostname): 'docker compose version' failed" >&2; exit 1; }`,
    "",
  ].join("\n");
}

export interface ComposeUpOptions {
  remoteDir: string;
  /** Bundle files only root should read (inside the containers, root reads them). */
  secretFiles: string[];
  /**
   * Optional bundle files the current config does not use (e.g. acme.env after leaving
   * tls.mode acme): removed, since deleting a copy step leaves its file on the host.
   */
  unusedFiles?: string[];
}

/** Starts or updates the stack; `--wait` fails the deploy if a healthcheck does not pass. */
export function renderComposeUpCommand(o: ComposeUpOptions): string {
  return [
    "set -eu",
    SUDO,
    `cd ${quote(o.remoteDir)}`,
    ...(o.secretFiles.length ? [`chmod 0600 ${o.secretFiles.map(quote).join(" ")}`] : []),
    ...(o.unusedFiles?.length ? [`rm -f -- ${o.unusedFiles.map(quote).join(" ")}`] : []),
    `${compose} up -d --remove-orphans --wait`,
    "# nginx resolves the registry's address when it (re)loads: a recreated registry may have a new one.",
    `${compose} exec -T nginx nginx -s reload`,
    "",
  ].join("\n");
}

export interface GrowDataOptions {
  /** The data disk's block device on the VM. */
  device: string;
  /** The disk's size in GB: part of the text, so growing the disk re-runs the script. */
  sizeGb: number;
}

/**
 * Grows the data disk's filesystem to the disk's size after `dataDiskSizeGb` went up:
 * Compute Engine grows the disk live, but not the ext4 on it. ext4 grows online while
 * mounted; resize2fs does nothing when the filesystem already fills the disk.
 */
export function renderGrowDataCommand(o: GrowDataOptions): string {
  return [
    "set -eu",
    SUDO,
    `# The data disk is ${o.sizeGb} GB.`,
    `$SUDO resize2fs ${quote(o.device)}`,
    "",
  ].join("\n");
}

export interface ComposeDownOptions {
  remoteDir: string;
  /** Also delete the named data volume (keepDataOnDestroy false). */
  removeVolumes: boolean;
  /** Bundle files to remove once the stack is down (they hold secrets). */
  files: string[];
}

/** Stops the stack on `pulumi destroy`; the data volume stays unless removeVolumes. */
export function renderComposeDownCommand(o: ComposeDownOptions): string {
  return [
    "set -eu",
    SUDO,
    `cd ${quote(o.remoteDir)} 2>/dev/null || exit 0`,
    `${compose} down --remove-orphans${o.removeVolumes ? " --volumes" : ""}`,
    `rm -f -- ${o.files.map(quote).join(" ")}`,
    "",
  ].join("\n");
}

export interface WaitScriptOptions {
  /** What to tell the operator to look at when the registry does not answer. */
  hint: string;
}

/**
 * Polls the registry from the deployer until /v2/ answers 401 (up, TLS valid, auth
 * on). Reads REGISTRY_URL, REGISTRY_CONNECT_TO (curl's host:port:address:port, to
 * reach a name whose DNS may not point at the host yet), REGISTRY_CA_CERT (PEM, or
 * empty for the system's trust), WAIT_TIMEOUT_SECONDS and WAIT_INTERVAL_SECONDS.
 */
export function renderWaitScript(o: WaitScriptOptions): string {
  const hint = o.hint.replace(/'/g, "");
  return `set -u
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
set -- -sS -o /dev/null -w '%{http_code}' --max-time 10
if [ -n "\${REGISTRY_CA_CERT:-}" ]; then
  printf '%s\\n' "$REGISTRY_CA_CERT" > "$tmp/ca.crt"
  set -- "$@" --cacert "$tmp/ca.crt"
fi
if [ -n "\${REGISTRY_CONNECT_TO:-}" ]; then set -- "$@" --connect-to "$REGISTRY_CONNECT_TO"; fi
timeout=\${WAIT_TIMEOUT_SECONDS:-300}
deadline=$(( $(date +%s) + timeout ))
last="no answer yet"
while :; do
  code=$(curl "$@" "$REGISTRY_URL" 2>"$tmp/err") || true
  if [ "$code" = "401" ]; then
    echo "registry is up: $REGISTRY_URL answers 401 (authentication required)"
    exit 0
  fi
  if [ -z "$code" ] || [ "$code" = "000" ]; then last=$(tr '\\n' ' ' < "$tmp/err"); else last="HTTP $code"; fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "registry did not come up: $REGISTRY_URL did not answer 401 within \${timeout}s (last: $last). ${hint}" >&2
    exit 1
  fi
  sleep "\${WAIT_INTERVAL_SECONDS:-5}"
done
`;
}
