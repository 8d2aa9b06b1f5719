/**
 * The offline render command, as a user runs it (a child process): what it writes,
 * how it fails on bad config (exit 1, one line per problem, no stack trace, nothing
 * written), and how it treats secrets.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { readStackConfig } from "../tools/stackConfig";
import { OFFLINE_SECRET } from "../config/fields";

const ROOT = path.resolve(__dirname, "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");

function render(args: string[]) {
  const r = spawnSync(TSX, ["tools/render.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "render-test-"))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function stackFile(name: string, config: Record<string, unknown>): string {
  const file = path.join(tmp, `Pulumi.${name}.yaml`);
  fs.writeFileSync(file, JSON.stringify({ config }));
  return file;
}

describe("bad config", () => {
  test("a missing registry:backend exits 1 with one line and writes nothing", () => {
    const out = path.join(tmp, "out-missing");
    const r = render(["x", "--config-file", stackFile("missing", {}), "--out", out]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual([
      "registry:backend is required: set it to one of kubernetes, vm, gcp, docker (pulumi config set registry:backend kubernetes)",
    ]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(out)).toBe(false);
  });

  test("an unknown backend exits 1 naming the key", () => {
    const out = path.join(tmp, "out-unknown");
    const r = render([
      "x",
      "--config-file",
      stackFile("unknown", { "registry:backend": "heroku" }),
      "--out",
      out,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'registry:backend must be one of kubernetes, vm, gcp, docker (got "heroku")',
    );
    expect(fs.existsSync(out)).toBe(false);
  });

  test("a previous render is left as it was when the config is bad", () => {
    const out = path.join(tmp, "out-kept");
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, "outputs.json"), "{}");
    const r = render([
      "x",
      "--config-file",
      stackFile("kept", { "registry:backend": 7 }),
      "--out",
      out,
    ]);
    expect(r.code).toBe(1);
    expect(fs.readFileSync(path.join(out, "outputs.json"), "utf8")).toBe("{}");
  });
});

describe("a malformed stack file (issue 14 item 13): one line naming it from the project, exit 1", () => {
  // Inside the project, so the line can name it relative to the project.
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(ROOT, ".render-test-"))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each([
    [
      "config as a list",
      "config:\n  - registry:backend\n",
      "config must be a map of keys to values",
    ],
    [
      "a YAML syntax error",
      'config:\n  registry:backend: "docker\n  registry:docker: {port: [}\n',
      "not valid YAML at line 4, column 1",
    ],
    [
      "a key twice",
      "config:\n  registry:backend: docker\n  registry:backend: vm\n",
      "a key appears twice at line 3, column 3",
    ],
    [
      "a list, not a stack file",
      "- config\n",
      "not a stack file (expected a map with a config: key)",
    ],
  ])("%s", (name, text, problem) => {
    const file = path.join(dir, `Pulumi.${name.replace(/\W+/g, "-")}.yaml`);
    fs.writeFileSync(file, text);
    const out = path.join(dir, "out");
    const r = render(["x", "--config-file", file, "--out", out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`${path.relative(ROOT, file)}: ${problem}\n`);
    expect(r.stderr).not.toContain(ROOT);
    expect(r.stdout).toBe("");
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe("usage", () => {
  test("no stack named", () => {
    const r = render([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("usage: npm run render -- <stack>");
  });
  test("a stack with no stack file", () => {
    const r = render(["nosuchstack"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no stack file");
  });
  test("an unknown option", () => {
    expect(render(["dev", "--bogus"]).code).toBe(2);
  });
});

describe("stack files", () => {
  test("secure values become a placeholder and their key a secret key", () => {
    const file = path.join(tmp, "Pulumi.enc.yaml");
    fs.writeFileSync(
      file,
      [
        "encryptionsalt: v1:abc",
        "config:",
        "  registry:backend: vm",
        "  registry:vm:",
        "    auth:",
        "      password:",
        "        secure: v1:Zm9vYmFy",
        "  gcp:project: acme",
      ].join("\n"),
    );
    const { config, secretKeys } = readStackConfig(file);
    expect(config["registry:vm"]).toEqual({ auth: { password: OFFLINE_SECRET } });
    expect(config["gcp:project"]).toBe("acme");
    expect(secretKeys).toEqual(["registry:vm"]);
  });

  test("every Pulumi.<stack>.yaml in the repository is a valid stack file for project registry", () => {
    const stacks = fs.readdirSync(ROOT).filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f));
    expect(stacks.length).toBeGreaterThan(0);
    for (const f of stacks) {
      const doc = parse(fs.readFileSync(path.join(ROOT, f), "utf8"));
      expect(Object.keys(doc.config)).toContain("registry:backend");
    }
  });
});
