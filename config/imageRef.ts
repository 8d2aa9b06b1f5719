/**
 * An image reference split into its parts, the one parser every module uses (config
 * validation, the registry's major version, the Kubernetes version label, the policy
 * pack, the mocks). In config/ because config validates image references and must not
 * import components/. `[host[:port]/]path[:tag][@digest]`: the tag is the last
 * `:` after the last `/`, so a registry's port is never taken for a tag.
 */
export interface ImageRef {
  /** Everything before the tag and digest: `[host[:port]/]path`. */
  name: string;
  tag?: string;
  /** `algorithm:hex`, e.g. `sha256:…`. */
  digest?: string;
}

export function parseImageRef(reference: string): ImageRef {
  const at = reference.indexOf("@");
  const digest = at >= 0 ? reference.slice(at + 1) : undefined;
  const named = at >= 0 ? reference.slice(0, at) : reference;
  const colon = named.lastIndexOf(":");
  const hasTag = colon > named.lastIndexOf("/");
  return {
    name: hasTag ? named.slice(0, colon) : named,
    ...(hasTag ? { tag: named.slice(colon + 1) } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}
