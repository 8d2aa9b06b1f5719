import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describeWithTools, tool } from "../../tests/support/tools";
import { renderNginxConfig, type NginxConfigOptions } from "../shared/nginxConfig";
import { vmNginxOptions } from "./plan";

const deployed = vmNginxOptions({
  domain: "registry.example.com",
  httpsPort: 443,
  httpRedirectPort: 80,
  storage: { driver: "filesystem" },
});

describe("renderNginxConfig (the deployed options)", () => {
  const conf = renderNginxConfig(deployed);

  test("carries every directive of distribution's recipe (bench/fixtures/recipe-nginx.conf)", () => {
    for (const line of [
      "client_max_body_size 0;",
      "chunked_transfer_encoding on;",
      "map $upstream_http_docker_distribution_api_version $docker_distribution_api_version {",
      "'' 'registry/2.0';",
      "add_header Docker-Distribution-Api-Version $docker_distribution_api_version always;",
      "proxy_set_header Host $http_host;",
      "proxy_set_header X-Forwarded-Proto $scheme;",
      "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
      "proxy_set_header X-Real-IP $remote_addr;",
      "proxy_read_timeout 900;",
      "proxy_request_buffering off;",
      "proxy_http_version 1.1;",
      'proxy_set_header Connection "";',
      "keepalive 16;",
      "ssl_protocols TLSv1.2 TLSv1.3;",
      'add_header Strict-Transport-Security "max-age=63072000" always;',
    ])
      expect(conf).toContain(line);
  });

  test("keeps the bulk-transfer tuning measured by `npm run bench` (docs/PERFORMANCE.md)", () => {
    for (const line of [
      "client_body_buffer_size 256k;",
      "proxy_buffering on;",
      "proxy_max_temp_file_size 0;",
      "proxy_buffer_size 256k;",
      "proxy_buffers 8 256k;",
      "proxy_busy_buffers_size 512k;",
      "keepalive 16;",
      "ssl_session_cache shared:TLS:10m;",
      "worker_processes 4;",
    ])
      expect(conf).toContain(line);
    // HTTP/2 measured as no gain on pull and a loss on push: the listener stays HTTP/1.1.
    expect(conf).not.toMatch(/http2/);
    // AES-GCM first (AES-NI); no TLS below 1.2.
    expect(conf).toMatch(/ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:/);
    expect(conf).not.toMatch(/TLSv1\.1|TLSv1 /);
  });

  test("proxies to the registry on the compose network and checks no password itself", () => {
    expect(conf).toContain("server registry:5000;");
    expect(conf).toContain("server_name registry.example.com;");
    expect(conf).not.toMatch(/auth_basic/);
  });

  test("redirects plain HTTP to HTTPS only when asked, keeping a non-443 port", () => {
    expect(conf).toContain("return 301 https://$host$request_uri;");
    const noRedirect = renderNginxConfig(
      vmNginxOptions({
        httpsPort: 5443,
        httpRedirectPort: undefined,
        storage: { driver: "filesystem" },
      }),
    );
    expect(noRedirect).not.toContain("return 301");
    expect(noRedirect).toContain("server_name _;");
    const port = renderNginxConfig({ ...deployed, publicHttpsPort: 5443 });
    expect(port).toContain("return 301 https://$host:5443$request_uri;");
  });

  test("filesystem storage: blob GETs from the data volume after the registry's HEAD; object storage: all proxied", () => {
    expect(conf).toContain("      auth_request /_registry_blob_auth;");
    expect(conf).toContain(
      "      alias /var/lib/registry/docker/registry/v2/blobs/sha256/$registry_blob_dir/$registry_blob_hex/data;",
    );
    expect(conf).toContain(
      "      proxy_pass http://registry/v2/$registry_blob_repo/blobs/sha256:$registry_blob_hex;",
    );
    for (const driver of ["s3", "gcs"] as const) {
      const objectStorage = renderNginxConfig(
        vmNginxOptions({ httpsPort: 443, httpRedirectPort: undefined, storage: { driver } }),
      );
      expect(objectStorage).not.toMatch(/auth_request|alias|registry_blob/);
    }
  });

  test("refuses values that would break out of a directive", () => {
    expect(() => renderNginxConfig({ ...deployed, serverName: "a; include /etc/passwd" })).toThrow(
      /must not contain/,
    );
    expect(() => renderNginxConfig({ ...deployed, listenPort: 70000 })).toThrow(/port number/);
  });
});

describeWithTools("nginx -t accepts the generated config", ["nginx", "openssl"], () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "vm-nginx-t-"));
    fs.mkdirSync(path.join(dir, "temp"));
    execFileSync(
      tool("openssl"),
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        path.join(dir, "server.key"),
        "-out",
        path.join(dir, "server.crt"),
        "-subj",
        "/CN=registry.example.com",
        "-days",
        "1",
      ],
      { stdio: "pipe" },
    );
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The deployed options with only paths and ports moved into the temp dir. */
  const mapped = (o: NginxConfigOptions): NginxConfigOptions => ({
    ...o,
    upstream: "127.0.0.1:5000",
    listenAddress: "127.0.0.1",
    listenPort: 8443,
    httpRedirectPort: o.httpRedirectPort === undefined ? undefined : 8080,
    healthListen: o.healthListen ? "127.0.0.1:8081" : undefined,
    certificatePath: path.join(dir, "server.crt"),
    keyPath: path.join(dir, "server.key"),
    user: undefined,
    pidPath: path.join(dir, "nginx.pid"),
    errorLogPath: path.join(dir, "error.log"),
    accessLogPath: path.join(dir, "access.log"),
    tempDir: path.join(dir, "temp"),
  });

  const nginxTest = (conf: string) => {
    const file = path.join(dir, "nginx.conf");
    fs.writeFileSync(file, conf);
    // nginx -t writes its verdict to stderr; a bad file exits non-zero and throws here.
    return execFileSync(tool("nginx"), ["-t", "-c", file, "-e", path.join(dir, "error.log")], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  };

  test.each([
    ["with the redirect and health listeners", deployed],
    [
      "without a plain-HTTP listener",
      vmNginxOptions({
        httpsPort: 443,
        httpRedirectPort: undefined,
        storage: { driver: "filesystem" },
      }),
    ],
  ])("%s", (_label, options) => {
    expect(() => nginxTest(renderNginxConfig(mapped(options)))).not.toThrow();
  });

  test("and rejects a broken one (the check can fail)", () => {
    const broken = renderNginxConfig(mapped(deployed)).replace(
      "proxy_buffering on;",
      "proxy_buffering sideways;",
    );
    expect(() => nginxTest(broken)).toThrow();
  });
});
