/**
 * The CI user's credentials for a self-hosted registry: the password (from config or
 * generated), the htpasswd file made from it, and the registry's `http.secret`.
 * Every value is a Pulumi secret from the moment it exists.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
  CHOSEN_PASSWORD_BCRYPT_COST,
  GENERATED_PASSWORD_BCRYPT_COST,
  renderHtpasswd,
} from "./htpasswd";
import { mirrorUrl, type RegistryEndpoint } from "./contract";
import type { AuthSettings } from "./selfHostedSettings";

export interface RegistryCredentials {
  username: string;
  /** Secret; empty when auth is off. */
  password: pulumi.Output<string>;
  /** Secret htpasswd file (bcrypt); empty when auth is off. */
  htpasswd: pulumi.Output<string>;
  /** Secret shared by every replica; uploads fail across replicas without it. */
  httpSecret: pulumi.Output<string>;
  /** The pull-only login (auth.pullUser), in the same htpasswd; its password is secret. */
  pull?: { username: string; password: pulumi.Output<string> };
}

/** A password from config or generated, with its stable salt and the bcrypt cost it deserves. */
function htpasswdEntry(
  name: string,
  username: string,
  chosen: pulumi.Output<string> | undefined,
  opts: pulumi.CustomResourceOptions,
) {
  const password =
    chosen ??
    pulumi.secret(
      new random.RandomPassword(`${name}-password`, { length: 32, special: false }, opts).result,
    );
  // A stable salt keeps the htpasswd (and so the deployment) unchanged between runs.
  const salt = new random.RandomString(
    `${name}-htpasswd-salt`,
    { length: 22, special: false },
    opts,
  ).result;
  // A generated password is too long to guess whatever the cost; a chosen one keeps the
  // cost that slows guessing (docs/PERFORMANCE.md: the registry pays it on every request).
  const cost = chosen === undefined ? GENERATED_PASSWORD_BCRYPT_COST : CHOSEN_PASSWORD_BCRYPT_COST;
  return { username, password, salt, cost };
}

export function createCredentials(
  name: string,
  auth: AuthSettings,
  opts: pulumi.CustomResourceOptions,
): RegistryCredentials {
  const httpSecret = new random.RandomPassword(
    `${name}-http-secret`,
    { length: 48, special: false },
    opts,
  );
  if (!auth.enabled) {
    return {
      username: "",
      password: pulumi.secret(""),
      htpasswd: pulumi.secret(""),
      httpSecret: pulumi.secret(httpSecret.result),
    };
  }
  const push = htpasswdEntry(name, auth.username, auth.password, opts);
  const pull = auth.pullUser
    ? htpasswdEntry(`${name}-pull`, auth.pullUser.username, auth.pullUser.password, opts)
    : undefined;
  const entries = [push, ...(pull ? [pull] : [])];
  const htpasswd = pulumi
    .secret(pulumi.all(entries.map((e) => pulumi.all([e.password, e.salt]))))
    .apply((values) =>
      renderHtpasswd(values.map(([password, salt], i) => ({ ...entries[i], password, salt }))),
    );
  return {
    username: auth.username,
    password: pulumi.secret(push.password),
    htpasswd: pulumi.secret(htpasswd),
    httpSecret: pulumi.secret(httpSecret.result),
    pull: pull && { username: pull.username, password: pulumi.secret(pull.password) },
  };
}

/**
 * The endpoint a self-hosted backend exports: its login, the pull-only login
 * (REGISTRY_PULL_USERNAME/PASSWORD) when there is one, and in proxy mode the mirror URL.
 */
export function selfHostedEndpoint(a: {
  registry: pulumi.Output<string>;
  credentials: RegistryCredentials;
  caCert: pulumi.Output<string>;
  /** Set in proxy (pull-through) mode: whether the mirror is reached over https. */
  mirror?: { https: boolean };
  extra?: RegistryEndpoint["extra"];
}): RegistryEndpoint {
  const c = a.credentials;
  return {
    registry: a.registry,
    username: pulumi.output(c.username),
    password: c.password,
    caCert: a.caCert,
    pull: c.pull && { username: pulumi.output(c.pull.username), password: c.pull.password },
    ...(a.extra ? { extra: a.extra } : {}),
    ...(a.mirror ? { mirrorUrl: mirrorUrl(a.registry, a.mirror.https) } : {}),
  };
}
