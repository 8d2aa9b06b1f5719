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

  test("a broken block is flagged (unquoted expansion, unused variable)", () => {
    const file = path.join(dir, "broken.sh");
    fs.writeFileSync(file, runBlockScript("x=1\nrm -rf $RUNNER_TEMP/${{ inputs.dir }}/*\n"));
    const r = check(file);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/SC2086/);
    expect(r.stdout).toMatch(/SC2034/);
  });
});
