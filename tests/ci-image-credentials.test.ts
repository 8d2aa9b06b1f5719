/**
 * push-images.yml must build its images before any credential enters the workspace.
 * This test replays, in a temp dir, what each step before the build leaves in
 * $GITHUB_WORKSPACE, then builds the documented `COPY . /app/` image of that workspace
 * with podman (chroot isolation, vfs storage), saves it as an OCI layout and lists the
 * files of its unpacked layers.
 *
 * What is simulated, and from what: the steps' effects are written by this test, from
 * each action's documented behaviour (ci/actionFacts.json sources):
 *  - actions/checkout persists the token in the repository's git config unless
 *    `persist-credentials: false` (its README). v4 wrote an
 *    `http.<server>.extraheader` with the token into .git/config; that is what a
 *    persisting checkout leaves here (v6+ moves the token to $RUNNER_TEMP and leaves an
 *    include in .git/config: an include is not written here);
 *  - google-github-actions/auth writes gha-creds-<random>.json into $GITHUB_WORKSPACE
 *    (its src/main.ts) whenever it runs with create_credentials_file left true;
 *  - a checkout with `path:` puts a whole repository (here: the registry project's stack
 *    files) under that path.
 * A `run:` step before the build is not simulated: the test fails, asking for its effect.
 * The control case moves the build after every other step and must find the files.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describeWithTools, run, tool } from "./support/tools";
import { ROOT, load, type Step } from "./support/workflows";

const TOKEN = "ghs_simulatedTokenForTheTest0123456789";

/** Replays a step's effect on the workspace; returns the credential paths it left. */
function replay(
  step: Step,
  workspace: string,
  git: (cwd: string, ...a: string[]) => void,
): string[] {
  const uses = step.uses?.split("@")[0];
  if (uses === "actions/checkout") {
    const dir = path.join(workspace, String(step.with?.path ?? ""));
    fs.mkdirSync(dir, { recursive: true });
    git(dir, "init", "-q");
    if (step.with?.path) {
      // The registry project: its stack files come along.
      fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), "config:\n  registry:backend: gcp\n");
    }
    if (step.with?.["persist-credentials"] !== false) {
      const basic = Buffer.from(`x-access-token:${TOKEN}`).toString("base64");
      git(
        dir,
        "config",
        "--local",
        "http.https://github.com/.extraheader",
        `AUTHORIZATION: basic ${basic}`,
      );
      return [path.relative(workspace, path.join(dir, ".git", "config"))];
    }
    return [];
  }
  if (uses === "google-github-actions/auth") {
    if (step.with?.create_credentials_file === false) return [];
    const file = "gha-creds-0123456789abcdef.json";
    fs.writeFileSync(path.join(workspace, file), JSON.stringify({ type: "external_account" }));
    return [file];
  }
  if (uses === "actions/setup-node" || uses === "pulumi/actions") return []; // tool caches, outside
  throw new Error(`no simulated effect for step ${step.name ?? step.uses ?? step.run}: add one`);
}

describeWithTools("the images push-images.yml builds hold no credential", ["podman"], () => {
  let tmp: string;
  beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ci-image-creds-"))));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const podman = (...args: string[]) =>
    run(
      tool("podman"),
      [
        "--root",
        path.join(tmp, "storage"),
        "--runroot",
        path.join(tmp, "run"),
        "--storage-driver",
        "vfs",
        ...args,
      ],
      { timeoutMs: 180_000 },
    );
  const git = (cwd: string, ...a: string[]) => run("git", ["-C", cwd, ...a]);

  /** The workspace as the build step finds it, built into an image; returns the image's files. */
  function buildAfter(
    steps: Step[],
    name: string,
  ): { files: string[]; left: string[]; tokenConfigs: string[] } {
    const workspace = path.join(tmp, name);
    fs.mkdirSync(workspace);
    const buildAt = steps.findIndex((s) => s.run?.includes("docker build"));
    expect(buildAt).toBeGreaterThan(0);
    const left: string[] = [];
    for (const step of steps.slice(0, buildAt)) {
      const effect = replay(step, workspace, git);
      left.push(...effect);
      // The app's own files arrive with the first checkout.
      if (step.uses?.startsWith("actions/checkout") && !step.with?.path) {
        fs.writeFileSync(path.join(workspace, "Dockerfile"), "FROM scratch\nCOPY . /app/\n");
        fs.writeFileSync(path.join(workspace, "app.txt"), "the app\n");
      }
    }
    const image = `localhost/creds-test/${name}:1`;
    podman("build", "--isolation", "chroot", "-q", "-t", image, workspace);
    // Saved as an OCI layout and its layers unpacked: `podman image mount` needs root,
    // and CI (ci.yml) runs the tests as the runner's user.
    const layout = path.join(tmp, `${name}-oci`);
    podman("save", "--format", "oci-dir", "-o", layout, image);
    const root = path.join(tmp, `${name}-rootfs`);
    fs.mkdirSync(root);
    const blob = (digest: string) => path.join(layout, "blobs", ...digest.split(":"));
    const index = JSON.parse(fs.readFileSync(path.join(layout, "index.json"), "utf8"));
    const manifest = JSON.parse(fs.readFileSync(blob(index.manifests[0].digest), "utf8"));
    for (const layer of manifest.layers as { digest: string }[])
      run("tar", ["-xf", blob(layer.digest), "-C", root]);
    const files = fs
      .readdirSync(root, { recursive: true, encoding: "utf8" })
      .map((f) => f.split(path.sep).join("/"))
      .sort();
    // A git config in the image that carries the token.
    const tokenConfigs = files.filter(
      (f) =>
        f.endsWith(".git/config") &&
        fs.readFileSync(path.join(root, f), "utf8").includes("AUTHORIZATION: basic"),
    );
    return { files, left, tokenConfigs };
  }

  const workflow = load(path.join(ROOT, ".github/workflows/push-images.yml"));
  const steps: Step[] = workflow.jobs.push.steps;

  /** Files that must never be in an image: auth's key file and the registry project (stack files). */
  const credentialFiles = (files: string[]) =>
    files.filter(
      (f) => /(^|\/)gha-creds-[^/]*\.json$/.test(f) || f.startsWith("app/.registry-project"),
    );

  test("the workflow's order: the image holds the app and no credential file", () => {
    const { files, left, tokenConfigs } = buildAfter(steps, "workflow");
    expect(left).toEqual([]);
    expect(files).toContain("app/app.txt");
    expect(files).toContain("app/.git/config"); // the checkout is there, without a token
    expect(tokenConfigs).toEqual([]);
    expect(credentialFiles(files)).toEqual([]);
  });

  test("control: built after every other step (the old order), the image holds all three", () => {
    const buildStep = steps.find((s) => s.run?.includes("docker build"))!;
    const persisted = (s: Step): Step =>
      s.uses?.startsWith("actions/checkout")
        ? { ...s, with: { ...s.with, "persist-credentials": true } }
        : s;
    const oldOrder: Step[] = [
      ...steps.filter((s) => s !== buildStep && !s.uses?.startsWith("./") && !s.run).map(persisted),
      { uses: "google-github-actions/auth@x", with: { credentials_json: "x" } },
      buildStep,
    ];
    const { files, tokenConfigs } = buildAfter(oldOrder, "control");
    expect(tokenConfigs).toEqual(["app/.git/config", "app/.registry-project/.git/config"]);
    expect(credentialFiles(files)).toEqual(
      expect.arrayContaining([
        "app/gha-creds-0123456789abcdef.json",
        "app/.registry-project/Pulumi.prod.yaml",
      ]),
    );
  });
});
