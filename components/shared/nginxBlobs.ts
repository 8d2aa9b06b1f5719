/**
 * nginx serving blobs the registry has authorised straight from the registry's filesystem
 * storage, with every check still made by the registry (docs/PERFORMANCE.md, "Blobs from
 * storage"). For `GET /v2/<name>/blobs/sha256:<hex>`:
 *
 * 1. nginx asks the registry first: an `auth_request` subrequest, `HEAD` of the same
 *    repository and digest with the client's own headers (Authorization included). The
 *    registry checks the password, that the blob is linked to that repository (not only
 *    stored: no cross-repository reads) and that its data exists.
 * 2. On 2xx nginx sends the file from the storage layout
 *    (`docker/registry/v2/blobs/sha256/<2 hex>/<hex>/data`, mounted read-only) with the
 *    headers the registry sends for a blob; Range works as with the registry.
 * 3. On anything else (401, 404 unknown or unlinked blob, 5xx: nginx's auth_request turns
 *    every status but 2xx/401/403 into 500), on a missing file (garbage collection between
 *    the check and the open) and for every request that is not a plain GET (HEAD, DELETE,
 *    conditional headers), nginx passes the original request to the registry
 *    (`@registry`), so every answer other than the blob's bytes is the registry's own.
 *
 * Only for filesystem storage that nginx can read; the renderer leaves it out otherwise.
 *
 * Every request for a blob URL (any method) enters the blob location, not `location /`: a
 * rule that `location /` applies before proxying (e.g. refusing writes) must be applied
 * in the blob location too, before its `return 418`, or DELETE of a blob would pass it.
 */

/** The registry's repository-name grammar (distribution's reference.NameRegexp, path part). */
const NAME_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REPOSITORY = `${NAME_COMPONENT}(?:/${NAME_COMPONENT})*`;

/** The auth subrequest's location (internal: clients cannot reach it). */
const AUTH_LOCATION = "/_registry_blob_auth";

/** The registry's headers on a blob (distribution's blobServer.ServeBlob, http.headers). */
const BLOB_CACHE_MAX_AGE_SECONDS = 365 * 24 * 3600;

/** http-level lines: which requests for a blob URL may be served from storage. */
export function blobsFromStorageHttpLines(): string[] {
  return [
    "  # Blobs from storage: only a plain GET (no conditional headers) is answered from the",
    "  # file; every other request for a blob goes to the registry as it came.",
    '  map "$request_method:$http_if_match$http_if_none_match$http_if_modified_since$http_if_unmodified_since$http_if_range" $registry_blob_to_registry {',
    "    GET: 0;",
    "    default 1;",
    "  }",
    "",
  ];
}

/**
 * server-level lines: the blob location, the auth subrequest's location and `@registry`.
 * `proxy.proxy` is the body of `location /` (how a request goes to the registry);
 * `proxy.headers` the headers the registry reads, which the auth subrequest sends too.
 */
export function blobsFromStorageServerLines(
  /** hstsMaxAgeSeconds: TLS only (a plain-HTTP answer carries no HSTS). */
  o: { storageRoot: string; hstsMaxAgeSeconds?: number },
  proxy: { headers: string[]; proxy: string[] },
): string[] {
  return [
    "    # GET of a blob: the registry authorises it (HEAD, same credentials, repository and",
    "    # digest), then nginx sends the file from the registry's storage (read-only mount).",
    `    location ~ "^/v2/(?<registry_blob_repo>${REPOSITORY})/blobs/sha256:(?<registry_blob_hex>(?<registry_blob_dir>[a-f0-9]{2})[a-f0-9]{62})$" {`,
    "      error_page 418 = @registry;",
    "      if ($registry_blob_to_registry) {",
    "        return 418;",
    "      }",
    `      auth_request ${AUTH_LOCATION};`,
    "      # Not authorised, not linked, unknown, a registry error, or the file gone: the",
    "      # registry answers the request itself.",
    "      error_page 401 = @registry_unauthorized;",
    "      error_page 403 404 405 500 502 503 504 = @registry;",
    `      alias ${o.storageRoot}/docker/registry/v2/blobs/sha256/$registry_blob_dir/$registry_blob_hex/data;`,
    "      types { }",
    "      default_type application/octet-stream;",
    "      # The registry's headers for a blob; none of nginx's own file validators.",
    "      etag off;",
    "      if_modified_since off;",
    "      add_header Last-Modified '';",
    '      add_header ETag "\\"sha256:$registry_blob_hex\\"";',
    `      add_header Cache-Control max-age=${BLOB_CACHE_MAX_AGE_SECONDS};`,
    "      add_header Docker-Content-Digest sha256:$registry_blob_hex;",
    "      add_header Docker-Distribution-Api-Version registry/2.0;",
    "      add_header X-Content-Type-Options nosniff;",
    ...(o.hstsMaxAgeSeconds === undefined
      ? []
      : [`      add_header Strict-Transport-Security "max-age=${o.hstsMaxAgeSeconds}" always;`]),
    "    }",
    "",
    `    location = ${AUTH_LOCATION} {`,
    "      internal;",
    "      proxy_pass http://registry/v2/$registry_blob_repo/blobs/sha256:$registry_blob_hex;",
    "      proxy_method HEAD;",
    "      proxy_pass_request_body off;",
    '      proxy_set_header Content-Length "";',
    ...proxy.headers,
    "    }",
    "",
    "    # On a 401 auth_request has put the registry's WWW-Authenticate (from its answer to",
    "    # the HEAD) in the answer already: the registry's GET answer without its copy.",
    "    location @registry_unauthorized {",
    "      proxy_hide_header WWW-Authenticate;",
    ...proxy.proxy,
    "    }",
    "",
    "    location @registry {",
    ...proxy.proxy,
    "    }",
    "",
  ];
}
