/**
 * The pull-only guard: nginx refuses every write (any method but GET and HEAD) that
 * carries credentials other than the push user's, before it reaches the registry.
 *
 * distribution's htpasswd auth has no authorization: any user in the file may push. So
 * both users stay in the registry's htpasswd (the registry checks every password, as
 * without the guard), and nginx reads the user name the client *claims* in the same
 * Authorization header (`$remote_user` is parsed from the header without `auth_basic`).
 * A claim nginx lets through is the one the registry then verifies, so the claimed user
 * is the verified one. The rule is an allow-list, so that any header nginx and the
 * registry might read differently fails closed:
 *   - no Authorization header: passed on (the registry answers 401, the challenge clients
 *     expect before they send credentials);
 *   - GET or HEAD with credentials: passed on (the registry checks them);
 *   - any other method: passed on only when the claimed user is exactly the push user
 *     (case-sensitive, whole name); else 403 with the registry's error shape.
 * nginx itself answers 400 to a second Authorization header and to a lower-case method.
 */
import type { AuthSettings } from "./selfHostedSettings";

export interface PullOnlyGuardOptions {
  /** The one user that may write (push, delete). */
  pushUsername: string;
}

/** The guard for these auth settings: present only when a pull user is configured. */
export function pullOnlyGuardFor(auth: AuthSettings): PullOnlyGuardOptions | undefined {
  return auth.enabled && auth.pullUser ? { pushUsername: auth.username } : undefined;
}

/** The name of the named location that answers a refused write. */
const DENIED_LOCATION = "@pull_only_denied";

/** distribution's own answer to a denied request, so clients print their usual message. */
export const DENIED_BODY = JSON.stringify({
  errors: [
    {
      code: "DENIED",
      message: "requested access to the resource is denied",
      detail: "this login may only pull (GET and HEAD)",
    },
  ],
});

/** http-level maps: `$registry_write_refused` is 1 for a write nginx must refuse. */
export function pullOnlyGuardMaps(g: PullOnlyGuardOptions): string[] {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(g.pushUsername))
    throw new Error(`pull-only guard: unexpected push user name ${JSON.stringify(g.pushUsername)}`);
  // '.' is the only regex character a user name may hold (config/fields.ts username).
  const pushUser = g.pushUsername.replace(/\./g, "\\.");
  return [
    "  # Pull-only guard (components/shared/pullOnlyGuard.ts): a write passes only without",
    "  # credentials (the registry answers 401) or as the push user; the registry checks",
    "  # every password. Regexes: case-sensitive, first match wins.",
    "  map $http_authorization $registry_sent_credentials {",
    "    '' 0;",
    "    default 1;",
    "  }",
    '  map "$registry_sent_credentials:$request_method:$remote_user" $registry_write_refused {',
    "    default 1;",
    '    "~^0:" 0;',
    '    "~^1:(GET|HEAD):" 0;',
    `    "~^1:[^:]+:${pushUser}$" 0;`,
    "  }",
  ];
}

/**
 * server-level lines: the check (in the server's rewrite phase, so before any location is
 * chosen: `location /`, the blob location, any other) and the 403 with distribution's
 * JSON error body. A location's own error_page for 403 does not apply: the refusal comes
 * before a location is chosen.
 */
export function pullOnlyServerLines(): string[] {
  return [
    "    # Pull-only guard: refused writes get distribution's own error (server level, so",
    "    # before any location: the blob location too).",
    `    error_page 403 ${DENIED_LOCATION};`,
    "    if ($registry_write_refused) {",
    "      return 403;",
    "    }",
    `    location ${DENIED_LOCATION} {`,
    "      default_type application/json;",
    `      return 403 '${DENIED_BODY}';`,
    "    }",
  ];
}
