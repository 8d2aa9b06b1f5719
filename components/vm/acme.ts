/**
 * tls.mode acme on the VM: the two small shell programs the Compose stack runs, as pure
 * renderers (plain values in, POSIX sh out) that tests run here with only paths, ports
 * and the binaries' locations mapped.
 *
 * The client is lego (go-acme/lego): one static Go binary with an official pinned image
 * (goacme/lego:vX.Y.Z), maintained, RFC 8555 with external account binding, and Debian
 * ships the same program, so tests/vm-acme.test.ts runs the very arguments deployed
 * here against pebble. HTTP-01 goes through nginx: lego writes the challenge files into
 * a webroot on the ACME volume, which nginx's port-80 server serves.
 *
 * No container gets the Docker socket: the ACME client installs a renewed certificate
 * into a "live" directory on the shared volume, and a watcher inside the nginx
 * container reloads nginx (graceful: in-flight requests finish on the old workers)
 * when that certificate changes.
 */

export interface AcmeClientOptions {
  /** The lego binary ("/lego" in the official image). */
  lego: string;
  /** The ACME volume as the client sees it: accounts, certificates, webroot, live. */
  dataDir: string;
  domain: string;
  email: string;
  directoryUrl: string;
  /** A PEM file of CAs that sign the ACME server's own certificate (LEGO_CA_CERTIFICATES). */
  caBundlePath?: string;
  /** External account binding: the key id (the MAC key comes from $ACME_EAB_HMAC). */
  eabKid?: string;
  /** The certificate nginx starts with until the CA's is issued (and its key). */
  bootstrapCertificate: string;
  bootstrapKey: string;
  /** nginx's port-80 server as the client reaches it, e.g. http://nginx: checked before the first order. */
  challengeServerUrl: string;
  /** Renew when the certificate expires within this many days. */
  renewBeforeDays: number;
  /** How often the client checks whether to renew. */
  checkIntervalSeconds: number;
}

/** The ACME volume's layout (the client's and nginx's views differ only in dataDir). */
export function acmePaths(dataDir: string) {
  return {
    webroot: `${dataDir}/webroot`,
    liveCertificate: `${dataDir}/live/server.crt`,
    liveKey: `${dataDir}/live/server.key`,
  };
}

/** lego keeps accounts and certificates per ACME server: a staging certificate never counts as issued by production. */
export function legoPath(dataDir: string, directoryUrl: string): string {
  return `${dataDir}/lego/${directoryUrl.replace(/^https:\/\//, "").replace(/[^A-Za-z0-9.-]+/g, "_")}`;
}

const word = (what: string, s: string) => {
  if (!/^[A-Za-z0-9._/:%~@+=-]+$/.test(s))
    throw new Error(`acme ${what} must be a plain word or path (got ${JSON.stringify(s)})`);
  return `'${s}'`;
};

/** The lego arguments every call shares (before the run/renew command). */
export function legoGlobalArgs(o: AcmeClientOptions): string[] {
  return [
    "--path",
    legoPath(o.dataDir, o.directoryUrl),
    "--server",
    o.directoryUrl,
    "--email",
    o.email,
    "--accept-tos",
    "--key-type",
    "ec256",
    "--domains",
    o.domain,
    "--http",
    "--http.webroot",
    acmePaths(o.dataDir).webroot,
    ...(o.eabKid !== undefined ? ["--eab", "--kid", o.eabKid] : []),
  ];
}

/**
 * The client's service: start nginx on the bootstrap certificate, order the
 * certificate once nginx serves the webroot (retrying with backoff: Let's Encrypt
 * allows 5 failed validations per name per hour), then check every interval and
 * renew within renewBeforeDays, installing a changed certificate for nginx.
 */
