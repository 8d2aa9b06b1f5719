import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { describeWithTools, tool } from "../../tests/support/tools";
import { legoGlobalArgs, legoPath, renderAcmeClientScript, renderNginxReloader } from "./acme";
import { vmAcmeClientOptions, vmNginxReloaderOptions } from "./acmeStack";
import { composeObject, renderComposeFile, type ComposeFileOptions } from "./composeFile";
import { renderNginxConfig } from "../shared/nginxConfig";
import { vmNginxOptions } from "./plan";

const acme = {
  mode: "acme" as const,
  email: "ops@example.com",
  directoryUrl: "https://acme-staging-v02.api.letsencrypt.org/directory",
};

describe("the ACME client's arguments", () => {
  test("lego: account and certificates per directory, HTTP-01 into nginx's webroot, EAB key id", () => {
    const o = vmAcmeClientOptions("registry.example.com", {
      ...acme,
      eab: { kid: "kid-1", hmacKey: pulumi.output("unused") },
    });
    expect(legoGlobalArgs(o)).toEqual([
      "--path",
      "/data/lego/acme-staging-v02.api.letsencrypt.org_directory",
      "--server",
      "https://acme-staging-v02.api.letsencrypt.org/directory",
      "--email",
      "ops@example.com",
      "--accept-tos",
      "--key-type",
      "ec256",
      "--domains",
      "registry.example.com",
      "--http",
      "--http.webroot",
      "/data/webroot",
      "--eab",
      "--kid",
      "kid-1",
    ]);
    const script = renderAcmeClientScript(o);
    // The MAC key comes from the environment (the secret env file), never the script.
    expect(script).toContain('--kid \'kid-1\' --hmac "$ACME_EAB_HMAC" "$@"; }');
    expect(script).toContain("acme_client renew --days 30 --no-random-sleep");
    expect(script).toContain("pause 43200");
    expect(script).toContain(
      "until wget -q -O /dev/null 'http://nginx:80/.well-known/acme-challenge/probe'",
    );
  });

  test("production and staging keep separate state: switching re-issues", () => {
    expect(legoPath("/data", "https://acme-v02.api.letsencrypt.org/directory")).toBe(
      "/data/lego/acme-v02.api.letsencrypt.org_directory",
    );
    expect(legoPath("/data", "https://ca.example:8443/acme/dir")).toBe(
      "/data/lego/ca.example_8443_acme_dir",
    );
  });

  test("a value that could break out of the shell's quotes is refused", () => {
    const o = vmAcmeClientOptions("registry.example.com", acme);
    expect(() => renderAcmeClientScript({ ...o, email: "a'b@example.com" })).toThrow(
      /must be a plain word/,
    );
    expect(() =>
      renderNginxReloader({ ...vmNginxReloaderOptions(), nginx: "nginx; rm -rf /" }),
    ).toThrow(/plain words/);
  });
});

describe("nginx under tls.mode acme", () => {
  test("port 80 serves the challenge webroot and redirects everything else; 443 uses the live certificate", () => {
    const conf = renderNginxConfig(
      vmNginxOptions({
        domain: "registry.example.com",
        httpsPort: 443,
        tls: { mode: "acme" },
        storage: { driver: "filesystem" },
      }),
    );
    expect(conf).toContain(
      [
        "    listen 80;",
        "    server_name registry.example.com;",
        "    # ACME HTTP-01: the client writes the CA's tokens here; everything else goes to HTTPS.",
        "    location ^~ /.well-known/acme-challenge/ {",
        "      root /etc/nginx/acme/webroot;",
        "      default_type text/plain;",
        "    }",
        "    location / {",
        "      return 301 https://$host$request_uri;",
        "    }",
      ].join("\n"),
    );
    expect(conf).toContain("ssl_certificate /etc/nginx/acme/live/server.crt;");
    expect(conf).toContain("ssl_certificate_key /etc/nginx/acme/live/server.key;");
  });
});

