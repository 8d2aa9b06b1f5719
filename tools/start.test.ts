/**
 * `npm start` (tools/start.ts) run as npm runs it, with
 * recording stand-ins for `pulumi` and `docker` as the only programs on PATH
 * (tests/support/standIns.ts). The stand-ins test the scripts' logic: the exact
 * commands, their order, their environment and stdin, the messages and the exit
 * codes. They do not prove Pulumi or Docker behave as played here: the real-engine
 * proof is the users' CI workflow (README, "Using it from CI").
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { NONE, OWN, runScript, sandbox } from "../tests/support/standIns";
import { describeChanges } from "./start";

const LOGIN = "docker login localhost:5000 --username ci --password-stdin | stdin=the password";
/** The commands of a first npm start on a machine never logged in to a Pulumi backend. */
const FIRST_RUN = [
  `pulumi version | ${NONE}`,
  "docker info --format {{.ServerVersion}}",
  `pulumi whoami --json --non-interactive | ${NONE}`,
  `pulumi stack select local | ${OWN}`,
  `pulumi stack init local | ${OWN}`,
  `pulumi up --yes -s local | ${OWN}`,
  `pulumi stack history -s local --json --page-size 1 | ${OWN}`,
  `pulumi stack output -s local --json --show-secrets | ${OWN}`,
  LOGIN,
];
const PUSH_LINES = [
  "Registry: localhost:5000",
  "Push an image to it:",
  "  docker pull alpine:3.20",
  "  docker tag alpine:3.20 localhost:5000/alpine:3.20",
  "  docker push localhost:5000/alpine:3.20",
  "Take it down with: npm stop",
];

describe("npm start", () => {
  test("no Pulumi CLI: says how to install it, runs nothing, exits 2", async () => {
    const r = await runScript(sandbox(["docker"]), "start");
    expect(r.code).toBe(2);
    expect(r.calls).toEqual([]);
    expect(r.stdout).toEqual([]);
    expect(r.stderr).toBe(
      [
        "The Pulumi CLI (pulumi) is not on PATH. Install it, then run this again:",
        "  curl -fsSL https://get.pulumi.com | sh    # Linux, macOS",
        "  brew install pulumi/tap/pulumi            # macOS with Homebrew",
        "  https://www.pulumi.com/docs/install/      # Windows and the rest",
        "",
      ].join("\n"),
    );
  });

  test("no Docker engine: names the DOCKER_HOST it tried, touches no state, exits 2", async () => {
    const s = sandbox();
    const r = await runScript(s, "start", {
      FAKE_DOCKER_DOWN: "1",
      DOCKER_HOST: "tcp://127.0.0.1:2375",
    });
    expect(r.code).toBe(2);
    expect(r.calls).toEqual([
      `pulumi version | ${NONE}`,
      "docker info --format {{.ServerVersion}}",
    ]);
    expect(r.stdout).toEqual(["Pulumi CLI: v3.999.0"]);
    expect(r.stderr).toBe(
      [
        "No Docker engine answered at DOCKER_HOST=tcp://127.0.0.1:2375.",
        "docker info said: Cannot connect to the Docker daemon at tcp://127.0.0.1:2375. Is the docker daemon running?",
        "Start Docker, or point DOCKER_HOST at a running engine, then run this again.",
        "",
      ].join("\n"),
    );
    expect(fs.existsSync(path.join(s.project, ".pulumi-state"))).toBe(false);
  });

  test("no Docker engine, DOCKER_HOST unset: names the default socket", async () => {
    const r = await runScript(sandbox(), "start", { FAKE_DOCKER_DOWN: "1" });
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(
      "No Docker engine answered at the docker CLI's current context (DOCKER_HOST is unset; the default is unix:///var/run/docker.sock).",
    );
  });

  test("first run, then a second that changes nothing and says so", async () => {
    const s = sandbox();
    const first = await runScript(s, "start");
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.calls).toEqual(FIRST_RUN);
    expect(first.stdout).toEqual([
      "Pulumi CLI: v3.999.0",
      "Docker engine: 27.3.1",
      "State: file://<project>/.pulumi-state (this project's own: you are not logged in to a Pulumi backend)",
      "Passphrase: .pulumi-state/local.passphrase (generated once, for stack local only)",
      "Created stack 'local'",
      "Stack local: created (its config is Pulumi.local.yaml)",
      "Update complete",
      "Stack local: create 6",
      "Docker login: localhost:5000 as ci (password over stdin)",
      ...PUSH_LINES,
    ]);
    const file = path.join(s.project, ".pulumi-state", "local.passphrase");
    const passphrase = fs.readFileSync(file, "utf8");
    expect(passphrase).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);

    const second = await runScript(s, "start");
    expect(second.stderr).toBe("");
    expect(second.code).toBe(0);
    expect(second.calls).toEqual([
      `pulumi version | ${NONE}`,
      "docker info --format {{.ServerVersion}}",
      `pulumi stack select local | ${OWN}`,
      `pulumi up --yes -s local | ${OWN}`,
      `pulumi stack history -s local --json --page-size 1 | ${OWN}`,
      `pulumi stack output -s local --json --show-secrets | ${OWN}`,
      LOGIN,
    ]);
    expect(second.stdout).toEqual([
      "Pulumi CLI: v3.999.0",
      "Docker engine: 27.3.1",
      "State: file://<project>/.pulumi-state (this project's own: an earlier npm start put the stack there)",
      "Passphrase: .pulumi-state/local.passphrase (generated once, for stack local only)",
      "Stack local: selected",
      "Update complete",
      "Nothing changed: stack local was already up to date (6 resources the same)",
      "Docker login: localhost:5000 as ci (password over stdin)",
      ...PUSH_LINES,
    ]);
    expect(fs.readFileSync(file, "utf8")).toBe(passphrase);
  });

  test("a failed up: exits 1 after up, logs nothing in", async () => {
    const r = await runScript(sandbox(), "start", { FAKE_UP_FAIL: "1" });
    expect(r.code).toBe(1);
    // everything up to and with up, nothing after
    expect(r.calls).toEqual(FIRST_RUN.slice(0, 6));
    expect(r.calls.at(-1)).toBe(`pulumi up --yes -s local | ${OWN}`);
    expect(r.stderr).toBe(
      [
        "error: stand-in up failed",
        "pulumi up -s local failed (exit 255); its output above says why. Docker was not logged in. Fix it and run npm start again.",
        "",
      ].join("\n"),
    );
  });
});

