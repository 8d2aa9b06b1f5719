/**
 * The pull-only guard's nginx lines, read by Debian's nginx in front of a stand-in
 * upstream that answers every request it gets: which requests reach it, which nginx
 * refuses. The full registry path is in tests/pull-only.test.ts.
 */
import * as http from "node:http";
import { nginxPaths, startNginx, type RunningNginx } from "../../tests/support/nginx";
import { freePort } from "../../tests/support/processes";
import { describeWithTools } from "../../tests/support/tools";
import { renderNginxConfig } from "./nginxConfig";
import { DENIED_BODY, pullOnlyGuardFor, pullOnlyGuardMaps } from "./pullOnlyGuard";

test("the guard only with a pull user and auth on", () => {
  const auth = { enabled: true, username: "ci" };
  expect(pullOnlyGuardFor(auth)).toBeUndefined();
  expect(pullOnlyGuardFor({ ...auth, pullUser: { username: "reader" } })).toEqual({
    pushUsername: "ci",
  });
  expect(pullOnlyGuardFor({ ...auth, enabled: false, pullUser: { username: "r" } })).toBe(
    undefined,
  );
});

test("the push user's '.' is matched literally; a name nginx could misread is refused", () => {
  expect(pullOnlyGuardMaps({ pushUsername: "ci.bot" })).toContain('    "~^1:[^:]+:ci\\.bot$" 0;');
  expect(() => pullOnlyGuardMaps({ pushUsername: "ci$x" })).toThrow(/push user name/);
  expect(() => pullOnlyGuardMaps({ pushUsername: 'a" 0; default 0; "' })).toThrow();
});

test("plain HTTP: no ssl directive and no HSTS; TLS without a key is refused", () => {
  const base = {
    upstream: "127.0.0.1:5001",
    listenPort: 8000,
    pidPath: "/tmp/n.pid",
    errorLogPath: "/tmp/e.log",
    accessLogPath: "/tmp/a.log",
  };
  const conf = renderNginxConfig(base);
  expect(conf).toContain("    listen 8000 reuseport;\n");
  expect(conf).not.toMatch(/ssl|Strict-Transport-Security/);
  // Blobs from storage on plain HTTP (Docker without TLS, filesystem storage): no HSTS either.
  const withBlobs = renderNginxConfig({ ...base, blobStorageRoot: "/var/lib/registry" });
  expect(withBlobs).toContain("alias /var/lib/registry/docker/registry/v2/blobs/sha256/");
  expect(withBlobs).not.toMatch(/ssl|Strict-Transport-Security/);
  expect(() => renderNginxConfig({ ...base, certificatePath: "/c.crt" })).toThrow(/go together/);
});

describeWithTools("the guard's lines, served by nginx", ["nginx"], () => {
  let upstream: http.Server;
  let nginx: RunningNginx;
  let port: number;
  const reached: string[] = [];

  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      reached.push(`${req.method} ${req.headers.authorization ?? "-"}`);
      res.end("upstream");
    });
    const upstreamPort = await freePort();
    await new Promise<void>((r) => upstream.listen(upstreamPort, "127.0.0.1", r));
    port = await freePort();
    const paths = nginxPaths();
    nginx = await startNginx({
      paths,
      port,
      certificatePem: "",
      keyPem: "",
      config: renderNginxConfig({
        upstream: `127.0.0.1:${upstreamPort}`,
        listenPort: port,
        listenAddress: "127.0.0.1",
        pidPath: paths.pidPath,
        errorLogPath: paths.errorLogPath,
        accessLogPath: paths.accessLogPath,
        tempDir: paths.tempDir,
        pullOnly: { pushUsername: "ci.bot" },
      }),
    });
  });
  afterAll(async () => {
    await nginx?.stop();
    await new Promise((r) => upstream?.close(r));
  });

  const send = (method: string, user?: string) =>
    new Promise<{ status: number; body: string; type?: string }>((resolve, reject) => {
      const headers: Record<string, string> = user
        ? { authorization: `Basic ${Buffer.from(`${user}:pw`).toString("base64")}` }
        : {};
      const req = http.request(
        { host: "127.0.0.1", port, path: "/v2/x/blobs/uploads/", method, headers },
        (res) => {
          let body = "";
          res.on("data", (c) => (body += c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body, type: res.headers["content-type"] }),
          );
        },
      );
      req.on("error", reject);
      req.end();
    });

  test("writes pass only as the push user (exactly) or without credentials", async () => {
    const statuses = {
      pushUser: (await send("POST", "ci.bot")).status,
      dotAsAnyCharacter: (await send("POST", "cixbot")).status,
      prefixOfPushUser: (await send("POST", "ci")).status,
      pullUser: (await send("PUT", "reader")).status,
      anonymous: (await send("PATCH")).status,
      pullUserRead: (await send("GET", "reader")).status,
      pullUserHead: (await send("HEAD", "reader")).status,
    };
    expect(statuses).toEqual({
      pushUser: 200,
      dotAsAnyCharacter: 403,
      prefixOfPushUser: 403,
      pullUser: 403,
      anonymous: 200,
      pullUserRead: 200,
      pullUserHead: 200,
    });
    // Refused requests never reach the upstream.
    expect(reached.map((r) => r.split(" ")[0])).toEqual(["POST", "PATCH", "GET", "HEAD"]);
  });

  test("the refusal is distribution's JSON error", async () => {
    const refused = await send("DELETE", "reader");
    expect(refused).toEqual({ status: 403, body: DENIED_BODY, type: "application/json" });
  });
});
