/**
 * The e2e workflow (.github/workflows/e2e.yml) cannot run here (no Docker engine,
 * cluster or Pulumi CLI), so what can be checked here is: each e2e stack config renders
 * with the project's own render (`npm run render -- <stack> --config-file FILE`), as
 * committed plus what the workflow sets at run time (the vm's throwaway SSH key and host
 * key, then the rotated password), so a config typo fails here and not on a runner; the
 * kind cluster maps the NodePort the dev config fixes; and the workflow runs the steps
 * in the order README's "End to end with the real engine" gives (up, push/pull, a password
 * change, up again, no changes, destroy).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { ROOT, load, type Step } from "./support/workflows";

const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
const workflow = load(path.join(ROOT, ".github/workflows/e2e.yml"));
const matrix: { stack: string; backend: string }[] = workflow.jobs.e2e.strategy.matrix.include;

let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ci-e2e-"))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** What `pulumi config set --path` writes into the stack file, applied to a copy of it. */
function withConfig(stack: string, set: Record<string, unknown>): string {
  const doc = parse(fs.readFileSync(path.join(ROOT, "e2e", `${stack}.yaml`), "utf8"));
  for (const [keyPath, value] of Object.entries(set)) {
    const [top, ...rest] = keyPath.split(".");
    let node = doc.config[top];
    for (const k of rest.slice(0, -1)) node = node[k] ??= {};
    node[rest[rest.length - 1]] = value;
  }
  const file = path.join(tmp, `${stack}-${Object.keys(set).length}.yaml`);
  fs.writeFileSync(file, stringify(doc));
  return file;
}

function render(
  stack: string,
  configFile: string,
): { code: number | null; outputs?: Record<string, unknown>; stderr: string } {
  const out = path.join(tmp, `render-${path.basename(configFile, ".yaml")}`);
  const r = spawnSync(
    TSX,
    ["tools/render.ts", `e2e-${stack}`, "--config-file", configFile, "--out", out],
    {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 180_000,
    },
  );
  const outputs =
    r.status === 0
      ? JSON.parse(fs.readFileSync(path.join(out, "outputs.json"), "utf8"))
      : undefined;
  return { code: r.status, outputs, stderr: r.stderr };
}

/** The vm stack's run-time keys, as the workflow's "throwaway SSH key" step sets them. */
const VM_RUN_TIME_KEYS: Record<string, unknown> = {
  // `--secret` stores an encrypted `secure:` value, which render reads as a secret placeholder.
  "registry:vm.host.privateKey": { secure: "v1:simulated-ciphertext" },
  "registry:vm.host.hostKey":
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
};

test("the matrix covers local, dev and vm, each with its committed config", () => {
  expect(matrix).toEqual([
    { stack: "local", backend: "docker" },
    { stack: "dev", backend: "kubernetes" },
    { stack: "vm", backend: "vm" },
  ]);
  for (const { stack, backend } of matrix) {
    const doc = parse(fs.readFileSync(path.join(ROOT, "e2e", `${stack}.yaml`), "utf8"));
    expect(doc.config["registry:backend"]).toBe(backend);
  }
});

const EXPECTED_REGISTRY: Record<string, string> = {
  local: "localhost:5000",
  dev: "127.0.0.1:30500",
  vm: "127.0.0.1:8443",
};

describe.each(["local", "dev", "vm"])("e2e stack %s renders", (stack) => {
  const backend = () => matrix.find((m) => m.stack === stack)!.backend;
  const runTime = (): Record<string, unknown> => (stack === "vm" ? VM_RUN_TIME_KEYS : {});

  test("as the first `pulumi up` gets it", () => {
    const r = render(stack, withConfig(stack, runTime()));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.outputs?.REGISTRY).toBe(EXPECTED_REGISTRY[stack]);
    expect(r.outputs?.REGISTRY_BACKEND).toBe(backend());
  }, 200_000);

  test("after the change: the rotated password at the path the workflow sets", () => {
    const rotate = workflow.jobs.e2e.steps.find((s: Step) =>
      s.name?.includes("rotate the password"),
    );
    expect(rotate.run).toContain('--path "registry:$BACKEND.auth.password"');
    const file = withConfig(stack, {
      ...runTime(),
      [`registry:${backend()}.auth.password`]: "e2e-0123456789abcdef0123456789abcdef01234567",
    });
    const r = render(stack, file);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.outputs?.REGISTRY).toBe(EXPECTED_REGISTRY[stack]);
  }, 200_000);
});

test("a typo in an e2e config fails render (so the tests above can fail)", () => {
  const file = withConfig("local", { "registry:docker.prot": 5000 });
  const r = render("local", file);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('registry:docker has unknown key "prot"');
}, 200_000);

test("the kind cluster maps the dev stack's NodePort to 127.0.0.1", () => {
  const kind = parse(fs.readFileSync(path.join(ROOT, "e2e", "kind.yaml"), "utf8"));
  const dev = parse(fs.readFileSync(path.join(ROOT, "e2e", "dev.yaml"), "utf8"));
  const port = dev.config["registry:kubernetes"].nodePort;
  expect(kind.nodes[0].extraPortMappings).toContainEqual({
    containerPort: port,
    hostPort: port,
    listenAddress: "127.0.0.1",
    protocol: "TCP",
  });
  // kube-proxy's mode is left at kind's default (iptables), where NodePorts answer on 127.0.0.1.
  expect(kind.networking?.kubeProxyMode).toBeUndefined();
});

test("the workflow runs the lifecycle in order: up, round trip, change, up, round trip keeping the earlier image, no changes, destroy", () => {
  const steps: Step[] = workflow.jobs.e2e.steps;
  const runs = steps.map((s) => s.run ?? "");
  const at = (re: RegExp, from = 0) => {
    const i = runs.findIndex((r, n) => n >= from && re.test(r));
    expect({ re: String(re), found: i >= 0 }).toEqual({ re: String(re), found: true });
    return i;
  };
  const up1 = at(/^pulumi up /m);
  const trip1 = at(/roundtrip\.sh "\$STACK" one$/m, up1);
  const change = at(/pulumi config set .*auth\.password/, trip1);
  const up2 = at(/^pulumi up /m, change);
  const trip2 = at(/roundtrip\.sh "\$STACK" two one$/m, up2);
  const refused = at(/e2e-old-password/, trip2 + 1);
  const preview = at(/pulumi preview .*--expect-no-changes/, refused);
  const destroy = at(/pulumi destroy /, preview);
  expect(steps[destroy].if).toContain("always()");
  const logout = at(/docker logout/, destroy);
  expect(steps[logout].if).toBe("always()");
  // A file state backend and a throwaway passphrase: no secrets.
  expect(runs.join("\n")).toContain('pulumi login "file://$RUNNER_TEMP/pulumi-state"');
  expect(JSON.stringify(workflow)).not.toMatch(/secrets\./);
});
