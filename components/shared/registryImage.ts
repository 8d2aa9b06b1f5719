/**
 * Where the distribution registry runs inside its container, the same in every
 * self-hosted backend (docker, kubernetes, vm): its port, its data directory, our
 * htpasswd mount, the health URL its container checks.
 */

/** The port the registry listens on inside its container (the image's default, kept). */
export const REGISTRY_PORT = 5000;
/** Where the image keeps filesystem storage (its VOLUME): the volume, claim or disk mounts here. */
export const REGISTRY_DATA_DIR = "/var/lib/registry";
/** Where the htpasswd file is mounted in the registry's container (kubernetes, vm). */
export const REGISTRY_HTPASSWD_PATH = "/auth/htpasswd";
/** What a healthcheck inside the container fetches: GET / answers 200 whether or not auth is on. */
export const REGISTRY_HEALTH_URL = `http://127.0.0.1:${REGISTRY_PORT}/`;
