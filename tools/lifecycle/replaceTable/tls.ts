/** Replace facts of pulumi-tls; format and method in ./index.ts. */
import type { TypeRule } from "./types";

const TLS_SRC = "hashicorp/terraform-provider-tls v4.2.1 (857b38cda3fc) internal/provider/"; // + file below
const TLS_VERSION_NOTE =
  "node_modules has @pulumi/tls 5.6.1, built from a newer upstream (terraform-provider-tls 609226f53114, " +
  "not in the mirror) that adds the write-only *PemWo/*PemWoVersion inputs; their facts come from the SDK's .d.ts docs";

export const tlsRules: Record<string, TypeRule> = {
  "tls:index/privateKey:PrivateKey": {
    source: `${TLS_SRC}resource_private_key.go`,
    replaces: ["algorithm", "rsaBits", "ecdsaCurve"],
    updates: [],
    notes: [
      "rsaBits defaults to 2048 and ecdsaCurve to P224 (schema defaults): setting either explicitly to its default is no change",
    ],
  },
  "tls:index/selfSignedCert:SelfSignedCert": {
    source: `${TLS_SRC}resource_self_signed_cert.go and common_cert.go modifyPlanIfCertificateReadyForRenewal; ${TLS_VERSION_NOTE}`,
    replaces: [
      "privateKeyPem",
      "privateKeyPemWoVersion",
      "subject",
      "validityPeriodHours",
      "allowedUses",
      "dnsNames",
      "ipAddresses",
      "uris",
      "isCaCertificate",
      "maxPathLength",
      "setSubjectKeyId",
      "setAuthorityKeyId",
    ],
    updates: ["earlyRenewalHours", "privateKeyPemWo"],
    notes: [
      "early renewal: at plan time, once now >= validityEndTime - earlyRenewalHours, ModifyPlan marks readyForRenewal unknown and RequiresReplace - a replacement with NO input change (also when the cert has expired)",
      "earlyRenewalHours itself updates in place (state only); it only moves the renewal point",
      "privateKeyPem: requireReplaceIfStateContainsPEMString - any change of a PEM in state replaces",
      "privateKeyPemWo is write-only (never in state), so the provider cannot see it change; bumping privateKeyPemWoVersion is what re-issues the cert (SDK .d.ts docs); unverified in source",
    ],
  },
  "tls:index/certRequest:CertRequest": {
    source: `${TLS_SRC}resource_cert_request.go; ${TLS_VERSION_NOTE}`,
    replaces: [
      "privateKeyPem",
      "privateKeyPemWoVersion",
      "subject",
      "dnsNames",
      "ipAddresses",
      "uris",
    ],
    updates: ["privateKeyPemWo"],
    notes: [
      "every stored input replaces; privateKeyPemWo is write-only (see SelfSignedCert), unverified in source",
    ],
  },
  "tls:index/locallySignedCert:LocallySignedCert": {
    source: `${TLS_SRC}resource_locally_signed_cert.go and common_cert.go modifyPlanIfCertificateReadyForRenewal; ${TLS_VERSION_NOTE}`,
    replaces: [
      "certRequestPem",
      "caCertPem",
      "caPrivateKeyPem",
      "caPrivateKeyPemWoVersion",
      "validityPeriodHours",
      "allowedUses",
      "isCaCertificate",
      "maxPathLength",
      "setSubjectKeyId",
    ],
    updates: ["earlyRenewalHours", "caPrivateKeyPemWo"],
    notes: [
      "early renewal as SelfSignedCert: readyForRenewal forces a replacement at plan time once now >= validityEndTime - earlyRenewalHours",
      "a new CA cert or CA key (caCertPem/caPrivateKeyPem) replaces every leaf signed by it",
    ],
  },
};
