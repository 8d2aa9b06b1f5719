/**
 * The docker backend on day two: what a second `pulumi up` with changed config does
 * to resources that hold a fixed name or host port (issue 11, items 1 and 2).
 * Pulumi replaces create-before-delete unless told otherwise, and a new container
 * with the old one's name or port fails to start (pulumi-docker#1356).
 */
import {
  reveal,
  runProgram,
  type ProgramRun,
  type RegisteredResource,
} from "../../tools/runProgram";

const CONTAINER = "docker:index/container:Container";

function named(run: ProgramRun, type: string, name: string): RegisteredResource {
  const found = run.resources.filter((r) => r.type === type && r.name === name);
  if (found.length !== 1) throw new Error(`expected one ${type} ${name}, found ${found.length}`);
  return found[0];
}

async function local(docker: Record<string, unknown>): Promise<ProgramRun> {
  return runProgram({
    stack: "local",
    config: { "registry:backend": "docker", "registry:docker": docker },
    showSecrets: true,
  });
}

function uploaded(container: RegisteredResource, file: string): string {
  const uploads = reveal(container.inputs.uploads, true) as { file: string; content: string }[];
  const found = uploads.find((u) => u.file === file);
  if (!found) throw new Error(`no upload ${file}`);
  return found.content;
}

describe("docker backend: replacements delete the old container first", () => {
  test("TLS off: the registry container (fixed name, host port) is deleteBeforeReplace", async () => {
    const run = await local({ port: 5000 });
    const registry = named(run, CONTAINER, "registry-registry");
    expect(registry.inputs.name).toBe("registry");
    expect(registry.deleteBeforeReplace).toBe(true);
    // The volume's name is the user's volumeName: a new name makes a new volume, no clash.
    const volume = named(run, "docker:index/volume:Volume", "registry-data");
    expect(volume.deleteBeforeReplace).toBe(false);
    expect(volume.retainOnDelete).toBe(true);
  });

  test("TLS on: registry, nginx and the named network are all deleteBeforeReplace", async () => {
    const run = await local({ port: 5000, tls: { enabled: true, port: 5443 } });
    for (const [type, name, physical] of [
      [CONTAINER, "registry-registry", "registry"],
      [CONTAINER, "registry-tls-nginx", "registry-nginx"],
      ["docker:index/network:Network", "registry-network", "registry-net"],
    ]) {
      const r = named(run, type, name);
      expect(r.inputs.name).toBe(physical);
      expect({ name, deleteBeforeReplace: r.deleteBeforeReplace }).toEqual({
        name,
        deleteBeforeReplace: true,
      });
    }
  });
});

describe("docker backend: nginx follows a replaced registry container", () => {
  test("nginx carries the registry container's id in a label that forces its replacement", async () => {
    const run = await local({ port: 5000, tls: { enabled: true, port: 5443 } });
    const nginx = named(run, CONTAINER, "registry-tls-nginx");
    // The mock engine gives each container the id "<resource name>-id".
    expect(nginx.inputs.labels).toEqual([
      { label: "registry.upstream-container-id", value: "registry-registry-id" },
    ]);
    expect(nginx.replaceOnChanges).toEqual(["labels"]);
    expect(nginx.dependencies).toContain(`${CONTAINER}::registry-registry`);
  });
});

describe("docker backend: a config.yml change changes the container's inputs", () => {
  test("logLevel only: the uploaded config.yml differs, so the container is replaced", async () => {
    const info = await local({ port: 5000 });
    const debug = await local({ port: 5000, logLevel: "debug" });
    const before = uploaded(
      named(info, CONTAINER, "registry-registry"),
      "/etc/docker/registry/config.yml",
    );
    const after = uploaded(
      named(debug, CONTAINER, "registry-registry"),
      "/etc/docker/registry/config.yml",
    );
    expect(before).toContain("level: info");
    expect(after).toContain("level: debug");
  });
});
