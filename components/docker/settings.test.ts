/**
 * `registry:docker` validation: defaults, and bad values rejected with the full key
 * named, before anything is registered.
 */
import { ConfigError } from "../../config/errors";
import { readBackendSettings } from "../../config/load";
import { dockerSettings, isLoopback, type DockerSettings } from "./settings";

function parse(settings: unknown): DockerSettings {
  const config: Record<string, string> = {
    "registry:backend": "docker",
    "registry:docker": JSON.stringify(settings),
  };
  return readBackendSettings("docker", dockerSettings, (k) => config[k], Object.keys(config));
}

function problems(settings: unknown): string[] {
  try {
    parse(settings);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("the settings were accepted");
}

describe("registry:docker settings", () => {
  test("an empty object gives the local defaults", () => {
    const s = parse({});
    expect(s).toMatchObject({
      image: "registry:2.8.3",
      port: 5000,
      bindAddress: "127.0.0.1",
      containerName: "registry",
      volumeName: "registry-data",
      keepVolumeOnDestroy: true,
      restartPolicy: "unless-stopped",
      logMaxSize: "10m",
      logMaxFile: 3,
      tls: { enabled: false, port: 5443, serverNames: ["localhost", "127.0.0.1"] },
      auth: { enabled: true, username: "ci" },
      storage: { driver: "filesystem", deleteEnabled: true },
      logLevel: "info",
    });
    expect(s.advertiseHost).toBeUndefined();
    expect(s.dockerHost).toBeUndefined();
    expect(s.nginxImage).toMatch(/^nginx:[0-9.]+-alpine$/);
  });

  test("a port out of range names the key and the value", () => {
    expect(problems({ port: 0 })).toEqual([
      "registry:docker.port must be an integer from 1 to 65535 (got 0)",
    ]);
    expect(problems({ tls: { enabled: true, port: 70000 } })).toEqual([
      "registry:docker.tls.port must be an integer from 1 to 65535 (got 70000)",
    ]);
  });

  test("binding to all interfaces needs auth on", () => {
    expect(problems({ bindAddress: "0.0.0.0", auth: { enabled: false } })).toEqual([
      'registry:docker.bindAddress must be a loopback address such as 127.0.0.1 while auth.enabled is false (anyone on the network could push) (got "0.0.0.0")',
    ]);
    expect(parse({ bindAddress: "0.0.0.0" }).bindAddress).toBe("0.0.0.0");
    expect(parse({ bindAddress: "127.0.0.2", auth: { enabled: false } }).auth.enabled).toBe(false);
  });

  test("unknown keys are refused, at any depth", () => {
    expect(problems({ prot: 5001 })).toEqual(['registry:docker has unknown key "prot"']);
    expect(problems({ tls: { enable: true } })).toEqual([
      'registry:docker.tls has unknown key "enable"',
    ]);
  });

  test("other bad values", () => {
    expect(problems({ bindAddress: "localhost" })).toEqual([
      'registry:docker.bindAddress must be an IP address (got "localhost")',
    ]);
    expect(problems({ restartPolicy: "on-failure" })).toEqual([
      'registry:docker.restartPolicy must be one of unless-stopped, always (got "on-failure")',
    ]);
    expect(problems({ logMaxSize: "10MB" })).toEqual([
      'registry:docker.logMaxSize must be a size such as 10m (a number then k, m or g) (got "10MB")',
    ]);
    expect(problems({ image: "registry" })).toEqual([
      'registry:docker.image must be an image reference pinned to a tag (not latest) or digest, such as registry:2.8.3 (got "registry")',
    ]);
    expect(problems({ containerName: "my registry" })[0]).toMatch(
      /^registry:docker\.containerName must be a container name/,
    );
    expect(problems({ dockerHost: "/var/run/docker.sock" })[0]).toMatch(
      /^registry:docker\.dockerHost must be a Docker host/,
    );
    expect(problems({ auth: { password: "short" } })).toEqual([
      // The value itself is never printed.
      "registry:docker.auth.password must be at least 16 characters, with no spaces or colons (got [secret])",
    ]);
  });

  test("with TLS, the certificate must cover the host clients dial", () => {
    expect(problems({ tls: { enabled: true }, advertiseHost: "registry.lan" })).toEqual([
      "registry:docker.tls.serverNames must include registry.lan, the host clients dial (advertiseHost), or the certificate will not match (got a list of 2 items)",
    ]);
    const s = parse({
      tls: { enabled: true, serverNames: ["registry.lan", "10.0.0.5"] },
      advertiseHost: "registry.lan",
    });
    expect(s.tls.serverNames).toEqual(["registry.lan", "10.0.0.5"]);
  });

  test("loopback addresses", () => {
    expect(["127.0.0.1", "127.1.2.3", "::1", "0:0:0:0:0:0:0:1"].every(isLoopback)).toBe(true);
    expect(["0.0.0.0", "10.0.0.1", "::", "fe80::1"].some(isLoopback)).toBe(false);
  });
});
