/** One provider resource type's replacement facts. */
export interface TypeRule {
  /** Where these facts come from: repository, file path and version/commit (or docs URL). */
  source: string;
  /** Input property paths whose change replaces the resource. Dot paths on the Pulumi (camelCase) input names; `*` matches one segment (an array index or map key). A path also covers everything below it. */
  replaces: string[];
  /** Input property paths whose change updates the resource in place. Same syntax. */
  updates: string[];
  /** Optional: one line on a subtle point (e.g. "grow only: shrinking fails"). */
  notes?: string[];
}