const acmeCompose: ComposeFileOptions = {
  registryImage: "registry:2.8.3",
  registryConfigPath: "/etc/docker/registry/config.yml",
  nginxImage: "nginx:1.28.0-alpine",
  httpsPort: 443,
  httpRedirectPort: 80,
  data: { kind: "volume", name: "registry-data" },
  htpasswd: true,
  gcsKey: false,
  fileHashes: {},
  acme: {
    image: "goacme/lego:v4.9.1",
    clientScript: renderAcmeClientScript(vmAcmeClientOptions("registry.example.com", acme)),
    nginxScript: renderNginxReloader(vmNginxReloaderOptions()),
    state: { kind: "volume", name: "registry-acme" },
    caBundle: true,
    eabEnv: true,
  },
};

describe("the compose stack under tls.mode acme", () => {
  type Services = Record<string, Record<string, unknown>>;
  const services = composeObject(acmeCompose).services as Services;

  test("lego runs the client script on the ACME volume; nginx mounts it read-only and starts after it", () => {
    expect(services.lego).toMatchObject({
      image: "goacme/lego:v4.9.1",
      env_file: ["acme.env"],
      volumes: [
        "registry-acme:/data",
        "./certs/server.crt:/bootstrap/server.crt:ro",
        "./certs/server.key:/bootstrap/server.key:ro",
        "./acme-ca.crt:/etc/lego/ca.crt:ro",
      ],
    });
    expect(services.lego).not.toHaveProperty("ports");
    expect(services.nginx).toMatchObject({
      ports: ["443:443", "80:80"],
      volumes: [
        "./nginx.conf:/etc/nginx/nginx.conf:ro",
        "registry-acme:/etc/nginx/acme:ro",
        // The registry's data, read-only: nginx sends authorised blobs from it.
        "registry-data:/var/lib/registry:ro",
      ],
      depends_on: {
        registry: { condition: "service_healthy" },
        lego: { condition: "service_healthy" },
      },
    });
    // No container gets the Docker socket.
    expect(JSON.stringify(services)).not.toContain("docker.sock");
  });

  test("Compose reads every '$' of the scripts literally", () => {
    const doc = parse(renderComposeFile(acmeCompose));
    const entry = doc.services.lego.entrypoint as string[];
    expect(entry.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
    expect(entry[2].replace(/\$\$/g, "$")).toBe(acmeCompose.acme!.clientScript);
    expect(entry[2]).not.toMatch(/(^|[^$])\$([^$]|$)/);
    expect(doc.volumes).toEqual({ "registry-data": {}, "registry-acme": {} });
  });
});

describeWithTools(
  "the ACME scripts pass shellcheck and Compose accepts the stack",
  ["shellcheck", "docker-compose"],
  () => {
    test("shellcheck (POSIX sh) finds nothing in either script", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "acme-sh-"));
      try {
        for (const [name, script] of [
          ["client.sh", acmeCompose.acme!.clientScript],
          ["nginx.sh", acmeCompose.acme!.nginxScript],
        ]) {
          fs.writeFileSync(path.join(dir, name), script);
          const r = spawnSync(
            tool("shellcheck"),
            ["--shell=sh", "--severity=style", path.join(dir, name)],
            {
              encoding: "utf8",
            },
          );
          expect(`${name}: ${r.stdout}`).toBe(`${name}: `);
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    test("docker-compose config -q accepts the acme stack", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "acme-compose-"));
      try {
        fs.writeFileSync(path.join(dir, "docker-compose.yml"), renderComposeFile(acmeCompose));
        for (const f of [
          "config.yml",
          "htpasswd",
          "registry.env",
          "nginx.conf",
          "acme.env",
          "acme-ca.crt",
        ])
          fs.writeFileSync(path.join(dir, f), "x\n");
        const r = spawnSync(
          tool("docker-compose"),
          ["-f", path.join(dir, "docker-compose.yml"), "config", "-q"],
          {
            encoding: "utf8",
          },
        );
        expect({ code: r.status, err: r.stderr }).toEqual({ code: 0, err: "" });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
