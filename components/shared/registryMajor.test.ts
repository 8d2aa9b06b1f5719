import { registryConfigPath, registryMajor } from "./registryConfig";

const DIGEST = `sha256:${"3f".repeat(32)}`;

describe("registryMajor and registryConfigPath read the tag only", () => {
  test.each([
    ["registry:2.8.3", 2, "/etc/docker/registry/config.yml"],
    ["registry:3.0.0", 3, "/etc/distribution/config.yml"],
    ["registry:v3.0.0-rc.1", 3, "/etc/distribution/config.yml"],
    [`registry:3.0.0@${DIGEST}`, 3, "/etc/distribution/config.yml"],
    // No tag: the image's version is not said, so 2 (the digest's hex is no version).
    [`registry@${DIGEST}`, 2, "/etc/docker/registry/config.yml"],
    ["localhost:5000/registry", 2, "/etc/docker/registry/config.yml"],
    ["localhost:5000/registry:3.0.0", 3, "/etc/distribution/config.yml"],
  ] as const)("%s → %d", (image, major, path) => {
    expect(registryMajor(image)).toBe(major);
    expect(registryConfigPath(image)).toBe(path);
  });
});
