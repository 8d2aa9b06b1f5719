/**
 * Zod building blocks for the stack configuration. Each one carries the phrase that
 * completes "registry:<key> ..." in an error line, so every rule reads the same way:
 *   registry:kubernetes.nodePort must be an integer from 30000 to 32767 (got 80)
 */
import * as crypto from "node:crypto";
import * as net from "node:net";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { parseImageRef } from "./imageRef";
import { SECRET_SCHEMAS } from "./secretPaths";

/**
 * What `render` puts in place of a `secure:` value it cannot decrypt offline. Secret
 * fields accept it whatever their format rules, so a stack file with encrypted
 * values still renders.
 */
export const OFFLINE_SECRET = "[secure value: not decrypted offline]";

export function integer(min: number, max: number) {
  const error = `must be an integer from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

export const port = () => integer(1, 65535);

export const bool = () => z.boolean({ error: "must be true or false" });

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.join(", ")}` });
}

export function text(what = "a non-empty string") {
  return z.string({ error: `must be ${what}` }).min(1, { error: `must be ${what}` });
}

export function pattern(re: RegExp, what: string) {
  return z.string({ error: `must be ${what}` }).regex(re, { error: `must be ${what}` });
}

const LABEL = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";
/** A DNS name (RFC 1123, lower case). */
export const DNS_NAME = new RegExp(`^(?=.{1,253}$)${LABEL}(\\.${LABEL})*$`);

export const dnsName = () =>
  pattern(DNS_NAME, "a DNS name such as registry.example.com").refine(
    (v) => !/(^|\.)[0-9]+$/.test(v),
    { error: "must be a DNS name such as registry.example.com" },
  );

/** An IP address as written in config: no zone (fe80::1%eth0 names an interface of one machine). */
export const isIpAddress = (v: string) => net.isIP(v) !== 0 && !v.includes("%");

export const ipAddress = () =>
  z.string({ error: "must be an IP address" }).refine(isIpAddress, {
    error: "must be an IP address",
  });

/** A DNS name whose last label is not all digits: 999.1.1.1 is a bad address, not a name. */
const isHostName = (v: string) => DNS_NAME.test(v) && !/(^|\.)[0-9]+$/.test(v);

/** A host as clients will dial it: a DNS name or an IP address. */
export const host = () =>
  z
    .string({ error: "must be a DNS name or an IP address" })
    .refine((v) => isIpAddress(v) || isHostName(v), {
      error: "must be a DNS name or an IP address",
    });

export const cidr = () =>
  z.string({ error: "must be a CIDR block such as 203.0.113.0/24" }).refine(isCidr, {
    error: "must be a CIDR block such as 203.0.113.0/24",
  });

export interface Cidr {
  address: string;
  family: 4 | 6;
  prefix: number;
}

/**
 * A CIDR block parsed, or undefined when it is not one in its plain form: an address
 * node accepts (no zone, no leading zeros in IPv4), then a prefix length written
 * without leading zeros ("/00" is refused, not read as 0) and within the family's bits.
 */
export function parseCidr(v: string): Cidr | undefined {
  const m = /^([^/]+)\/(0|[1-9][0-9]{0,2})$/.exec(v);
  if (!m || !isIpAddress(m[1])) return undefined;
  const family = net.isIP(m[1]) as 4 | 6;
  const prefix = Number(m[2]);
  return prefix <= (family === 4 ? 32 : 128) ? { address: m[1], family, prefix } : undefined;
}

export const isCidr = (v: string) => parseCidr(v) !== undefined;

