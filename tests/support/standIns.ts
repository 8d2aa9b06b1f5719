/**
 * Recording stand-ins for the `pulumi` and `docker` CLIs, for the tests of
 * tools/start.ts and tools/stop.ts. They test the scripts' logic (which commands, in
 * which order, with which environment and stdin, and what the scripts make of each
 * answer), not Pulumi or Docker: the real engine is proven by the users' CI workflow.
 *
 * The scripts are stand-ins/pulumi and stand-ins/docker (bash, shellcheck-clean).
 * Each call appends one line to $FAKE_DIR/calls.log: the argv, and for pulumi the
 * backend URL and passphrase file it was given; for docker login, whether stdin
 * carried exactly $FAKE_PASSWORD (never the value itself). The case is played by:
 *   FAKE_WHOAMI_URL   pulumi whoami answers with this backend URL (unset: not logged in)
 *   FAKE_UP_FAIL      pulumi up fails
 *   FAKE_DOCKER_DOWN  docker info finds no engine
 *   FAKE_KEEP_VOLUME  "false": the state's volume has no retainOnDelete
 * Like the real file backend, the stand-in pulumi keeps its stacks under
 * <PULUMI_BACKEND_URL path>/.pulumi, so a second run finds what the first created,
 * and it refuses a file backend without a readable passphrase, as pulumi does.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The programs the stand-ins use, linked into the bin directory so PATH holds nothing else. */
const UTILITIES = ["bash", "cat", "mkdir", "rm", "wc"];

/**
 * Writes the stand-ins (only the ones named) and links the few utilities they need
 * into `<dir>/bin`, and returns that directory: the whole PATH of a test run, so a
 * real pulumi or docker elsewhere on the machine is never reached.
 */
export function writeStandIns(dir: string, which: ("pulumi" | "docker")[]): string {
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin, { recursive: true });
  for (const name of which) {
    fs.copyFileSync(path.join(__dirname, "stand-ins", name), path.join(bin, name));
    fs.chmodSync(path.join(bin, name), 0o755);
  }
  for (const u of UTILITIES) {
    const found = ["/usr/bin", "/bin"].map((d) => path.join(d, u)).find((p) => fs.existsSync(p));
    if (!found) throw new Error(`${u} not found in /usr/bin or /bin`);
    fs.symlinkSync(found, path.join(bin, u));
  }
  return bin;
}