describe("npm start on a backend the user chose", () => {
  test("logged in to Pulumi Cloud: that backend, no passphrase, no .pulumi-state", async () => {
    const s = sandbox();
    const r = await runScript(s, "start", { FAKE_WHOAMI_URL: "https://api.pulumi.com" });
    expect(r.code).toBe(0);
    expect(r.calls.filter((c) => c.startsWith("pulumi"))).toEqual([
      `pulumi version | ${NONE}`,
      `pulumi whoami --json --non-interactive | ${NONE}`,
      `pulumi stack select local | ${NONE}`,
      `pulumi stack init local | ${NONE}`,
      `pulumi up --yes -s local | ${NONE}`,
      `pulumi stack history -s local --json --page-size 1 | ${NONE}`,
      `pulumi stack output -s local --json --show-secrets | ${NONE}`,
    ]);
    expect(r.stdout.slice(2, 4)).toEqual([
      "State: https://api.pulumi.com (you are logged in there)",
      "Passphrase: none needed (the Pulumi Cloud backend encrypts the stack's secrets)",
    ]);
    expect(fs.existsSync(path.join(s.project, ".pulumi-state"))).toBe(false);
  });

  test("PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE set: both are the user's, untouched", async () => {
    const s = sandbox();
    const url = `file://${s.dir}/state`;
    fs.mkdirSync(path.join(s.dir, "state"));
    const env = { PULUMI_BACKEND_URL: url, PULUMI_CONFIG_PASSPHRASE: "" };
    const r = await runScript(s, "start", env);
    expect(r.code).toBe(0);
    const theirs = `backend=${url} passphrase=-`;
    expect(r.calls.filter((c) => c.startsWith("pulumi stack"))).toEqual([
      `pulumi stack select local | ${theirs}`,
      `pulumi stack init local | ${theirs}`,
      `pulumi stack history -s local --json --page-size 1 | ${theirs}`,
      `pulumi stack output -s local --json --show-secrets | ${theirs}`,
    ]);
    expect(r.stdout.slice(2, 4)).toEqual([
      `State: ${url} (set by PULUMI_BACKEND_URL)`,
      "Passphrase: yours (PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE)",
    ]);
    expect(fs.existsSync(path.join(s.project, ".pulumi-state"))).toBe(false);
  });
});

describe("what npm start makes of pulumi's JSON", () => {
  test("describeChanges: only an update whose every resource stayed the same is 'nothing changed'", () => {
    expect(describeChanges({ same: 5 })).toBe(
      "Nothing changed: stack local was already up to date (5 resources the same)",
    );
    expect(describeChanges({ same: 5, update: 1 })).toBe("Stack local: update 1");
    expect(describeChanges({ same: 3, delete: 0, "create-replacement": 1 })).toBe(
      "Stack local: create-replacement 1",
    );
    expect(describeChanges(undefined)).toBe("Stack local: up to date (pulumi up succeeded)");
  });
});
