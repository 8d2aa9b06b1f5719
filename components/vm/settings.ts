/**
 * `registry:vm`: the settings of the VM backend — a registry and nginx (TLS) run by
 * Docker Compose on one machine, either an existing host reached over SSH or a
 * Compute Engine VM this program creates.
 */
import { z } from "zod";
import { coversWholeFamily } from "../../config/cidrCoverage";
import { DEFAULT_NGINX_IMAGE } from "../shared/nginxConfig";
import {
  bool,
  certificates,
  providedKeyMatches,
  tlsPrivateKey,
  cidr,
  dnsName,
  host,
  integer,
  labels,
  oneOf,
  pattern,
  parseCidr,
  pem,
  pinnedImage,
  port,
  secret,
  text,
} from "../../config/fields";
import {
  checkImageReadsSettings,
  checkPullUserRole,
  selfHostedSettings,
} from "../shared/selfHostedSettings";
import { checkNotificationLogging } from "../shared/notifications";

/** nginx's stable line, Alpine flavour (busybox wget for the healthcheck). */
/** An Ubuntu LTS family: GCE's Ubuntu images run cloud-init, its Debian images do not. */
export const DEFAULT_GCP_IMAGE = "ubuntu-os-cloud/ubuntu-2404-lts-amd64";

const sshUser = () =>
  pattern(/^[a-z_][a-z0-9_-]{0,31}$/, "a Unix user name (lower-case letters, digits, '_' or '-')");

const sshPublicKey = () =>
  pattern(
    /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+=*( .*)?$/,
    "an OpenSSH public key line such as 'ssh-ed25519 AAAA... user@host'",
  );

const existingHost = z.strictObject({
  mode: z.literal("existing"),
  /** Where SSH reaches the machine (also the registry's address when `domain` is not set). */
  address: host(),
  port: port().default(22),
  /** Root, or a user with passwordless sudo (and Docker Engine with the compose plugin installed). */
  user: sshUser().default("root"),
  privateKey: secret(pem("PRIVATE KEY")),
  /** The host's public key ('ssh-ed25519 AAAA...'): when set, SSH refuses any other host. */
  hostKey: sshPublicKey().optional(),
});

const gcpHost = z.strictObject({
  mode: z.literal("gcp"),
  project: pattern(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "a GCP project id such as my-project-123"),
  zone: pattern(/^[a-z]+-[a-z]+[0-9]+-[a-z]$/, "a Compute Engine zone such as europe-west1-b"),
  machineType: pattern(/^[a-z0-9]+(-[a-z0-9]+)+$/, "a machine type such as e2-small").default(
    "e2-small",
  ),
  /** An image or image family, project/name; it must run cloud-init (Ubuntu does; GCE's Debian does not). */
  image: pattern(
    /^[a-z][a-z0-9-]{4,62}\/[a-z][a-z0-9-]{0,62}$/,
    "an image or image family as project/name, such as ubuntu-os-cloud/ubuntu-2404-lts-amd64",
  ).default(DEFAULT_GCP_IMAGE),
  bootDiskSizeGb: integer(10, 1000).default(20),
  /** The separate persistent disk that holds /var/lib/registry. */
  dataDiskSizeGb: integer(10, 65536).default(50),
  dataDiskType: oneOf(["pd-standard", "pd-balanced", "pd-ssd"]).default("pd-balanced"),
  network: text("a VPC network name or self link").default("default"),
  /** Who may open the registry's HTTPS port. */
  httpsSourceRanges: z
    .array(cidr(), { error: "must be a list of CIDR blocks" })
    .min(1, { error: "must list at least one CIDR block" })
    .default(["0.0.0.0/0"]),
  /** Who may SSH in (the machine that runs `pulumi up`, e.g. a CI runner's egress range). */
  sshSourceRanges: z
    .array(cidr(), { error: "must be a list of CIDR blocks" })
    .min(1, { error: "must list at least one CIDR block" }),
  /** Opt-in for SSH open to the whole internet (0.0.0.0/0 or ::/0 in sshSourceRanges). */
  sshOpenToInternet: bool().default(false),
  sshUser: sshUser().default("registry"),
  /** Both, or neither: when neither, an ED25519 key is generated and kept (secret) in the stack state. */
  sshPublicKey: sshPublicKey().optional(),
  sshPrivateKey: secret(pem("PRIVATE KEY")).optional(),
  /** The VM's service account (e.g. for storage.driver gcs without a key); none when unset. */
  serviceAccountEmail: pattern(
    /^[^@\s]+@[^@\s]+\.iam\.gserviceaccount\.com$/,
    "a service account email",
  ).optional(),
  labels: labels().default({}),
});

