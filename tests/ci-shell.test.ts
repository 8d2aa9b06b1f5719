/**
 * Every shell the workflows and composite actions run, checked by shellcheck (Debian's
 * `shellcheck`): each `run:` block is extracted with its `${{ … }}` expressions replaced
 * by a placeholder word (what GitHub substitutes is text, unknown here), written with
 * the shell GitHub runs it under (`bash -e -o pipefail`), and checked; so are the
 * scripts the workflows call (e2e/roundtrip.sh) and .ci/run. A broken block is flagged
 * too, so the check can fail.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describeWithTools, run, tool } from "./support/tools";
import { ROOT, allOwnSteps, rel } from "./support/workflows";
import { spawnSync } from "node:child_process";

/** The script GitHub runs for a `run:` step: expressions become a placeholder word. */
function runBlockScript(runText: string): string {
  const body = runText.replace(/\$\{\{[\s\S]*?\}\}/g, "GITHUB_EXPRESSION");
  return `#!/usr/bin/env bash\nset -eo pipefail\n${body}\n`;
}

const blocks = allOwnSteps()
  .filter(({ step }) => typeof step.run === "string")
  .map(({ file, step }, i) => ({
    name: `${rel(file)}: ${step.name ?? step.id ?? step.run!.split("\n")[0]}`,
    script: runBlockScript(step.run!),
    shell: step.shell ?? "bash",
    i,
  }));

describeWithTools("shellcheck on every run: block and CI script", ["shellcheck"], () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "ci-shell-"))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const check = (file: string) =>
    spawnSync(tool("shellcheck"), ["--shell=bash", "--severity=style", file], {
      encoding: "utf8",
      timeout: 60_000,
    });

  test("there are run blocks to check", () => {
    expect(blocks.length).toBeGreaterThan(20);
    expect(blocks.every((b) => b.shell === "bash")).toBe(true);
  });

  test.each(blocks.map((b) => [b.name, b]))("%s", (_n, b) => {
    const { script, i } = b as (typeof blocks)[number];
    const file = path.join(dir, `block-${i}.sh`);
    fs.writeFileSync(file, script);
    const r = check(file);
    expect(r.stdout).toBe("");
    expect(r.status).toBe(0);
  });

  test.each(["e2e/roundtrip.sh", ".ci/run"])("%s", (script) => {
    expect(run(tool("shellcheck"), ["--severity=style", path.join(ROOT, script)])).toBe("");
  });

  const docSnippets = [
    ...fs.readFileSync(path.join(ROOT, "docs/CI.md"), "utf8").matchAll(/```sh\n([\s\S]*?)```/g),
  ].map((m) => m[1]);

  test.each(docSnippets.map((body, i) => [i, body]))("docs/CI.md sh snippet %i", (i, body) => {
    const file = path.join(dir, `doc-${i}.sh`);
    fs.writeFileSync(file, `#!/usr/bin/env bash\n${body}`);
    // The snippets read the CI system's variables (REGISTRY, BRANCH, ...): SC2154 is expected.
    const r = spawnSync(tool("shellcheck"), ["--shell=bash", "--exclude=SC2154", file], {
      encoding: "utf8",
    });
    expect(r.stdout).toBe("");
  });

  test("the other-CI snippet sanitises the branch into a valid tag", () => {
    const line = docSnippets
      .join("\n")
      .split("\n")
      .find((l) => l.startsWith('tag="$('));
    expect(line).toBeDefined();
    const tagFor = (branch: string) =>
      run("bash", ["-c", `${line}\nprintf '%s' "$tag"`], {
        env: { ...process.env, BRANCH: branch, COMMIT_SHA: "1a2b3c4d5e6f" },
      });
    expect(tagFor("feature/x")).toBe("feature-x-1a2b3c4");
    expect(tagFor("-fix/ü ber")).toBe("fix----ber-1a2b3c4"); // ü is two bytes: two dashes;
    const long = tagFor("b".repeat(300));
    expect(long).toHaveLength(128);
    for (const t of [tagFor("feature/x"), tagFor("-fix/ü ber"), long])
      expect(t).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/);
  });

  test("a broken block is flagged (unquoted expansion, unused variable)", () => {
    const file = path.join(dir, "broken.sh");
    fs.writeFileSync(file, runBlockScript("x=1\nrm -rf $RUNNER_TEMP/${{ inputs.dir }}/*\n"));
    const r = check(file);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/SC2086/);
    expect(r.stdout).toMatch(/SC2034/);
  });
});
