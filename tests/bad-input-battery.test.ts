/**
 * The bad-input battery: invalid configurations across the backends, each run through
 * the whole program (tools/runProgram.ts, under mocks) and a spread of them through the
 * render command as a user runs it. For each one the program must stop before it
 * registers any resource, with exactly one line that names the full key; render must
 * exit 1 with that line alone on stderr, no stack trace, and write nothing.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError } from "../config/errors";
import { runRefused } from "./support/configErrors";
import { runProgram } from "../tools/runProgram";
import { strayKey, tlsPair, newTlsPair } from "./support/keyMaterial";

type Backend = "kubernetes" | "vm" | "gcp" | "docker";

interface BadInput {
  name: string;
  backend: Backend;
  /** registry:<backend> (an object, or raw text as a stack file could hold). */
  settings: unknown;
  /** The one line the program must print. */
  line: string;
  /** Also run through the render command (a child process). */
  render?: boolean;
}

const SSH_KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----";
const { certificate: CERT, key: TLS_KEY } = tlsPair();
/** A real certificate for 127.0.0.1 and localhost, and the key of another one (openssl). */
const K8S_TLS = newTlsPair(["127.0.0.1", "localhost"]);
const K8S_OTHER_KEY = strayKey();
const SSH_PUB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBattery battery@test";
const existing = { mode: "existing", address: "203.0.113.7", privateKey: SSH_KEY };
const gcpHost = {
  mode: "gcp",
  project: "acme-staging-1",
  zone: "europe-west1-b",
  sshSourceRanges: ["198.51.100.0/24"],
};
const gcp = { project: "acme-ci-prod", location: "europe-west1" };
const s3 = { bucket: "acme-registry", region: "us-east-1" };

/** The smallest valid settings of each backend: every case below breaks one thing in them. */
const VALID: Record<Backend, unknown> = {
  kubernetes: {},
  vm: { host: existing },
  gcp,
  docker: {},
};

const K = "registry:kubernetes";
const V = "registry:vm";
const G = "registry:gcp";
const GITHUB_IDS = { githubRepositoryId: 260064828, githubRepositoryOwnerId: 1342004 };
/** GCP settings in workloadIdentity mode for acme/app, with these credentials on top. */
const keyless = (credentials: Record<string, unknown>) => ({
  credentials: {
    mode: "workloadIdentity",
    githubRepository: "acme/app",
    ...GITHUB_IDS,
    ...credentials,
  },
});
const D = "registry:docker";
const HOST_OR_IP = "must be a DNS name or an IP address";
const PASSWORD_RULE = "must be at least 16 characters, with no spaces or colons (got [secret])";
const CIDR_RULE = "must be a CIDR block such as 203.0.113.0/24";

