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
import type { AuthSettings } from "./selfHostedSettings";

export interface RegistryCredentials {
  username: string;
  /** Secret; empty when auth is off. */
  password: pulumi.Output<string>;
  /** Secret htpasswd file (bcrypt); empty when auth is off. */
  htpasswd: pulumi.Output<string>;
  /** Secret shared by every replica; uploads fail across replicas without it. */
  httpSecret: pulumi.Output<string>;
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
  const password =
    auth.password ??
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
  const cost =
    auth.password === undefined ? GENERATED_PASSWORD_BCRYPT_COST : CHOSEN_PASSWORD_BCRYPT_COST;
  const htpasswd = pulumi
    .secret(pulumi.all([password, salt]))
    .apply(([pw, s]) => renderHtpasswd([{ username: auth.username, password: pw, salt: s, cost }]));
  return {
    username: auth.username,
    password: pulumi.secret(password),
    htpasswd: pulumi.secret(htpasswd),
    httpSecret: pulumi.secret(httpSecret.result),
  };
}
