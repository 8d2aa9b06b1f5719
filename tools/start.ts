/**
 * `npm start`: the registry on this machine's Docker engine (the `local` stack) in
 * one command. Checks the Pulumi CLI and the Docker engine, picks the state backend
 * and the passphrase (tools/start/localStack.ts), selects or creates the stack, runs
 * `pulumi up --yes -s local`, says whether anything changed, logs the local Docker in
 * to the registry (password over stdin) and prints the `docker tag`/`docker push`
 * lines for the real REGISTRY. Run from the project root (npm does).
 *
 * Exit codes: 0 done; 1 a step failed (its own output says why); 2 the Pulumi CLI,
 * the Docker CLI or a Docker engine is missing.
 */
import { dockerClient } from "../ci/registryClients";
import { parseStackOutputs, type RegistryOutputs } from "../ci/stackOutputs";
import { checkDocker, checkPulumi, localStackEnv, selectStack, STACK } from "./start/localStack";
import { exitWith, FAILED, run, StepError } from "./start/run";

/** The image the printed example pushes. */
const EXAMPLE_IMAGE = "alpine:3.20";

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function main(): Promise<void> {
  say(`Pulumi CLI: ${await checkPulumi(process.env)}`);
  say(`Docker engine: ${await checkDocker(process.env)}`);
  const env = await localStackEnv(process.cwd(), process.env, say);
  await selectOrCreate(env);
  await up(env);
  say(describeChanges(await lastChanges(env)));
  const outputs = await readOutputs(env);
  await dockerLogin(outputs, process.env);
  for (const line of nextSteps(outputs)) say(line);
}

async function selectOrCreate(env: NodeJS.ProcessEnv): Promise<void> {
  if (await selectStack(env)) return say(`Stack ${STACK}: selected`);
  const r = await run("pulumi", ["stack", "init", STACK], { env, output: "show" });
  if (r.code !== 0)
    throw new StepError(`pulumi stack init ${STACK} failed (exit ${r.code}); see above.`, FAILED);
  say(`Stack ${STACK}: created (its config is Pulumi.${STACK}.yaml)`);
}

async function up(env: NodeJS.ProcessEnv): Promise<void> {
  const r = await run("pulumi", ["up", "--yes", "-s", STACK], { env, output: "show" });
  if (r.code !== 0)
    throw new StepError(
      `pulumi up -s ${STACK} failed (exit ${r.code}); its output above says why. Docker was not logged in. Fix it and run npm start again.`,
      FAILED,
    );
}

/** The resource changes of the stack's last update (`pulumi stack history --json`), if readable. */
async function lastChanges(env: NodeJS.ProcessEnv): Promise<Record<string, number> | undefined> {
  const args = ["stack", "history", "-s", STACK, "--json", "--page-size", "1"];
  const r = await run("pulumi", args, { env, output: "capture" });
  if (r.code !== 0) return undefined;
  try {
    const [last] = JSON.parse(r.stdout) as { resourceChanges?: Record<string, number> }[];
    return last?.resourceChanges;
  } catch {
    return undefined;
  }
}

/** "Nothing changed" when every resource of the last update stayed the same. */
export function describeChanges(changes: Record<string, number> | undefined): string {
  if (!changes) return `Stack ${STACK}: up to date (pulumi up succeeded)`;
  const changed = Object.entries(changes).filter(([op, n]) => op !== "same" && n > 0);
  if (changed.length === 0)
    return `Nothing changed: stack ${STACK} was already up to date (${changes.same ?? 0} resources the same)`;
  return `Stack ${STACK}: ${changed.map(([op, n]) => `${op} ${n}`).join(", ")}`;
}

async function readOutputs(env: NodeJS.ProcessEnv): Promise<RegistryOutputs> {
  const args = ["stack", "output", "-s", STACK, "--json", "--show-secrets"];
  const r = await run("pulumi", args, { env, output: "capture" });
  if (r.code !== 0)
    throw new StepError(`pulumi stack output -s ${STACK} failed:\n${r.stderr.trim()}`, FAILED);
  try {
    return parseStackOutputs(r.stdout, `pulumi stack output -s ${STACK}`);
  } catch {
    // parse errors quote the text they read, and that text holds the password
    throw new StepError(`pulumi stack output -s ${STACK} printed no usable outputs`, FAILED);
  }
}

async function dockerLogin(o: RegistryOutputs, env: NodeJS.ProcessEnv): Promise<void> {
  if (o.caCert)
    say(
      `The registry's certificate comes from its own CA: trust it first (REGISTRY_CA_CERT into /etc/docker/certs.d/${o.host}/ca.crt, see docs/DOCKER.md).`,
    );
  if (!o.password) return say(`Docker login: not needed (auth is off at ${o.host})`);
  const [login] = dockerClient().login({
    host: o.host,
    username: o.username,
    password: o.password,
  });
  const r = await run(login.file, login.args, { env, input: login.input, output: "capture" });
  if (r.code !== 0) {
    const said = r.stderr.trim().split(o.password).join("[secret]");
    throw new StepError(`docker login ${o.host} failed (exit ${r.code}):\n${said}`, FAILED);
  }
  say(`Docker login: ${o.host} as ${o.username} (password over stdin)`);
}

/** Where the registry is and how to push to it, with the real REGISTRY. */
function nextSteps(o: RegistryOutputs): string[] {
  const target = `${o.registry}/${EXAMPLE_IMAGE}`;
  const push = dockerClient().push(EXAMPLE_IMAGE, [target]);
  return [
    `Registry: ${o.registry}`,
    "Push an image to it:",
    `  docker pull ${EXAMPLE_IMAGE}`,
    ...push.map((c) => `  ${[c.file, ...c.args].join(" ")}`),
    "Take it down with: npm stop",
  ];
}

if (require.main === module) exitWith(main);
