/**
 * The pull-only user's credentials, through the whole program (Docker backend, mocks):
 * one htpasswd with both users, each hashed at the cost its password deserves, and the
 * outputs REGISTRY_PULL_USERNAME / REGISTRY_PULL_PASSWORD (secret) only when configured.
 */
import bcrypt from "bcryptjs";
import { runProgram } from "../../tools/runProgram";

const CHOSEN = "a-chosen-pull-password-0123";

const run = (auth: Record<string, unknown>) =>
  runProgram({
    stack: "local",
    config: { "registry:backend": "docker", "registry:docker": { auth } },
    secretKeys: ["registry:docker"],
    showSecrets: true,
  });

test("a generated pull password: cost 4, a 32-character secret that the htpasswd line verifies", async () => {
  const program = await run({ pullUser: { username: "reader" } });
  const lines = program.files["docker/htpasswd"].trim().split("\n");
  expect(lines.map((l) => l.slice(0, l.indexOf(":") + 8))).toEqual([
    "ci:$2y$04$",
    "reader:$2y$04$",
  ]);
  const { value, secret } = program.outputs.REGISTRY_PULL_PASSWORD;
  expect(secret).toBe(true);
  expect(value).toMatch(/^[A-Za-z0-9]{32}$/);
  expect(value).not.toBe(program.outputs.REGISTRY_PASSWORD.value);
  expect(bcrypt.compareSync(String(value), lines[1].slice("reader:".length))).toBe(true);
  expect(program.outputs.REGISTRY_PULL_USERNAME).toEqual({ value: "reader", secret: false });
});

test("a chosen pull password: cost 10, exported as given", async () => {
  const program = await run({ pullUser: { username: "reader", password: CHOSEN } });
  const [, pull] = program.files["docker/htpasswd"].trim().split("\n");
  expect(pull.slice(0, "reader:$2y$10$".length)).toBe("reader:$2y$10$");
  expect(bcrypt.compareSync(CHOSEN, pull.slice("reader:".length))).toBe(true);
  expect(program.outputs.REGISTRY_PULL_PASSWORD).toEqual({ value: CHOSEN, secret: true });
});

test("no pull user: no pull outputs, one htpasswd line", async () => {
  const program = await run({});
  expect(Object.keys(program.outputs).filter((k) => k.includes("PULL"))).toEqual([]);
  expect(program.files["docker/htpasswd"].trim().split("\n")).toHaveLength(1);
});