const CASES: BadInput[] = [
  // ---- kubernetes ------------------------------------------------------------------
  {
    name: "nodePort below the NodePort range",
    backend: "kubernetes",
    settings: { nodePort: 80 },
    line: `${K}.nodePort must be an integer from 30000 to 32767 (got 80)`,
    render: true,
  },
  {
    name: "nodePort above the NodePort range",
    backend: "kubernetes",
    settings: { nodePort: 32768 },
    line: `${K}.nodePort must be an integer from 30000 to 32767 (got 32768)`,
  },
  {
    name: "nodePort as a string",
    backend: "kubernetes",
    settings: { nodePort: "30500" },
    line: `${K}.nodePort must be an integer from 30000 to 32767 (got "30500")`,
  },
  {
    name: "replicas > 1 on filesystem storage",
    backend: "kubernetes",
    settings: { replicas: 3 },
    line: `${K}.replicas must be 1 with filesystem storage: every replica would keep its own files, so uploads that reach another replica fail ("blob upload unknown"); set storage.driver to s3 or gcs to scale out (got 3)`,
    render: true,
  },
  {
    name: "replicas 0",
    backend: "kubernetes",
    settings: { replicas: 0 },
    line: `${K}.replicas must be an integer from 1 to 10 (got 0)`,
  },
  {
    name: "advertiseHost with an empty label",
    backend: "kubernetes",
    settings: { advertiseHost: "registry..example.com" },
    line: `${K}.advertiseHost ${HOST_OR_IP} (got "registry..example.com")`,
  },
  {
    name: "advertiseHost with a scheme",
    backend: "kubernetes",
    settings: { advertiseHost: "https://registry.example.com" },
    line: `${K}.advertiseHost ${HOST_OR_IP} (got "https://registry.example.com")`,
  },
  {
    name: "a non-loopback advertiseHost over plain HTTP, insecureRegistry not said",
    backend: "kubernetes",
    settings: { advertiseHost: "registry.lan" },
    line: `${K}.tls.mode must not be none when advertiseHost (registry.lan) is not a loopback address: the password would cross the network in clear and Docker refuses such a registry; set tls.mode to selfSigned, provided or certManager, or set insecureRegistry to true if every node's Docker and containerd list REGISTRY in insecure-registries (got "none")`,
    render: true,
  },
  {
    name: "insecureRegistry with TLS on",
    backend: "kubernetes",
    settings: { tls: { mode: "selfSigned" }, insecureRegistry: true },
    line: `${K}.insecureRegistry must be false when tls.mode is not none (got true)`,
  },
  {
    name: "tls.mode misspelt",
    backend: "kubernetes",
    settings: { tls: { mode: "self-signed" } },
    line: `${K}.tls.mode must be one of none, selfSigned, provided, certManager (got "self-signed")`,
  },
  {
    name: "provided TLS key of another certificate",
    backend: "kubernetes",
    settings: {
      tls: { mode: "provided", certificate: K8S_TLS.certificate, key: K8S_OTHER_KEY },
    },
    line: `${K}.tls.key does not match tls.certificate: the first certificate must be the server's own, issued for this key`,
    render: true,
  },
  {
    name: "provided TLS certificate for another host",
    backend: "kubernetes",
    settings: {
      advertiseHost: "registry.example.com",
      tls: { mode: "provided", certificate: K8S_TLS.certificate, key: K8S_TLS.key },
    },
    line: `${K}.tls.certificate must name registry.example.com, the host clients dial (advertiseHost), in its subject alternative names`,
  },
  {
    name: "provided TLS certificate that does not parse",
    backend: "kubernetes",
    settings: {
      tls: {
        mode: "provided",
        certificate: "-----BEGIN CERTIFICATE-----\nMIIBbattery\n-----END CERTIFICATE-----",
        key: TLS_KEY,
      },
    },
    line: `${K}.tls.certificate must be a PEM certificate (certificate 1 does not parse as X.509)`,
  },
  {
    name: "provided TLS with both PEMs and an existing Secret",
    backend: "kubernetes",
    settings: {
      tls: {
        mode: "provided",
        certificate: K8S_TLS.certificate,
        key: K8S_TLS.key,
        existingSecret: "registry-tls",
      },
    },
    line: `${K}.tls.existingSecret must not be set with certificate and key: use one or the other (got "registry-tls")`,
  },
  {
    name: "certManager without an issuer",
    backend: "kubernetes",
    settings: { tls: { mode: "certManager" } },
    line: `${K}.tls.issuerRef is required: it must be an object with the issuer's name (and kind Issuer or ClusterIssuer)`,
  },
  {
    name: "unknown top-level key (typo of replicas)",
    backend: "kubernetes",
    settings: { replica: 2 },
    line: `${K} has unknown key "replica"`,
    render: true,
  },
  {
    name: "unknown nested key (typo of persistence.size)",
    backend: "kubernetes",
    settings: { persistence: { sise: "20Gi" } },
    line: `${K}.persistence has unknown key "sise"`,
  },
  {
    name: "weak password (15 characters)",
    backend: "kubernetes",
    settings: { auth: { password: "fifteen-chars-x" } },
    line: `${K}.auth.password ${PASSWORD_RULE}`,
  },
  {
    name: "empty password",
    backend: "kubernetes",
    settings: { auth: { password: "" } },
    line: `${K}.auth.password ${PASSWORD_RULE}`,
  },
  {
    name: "password with a colon (breaks htpasswd)",
    backend: "kubernetes",
    settings: { auth: { password: "user:long-enough-password" } },
    line: `${K}.auth.password ${PASSWORD_RULE}`,
  },
  {
    name: "s3 driver without its s3 settings",
    backend: "kubernetes",
    settings: { storage: { driver: "s3" } },
    line: `${K}.storage.s3 is required when driver is s3`,
  },
  {
    name: "s3 settings without a bucket",
    backend: "kubernetes",
    settings: { storage: { driver: "s3", s3: { region: "us-east-1" } } },
    line: `${K}.storage.s3.bucket is required: it must be an S3 bucket name`,
  },
  {
    name: "garbage collection of an emptyDir",
    backend: "kubernetes",
    settings: { persistence: { enabled: false }, garbageCollection: { enabled: true } },
    line: `${K}.garbageCollection.enabled must be false when persistence.enabled is false: the files live in the pod's emptyDir, which garbage collection cannot reach and which stopping the registry (as collection must) erases (got true)`,
  },
  {
    name: "PodDisruptionBudget with one replica",
    backend: "kubernetes",
    settings: { podDisruptionBudget: { enabled: true } },
    line: `${K}.podDisruptionBudget.enabled needs replicas of 2 or more (replicas is 1): with one pod a budget either blocks node drains or protects nothing (got true)`,
  },
  {
    name: "memory request above the limit",
    backend: "kubernetes",
    settings: { resources: { requests: { memory: "1Gi" }, limits: { memory: "512Mi" } } },
    line: `${K}.resources.requests.memory must not exceed resources.limits.memory (512Mi) (got "1Gi")`,
  },
  {
    name: "garbage-collection schedule hour 24",
    backend: "kubernetes",
    settings: { garbageCollection: { enabled: true, schedule: "0 24 * * *" } },
    line: `${K}.garbageCollection.schedule must be a cron schedule of five fields such as "0 3 * * 0" (got "0 24 * * *")`,
  },
  {
    name: "proxy remote over plain http",
    backend: "kubernetes",
    settings: { proxy: { remoteUrl: "http://registry-1.docker.io" } },
    line: `${K}.proxy.remoteUrl must be an https:// URL of the upstream registry (got "http://registry-1.docker.io")`,
  },
  {
    name: "proxy ttl in days",
    backend: "kubernetes",
    settings: { proxy: { remoteUrl: "https://registry-1.docker.io", ttl: "7d" } },
    line: `${K}.proxy.ttl must be a duration such as 168h (got "7d")`,
  },
  {
    name: "registry image not pinned",
    backend: "kubernetes",
    settings: { image: "registry" },
    line: `${K}.image must be an image reference pinned to a tag (not latest) or digest, such as registry:2.8.3 (got "registry")`,
  },
  {
    name: "s3 block with its secret key while the driver is filesystem (issue 14 item 1)",
    backend: "kubernetes",
    settings: {
      storage: { s3: { ...s3, accessKey: "AKIABATTERY", secretKey: "battery-s3-secret-Kw93" } },
    },
    line: `${K}.storage.s3 is only read when driver is s3 (driver is filesystem) (got an object)`,
    render: true,
  },
  {
    name: "proxy URL with a password in it (issue 14 item 2)",
    backend: "kubernetes",
    settings: { proxy: { remoteUrl: "https://mirror:battery-url-pw-Kw93@registry-1.docker.io" } },
    line: `${K}.proxy.remoteUrl must not hold a user name or password (the "user:password@" part): it would be stored in plain text (got "https://[userinfo hidden]@registry-1.docker.io")`,
    render: true,
  },
  {
    name: "proxy URL with a user name in it (issue 14 item 2)",
    backend: "kubernetes",
    settings: { proxy: { remoteUrl: "https://mirror@registry-1.docker.io/v2" } },
    line: `${K}.proxy.remoteUrl must not hold a user name or password (the "user:password@" part): it would be stored in plain text (got "https://[userinfo hidden]@registry-1.docker.io/v2")`,
  },
  {
    name: "proxy URL over http with a password in it (issue 14 item 2)",
    backend: "kubernetes",
    settings: { proxy: { remoteUrl: "http://mirror:battery-url-pw-Kw93@mirror.example.com" } },
    line: `${K}.proxy.remoteUrl must be an https:// URL of the upstream registry (got "http://[userinfo hidden]@mirror.example.com")`,
  },
  {
    name: "advertiseHost 999.1.1.1 (issue 14 item 13)",
    backend: "kubernetes",
    settings: { advertiseHost: "999.1.1.1" },
    line: `${K}.advertiseHost ${HOST_OR_IP} (got "999.1.1.1")`,
  },
  {
    name: "a toleration with a value and operator Exists (issue 14 item 14)",
    backend: "kubernetes",
    settings: { tolerations: [{ key: "dedicated", operator: "Exists", value: "registry" }] },
    line: `${K}.tolerations[0].value must be unset when operator is Exists (it matches any value) (got "registry")`,
    render: true,
  },
  {
    name: "tolerationSeconds without NoExecute (issue 14 item 14)",
    backend: "kubernetes",
    settings: { tolerations: [{ key: "dedicated", effect: "NoSchedule", tolerationSeconds: 30 }] },
    line: `${K}.tolerations[0].tolerationSeconds is only read when effect is NoExecute (Kubernetes rejects it otherwise) (got 30)`,
  },
  {
    name: "pod anti-affinity without a topologyKey (issue 14 item 14)",
    backend: "kubernetes",
    settings: {
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: { a: "b" } } },
          ],
        },
      },
    },
    line: `${K}.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey is required: it must be a key such as kubernetes.io/hostname (optional DNS prefix and '/', then a name)`,
  },
  {
    name: "priorityClassName in upper case (issue 14 item 14)",
    backend: "kubernetes",
    settings: { priorityClassName: "High" },
    line: `${K}.priorityClassName must be a PriorityClass name (a DNS name, lower case) (got "High")`,
  },
  {
    name: "a pod annotation that would replace the program's checksum (issue 14 item 14)",
    backend: "kubernetes",
    settings: { podAnnotations: { "checksum/config-and-secrets": "pinned" } },
    line: `${K}.podAnnotations must not set checksum/config-and-secrets: the program sets it (it rolls the pods when the config or a secret changes); choose another key`,
  },
  {
    name: "a ServiceAccount annotation key starting with an underscore (issue 14 item 14)",
    backend: "kubernetes",
    settings: { serviceAccount: { annotations: { _iam: "x" } } },
    line: `${K}.serviceAccount.annotations._iam must be an annotation key such as iam.gke.io/gcp-service-account (got "_iam")`,
  },
  {
    name: "a ServiceMonitor without metrics (issue 14 item 14)",
    backend: "kubernetes",
    settings: { metrics: { serviceMonitor: { enabled: true } } },
    line: `${K}.metrics.serviceMonitor.enabled needs metrics.enabled true: the ServiceMonitor scrapes the metrics Service (got true)`,
    render: true,
  },
  {
    name: "metrics on the registry's own port (issue 14 item 14)",
    backend: "kubernetes",
    settings: { metrics: { enabled: true, port: 5000 } },
    line: `${K}.metrics.port must differ from the registry's port 5000: the debug server listens on its own port (got 5000)`,
  },
  {
    name: "an http:// S3 endpoint without secure: false (issue 14 item 14)",
    backend: "kubernetes",
    settings: {
      storage: { driver: "s3", s3: { ...s3, regionEndpoint: "http://minio.minio.svc:9000" } },
    },
    line: `${K}.storage.s3.regionEndpoint is plain http://: set secure to false to say so (the access keys' signatures and every image then cross the network unencrypted), or use https:// (got "http://minio.minio.svc:9000")`,
    render: true,
  },
  {
    name: "S3 secure: false against AWS (no endpoint) (issue 14 item 14)",
    backend: "kubernetes",
    settings: { storage: { driver: "s3", s3: { ...s3, secure: false } } },
    line: `${K}.storage.s3.secure can be false only with an http:// regionEndpoint (an object store you run): AWS S3 is reached over HTTPS (got false)`,
  },
  {
    name: "S3 secure: false with an https:// endpoint (issue 14 item 14)",
    backend: "vm",
    settings: {
      host: existing,
      storage: {
        driver: "s3",
        s3: { ...s3, regionEndpoint: "https://minio.example.com:9000", secure: false },
      },
    },
    line: `${V}.storage.s3.secure is false but regionEndpoint is https://: make the endpoint http:// or remove secure (got false)`,
  },
  {
    name: "S3 skipVerify with an http:// endpoint (issue 14 item 14)",
    backend: "docker",
    settings: {
      storage: {
        driver: "s3",
        s3: { ...s3, regionEndpoint: "http://127.0.0.1:9000", secure: false, skipVerify: true },
      },
    },
    line: `registry:docker.storage.s3.skipVerify is only read with an https:// regionEndpoint (AWS S3's certificate is publicly trusted; plain HTTP has none) (got true)`,
  },
  {
    name: "an S3 endpoint that is neither http nor https (issue 14 item 14)",
    backend: "kubernetes",
    settings: { storage: { driver: "s3", s3: { ...s3, regionEndpoint: "ftp://minio:9000" } } },
    line: `${K}.storage.s3.regionEndpoint must be an http:// or https:// URL of an S3-compatible endpoint (got "ftp://minio:9000")`,
  },
  {
    name: "auth off on a NodePort (issue 14 item 4)",
    backend: "kubernetes",
    settings: { auth: { enabled: false } },
    line: `${K}.auth.enabled must be true on Kubernetes: the NodePort answers on every node's addresses, so anyone who reaches a node could push and delete (got false)`,
    render: true,
  },
  {
    name: "GCS key that is not JSON (issue 14 item 11)",
    backend: "kubernetes",
    settings: {
      storage: { driver: "gcs", gcs: { bucket: "b", keyJson: "battery-not-json-Kw93" } },
    },
    line: `${K}.storage.gcs.keyJson must be a service-account JSON key (a JSON object with type service_account, client_email and a private_key that parses) (got [secret])`,
  },
  {
    name: "registry image tagged latest (issue 14 item 13)",
    backend: "kubernetes",
    settings: { image: "registry:latest" },
    line: `${K}.image must be an image reference pinned to a tag (not latest) or digest, such as registry:2.8.3 (got "registry:latest")`,
  },
  {
    name: "kubectl image from a registry with a port, untagged (issue 14 item 13)",
    backend: "kubernetes",
    settings: { garbageCollection: { kubectlImage: "registry.local:5000/kubectl" } },
    line: `${K}.garbageCollection.kubectlImage must be an image reference pinned to a tag (not latest) or digest, such as registry:2.8.3 (got "registry.local:5000/kubectl")`,
  },
  {
    name: "image with a shell command in it, one line (issue 14 item 13)",
    backend: "kubernetes",
    settings: { image: "registry:2.8.3; rm -rf /" },
    line: `${K}.image must be an image reference pinned to a tag (not latest) or digest, such as registry:2.8.3 (got "registry:2.8.3; rm -rf /")`,
  },
  {
    name: "nodePort 1e20, one line (issue 14 item 13)",
    backend: "kubernetes",
    settings: { nodePort: 1e20 },
    line: `${K}.nodePort must be an integer from 30000 to 32767 (got 100000000000000000000)`,
  },
  {
    name: "persistence as a list: what is accepted, not library wording (issue 14 item 13)",
    backend: "kubernetes",
    settings: { persistence: ["enabled"] },
    line: `${K}.persistence must be an object of settings (got a list of 1 item)`,
    render: true,
  },
  {
    name: "proxy ttl with the default 2.x image (issue 14 item 9)",
    backend: "kubernetes",
    settings: { proxy: { remoteUrl: "https://registry-1.docker.io", ttl: "168h" } },
    line: `${K}.proxy.ttl is only read by registry 3 images (image is registry:2.8.3, a 2.x registry ignores it): use an image such as registry:3.0.0, or remove it`,
    render: true,
  },

  // ---- vm --------------------------------------------------------------------------
  {
    name: "settings that are not an object",
    backend: "vm",
    settings: "yes",
    line: `${V} must be an object of settings (got a string)`,
    render: true,
  },
  {
    name: "no host at all",
    backend: "vm",
    settings: {},
    line: `${V}.host is required: it must be an object with a mode (existing or gcp)`,
  },
  {
    name: "host mode unknown",
    backend: "vm",
    settings: { host: { mode: "ssh" } },
    line: `${V}.host.mode must be one of existing, gcp (got "ssh")`,
  },
  {
    name: "httpsPort 0",
    backend: "vm",
    settings: { host: existing, httpsPort: 0 },
    line: `${V}.httpsPort must be an integer from 1 to 65535 (got 0)`,
    render: true,
  },
  {
    name: "httpsPort 70000",
    backend: "vm",
    settings: { host: existing, httpsPort: 70000 },
    line: `${V}.httpsPort must be an integer from 1 to 65535 (got 70000)`,
  },
  {
    name: "SSH port as a fraction",
    backend: "vm",
    settings: { host: { ...existing, port: 22.5 } },
    line: `${V}.host.port must be an integer from 1 to 65535 (got 22.5)`,
  },
  {
    name: "redirect port equal to the HTTPS port",
    backend: "vm",
    settings: { host: existing, httpsPort: 8443, httpRedirectPort: 8443 },
    line: `${V}.httpRedirectPort must differ from httpsPort (got 8443)`,
  },
  {
    name: "domain in upper case",
    backend: "vm",
    settings: { host: existing, domain: "Registry.Example.com" },
    line: `${V}.domain must be a DNS name such as registry.example.com (got "Registry.Example.com")`,
  },
  {
    name: "domain with an underscore",
    backend: "vm",
    settings: { host: existing, domain: "my_registry.example.com" },
    line: `${V}.domain must be a DNS name such as registry.example.com (got "my_registry.example.com")`,
  },
  {
    name: "domain with a label over 63 characters",
    backend: "vm",
    settings: { host: existing, domain: `${"a".repeat(64)}.example.com` },
    line: `${V}.domain must be a DNS name such as registry.example.com (got "${"a".repeat(64)}.example.com")`,
  },
  {
    name: "existing host without its SSH key",
    backend: "vm",
    settings: { host: { mode: "existing", address: "203.0.113.7" } },
    line: `${V}.host.privateKey is required`,
  },
  {
    name: "existing host address with a port",
    backend: "vm",
    settings: { host: { ...existing, address: "203.0.113.7:22" } },
    line: `${V}.host.address ${HOST_OR_IP} (got "203.0.113.7:22")`,
  },
  {
    name: "SSH source range with a /33 prefix",
    backend: "vm",
    settings: { host: { ...gcpHost, sshSourceRanges: ["203.0.113.0/33"] } },
    line: `${V}.host.sshSourceRanges[0] ${CIDR_RULE} (got "203.0.113.0/33")`,
    render: true,
  },
  {
    name: "HTTPS source range without a prefix",
    backend: "vm",
    settings: { host: { ...gcpHost, httpsSourceRanges: ["10.0.0.0"] } },
    line: `${V}.host.httpsSourceRanges[0] ${CIDR_RULE} (got "10.0.0.0")`,
  },
  {
    name: "HTTPS source range with an octet over 255",
    backend: "vm",
    settings: { host: { ...gcpHost, httpsSourceRanges: ["10.0.300.0/24"] } },
    line: `${V}.host.httpsSourceRanges[0] ${CIDR_RULE} (got "10.0.300.0/24")`,
  },
  {
    name: "SSH open to the internet without the opt-in",
    backend: "vm",
    settings: { host: { ...gcpHost, sshSourceRanges: ["::/0"] } },
    line: `${V}.host.sshSourceRanges[0] must not open SSH to the whole internet: list the deployer's ranges, or set host.sshOpenToInternet to true (got "::/0")`,
  },
  {
    name: "gcp host without SSH source ranges",
    backend: "vm",
    settings: { host: { mode: "gcp", project: "acme-staging-1", zone: "europe-west1-b" } },
    line: `${V}.host.sshSourceRanges is required: it must be a list of CIDR blocks`,
  },
  {
    name: "gcp host zone given as a region",
    backend: "vm",
    settings: { host: { ...gcpHost, zone: "europe-west1" } },
    line: `${V}.host.zone must be a Compute Engine zone such as europe-west1-b (got "europe-west1")`,
  },
  {
    name: "data disk below 10 GB",
    backend: "vm",
    settings: { host: { ...gcpHost, dataDiskSizeGb: 5 } },
    line: `${V}.host.dataDiskSizeGb must be an integer from 10 to 65536 (got 5)`,
  },
  {
    name: "VM label key starting with a digit",
    backend: "vm",
    settings: { host: { ...gcpHost, labels: { "1team": "platform" } } },
    line: `${V}.host.labels.1team must be a label key of lower-case letters, digits, '_' or '-' (got "1team")`,
  },
  {
    name: "half an SSH key pair",
    backend: "vm",
    settings: { host: { ...gcpHost, sshPublicKey: SSH_PUB } },
    line: `${V}.host.sshPrivateKey is required with the other half of the SSH key pair (or set neither to generate one)`,
  },
  {
    name: "auth off on a VM",
    backend: "vm",
    settings: { host: existing, auth: { enabled: false } },
    line: `${V}.auth.enabled must be true on a VM: the registry is reachable over the network (got false)`,
    render: true,
  },
  {
    name: "weak password",
    backend: "vm",
    settings: { host: existing, auth: { password: "password" } },
    line: `${V}.auth.password ${PASSWORD_RULE}`,
  },
  {
    name: "password with a space",
    backend: "vm",
    settings: { host: existing, auth: { password: "correct horse battery staple" } },
    line: `${V}.auth.password ${PASSWORD_RULE}`,
  },
  {
    name: "provided TLS without its key",
    backend: "vm",
    settings: { host: existing, tls: { mode: "provided", certificate: CERT } },
    line: `${V}.tls.key is required`,
  },
  {
    name: "provided TLS with a certificate where the key goes",
    backend: "vm",
    settings: { host: existing, tls: { mode: "provided", certificate: CERT, key: CERT } },
    line: `${V}.tls.key must be a PEM private key (got [secret])`,
  },
  {
    name: "self-signed validityDays of earlier releases",
    backend: "vm",
    settings: { host: existing, tls: { mode: "selfSigned", validityDays: 10 } },
    line: `${V}.tls.validityDays is no longer read: the CA now lasts 10 years and the server certificate 90 days, renewed by the first \`pulumi up\` in its last 30 days; remove the key (got 10)`,
  },
  {
    name: "provided TLS on a new VM with no domain",
    backend: "vm",
    settings: { host: gcpHost, tls: { mode: "provided", certificate: CERT, key: TLS_KEY } },
    line: `${V}.domain is required when tls.mode is provided and host.mode is gcp: the certificate must name an address known before the VM exists`,
  },
  {
    name: "remoteDir relative",
    backend: "vm",
    settings: { host: existing, remoteDir: "opt/registry" },
    line: `${V}.remoteDir must be an absolute path of letters, digits, '.', '_' or '-' such as /opt/registry (got "opt/registry")`,
  },
  {
    name: "remoteDir with shell metacharacters",
    backend: "vm",
    settings: { host: existing, remoteDir: "/opt/registry;rm -rf /" },
    line: `${V}.remoteDir must be an absolute path of letters, digits, '.', '_' or '-' such as /opt/registry (got "/opt/registry;rm -rf /")`,
  },
  {
    name: "wait timeout as a string",
    backend: "vm",
    settings: { host: existing, waitTimeoutSeconds: "300" },
    line: `${V}.waitTimeoutSeconds must be an integer from 10 to 3600 (got "300")`,
  },
  {
    name: "unknown key (typo of domain)",
    backend: "vm",
    settings: { host: existing, domian: "registry.example.com" },
    line: `${V} has unknown key "domian"`,
  },
  {
    name: "empty S3 secret key",
    backend: "vm",
    settings: {
      host: existing,
      storage: { driver: "s3", s3: { ...s3, accessKey: "AKIAEXAMPLE", secretKey: "" } },
    },
    line: `${V}.storage.s3.secretKey must be a secret access key (got [secret])`,
  },
  {
    name: "gcs settings while the driver is filesystem",
    backend: "vm",
    settings: { host: existing, storage: { gcs: { bucket: "acme-registry" } } },
    line: `${V}.storage.gcs is only read when driver is gcs (driver is filesystem) (got an object)`,
  },
  {
    name: "empty proxy password",
    backend: "vm",
    settings: {
      host: existing,
      proxy: { remoteUrl: "https://registry-1.docker.io", username: "mirror", password: "" },
    },
    line: `${V}.proxy.password must be a password (got [secret])`,
  },
  {
    name: "proxy password without a user name (issue 14 item 13)",
    backend: "vm",
    settings: {
      host: existing,
      proxy: { remoteUrl: "https://registry-1.docker.io", password: "battery-proxy-pw-Kw93" },
    },
    line: `${V}.proxy.username is required with the other half of the upstream login (username and password, or neither)`,
  },
  {
    name: "S3 endpoint with keys in the URL (issue 14 item 2)",
    backend: "vm",
    settings: {
      host: existing,
      storage: {
        driver: "s3",
        s3: { ...s3, regionEndpoint: "https://AKIA:battery-url-key-Kw93@minio.example.com:9000" },
      },
    },
    line: `${V}.storage.s3.regionEndpoint must not hold a user name or password (the "user:password@" part): it would be stored in plain text (got "https://[userinfo hidden]@minio.example.com:9000")`,
  },
  {
    name: "SSH open to the internet written /00 (issue 14 item 3)",
    backend: "vm",
    settings: { host: { ...gcpHost, sshSourceRanges: ["0.0.0.0/00"] } },
    line: `${V}.host.sshSourceRanges[0] ${CIDR_RULE} (got "0.0.0.0/00")`,
    render: true,
  },
  {
    name: "SSH open to the internet written ::/00 (issue 14 item 3)",
    backend: "vm",
    settings: { host: { ...gcpHost, sshSourceRanges: ["198.51.100.0/24", "::/00"] } },
    line: `${V}.host.sshSourceRanges[1] ${CIDR_RULE} (got "::/00")`,
  },
  {
    name: "SSH source range with a zero-padded prefix (issue 14 item 3)",
    backend: "vm",
    settings: { host: { ...gcpHost, sshSourceRanges: ["198.51.100.0/024"] } },
    line: `${V}.host.sshSourceRanges[0] ${CIDR_RULE} (got "198.51.100.0/024")`,
  },
  {
    name: "SSH open to the internet as ::0/0 without the opt-in (issue 14 item 3)",
    backend: "vm",
    settings: { host: { ...gcpHost, sshSourceRanges: ["0::0/0"] } },
    line: `${V}.host.sshSourceRanges[0] must not open SSH to the whole internet: list the deployer's ranges, or set host.sshOpenToInternet to true (got "0::0/0")`,
  },
  {
    name: "SSH open to the internet as two IPv4 halves (issue 14 item 3)",
    backend: "vm",
    settings: { host: { ...gcpHost, sshSourceRanges: ["0.0.0.0/1", "128.0.0.0/1"] } },
    line: `${V}.host.sshSourceRanges must not open SSH to the whole internet: list the deployer's ranges, or set host.sshOpenToInternet to true (0.0.0.0/1, 128.0.0.0/1 together cover every IPv4 address)`,
    render: true,
  },
  {
    name: "SSH open to the internet as two IPv6 halves beside a narrow IPv4 range (issue 14 item 3)",
    backend: "vm",
    settings: { host: { ...gcpHost, sshSourceRanges: ["198.51.100.0/24", "::/1", "8000::/1"] } },
    line: `${V}.host.sshSourceRanges must not open SSH to the whole internet: list the deployer's ranges, or set host.sshOpenToInternet to true (::/1, 8000::/1 together cover every IPv6 address)`,
  },
  {
    name: "HTTPS source range with an interface zone (issue 14 item 13)",
    backend: "vm",
    settings: { host: { ...gcpHost, httpsSourceRanges: ["fe80::1%eth0/64"] } },
    line: `${V}.host.httpsSourceRanges[0] ${CIDR_RULE} (got "fe80::1%eth0/64")`,
  },
  {
    name: "domain with a numeric top label (issue 14 item 13)",
    backend: "vm",
    settings: { host: existing, domain: "registry.123" },
    line: `${V}.domain must be a DNS name such as registry.example.com (got "registry.123")`,
  },
  {
    name: "provided certificate with a garbage body (issue 14 item 11)",
    backend: "vm",
    settings: {
      host: existing,
      tls: {
        mode: "provided",
        certificate: "-----BEGIN CERTIFICATE-----\nMIIBbattery\n-----END CERTIFICATE-----",
        key: TLS_KEY,
      },
    },
    line: `${V}.tls.certificate must be a PEM certificate (certificate 1 does not parse as X.509)`,
  },
  {
    name: "provided certificate with text around it (issue 14 item 11)",
    backend: "vm",
    settings: {
      host: existing,
      tls: { mode: "provided", certificate: `subject=CN = registry\n${CERT}`, key: TLS_KEY },
    },
    line: `${V}.tls.certificate must be a PEM certificate`,
  },
  {
    name: "provided key that does not match the certificate (issue 14 item 11)",
    backend: "vm",
    settings: { host: existing, tls: { mode: "provided", certificate: CERT, key: strayKey() } },
    line: `${V}.tls.key does not match tls.certificate: the first certificate must be the server's own, issued for this key`,
    render: true,
  },
  {
    name: "provided key with a garbage body (issue 14 item 11)",
    backend: "vm",
    settings: {
      host: existing,
      tls: {
        mode: "provided",
        certificate: CERT,
        key: "-----BEGIN PRIVATE KEY-----\nMIGHbattery\n-----END PRIVATE KEY-----",
      },
    },
    line: `${V}.tls.key must be a PEM private key (got [secret])`,
  },
  {
    name: "s3 forcePathStyle with the default 2.x image (issue 14 item 9)",
    backend: "vm",
    settings: {
      host: existing,
      storage: { driver: "s3", s3: { ...s3, forcePathStyle: true } },
    },
    line: `${V}.storage.s3.forcePathStyle is only read by registry 3 images (image is registry:2.8.3, a 2.x registry ignores it): use an image such as registry:3.0.0, or remove it`,
  },

  // ---- gcp -------------------------------------------------------------------------
  {
    name: "no project",
    backend: "gcp",
    settings: { location: "europe-west1" },
    line: `${G}.project is required: it must be a GCP project id: 6-30 lower-case letters, digits or hyphens, starting with a letter`,
    render: true,
  },
  {
    name: "project id with upper case and underscore",
    backend: "gcp",
    settings: { ...gcp, project: "Acme_CI" },
    line: `${G}.project must be a GCP project id: 6-30 lower-case letters, digits or hyphens, starting with a letter (got "Acme_CI")`,
  },
  {
    name: "project as a number",
    backend: "gcp",
    settings: { ...gcp, project: 123456789012 },
    line: `${G}.project must be a GCP project id: 6-30 lower-case letters, digits or hyphens, starting with a letter (got 123456789012)`,
  },
  {
    name: "no location",
    backend: "gcp",
    settings: { project: "acme-ci-prod" },
    line: `${G}.location is required: a region such as us-central1 or a multi-region us, europe or asia`,
  },
  {
    name: "location given as a zone",
    backend: "gcp",
    settings: { ...gcp, location: "europe-west1-b" },
    line: `${G}.location must be a region such as us-central1 or a multi-region us, europe or asia (got "europe-west1-b")`,
  },
  {
    name: "gcr.io domain in the wrong location",
    backend: "gcp",
    settings: { project: "acme-ci-prod", gcrDomain: "eu.gcr.io", location: "us" },
    line: `${G}.location must be europe when gcrDomain is eu.gcr.io (or be left unset) (got "us")`,
    render: true,
  },
  {
    name: "gcr.io domain and a repository id",
    backend: "gcp",
    settings: { project: "acme-ci-prod", gcrDomain: "gcr.io", repositoryId: "images" },
    line: `${G}.repositoryId is set by gcrDomain (the repository is named gcr.io): remove it (got "images")`,
  },
  {
    name: "repository id ending with a hyphen",
    backend: "gcp",
    settings: { ...gcp, repositoryId: "images-" },
    line: `${G}.repositoryId must be a repository id of 1-63 lower-case letters, digits or hyphens, starting with a letter and ending with a letter or digit (got "images-")`,
  },
  {
    name: "cleanup after 0 days",
    backend: "gcp",
    settings: { ...gcp, cleanup: { deleteUntaggedAfterDays: 0 } },
    line: `${G}.cleanup.deleteUntaggedAfterDays must be an integer from 1 to 3650 (got 0)`,
    render: true,
  },
  {
    name: "cleanup duration written as 14d",
    backend: "gcp",
    settings: { ...gcp, cleanup: { deleteUntaggedAfterDays: "14d" } },
    line: `${G}.cleanup.deleteUntaggedAfterDays must be an integer from 1 to 3650 (got "14d")`,
  },
  {
    name: "cleanup duration written in seconds",
    backend: "gcp",
    settings: { ...gcp, cleanup: { deleteUntaggedAfterDays: "1209600s" } },
    line: `${G}.cleanup.deleteUntaggedAfterDays must be an integer from 1 to 3650 (got "1209600s")`,
  },
  {
    name: "cleanup keeping 1001 versions",
    backend: "gcp",
    settings: { ...gcp, cleanup: { keepRecentVersions: 1001 } },
    line: `${G}.cleanup.keepRecentVersions must be an integer from 1 to 1000 (got 1001)`,
  },
  {
    name: "cleanup dry run as a string",
    backend: "gcp",
    settings: { ...gcp, cleanup: { dryRun: "false" } },
    line: `${G}.cleanup.dryRun must be true or false (got "false")`,
  },
  {
    name: "workload identity without the GitHub repository",
    backend: "gcp",
    settings: { ...gcp, ...keyless({ githubRepository: undefined }) },
    line: `${G}.credentials.githubRepository is required when mode is workloadIdentity (the owner/name allowed to push)`,
  },
  {
    name: "workload identity pinned by repository name only",
    backend: "gcp",
    settings: { ...gcp, ...keyless({ githubRepositoryId: undefined }) },
    line: `${G}.credentials.githubRepositoryId is required when mode is workloadIdentity: the repository's numeric id (curl -s https://api.github.com/repos/OWNER/NAME | jq .id)`,
  },
  {
    name: "key rotation with workload identity",
    backend: "gcp",
    settings: { ...gcp, ...keyless({ keyRotationDays: 30 }) },
    line: `${G}.credentials.keyRotationDays is only read when mode is key (mode is workloadIdentity) (got 30)`,
  },
  {
    name: "pool id with the reserved gcp- prefix",
    backend: "gcp",
    settings: { ...gcp, ...keyless({ poolId: "gcp-ci" }) },
    line: `${G}.credentials.poolId must not start with gcp- (the prefix is reserved by Google) (got "gcp-ci")`,
  },
  {
    name: "GitHub repository as a URL",
    backend: "gcp",
    settings: { ...gcp, ...keyless({ githubRepository: "https://github.com/acme/app" }) },
    line: `${G}.credentials.githubRepository must be a GitHub repository as owner/name (got "https://github.com/acme/app")`,
  },
  {
    name: "public readers (allUsers)",
    backend: "gcp",
    settings: { ...gcp, readers: ["allUsers"] },
    line: `${G}.readers[0] must be an IAM member such as serviceAccount:nodes@my-project.iam.gserviceaccount.com (or user:, group:, domain:, principal://, principalSet://) (got "allUsers")`,
  },
  {
    name: "reader listed twice",
    backend: "gcp",
    settings: { ...gcp, readers: ["group:ops@acme.example", "group:ops@acme.example"] },
    line: `${G}.readers[1] lists this member twice (got "group:ops@acme.example")`,
  },
  {
    name: "KMS key in another location",
    backend: "gcp",
    settings: {
      ...gcp,
      kmsKeyName: "projects/acme-kms/locations/us/keyRings/ci/cryptoKeys/registry",
    },
    line: `${G}.kmsKeyName must be a key in the repository's location europe-west1 (got "projects/acme-kms/locations/us/keyRings/ci/cryptoKeys/registry")`,
  },
  {
    name: "label key in upper case",
    backend: "gcp",
    settings: { ...gcp, labels: { Team: "platform" } },
    line: `${G}.labels.Team must be a label key of lower-case letters, digits, '_' or '-' (got "Team")`,
  },
  {
    name: "labels as a string",
    backend: "gcp",
    settings: { ...gcp, labels: "team=platform" },
    line: `${G}.labels must be a map of label keys to values (got "team=platform")`,
  },
  {
    name: "label value with upper case",
    backend: "gcp",
    settings: { ...gcp, labels: { team: "Platform" } },
    line: `${G}.labels.team must be a label value of lower-case letters, digits, '_' or '-' (got "Platform")`,
  },
  {
    name: "unknown key (typo of repositoryId)",
    backend: "gcp",
    settings: { ...gcp, repository: "images" },
    line: `${G} has unknown key "repository"`,
  },
  {
    name: "service account id too short",
    backend: "gcp",
    settings: { ...gcp, serviceAccountId: "ci" },
    line: `${G}.serviceAccountId must be a service account id of 6-30 lower-case letters, digits or hyphens, starting with a letter (got "ci")`,
  },

  {
    name: "notification push identity that is the CI account",
    backend: "gcp",
    settings: {
      ...gcp,
      notifications: {
        pushEndpoint: "https://deploy.example.com/registry",
        serviceAccountId: "registry-ci",
      },
    },
    line: `${G}.notifications.serviceAccountId must differ from serviceAccountId (registry-ci, the CI account): the push identity is an account of its own, with no role (got "registry-ci")`,
  },
  {
    name: "notification push endpoint over http",
    backend: "gcp",
    settings: { ...gcp, notifications: { pushEndpoint: "http://deploy.example.com/registry" } },
    line: `${G}.notifications.pushEndpoint must be an https:// URL of the receiver (got "http://deploy.example.com/registry")`,
  },
  {
    name: "notification push endpoint with a password in it",
    backend: "gcp",
    settings: {
      ...gcp,
      notifications: { pushEndpoint: "https://u:battery-push-pw-Kw93@deploy.example.com/r" },
    },
    line: `${G}.notifications.pushEndpoint must not hold a user name or password (the "user:password@" part): it would be stored in plain text (got "https://[userinfo hidden]@deploy.example.com/r")`,
    render: true,
  },

  // ---- docker ----------------------------------------------------------------------
  {
    name: "port 0",
    backend: "docker",
    settings: { port: 0 },
    line: `${D}.port must be an integer from 1 to 65535 (got 0)`,
    render: true,
  },
  {
    name: "auth off on every interface",
    backend: "docker",
    settings: { auth: { enabled: false }, bindAddress: "0.0.0.0" },
    line: `${D}.bindAddress must be a loopback address such as 127.0.0.1 while auth.enabled is false (anyone on the network could push) (got "0.0.0.0")`,
    render: true,
  },
  {
    name: "bind address as a host name",
    backend: "docker",
    settings: { bindAddress: "localhost" },
    line: `${D}.bindAddress must be an IP address (got "localhost")`,
  },
  {
    name: "TLS names that miss the advertised host",
    backend: "docker",
    settings: {
      advertiseHost: "registry.example.com",
      tls: { enabled: true, serverNames: ["localhost"] },
    },
    line: `${D}.tls.serverNames must include registry.example.com, the host clients dial (advertiseHost), or the certificate will not match (got a list of 1 item)`,
  },
  {
    name: "log size in MB",
    backend: "docker",
    settings: { logMaxSize: "10MB" },
    line: `${D}.logMaxSize must be a size such as 10m (a number then k, m or g) (got "10MB")`,
  },
  {
    name: "Docker host over http",
    backend: "docker",
    settings: { dockerHost: "http://docker.example.com:2375" },
    line: `${D}.dockerHost must be a Docker host such as unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host (got "http://docker.example.com:2375")`,
  },
  {
    name: "weak password",
    backend: "docker",
    settings: { auth: { password: "letmein" } },
    line: `${D}.auth.password ${PASSWORD_RULE}`,
  },
  {
    name: "container name with a space",
    backend: "docker",
    settings: { containerName: "my registry" },
    line: `${D}.containerName must be a container name of letters, digits, '_', '.' or '-' (got "my registry")`,
  },
  {
    name: "a password while auth is off",
    backend: "docker",
    settings: { auth: { enabled: false, password: "battery-docker-pw-Kw93" } },
    line: `${D}.auth.password is only read when enabled is true`,
  },
  {
    name: "Docker host with a password in it (issue 14 item 2)",
    backend: "docker",
    settings: { dockerHost: "ssh://deploy:battery-ssh-pw-Kw93@docker.example.com" },
    line: `${D}.dockerHost must not hold a password (ssh://user@host logs in with a key from the SSH agent) (got "ssh://[userinfo hidden]@docker.example.com")`,
  },
  {
    name: "proxy ttl with a 2.x image pinned by tag and digest (issue 14 item 9)",
    backend: "docker",
    settings: {
      image: `registry:2.8.3@sha256:${"a".repeat(64)}`,
      proxy: { remoteUrl: "https://registry-1.docker.io", ttl: "24h" },
    },
    line: `${D}.proxy.ttl is only read by registry 3 images (image is registry:2.8.3@sha256:${"a".repeat(64)}, a 2.x registry ignores it): use an image such as registry:3.0.0, or remove it`,
  },
  // ---- push notifications (issue 14 item 17), shared by docker, kubernetes and vm ----
  {
    name: "notification URL over http without allowHttp",
    backend: "docker",
    settings: { notifications: { endpoints: [{ name: "ci", url: "http://hooks.example.com/r" }] } },
    line: `${D}.notifications.endpoints[0].url must be an https:// URL (http:// sends events and the token in clear: set allowHttp: true to accept it) (got "http://hooks.example.com/r")`,
    render: true,
  },
  {
    name: "notification URL with a password in it",
    backend: "vm",
    settings: {
      host: existing,
      notifications: {
        endpoints: [{ name: "ci", url: "https://ci:battery-hook-pw-Kw93@hooks.example.com/r" }],
      },
    },
    line: `${V}.notifications.endpoints[0].url must not hold a user name or password (the "user:password@" part): it would be stored in plain text (got "https://[userinfo hidden]@hooks.example.com/r")`,
  },
  {
    name: "two notification endpoints with one name",
    backend: "kubernetes",
    settings: {
      notifications: {
        endpoints: [
          { name: "ci", url: "https://a.example.com/r" },
          { name: "ci", url: "https://b.example.com/r" },
        ],
      },
    },
    line: `${K}.notifications.endpoints[1].name must be unique (endpoints[0] is also named ci) (got "ci")`,
  },
  {
    name: "a notification token while the registry logs at info",
    backend: "kubernetes",
    settings: {
      notifications: {
        endpoints: [
          { name: "ci", url: "https://hooks.example.com/r", token: "battery-token-Kw93-0001" },
        ],
      },
    },
    line: `${K}.logLevel must be warn or error while notifications.endpoints[0].token is set: the registry prints each endpoint's headers, token included, at info when it starts (got "info")`,
    render: true,
  },
  {
    name: "a notification token with a space",
    backend: "docker",
    settings: {
      logLevel: "warn",
      notifications: {
        endpoints: [
          { name: "ci", url: "https://hooks.example.com/r", token: "battery token Kw93 0001" },
        ],
      },
    },
    line: `${D}.notifications.endpoints[0].token must be a token of 16 to 1024 printable ASCII characters with no spaces (got [secret])`,
  },
  {
    name: "a notification action distribution does not send",
    backend: "vm",
    settings: {
      host: existing,
      notifications: {
        endpoints: [{ name: "ci", url: "https://hooks.example.com/r", actions: ["tag"] }],
      },
    },
    line: `${V}.notifications.endpoints[0].actions[0] must be one of push, pull, delete, mount (got "tag")`,
  },
  // ---- the pull-only user (issue 14 item 6), every self-hosted backend -------------
  {
    name: "pull user named as the push user",
    backend: "docker",
    settings: { auth: { pullUser: { username: "ci" } } },
    line: `${D}.auth.pullUser.username must differ from auth.username (ci, the user that pushes)`,
    render: true,
  },
  {
    name: "pull user named as a chosen push user",
    backend: "vm",
    settings: { host: existing, auth: { username: "deploy", pullUser: { username: "deploy" } } },
    line: `${V}.auth.pullUser.username must differ from auth.username (deploy, the user that pushes)`,
  },
  {
    name: "pull user on a mirror",
    backend: "kubernetes",
    settings: {
      proxy: { remoteUrl: "https://registry-1.docker.io" },
      auth: { pullUser: { username: "reader" } },
    },
    line: `${K}.auth.pullUser is redundant on a mirror (proxy is set): a mirror takes no pushes, so its one login (auth.username) is the pull login; remove auth.pullUser`,
    render: true,
  },
  {
    name: "pull user on a VM mirror",
    backend: "vm",
    settings: {
      host: existing,
      proxy: { remoteUrl: "https://registry-1.docker.io" },
      auth: { pullUser: { username: "reader" } },
    },
    line: `${V}.auth.pullUser is redundant on a mirror (proxy is set): a mirror takes no pushes, so its one login (auth.username) is the pull login; remove auth.pullUser`,
  },
  {
    name: "pull user with auth off",
    backend: "docker",
    settings: { auth: { enabled: false, pullUser: { username: "reader" } } },
    line: `${D}.auth.pullUser is only read when enabled is true`,
  },
  {
    name: "pull user name with a space",
    backend: "kubernetes",
    settings: { auth: { pullUser: { username: "read er" } } },
    line: `${K}.auth.pullUser.username must be a user name of letters, digits, '.', '_' or '-' (got "read er")`,
  },
  {
    name: "pull user password too short",
    backend: "vm",
    settings: { host: existing, auth: { pullUser: { username: "reader", password: "short" } } },
    line: `${V}.auth.pullUser.password ${PASSWORD_RULE}`,
  },
  {
    name: "pull user without a name",
    backend: "docker",
    settings: { auth: { pullUser: { password: "pull-password-0123456" } } },
    line: `${D}.auth.pullUser.username is required: it must be a user name of letters, digits, '.', '_' or '-'`,
  },
];

