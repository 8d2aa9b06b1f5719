/**
 * The mirror role in the outputs, on every self-hosted backend (issue 14 item 8): a stack
 * with `proxy` is a mirror, its login is the pull login, and REGISTRY_MIRROR_URL carries
 * the scheme clients must use. Literal expected values; the program runs under mocks.
 */
import { runProgram } from "../tools/runProgram";

const PROXY = { remoteUrl: "https://registry-1.docker.io" };
const PASSWORD = "mirror-role-password-0123";

const outputsOf = async (backend: string, settings: Record<string, unknown>) =>
  (
    await runProgram({
      stack: `mirror-${backend}`,
      config: {
        "registry:backend": backend,
        [`registry:${backend}`]: { auth: { password: PASSWORD }, ...settings },
      },
      secretKeys: [`registry:${backend}`],
      showSecrets: true,
    })
  ).outputs;

const mirror = (registry: string, url: string) => ({
  REGISTRY: registry,
  REGISTRY_ROLE: "mirror",
  REGISTRY_PULL_USERNAME: "ci",
  REGISTRY_PULL_PASSWORD: PASSWORD,
  REGISTRY_MIRROR_URL: url,
});
const pick = (o: Record<string, { value: unknown }>) =>
  Object.fromEntries(
    Object.entries(o)
      .filter(
        ([k]) => k === "REGISTRY" || /^REGISTRY_(ROLE|PULL_|MIRROR_|USERNAME|PASSWORD)/.test(k),
      )
      .map(([k, v]) => [k, v.value]),
  );

test("kubernetes, plain HTTP on loopback: an http:// mirror URL", async () => {
  expect(pick(await outputsOf("kubernetes", { nodePort: 30500, proxy: PROXY }))).toEqual(
    mirror("127.0.0.1:30500", "http://127.0.0.1:30500"),
  );
});

test("kubernetes with TLS: an https:// mirror URL; the pull password stays secret", async () => {
  const o = await outputsOf("kubernetes", {
    nodePort: 30500,
    advertiseHost: "registry.example.com",
    tls: { mode: "selfSigned" },
    proxy: PROXY,
  });
  expect(pick(o)).toEqual(
    mirror("registry.example.com:30500", "https://registry.example.com:30500"),
  );
  expect(o.REGISTRY_PULL_PASSWORD.secret).toBe(true);
});

test("docker: the mirror on localhost", async () => {
  expect(pick(await outputsOf("docker", { proxy: PROXY }))).toEqual(
    mirror("localhost:5000", "http://localhost:5000"),
  );
});

test("without proxy: a registry, with the push login and no pull or mirror outputs", async () => {
  expect(pick(await outputsOf("docker", {}))).toEqual({
    REGISTRY: "localhost:5000",
    REGISTRY_ROLE: "registry",
    REGISTRY_USERNAME: "ci",
    REGISTRY_PASSWORD: PASSWORD,
  });
});