/** The user name and password part of a URL ("//user:pass@"), as error lines hide it. */
export const USERINFO = /\/\/[^/?#\s]*@/g;
export const hideUserinfo = (text: string) => text.replace(USERINFO, "//[userinfo hidden]@");

/**
 * An https:// URL with a host and nothing that would carry a credential: a user name or
 * password in it would land in plain files (config.yml, a ConfigMap) and stack state.
 */
export const httpsUrl = (what: string) => webUrl(what, ["https"]);

/** An http:// or https:// URL (a plain-HTTP endpoint needs its own opt-in where it is used). */
export const httpOrHttpsUrl = (what: string) => webUrl(what, ["http", "https"]);

/**
 * A URL of one of `schemes` (https, or http where a setting allows it) with a host and no
 * user name or password (the same guard as httpsUrl).
 */
export const webUrl = (what: string, schemes: readonly ("http" | "https")[]) => {
  const error = `must be an ${schemes.map((p) => `${p}://`).join(" or ")} URL of ${what}`;
  return z.string({ error }).superRefine((v, ctx) => {
    const fail = (message: string) =>
      ctx.addIssue({ code: "custom", message, input: hideUserinfo(v) });
    let url: URL | undefined;
    try {
      url = /^https?:\/\/[^\s]+$/.test(v) ? new URL(v) : undefined;
    } catch {
      url = undefined;
    }
    if (!url || !schemes.includes(url.protocol.slice(0, -1) as "http") || !url.hostname)
      return fail(error);
    if (url.username || url.password || /^https?:\/\/[^/?#]*@/.test(v))
      fail(
        `must not hold a user name or password (the "user:password@" part): it would be stored in plain text`,
      );
  });
};

/** A Kubernetes resource quantity such as 10Gi, 500m or 1. */
export const quantity = (example = "10Gi") =>
  pattern(
    /^([0-9]+(\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/,
    `a Kubernetes quantity such as ${example}`,
  );

/** An image reference pinned to a tag or digest: never an implicit or explicit :latest. */
export const pinnedImage = () => {
  const error =
    "must be an image reference pinned to a tag (not latest) or digest, such as registry:2.8.3";
  return pattern(
    /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/,
    "an image reference pinned to a tag (not latest) or digest, such as registry:2.8.3",
  ).refine(
    (v) => {
      const { tag, digest } = parseImageRef(v);
      return digest !== undefined || (tag !== undefined && tag !== "latest");
    },
    { error },
  );
};

/** One PEM block of the given kind ("CERTIFICATE", "PRIVATE KEY"), BEGIN and END alike. */
const pemBlock = (kind: string) =>
  `-----BEGIN ((?:[A-Z0-9]+ )*${kind})-----[A-Za-z0-9+/=\\s]+-----END \\1-----`;

/** Exactly one PEM block of the given kind, e.g. "PRIVATE KEY", and nothing else but blank space. */
export const pem = (kind: string) =>
  pattern(new RegExp(`^\\s*${pemBlock(kind)}\\s*$`), `a PEM ${kind.toLowerCase()}`);

/** The PEM certificates in a text made only of them (and blank space), else undefined. */
export function certificateBlocks(text: string): string[] | undefined {
  const blocks = text.match(new RegExp(pemBlock("CERTIFICATE"), "g")) ?? [];
  const rest = blocks.reduce((t, b) => t.replace(b, ""), text);
  return blocks.length && !rest.trim() ? blocks : undefined;
}

/** PEM certificates (a server's first, then its intermediates), each one parsed as X.509. */
export const certificates = () =>
  z.string({ error: "must be a PEM certificate" }).superRefine((v, ctx) => {
    const blocks = certificateBlocks(v);
    // Certificates are public, but long: the line names the problem, not the text.
    if (!blocks)
      return ctx.addIssue({
        code: "custom",
        message: "must be a PEM certificate",
        input: undefined,
      });
    blocks.forEach((block, i) => {
      try {
        new crypto.X509Certificate(block);
      } catch {
        ctx.addIssue({
          code: "custom",
          message: `must be a PEM certificate (certificate ${i + 1} does not parse as X.509)`,
          input: undefined,
        });
      }
    });
  });

const parsesAsKey = (v: string) => {
  try {
    crypto.createPrivateKey(v);
    return true;
  } catch {
    return false;
  }
};

/** One unencrypted PEM private key that parses (RSA, EC or Ed25519, PKCS#1, SEC1 or PKCS#8). */
export const tlsPrivateKey = () =>
  pem("PRIVATE KEY").refine(parsesAsKey, { error: "must be a PEM private key" });

/** A service-account JSON key as Google issues it: the fields the registry's GCS driver reads. */
export const serviceAccountKey = () => {
  const error =
    "must be a service-account JSON key (a JSON object with type service_account, client_email and a private_key that parses)";
  return z.string({ error }).refine(
    (v) => {
      try {
        const k = JSON.parse(v) as Record<string, unknown>;
        return (
          k?.type === "service_account" &&
          typeof k.client_email === "string" &&
          typeof k.private_key === "string" &&
          parsesAsKey(k.private_key)
        );
      } catch {
        return false;
      }
    },
    { error },
  );
};

/** Stands in an error line for a secret's value, which is never printed. */
export const HIDDEN = "[secret]";

const RAW_SECRETS = new WeakMap<object, string>();

/**
 * The text of a secret from `secret()`, for checks that span two fields (a key against
 * its certificate) during validation only. Never put it in a message.
 */
export const secretTextForCheck = (value: unknown): string | undefined =>
  value && typeof value === "object" ? RAW_SECRETS.get(value) : undefined;

/**
 * A secret given in config: validated as plain text, then held as a Pulumi secret
 * from here on. Its value never appears in an error line. The offline placeholder
 * passes any rule.
 */
export function secret(rule: z.ZodType<string>) {
  const schema = z
    .unknown()
    .superRefine((v, ctx) => {
      if (v === OFFLINE_SECRET) return;
      if (v === undefined) {
        ctx.addIssue({ code: "custom", message: "is required", input: undefined });
        return;
      }
      const r = rule.safeParse(v);
      if (!r.success)
        ctx.addIssue({ code: "custom", message: r.error.issues[0].message, input: HIDDEN });
    })
    .transform((v) => {
      const out = pulumi.secret(v as string);
      RAW_SECRETS.set(out, v as string);
      return out;
    });
  SECRET_SCHEMAS.add(schema);
  return schema;
}

/**
 * Whether a provided key (a `secret()` value) is the private key of the first certificate
 * in `certificate`. True when either does not parse or is the offline placeholder: their
 * own rules report that. The key's text is read for the check only.
 */
export function providedKeyMatches(certificate: string, key: unknown): boolean {
  const text = secretTextForCheck(key);
  const [first] = certificateBlocks(certificate) ?? [];
  if (!text || text === OFFLINE_SECRET || !first) return true;
  try {
    return new crypto.X509Certificate(first).checkPrivateKey(crypto.createPrivateKey(text));
  } catch {
    return true;
  }
}

/** A password given in config: at least 16 characters, no whitespace or colon (htpasswd). */
export const password = () =>
  secret(pattern(/^[^\s:]{16,128}$/, "at least 16 characters, with no spaces or colons"));

/** An htpasswd user name. */
export const username = () =>
  pattern(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "a user name of letters, digits, '.', '_' or '-'");

/** Labels as GCP and Kubernetes both accept them. */
export const labels = () =>
  z.record(
    pattern(/^[a-z][a-z0-9_-]{0,62}$/, "a label key of lower-case letters, digits, '_' or '-'"),
    pattern(/^[a-z0-9_-]{0,63}$/, "a label value of lower-case letters, digits, '_' or '-'"),
    {
      // zod reports a bad key with the record's own error: say what a key must be.
      error: (issue) =>
        issue.code === "invalid_key"
          ? "must be a label key of lower-case letters, digits, '_' or '-'"
          : "must be a map of label keys to values",
    },
  );