function configOf(c: { backend: Backend; settings: unknown }): Record<string, unknown> {
  return { "registry:backend": c.backend, [`registry:${c.backend}`]: c.settings };
}

const perBackend = (b: Backend) => CASES.filter((c) => c.backend === b).length;

test("the battery: 40+ cases over kubernetes, vm and gcp, docker too, no name twice", () => {
  const counts = {
    kubernetes: perBackend("kubernetes"),
    vm: perBackend("vm"),
    gcp: perBackend("gcp"),
    docker: perBackend("docker"),
  };
  console.log(`bad-input battery: ${CASES.length} cases ${JSON.stringify(counts)}`);
  expect(counts.kubernetes + counts.vm + counts.gcp).toBeGreaterThanOrEqual(40);
  for (const b of ["kubernetes", "vm", "gcp", "docker"] as const)
    expect([b, counts[b] >= 8]).toEqual([b, true]);
  const names = CASES.map((c) => `${c.backend}: ${c.name}`);
  expect(new Set(names).size).toBe(names.length);
});

test("README and docs/RELIABILITY.md state the battery's size as it is", () => {
  const stated = `${CASES.length} invalid configurations (kubernetes ${perBackend("kubernetes")}, vm ${perBackend("vm")}, gcp ${perBackend("gcp")}, docker ${perBackend("docker")})`;
  for (const doc of ["README.md", "docs/RELIABILITY.md"]) {
    const text = fs.readFileSync(path.join(__dirname, "..", doc), "utf8").replace(/\s+/g, " ");
    expect([doc, text.includes(stated)]).toEqual([doc, true]);
  }
});

