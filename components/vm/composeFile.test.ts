import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { describeWithTools, tool } from "../../tests/support/tools";
import {
  BUNDLE,
  composeObject,
  renderComposeFile,
  renderEnvFile,
  type ComposeFileOptions,
} from "./composeFile";

const base: ComposeFileOptions = {
  registryImage: "registry:2.8.3",
  registryConfigPath: "/etc/docker/registry/config.yml",
  nginxImage: "nginx:1.28.0-alpine",
  httpsPort: 443,
  data: { kind: "volume", name: "registry-data" },
  htpasswd: true,
  gcsKey: false,
  fileHashes: {},
};

type Service = {
  volumes: string[];
  ports?: string[];
  restart: string;
  healthcheck: unknown;
  logging: unknown;
};
const services = (o: ComposeFileOptions) =>
  (composeObject(o) as { services: Record<string, Service> }).services;

describe("renderComposeFile", () => {
  test("pins both images, restarts them, checks their health and caps their logs", () => {
    const doc = parse(renderComposeFile(base));
    expect(doc.services.registry.image).toBe("registry:2.8.3");
    expect(doc.services.nginx.image).toBe("nginx:1.28.0-alpine");
    const probe = (url: string) => ["CMD", "wget", "-q", "-O", "/dev/null", url];
    expect(doc.services.registry.healthcheck).toEqual({
      test: probe("http://127.0.0.1:5000/"),
      interval: "15s",
      timeout: "5s",
      retries: 3,
      start_period: "10s",
    });
    expect(doc.services.nginx.healthcheck).toEqual({
      test: probe("http://127.0.0.1:8080/healthz"),
      interval: "15s",
      timeout: "5s",
      retries: 3,
      start_period: "5s",
    });
    for (const s of Object.values(doc.services) as Service[]) {
      expect(s.restart).toBe("unless-stopped");
      expect(s.logging).toEqual({
        driver: "json-file",
        options: { "max-size": "10m", "max-file": "5" },
      });
    }
    expect(doc.services.nginx.depends_on).toEqual({ registry: { condition: "service_healthy" } });
  });

  test("publishes only nginx: the chosen HTTPS port, and 80 only for the redirect", () => {
    expect(services(base).registry.ports).toBeUndefined();
    expect(services({ ...base, httpsPort: 5443 }).nginx.ports).toEqual(["5443:443"]);
    expect(services({ ...base, httpRedirectPort: 8080 }).nginx.ports).toEqual([
      "443:443",
      "8080:80",
    ]);
  });

  test("keeps the images in a named volume, on the data disk, or nowhere (object storage)", () => {
    expect(services(base).registry.volumes).toContain("registry-data:/var/lib/registry");
    expect(composeObject(base).volumes).toEqual({ "registry-data": {} });
    const disk = { ...base, data: { kind: "hostPath", path: "/mnt/registry-data" } } as const;
    expect(services(disk).registry.volumes).toContain("/mnt/registry-data:/var/lib/registry");
    expect(composeObject(disk).volumes).toBeUndefined();
    const none = { ...base, data: { kind: "none" } } as const;
    expect(services(none).registry.volumes.some((v) => v.endsWith(":/var/lib/registry"))).toBe(
      false,
    );
  });

  test("nginx reads the same data read-only (it sends authorised blobs from it); with object storage, nothing", () => {
    expect(services(base).nginx.volumes).toContain("registry-data:/var/lib/registry:ro");
    const disk = { ...base, data: { kind: "hostPath", path: "/mnt/registry-data" } } as const;
    expect(services(disk).nginx.volumes).toContain("/mnt/registry-data:/var/lib/registry:ro");
    const none = { ...base, data: { kind: "none" } } as const;
    expect(services(none).nginx.volumes).toEqual([
      "./nginx.conf:/etc/nginx/nginx.conf:ro",
      "./certs/server.crt:/etc/nginx/certs/server.crt:ro",
      "./certs/server.key:/etc/nginx/certs/server.key:ro",
    ]);
  });

  test("mounts the registry config where the image reads it (v3 moved it)", () => {
    const v3 = services({
      ...base,
      registryImage: "registry:3.0.0",
      registryConfigPath: "/etc/distribution/config.yml",
    });
    expect(v3.registry.volumes).toContain("./config.yml:/etc/distribution/config.yml:ro");
  });
});

describe("renderEnvFile", () => {
  test("writes plain values bare and quotes what Compose would interpolate", () => {
    expect(
      renderEnvFile({ REGISTRY_HTTP_SECRET: "abcDEF123", REGISTRY_PROXY_PASSWORD: "p$ss word" }),
    ).toBe("REGISTRY_HTTP_SECRET=abcDEF123\nREGISTRY_PROXY_PASSWORD='p$ss word'\n");
  });
  test("refuses what it cannot write literally", () => {
    expect(() => renderEnvFile({ A: "it's $x" })).toThrow(/cannot hold/);
    expect(() => renderEnvFile({ A: "two\nlines" })).toThrow(/one line/);
  });
});

describeWithTools("docker-compose config -q accepts the compose file", ["docker-compose"], () => {
  /** Writes the compose file and every ./file it mounts (or only some), then validates it. */
  function validate(o: ComposeFileOptions, skip: string[] = []): void {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vm-compose-"));
    try {
      fs.writeFileSync(path.join(dir, BUNDLE.compose), renderComposeFile(o));
      for (const file of Object.values(BUNDLE).filter(
        (f) => f !== BUNDLE.compose && !skip.includes(f),
      )) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), "x\n");
      }
      execFileSync(tool("docker-compose"), ["-f", path.join(dir, BUNDLE.compose), "config", "-q"], {
        stdio: "pipe",
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  test.each([
    ["named volume", base],
    [
      "data disk, redirect port, GCS key",
      {
        ...base,
        data: { kind: "hostPath", path: "/mnt/registry-data" },
        httpRedirectPort: 80,
        gcsKey: true,
      },
    ],
    [
      "object storage, registry v3",
      {
        ...base,
        data: { kind: "none" },
        registryImage: "registry:3.0.0",
        registryConfigPath: "/etc/distribution/config.yml",
      },
    ],
  ] as [string, ComposeFileOptions][])("%s", (_label, o) => {
    expect(() => validate(o)).not.toThrow();
  });

  test("resolves the env file into the registry's environment: a new value is a new service", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vm-compose-env-"));
    try {
      fs.writeFileSync(path.join(dir, BUNDLE.compose), renderComposeFile(base));
      for (const file of Object.values(BUNDLE).filter((f) => f !== BUNDLE.compose)) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), "x\n");
      }
      const environment = (token: string) => {
        fs.writeFileSync(path.join(dir, BUNDLE.env), renderEnvFile({ REGISTRY_X: token }));
        const out = execFileSync(
          tool("docker-compose"),
          ["-f", path.join(dir, BUNDLE.compose), "config"],
          { encoding: "utf8", stdio: "pipe" },
        );
        return (parse(out) as { services: { registry: { environment: unknown } } }).services
          .registry.environment;
      };
      expect(environment('[{"a": "token-1"}]')).toEqual({ REGISTRY_X: '[{"a": "token-1"}]' });
      expect(environment('[{"a": "token-2"}]')).toEqual({ REGISTRY_X: '[{"a": "token-2"}]' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("and fails when the env file is missing (the check can fail)", () => {
    expect(() => validate(base, [BUNDLE.env])).toThrow();
  });
});
