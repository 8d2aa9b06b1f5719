/**
 * `npm stop` (tools/stop.ts) run as npm runs it, with the recording stand-ins for
 * `pulumi` and `docker` of tests/support/standIns.ts as the only programs on PATH.
 * The stand-ins test the script's logic (commands, order, messages, exit codes), not
 * Pulumi or Docker: the real-engine proof is the users' CI workflow.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { NONE, OWN, runScript, sandbox } from "../tests/support/standIns";
import { describeVolumes, volumesOf } from "./stop";

describe("npm stop", () => {
  const DESTROYED = ["Destroy complete", "Stack local: destroyed"];

  test("after npm start: destroys the stack, says the images were kept", async () => {
    const s = sandbox();
    expect((await runScript(s, "start")).code).toBe(0);
    const r = await runScript(s, "stop");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.calls).toEqual([
      `pulumi version | ${NONE}`,
      "docker info --format {{.ServerVersion}}",
      `pulumi stack select local | ${OWN}`,
      `pulumi stack export -s local | ${OWN}`,
      `pulumi destroy --yes -s local | ${OWN}`,
    ]);
    expect(r.stdout.slice(4)).toEqual([
      ...DESTROYED,
      "Images kept: the volume registry-data stays on the engine (keepVolumeOnDestroy: true). To delete them: docker volume rm registry-data",
    ]);
  });

  test("keepVolumeOnDestroy false in the state: says the images went with it", async () => {
    const s = sandbox();
    expect((await runScript(s, "start")).code).toBe(0);
    const r = await runScript(s, "stop", { FAKE_KEEP_VOLUME: "false" });
    expect(r.code).toBe(0);
    expect(r.stdout.slice(4)).toEqual([
      ...DESTROYED,
      "Images deleted: the volume registry-data was destroyed with the stack (keepVolumeOnDestroy: false)",
    ]);
  });

  test("no local stack: nothing to destroy, exits 0", async () => {
    const r = await runScript(sandbox(), "stop");
    expect(r.code).toBe(0);
    expect(r.calls.slice(2)).toEqual([
      `pulumi whoami --json --non-interactive | ${NONE}`,
      `pulumi stack select local | ${OWN}`,
    ]);
    expect(r.stdout.at(-1)).toBe("No stack local here: nothing to destroy.");
  });
});

describe("what npm stop makes of a stack export", () => {
  test("volumesOf reads retainOnDelete from a stack export; no volume, no claim", () => {
    const exported = (resources: object[]) =>
      JSON.stringify({ version: 3, deployment: { resources } });
    expect(
      volumesOf(
        exported([
          { type: "docker:index/volume:Volume", retainOnDelete: true, outputs: { name: "a" } },
          { type: "docker:index/volume:Volume", outputs: { name: "b" } },
          {
            type: "docker:index/container:Container",
            retainOnDelete: true,
            outputs: { name: "c" },
          },
        ]),
      ),
    ).toEqual([
      { name: "a", kept: true },
      { name: "b", kept: false },
    ]);
    expect(describeVolumes(volumesOf(exported([])))).toEqual([
      "Images: the stack had no Docker volume (storage outside Docker), so destroy left them where they are",
    ]);
  });
});

test("the quick-start workflow greps for lines the scripts really print", async () => {
  const workflow = fs.readFileSync(
    path.join(__dirname, "..", ".github", "workflows", "quick-start.yml"),
    "utf8",
  );
  const greps = [...workflow.matchAll(/grep -q '\^([^']+)' (\w+)\.log/g)];
  expect(greps.map(([, , log]) => log)).toEqual(["second", "stop"]);
  const s = sandbox();
  await runScript(s, "start");
  const printed = {
    second: (await runScript(s, "start")).stdout,
    stop: (await runScript(s, "stop")).stdout,
  };
  for (const [, prefix, log] of greps)
    expect(printed[log as keyof typeof printed].some((l) => l.startsWith(prefix))).toBe(true);
});
