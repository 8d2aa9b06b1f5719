/**
 * `npm run render -- local`: the default stack renders offline, writes the plan, and
 * prints no secret.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { parseArgs, renderStack, writeRendered } from "../tools/render";

const ROOT = path.resolve(__dirname, "..");

describe("render of the local stack", () => {
  let out: string;

  beforeAll(async () => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), "render-local-"));
    const args = parseArgs(["local", "--out", out], ROOT);
    expect(args.configFile).toBe(path.join(ROOT, "Pulumi.local.yaml"));
    writeRendered(out, await renderStack(args));
  });
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  test("Pulumi.local.yaml selects the docker backend on port 5000", () => {
    const stack = parse(fs.readFileSync(path.join(ROOT, "Pulumi.local.yaml"), "utf8"));
    expect(stack.config["registry:backend"]).toBe("docker");
    expect(stack.config["registry:docker"].port).toBe(5000);
  });

  test("writes the resources, the outputs and the generated files", () => {
    const listing = fs.readdirSync(out, { recursive: true }).map(String).sort();
    expect(listing).toEqual([
      "files",
      "files/docker",
      "files/docker/config.yml",
      "files/docker/htpasswd",
      "outputs.json",
      "resources.json",
    ]);
    const resources = JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8")) as {
      type: string;
    }[];
    expect(resources.map((r) => r.type).sort()).toEqual([
      "docker:index/container:Container",
      "docker:index/remoteImage:RemoteImage",
      "docker:index/volume:Volume",
      "random:index/randomPassword:RandomPassword",
      "random:index/randomPassword:RandomPassword",
      "random:index/randomString:RandomString",
      "registry:docker:Registry",
    ]);
  });

  test("outputs: REGISTRY is known; the generated password is redacted", () => {
    const outputs = JSON.parse(fs.readFileSync(path.join(out, "outputs.json"), "utf8"));
    expect(outputs).toEqual({
      REGISTRY: "localhost:5000",
      REGISTRY_BACKEND: "docker",
      REGISTRY_ROLE: "registry",
      REGISTRY_USERNAME: "ci",
      REGISTRY_PASSWORD: "[secret]",
      REGISTRY_CA_CERT: "",
    });
  });

  test("config.yml is shown; the htpasswd and the container's secret inputs are not", () => {
    expect(fs.readFileSync(path.join(out, "files/docker/config.yml"), "utf8")).toContain(
      "addr: :5000",
    );
    expect(fs.readFileSync(path.join(out, "files/docker/htpasswd"), "utf8")).toBe("[secret]");
    const resources = JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8"));
    const container = resources.find(
      (r: { type: string }) => r.type === "docker:index/container:Container",
    );
    expect(container.inputs.envs).toBe("[secret]");
    expect(container.inputs.uploads).toBe("[secret]");
    expect(container.inputs.ports).toEqual([{ ip: "127.0.0.1", external: 5000, internal: 5000 }]);
  });

  test("the npm script does the same from the command line", () => {
    const cliOut = fs.mkdtempSync(path.join(os.tmpdir(), "render-local-cli-"));
    try {
      const stdout = execFileSync(
        process.execPath,
        [
          path.join(ROOT, "node_modules/tsx/dist/cli.mjs"),
          "tools/render.ts",
          "local",
          "--out",
          cliOut,
        ],
        { cwd: ROOT, encoding: "utf8", timeout: 120_000 },
      );
      expect(stdout).toMatch(/rendered local to .*: 4 files/);
      for (const f of ["resources.json", "outputs.json", "files/docker/config.yml"])
        expect(fs.readFileSync(path.join(cliOut, f), "utf8")).toBe(
          fs.readFileSync(path.join(out, f), "utf8"),
        );
    } finally {
      fs.rmSync(cliOut, { recursive: true, force: true });
    }
  });
});
