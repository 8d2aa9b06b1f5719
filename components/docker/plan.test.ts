/** The docker backend's pure decisions: addresses, paths, ports, storage, names in the certificate. */
import { dockerSettings } from "./settings";
import { envLines, planDockerRegistry } from "./plan";
import { splitServerNames } from "../shared/selfSignedTls";
import { serviceAccountKeyJson } from "../../tests/support/keyMaterial";

const settings = (raw: unknown) => dockerSettings.parse(raw);

describe("planDockerRegistry", () => {
  test("defaults: localhost:5000, registry:2 paths, a retained volume, no TLS", () => {
    const plan = planDockerRegistry(settings({}));
    expect(plan).toMatchObject({
      address: "localhost:5000",
      registryContainerName: "registry",
      configPath: "/etc/docker/registry/config.yml",
      htpasswdPath: "/etc/docker/registry/htpasswd",
      registryPorts: [{ ip: "127.0.0.1", external: 5000, internal: 5000 }],
      volume: { name: "registry-data", retainOnDelete: true },
    });
    expect(plan.proxy).toBeUndefined();
    expect(plan.registryConfig).toMatchObject({
      listenAddress: ":5000",
      logLevel: "info",
      deleteEnabled: true,
    });
  });

  test("a pull-only user without TLS: nginx (plain HTTP) takes the published port, the registry none", () => {
    const plan = planDockerRegistry(
      settings({ port: 5050, auth: { pullUser: { username: "reader" } } }),
    );
    expect(plan.address).toBe("localhost:5050");
    expect(plan.registryPorts).toEqual([]);
    expect(plan.proxy).toMatchObject({
      networkName: "registry-net",
      nginxContainerName: "registry-nginx",
      nginxPorts: [{ ip: "127.0.0.1", external: 5050, internal: 8000 }],
      serverNames: undefined,
      nginx: { listenPort: 8000, upstream: "registry:5000", pullOnly: { pushUsername: "ci" } },
    });
    expect(plan.proxy?.nginx.certificatePath).toBeUndefined();
  });

  test("an IPv6 advertiseHost is written in brackets (issue 14 item 12)", () => {
    expect(planDockerRegistry(settings({ advertiseHost: "::1" })).address).toBe("[::1]:5000");
    const tls = settings({
      advertiseHost: "fd00::1",
      tls: { enabled: true, port: 443, serverNames: ["fd00::1"] },
    });
    expect(planDockerRegistry(tls).address).toBe("[fd00::1]:443");
  });

  test("a v3 image reads its config, and so our htpasswd, from /etc/distribution", () => {
    const plan = planDockerRegistry(settings({ image: "registry:3.0.0" }));
    expect(plan.configPath).toBe("/etc/distribution/config.yml");
    expect(plan.htpasswdPath).toBe("/etc/distribution/htpasswd");
    expect(plan.registryConfig.htpasswdPath).toBe("/etc/distribution/htpasswd");
  });

  test("auth off: no htpasswd anywhere", () => {
    const plan = planDockerRegistry(settings({ auth: { enabled: false } }));
    expect(plan.htpasswdPath).toBeUndefined();
    expect(plan.registryConfig.htpasswdPath).toBeUndefined();
  });

  test("TLS: the registry is unpublished, REGISTRY is the TLS port, nginx reaches the container by name", () => {
    const plan = planDockerRegistry(
      settings({ port: 5001, containerName: "reg", tls: { enabled: true } }),
    );
    expect(plan.address).toBe("localhost:5443");
    expect(plan.registryPorts).toEqual([]);
    expect(plan.proxy).toMatchObject({
      networkName: "reg-net",
      nginxContainerName: "reg-nginx",
      nginxPorts: [{ ip: "127.0.0.1", external: 5443, internal: 443 }],
      serverNames: ["localhost", "127.0.0.1"],
      nginx: { upstream: "reg:5000", listenPort: 443, publicHttpsPort: 5443 },
    });
  });

  test("object storage: no volume, keys by env or file only", () => {
    const s3 = planDockerRegistry(
      settings({
        storage: {
          driver: "s3",
          s3: { bucket: "b", region: "eu-west-1", accessKey: "AKIA123", secretKey: "x" },
        },
      }),
    );
    expect(s3.volume).toBeUndefined();
    expect(s3.registryConfig.storage).toEqual({
      driver: "s3",
      bucket: "b",
      region: "eu-west-1",
      encrypt: true,
      regionEndpoint: undefined,
      rootDirectory: undefined,
      forcePathStyle: undefined,
    });
    const gcs = planDockerRegistry(
      settings({
        storage: { driver: "gcs", gcs: { bucket: "g", keyJson: serviceAccountKeyJson() } },
      }),
    );
    expect(gcs.gcsKeyPath).toBe("/etc/docker/registry/gcs-key.json");
    expect(gcs.registryConfig.storage).toMatchObject({
      driver: "gcs",
      bucket: "g",
      keyfile: gcs.gcsKeyPath,
    });
    expect(
      planDockerRegistry(settings({ storage: { driver: "gcs", gcs: { bucket: "g" } } })).gcsKeyPath,
    ).toBeUndefined();
  });
});

describe("helpers", () => {
  test("certificate names split into DNS names and IP addresses", () => {
    expect(splitServerNames(["localhost", "127.0.0.1", "::1", "123", "registry.lan"])).toEqual({
      dnsNames: ["localhost", "123", "registry.lan"],
      ipAddresses: ["127.0.0.1", "::1"],
    });
  });

  test("env lines are sorted, so a reorder never recreates the container", () => {
    expect(envLines({ REGISTRY_PROXY_PASSWORD: "p", REGISTRY_HTTP_SECRET: "s=x" })).toEqual([
      "REGISTRY_HTTP_SECRET=s=x",
      "REGISTRY_PROXY_PASSWORD=p",
    ]);
  });

  test("filesystem storage lives where the volume is mounted", () => {
    expect(planDockerRegistry(settings({})).registryConfig.storage).toEqual({
      driver: "filesystem",
      rootDirectory: "/var/lib/registry",
    });
  });
});
