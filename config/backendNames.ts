/**
 * The backends `registry:backend` may name: the one list config and components read
 * (components/backends.ts registers each one's settings schema and component).
 */
export const BACKENDS = ["kubernetes", "vm", "gcp", "docker"] as const;
export type BackendName = (typeof BACKENDS)[number];