export function renderAcmeClientScript(o: AcmeClientOptions): string {
  const p = acmePaths(o.dataDir);
  const issued = `${legoPath(o.dataDir, o.directoryUrl)}/certificates/${o.domain}`;
  const lego = [
    ...(o.caBundlePath ? [`LEGO_CA_CERTIFICATES=${word("caBundlePath", o.caBundlePath)}`] : []),
    word("lego", o.lego),
    ...legoGlobalArgs(o).map((a) => (a.startsWith("--") ? a : word("argument", a))),
    ...(o.eabKid !== undefined ? ['--hmac "$ACME_EAB_HMAC"'] : []),
  ].join(" ");
  const probe = `${p.webroot}/.well-known/acme-challenge/probe`;
  return `# Generated: the ACME client (lego) for ${o.domain}.
set -u
# As PID 1, sh ignores a signal it has no trap for: stop promptly (and the sleep with it).
trap 'kill $! 2>/dev/null; exit 0' TERM INT
pause() { sleep "$1" & wait $!; }
acme_client() { ${lego} "$@"; }
live_crt=${word("liveCertificate", p.liveCertificate)}
live_key=${word("liveKey", p.liveKey)}
# Installs a certificate and key for nginx (key first: nginx's watcher checks the pair with nginx -t).
install_certificate() {
  if cmp -s "$1" "$live_crt" && cmp -s "$2" "$live_key"; then return 0; fi
  (umask 077 && cp "$2" "$live_key.new") && cp "$1" "$live_crt.new" && chmod 0644 "$live_crt.new" &&
    mv -f "$live_key.new" "$live_key" && mv -f "$live_crt.new" "$live_crt" &&
    echo "installed the certificate $1 for nginx"
}
mkdir -p ${word("liveDir", `${o.dataDir}/live`)} ${word("webroot", `${p.webroot}/.well-known/acme-challenge`)}
if [ ! -s "$live_crt" ]; then install_certificate ${word("bootstrapCertificate", o.bootstrapCertificate)} ${word("bootstrapKey", o.bootstrapKey)}; fi

issued=${word("issued", `${issued}.crt`)}
issued_key=${word("issued", `${issued}.key`)}
# lego renews only with the account that ordered: a new email needs a new order.
account_exists() {
  for f in ${word("accounts", `${legoPath(o.dataDir, o.directoryUrl)}/accounts`)}/*/${word("email", o.email)}/account.json; do
    if [ -s "$f" ]; then return 0; fi
  done
  return 1
}
if [ ! -s "$issued" ] || ! account_exists; then
  # Order only once nginx serves the webroot: a failed validation counts against the CA's limits.
  echo ok > ${word("probe", probe)}
  until wget -q -O /dev/null ${word("challengeServerUrl", `${o.challengeServerUrl}/.well-known/acme-challenge/probe`)}; do
    echo "waiting for nginx to serve the challenge directory"
    pause 5
  done
  delay=60
  until acme_client run; do
    echo "the certificate order failed; next try in \${delay}s" >&2
    pause "$delay"
    delay=$((delay * 2)); if [ "$delay" -gt 3600 ]; then delay=3600; fi
  done
fi
while :; do
  # Our own schedule: lego's random pre-renewal sleep would only delay this loop.
  acme_client renew --days ${o.renewBeforeDays} --no-random-sleep || echo "renewal failed; next check in ${o.checkIntervalSeconds}s" >&2
  install_certificate "$issued" "$issued_key"
  pause ${o.checkIntervalSeconds}
done
`;
}

export interface NginxReloaderOptions {
  /** nginx as the container runs it (the mapped test adds -c and -e). */
  nginx: string;
  certificatePath: string;
  keyPath: string;
  intervalSeconds: number;
}

/**
 * The nginx container's command: nginx in the foreground, and a watcher that reloads
 * it when the live certificate or key changes (after nginx -t accepts the pair).
 */
export function renderNginxReloader(o: NginxReloaderOptions): string {
  if (!/^[A-Za-z0-9._/ -]+$/.test(o.nginx))
    throw new Error(`nginx command must be plain words (got ${JSON.stringify(o.nginx)})`);
  const files = `${word("certificatePath", o.certificatePath)} ${word("keyPath", o.keyPath)}`;
  return `# Generated: nginx, reloaded when the ACME client installs a new certificate.
set -u
fingerprint() { cat ${files} 2>/dev/null | sha256sum; }
(
  last=$(fingerprint)
  # $$ is nginx once the shell has exec'd it: the watcher ends with it.
  while sleep ${o.intervalSeconds} && kill -0 $$ 2>/dev/null; do
    now=$(fingerprint)
    if [ "$now" != "$last" ] && ${o.nginx} -t -q; then
      ${o.nginx} -s reload && last=$now && echo "nginx reloaded: a new certificate"
    fi
  done
) &
exec ${o.nginx} -g 'daemon off;'
`;
}
