import { parseImageRef } from "./imageRef";

const DIGEST = `sha256:${"3f".repeat(32)}`;

test.each([
  ["registry:2.8.3", { name: "registry", tag: "2.8.3" }],
  ["registry", { name: "registry" }],
  ["docker.io/library/registry:3.0.0", { name: "docker.io/library/registry", tag: "3.0.0" }],
  ["localhost:5000/registry", { name: "localhost:5000/registry" }],
  ["localhost:5000/team/registry:v3", { name: "localhost:5000/team/registry", tag: "v3" }],
  [`registry@${DIGEST}`, { name: "registry", digest: DIGEST }],
  [`registry:2.8.3@${DIGEST}`, { name: "registry", tag: "2.8.3", digest: DIGEST }],
  [`host:443/x/y:1@${DIGEST}`, { name: "host:443/x/y", tag: "1", digest: DIGEST }],
  ["[::1]:5000/registry:2", { name: "[::1]:5000/registry", tag: "2" }],
] as const)("%s", (reference, expected) => {
  expect(parseImageRef(reference)).toEqual(expected);
});