/**
 * A CA and a server certificate made here, with the lifetimes every self-signed backend
 * shares (components/shared/selfSignedTls.ts). `validityDays` of earlier releases (one
 * lifetime for both) is refused by name rather than silently ignored.
 */
const selfSignedTls = z
  .strictObject({
    mode: z.literal("selfSigned"),
    validityDays: z.unknown().optional(),
  })
  .superRefine((t, ctx) => {
    if (t.validityDays !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["validityDays"],
        message:
          "is no longer read: the CA now lasts 10 years and the server certificate 90 days, renewed by the first `pulumi up` in its last 30 days; remove the key",
        input: t.validityDays,
      });
  });

const providedTls = z.strictObject({
  mode: z.literal("provided"),
  /** The server certificate, followed by its intermediates (PEM). */
  certificate: certificates(),
  /** The certificate's private key (PEM, unencrypted); it must match the first certificate. */
  key: secret(tlsPrivateKey()),
  /** The CA clients should trust, when it is not publicly trusted: it becomes REGISTRY_CA_CERT. */
  caCertificate: certificates().optional(),
});

/** Let's Encrypt's production directory: the default ACME server. */
export const LETS_ENCRYPT_DIRECTORY = "https://acme-v02.api.letsencrypt.org/directory";
/** lego, the ACME client the stack runs: the release Debian ships, which the tests run here. */
export const DEFAULT_LEGO_IMAGE = "goacme/lego:v4.9.1";

const acmeTls = z.strictObject({
  mode: z.literal("acme"),
  /** The ACME account's contact address. */
  email: pattern(
    /^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/,
    "an email address such as ops@example.com",
  ),
  /** Any RFC 8555 directory; Let's Encrypt's staging is https://acme-staging-v02.api.letsencrypt.org/directory. */
  directoryUrl: pattern(
    /^https:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~%/-]*)?$/,
    "an https URL of an ACME directory such as https://acme-v02.api.letsencrypt.org/directory",
  ).default(LETS_ENCRYPT_DIRECTORY),
  /** The CA(s) that sign the ACME server's own certificate, when it is not publicly trusted (PEM). */
  caBundle: pem("CERTIFICATE").optional(),
  /** External account binding, for CAs that require it. */
  eab: z
    .strictObject({
      kid: pattern(
        /^[A-Za-z0-9._-]{1,256}$/,
        "a key identifier of letters, digits, '.', '_' or '-'",
      ),
      hmacKey: secret(pattern(/^[A-Za-z0-9_-]{16,}$/, "a base64url MAC key with no padding")),
    })
    .optional(),
});

/** Checks `mode` first, so a wrong one reads "...mode must be one of a, b (got "c")". */
function byMode<const M extends readonly [string, ...string[]], U extends z.ZodType>(
  modes: M,
  union: U,
) {
  return (
    z
      .looseObject(
        { mode: oneOf(modes) },
        { error: `must be an object with a mode (${modes.join(" or ")})` },
      )
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the union reads what the check passed through
      .pipe(union as unknown as z.ZodType<z.output<U>, any>)
  );
}