describe("control: the same harness sees a valid configuration register resources", () => {
  // Without this, "nothing registered" could mean the recorder records nothing.
  test.each(["kubernetes", "vm", "gcp", "docker"] as const)("%s", async (backend) => {
    const refused = await runRefused(configOf({ backend, settings: VALID[backend] }));
    expect(refused.error).toBeUndefined();
    expect(refused.registered.length).toBeGreaterThan(3);
  });
});

describe("in process: the program stops before registering anything, with one line naming the key", () => {
  test.each(CASES.map((c) => [`${c.backend}: ${c.name}`, c] as const))("%s", async (_, c) => {
    const refused = await runRefused(configOf(c));
    expect(refused.error).toBeInstanceOf(ConfigError);
    expect(refused.lines).toEqual([c.line]);
    // The message pulumi prints is that line alone.
    expect((refused.error as Error).message).toBe(c.line);
    expect(c.line).toMatch(new RegExp(`^registry:${c.backend}(\\.[A-Za-z0-9_.\\[\\]]+)? `));
    expect(refused.registered).toEqual([]);
  });
});

describe("the render command (a child process), on a spread of the cases", () => {
  const TSX = path.join(__dirname, "..", "node_modules", ".bin", "tsx");
  const chosen = CASES.filter((c) => c.render);
  let tmp: string;
  const results = new Map<BadInput, { code: number | null; stdout: string; stderr: string }>();

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "battery-render-"));
    const renderOne = (c: BadInput, i: number) =>
      new Promise<void>((resolve) => {
        const file = path.join(tmp, `Pulumi.case${i}.yaml`);
        fs.writeFileSync(file, JSON.stringify({ config: configOf(c) }));
        const child = spawn(
          TSX,
          ["tools/render.ts", `case${i}`, "--config-file", file, "--out", outDir(i)],
          { cwd: path.join(__dirname, ".."), stdio: ["ignore", "pipe", "pipe"] },
        );
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (b) => (stdout += b));
        child.stderr.on("data", (b) => (stderr += b));
        const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
        child.on("close", (code) => {
          clearTimeout(timer);
          results.set(c, { code, stdout, stderr });
          resolve();
        });
      });
    // Two at a time: the machine has two cores.
    const queue = chosen.map((c, i) => [c, i] as const);
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await renderOne(...next);
    };
    await Promise.all([worker(), worker()]);
  }, 180_000);

  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const outDir = (i: number) => path.join(tmp, `out${i}`);

  test("at least 10 cases, from every backend", () => {
    expect(chosen.length).toBeGreaterThanOrEqual(10);
    expect(new Set(chosen.map((c) => c.backend)).size).toBe(4);
  });

  test.each(chosen.map((c, i) => [`${c.backend}: ${c.name}`, c, i] as const))(
    "%s: exit 1, the one line on stderr, no stack trace, nothing written",
    (_, c, i) => {
      const r = results.get(c)!;
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`${c.line}\n`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe("");
      expect(fs.existsSync(outDir(i))).toBe(false);
    },
  );
});

test("a valid run of the same program still works after the battery (no leaked state)", async () => {
  const run = await runProgram({
    stack: "battery",
    config: configOf({ backend: "gcp", settings: gcp }),
  });
  expect(run.outputs.REGISTRY.value).toBe("europe-west1-docker.pkg.dev/acme-ci-prod/ci-images");
});
