/**
 * Cheap checks of the bench's parts (no timing here: `npm run bench` measures). The
 * fixtures must stay the recipes as-is, and every template must fill into a file nginx
 * accepts.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderNginxConfig } from "../components/vm/nginxConfig";
import { vmNginxOptions } from "../components/vm/registry";
import { nginxPaths } from "../tests/support/nginx";
import { describeWithTools, tool } from "../tests/support/tools";
import { fillTemplate, readFixture } from "./lib/fixtures";
import { generatedNginxOptions, SETUPS } from "./lib/setups";
import { mbPerSecond, median, ratio, table } from "./lib/stats";

describe("bench figures", () => {
  test("median, MB/s (10^6 bytes) and ratios", () => {
    expect(median([])).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(mbPerSecond(200e6, 2000)).toBe(100);
    expect(ratio(90, 100)).toBe(0.9);
    expect(ratio(null, 100)).toBeNull();
    expect(ratio(1, 0)).toBeNull();
  });

  test("the table pads columns and right-aligns numbers", () => {
    expect(
      table([
        ["a", "MB/s"],
        ["long name", 12.5],
        ["b", null],
      ]).split("\n"),
    ).toEqual(["a          MB/s", "---------  ----", "long name  12.5", "b          -"]);
  });

  test("a template refuses to serve a half-mapped file", () => {
    expect(fillTemplate("listen @PORT@;", { PORT: 5 })).toBe("listen 5;");
    expect(() => fillTemplate("listen @PORT@; @CERT@", { PORT: 5 })).toThrow(/@CERT@/);
  });
});

describe("bench fixtures stay as-is", () => {
  const recipe = readFixture("recipe-nginx.conf");
  const seed = readFixture("seed003-nginx.conf");

  test("configuration 3 is distribution's recipe, auth_basic included", () => {
    for (const line of [
      "client_max_body_size 0;",
      "chunked_transfer_encoding on;",
      "map $upstream_http_docker_distribution_api_version $docker_distribution_api_version {",
      "add_header 'Docker-Distribution-Api-Version' $docker_distribution_api_version always;",
      "proxy_read_timeout                  900;",
      'auth_basic "Registry realm";',
      "ssl_protocols TLSv1.1 TLSv1.2;",
    ])
      expect(recipe).toContain(line);
    // The recipe buffers both ways (nginx's defaults): nothing of the project's tuning.
    expect(recipe).not.toMatch(/proxy_buffering|proxy_request_buffering|keepalive|http2/);
  });

  test("configuration 4 is the seed's block: no body size setting (413 expected)", () => {
    expect(seed).toMatch(/location \/ \{\s+proxy_pass http:\/\/@UPSTREAM@; # bench-mapped\s+\}/);
    expect(seed).not.toMatch(/client_max_body_size|proxy_set_header/);
  });

  test("configuration 2 is the deployed nginx.conf with only paths and ports moved", () => {
    const deployed = vmNginxOptions({ httpsPort: 8443, httpRedirectPort: undefined });
    const mapped = generatedNginxOptions({
      listenAddress: "127.0.0.1",
      port: 8443,
      upstream: "127.0.0.1:5000",
      paths: nginxPaths(path.join(os.tmpdir(), "bench-unused")),
      htpasswdPath: "",
    });
    fs.rmSync(path.join(os.tmpdir(), "bench-unused"), { recursive: true, force: true });
    const changed = Object.keys({ ...deployed, ...mapped }).filter(
      (k) => deployed[k as keyof typeof deployed] !== mapped[k as keyof typeof mapped],
    );
    expect(changed.sort()).toEqual(
      [
        "upstream",
        "listenAddress",
        "listenPort",
        "healthListen",
        "user",
        "certificatePath",
        "keyPath",
        "pidPath",
        "errorLogPath",
        "accessLogPath",
        "tempDir",
      ].sort(),
    );
    expect(renderNginxConfig(mapped)).toContain("listen 127.0.0.1:8443 ssl;");
  });
});

describeWithTools("bench nginx configurations pass nginx -t", ["nginx", "openssl"], () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-nginx-t-"));
    execFileSync(
      tool("openssl"),
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        .concat(["-keyout", path.join(dir, "k.pem"), "-out", path.join(dir, "c.pem")])
        .concat(["-subj", "/CN=127.0.0.1", "-days", "1"]),
      { stdio: "pipe" },
    );
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each(SETUPS.filter((s) => s.nginx).map((s) => [s.id, s] as const))("%s", (id, spec) => {
    const paths = nginxPaths(path.join(dir, id));
    fs.copyFileSync(path.join(dir, "c.pem"), paths.certificatePath);
    fs.copyFileSync(path.join(dir, "k.pem"), paths.keyPath);
    const htpasswdPath = path.join(paths.dir, "nginx.htpasswd");
    fs.writeFileSync(htpasswdPath, "");
    fs.writeFileSync(
      paths.configPath,
      spec.nginx!({
        listenAddress: "127.0.0.1",
        port: 18443,
        upstream: "127.0.0.1:15000",
        paths,
        htpasswdPath,
      }),
    );
    expect(() =>
      execFileSync(tool("nginx"), ["-t", "-q", "-c", paths.configPath, "-e", paths.errorLogPath], {
        stdio: "pipe",
      }),
    ).not.toThrow();
  });
});