export const vmSettings = z
  .strictObject({
    ...selfHostedSettings,
    host: byMode(["existing", "gcp"], z.discriminatedUnion("mode", [existingHost, gcpHost])),
    /** The name clients use; without it, the host's address (the VM's static IP in gcp mode). */
    domain: dnsName().optional(),
    /** The port clients use for HTTPS (nginx listens on 443 in its container). */
    httpsPort: port().default(443),
    /** Where plain HTTP answers with a redirect to HTTPS; closed when unset. */
    httpRedirectPort: port().optional(),
    tls: byMode(
      ["selfSigned", "provided", "acme"],
      z.discriminatedUnion("mode", [selfSignedTls, providedTls, acmeTls]),
    ).prefault({ mode: "selfSigned" }),
    /** `pulumi destroy` stops the stack but keeps the images (volume / data disk) unless false. */
    keepDataOnDestroy: bool().default(true),
    nginxImage: pinnedImage().default(DEFAULT_NGINX_IMAGE),
    /** The ACME client's image (tls.mode acme). */
    legoImage: pinnedImage().default(DEFAULT_LEGO_IMAGE),
    /** How long the deploy waits for https://<address>/v2/ to answer 401 before failing. */
    waitTimeoutSeconds: integer(10, 3600).default(300),
    /** Where the compose bundle lives on the host. */
    remoteDir: pattern(
      /^\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/,
      "an absolute path of letters, digits, '.', '_' or '-' such as /opt/registry",
    ).default("/opt/registry"),
  })
  .superRefine((s, ctx) => {
    checkImageReadsSettings(s, ctx);
    checkNotificationLogging(s, ctx);
    checkPullUserRole(s, ctx);
    const issue = (path: (string | number)[], message: string, input: unknown) =>
      ctx.addIssue({ code: "custom", path, message, input });
    if (!s.auth.enabled)
      issue(
        ["auth", "enabled"],
        "must be true on a VM: the registry is reachable over the network",
        false,
      );
    if (s.tls.mode === "provided") {
      // nginx refuses to start with a key that is not the certificate's: find out now.
      if (!providedKeyMatches(s.tls.certificate, s.tls.key))
        issue(
          ["tls", "key"],
          "does not match tls.certificate: the first certificate must be the server's own, issued for this key",
          undefined,
        );
    }
    if (s.httpRedirectPort !== undefined && s.httpRedirectPort === s.httpsPort)
      issue(["httpRedirectPort"], "must differ from httpsPort", s.httpRedirectPort);
    if (s.tls.mode === "acme") acmeIssues(s, issue);
    if (s.host.mode === "gcp") {
      const h = s.host;
      if (!h.sshOpenToInternet) {
        const open =
          "must not open SSH to the whole internet: list the deployer's ranges, or set host.sshOpenToInternet to true";
        // A range that is not a CIDR has its own issue already: judge the valid ones.
        const parsed = h.sshSourceRanges.flatMap((r) => parseCidr(r) ?? []);
        h.sshSourceRanges.forEach((range, i) => {
          if (parseCidr(range)?.prefix === 0) issue(["host", "sshSourceRanges", i], open, range);
        });
        // Smaller blocks that together cover a family (0.0.0.0/1 + 128.0.0.0/1) open it as much.
        for (const family of [4, 6] as const)
          if (
            !parsed.some((b) => b.family === family && b.prefix === 0) &&
            coversWholeFamily(parsed, family)
          )
            issue(
              ["host", "sshSourceRanges"],
              `${open} (${h.sshSourceRanges.filter((r) => parseCidr(r)?.family === family).join(", ")} together cover every IPv${family} address)`,
              undefined,
            );
      }
      if (h.image.startsWith("debian-cloud/"))
        issue(
          ["host", "image"],
          "must run cloud-init: GCE's Debian images do not (use an Ubuntu image such as ubuntu-os-cloud/ubuntu-2404-lts-amd64)",
          h.image,
        );
      if ((h.sshPublicKey === undefined) !== (h.sshPrivateKey === undefined))
        issue(
          ["host", h.sshPublicKey === undefined ? "sshPublicKey" : "sshPrivateKey"],
          "is required with the other half of the SSH key pair (or set neither to generate one)",
          undefined,
        );
      if (s.tls.mode === "provided" && s.domain === undefined)
        issue(
          ["domain"],
          "is required when tls.mode is provided and host.mode is gcp: the certificate must name an address known before the VM exists",
          undefined,
        );
    }
  });

/** tls.mode acme: the CA must reach this stack by name on port 80 (HTTP-01). */
function acmeIssues(
  s: { domain?: string; httpRedirectPort?: number },
  issue: (path: (string | number)[], message: string, input: unknown) => void,
): void {
  if (s.domain === undefined)
    issue(
      ["domain"],
      "is required when tls.mode is acme: the certificate names a DNS name that points at the VM",
      undefined,
    );
  if (s.httpRedirectPort !== undefined && s.httpRedirectPort !== 80)
    issue(
      ["httpRedirectPort"],
      "must be 80 (or unset) when tls.mode is acme: the CA validates HTTP-01 on port 80",
      s.httpRedirectPort,
    );
}

export type VmSettings = z.output<typeof vmSettings>;
export type ExistingHostSettings = z.output<typeof existingHost>;
export type GcpHostSettings = z.output<typeof gcpHost>;
export type VmTlsSettings = VmSettings["tls"];
export type AcmeTlsSettings = Extract<VmTlsSettings, { mode: "acme" }>;
