/**
 * Secrets in REGISTRY_* variables reach the real registry intact (issue 11 item 7,
 * issue 14 item 7). distribution parses each such value as YAML, so a password that
 * starts with `!`, `*`, `@`... used to arrive changed or stop the registry.
 *
 * The oracle: a pull-through registry per value gets that value as both
 * REGISTRY_PROXY_PASSWORD and REGISTRY_HTTP_SECRET, through the VM's env file as
 * Compose reads it, and is asked for a manifest. Its upstream is a small server here
 * that records the Basic credentials the registry sends to the upstream's token
 * endpoint: they must be the value, byte for byte. (distribution 2.8's proxy sends
 * credentials only to a Bearer token realm, never to a Basic-auth upstream, so an
 * htpasswd-protected docker-registry cannot be the upstream.) The registry also warns
 * when the http secret arrived empty. Docker and Kubernetes hand the same strings to
 * the container's env as they are, with no file in between.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import {
  registrySecretEnvVars,
  renderRegistryConfig,
  type RegistryConfigSpec,
} from "../components/shared/registryConfig";
import { renderEnvFile } from "../components/vm/composeFile";
import { httpGet } from "./support/http";
import { startRegistry } from "./support/registry";
import { pool } from "./support/registryClient";
import { describeWithTools, run, tool } from "./support/tools";

/** Each YAML-special start, YAML's other readings, and what env files and shells treat specially. */
const VALUES = [
  "!bang",
  "*star",
  "%percent",
  "@at",
  "#hash",
  "&amp",
  "|pipe",
  ">folded",
  "'single",
  '"double',
  "{brace}",
  "[bracket]",
  "-dash",
  "? question",
  "a: b",
  "0123",
  "yes",
  "null",
  "~",
  " leading-space",
  "trailing-space ",
  "It's-a-$ecret-Pw-123",
  "two\nlines",
  "back\\slash\\\\",
  "${HOME}$PATH`id`",
  "pässwörd€😀",
];

const spec = (remoteUrl: string, username: string): RegistryConfigSpec => ({
  listenAddress: ":5000",
  storage: { driver: "filesystem", rootDirectory: "/var/lib/registry" },
  deleteEnabled: false,
  logLevel: "info",
  proxy: { remoteUrl, username },
});

/**
 * An upstream that challenges for a Bearer token and records the Basic credentials its
 * token endpoint receives, by user name (the password is everything after the first ':').
 */
async function startTokenUpstream(): Promise<{
  url: string;
  received: Map<string, string[]>;
  close(): Promise<void>;
}> {
  const received = new Map<string, string[]>();
  const server = http.createServer((req, res) => {
    const auth = req.headers.authorization ?? "";
    if (req.url?.startsWith("/token")) {
      if (auth.startsWith("Basic ")) {
        const pair = Buffer.from(auth.slice(6), "base64").toString("utf8");
        const colon = pair.indexOf(":");
        const user = pair.slice(0, colon);
        received.set(user, [...(received.get(user) ?? []), pair.slice(colon + 1)]);
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ token: "t", access_token: "t", expires_in: 300 }));
      return;
    }
    if (!auth.startsWith("Bearer ")) {
      const { port } = server.address() as AddressInfo;
      res.writeHead(401, {
        "www-authenticate": `Bearer realm="http://127.0.0.1:${port}/token",service="upstream"`,
        "docker-distribution-api-version": "registry/2.0",
      });
      res.end();
      return;
    }
    res.writeHead(404, { "docker-distribution-api-version": "registry/2.0" });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** What `docker-compose config` makes of each service's env_file: the container's environment. */
function composeEnvironments(work: string, envFiles: string[]): Record<string, string>[] {
  const services: Record<string, unknown> = {};
  envFiles.forEach((text, i) => {
    fs.writeFileSync(path.join(work, `registry-${i}.env`), text);
    services[`r${i}`] = { image: "registry:2.8.3", env_file: [`registry-${i}.env`] };
  });
  const file = path.join(work, "docker-compose.yml");
  fs.writeFileSync(file, stringify({ services }));
  const out = parse(run(tool("docker-compose"), ["-f", file, "config"], { cwd: work }));
  return envFiles.map((_, i) => out.services[`r${i}`].environment);
}

describeWithTools(
  "secret env values, read by the real registry",
  ["docker-registry", "docker-compose"],
  () => {
    let work: string;
    let upstream: Awaited<ReturnType<typeof startTokenUpstream>>;
    let envs: Record<string, string>[];

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), "secret-env-"));
      upstream = await startTokenUpstream();
      envs = VALUES.map((v) => registrySecretEnvVars({ httpSecret: v, proxyPassword: v }));
    });
    afterAll(async () => {
      await upstream?.close();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    test("the VM's env file, read by Compose, gives the container exactly these values", () => {
      expect(composeEnvironments(work, envs.map(renderEnvFile))).toEqual(envs);
    });

    test("every value reaches the registry intact, as proxy password and http secret", async () => {
      const fromCompose = composeEnvironments(work, envs.map(renderEnvFile));
      const results = await pool(
        3,
        VALUES.map((value, i) => async () => {
          const proxy = await startRegistry({
            configYml: renderRegistryConfig(spec(upstream.url, `u${i}`)),
            dir: path.join(work, `proxy-${i}`),
            env: fromCompose[i],
          }).catch((e: Error) => e);
          if (proxy instanceof Error) return { value, result: `did not start: ${proxy.message}` };
          try {
            await httpGet(`http://${proxy.address}/v2/team/app/manifests/v1`);
            const sent = upstream.received.get(`u${i}`) ?? [];
            const result =
              sent.length === 0
                ? "no credentials sent"
                : sent.some((p) => p !== value)
                  ? `password arrived as ${JSON.stringify(sent[0])}`
                  : /No HTTP secret provided/.test(proxy.process.log())
                    ? "http secret arrived empty"
                    : "ok";
            return { value, result };
          } finally {
            await proxy.stop();
          }
        }),
      );
      expect(results).toEqual(VALUES.map((value) => ({ value, result: "ok" })));
    }, 180_000);
  },
);
