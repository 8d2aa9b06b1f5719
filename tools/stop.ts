/**
 * `npm stop` (also `npm run down`): destroys the `local` stack that `npm start`
 * brought up, then says whether the images were kept. The Docker backend keeps its
 * volume on destroy when `registry:docker.keepVolumeOnDestroy` is true (the default):
 * the answer is read from the stack's state before the destroy (the volume's
 * `retainOnDelete`), as the last `pulumi up` set it, not from the config file.
 *
 * Exit codes as tools/start.ts: 0 done (or no stack to destroy); 1 a step failed;
 * 2 the Pulumi CLI, the Docker CLI or a Docker engine is missing.
 */
import { checkDocker, checkPulumi, localStackEnv, selectStack, STACK } from "./start/localStack";
import { exitWith, FAILED, run, StepError } from "./start/run";

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export interface RegistryVolume {
  name: string;
  /** retainOnDelete: destroy leaves it (and the images in it) on the engine. */
  kept: boolean;
}

async function main(): Promise<void> {
  say(`Pulumi CLI: ${await checkPulumi(process.env)}`);
  say(`Docker engine: ${await checkDocker(process.env)}`);
  const env = await localStackEnv(process.cwd(), process.env, say);
  if (!(await selectStack(env))) return say(`No stack ${STACK} here: nothing to destroy.`);
  const volumes = await registryVolumes(env);
  const r = await run("pulumi", ["destroy", "--yes", "-s", STACK], { env, output: "show" });
  if (r.code !== 0)
    throw new StepError(
      `pulumi destroy -s ${STACK} failed (exit ${r.code}); its output above says why.`,
      FAILED,
    );
  say(`Stack ${STACK}: destroyed`);
  for (const line of describeVolumes(volumes)) say(line);
}

/** The Docker volumes in the stack's state (`pulumi stack export`), or undefined if unreadable. */
async function registryVolumes(env: NodeJS.ProcessEnv): Promise<RegistryVolume[] | undefined> {
  const r = await run("pulumi", ["stack", "export", "-s", STACK], { env, output: "capture" });
  if (r.code !== 0) return undefined;
  try {
    return volumesOf(r.stdout);
  } catch {
    return undefined;
  }
}

interface StateResource {
  type?: string;
  retainOnDelete?: boolean;
  outputs?: { name?: unknown };
}

export function volumesOf(exported: string): RegistryVolume[] {
  const doc = JSON.parse(exported) as { deployment?: { resources?: StateResource[] } };
  return (doc.deployment?.resources ?? [])
    .filter((r) => r.type === "docker:index/volume:Volume")
    .map((r) => ({ name: String(r.outputs?.name ?? "?"), kept: r.retainOnDelete === true }));
}

export function describeVolumes(volumes: RegistryVolume[] | undefined): string[] {
  if (!volumes) return ["Images: unknown (the stack's state could not be read before the destroy)"];
  if (volumes.length === 0)
    return [
      "Images: the stack had no Docker volume (storage outside Docker), so destroy left them where they are",
    ];
  return volumes.map((v) =>
    v.kept
      ? `Images kept: the volume ${v.name} stays on the engine (keepVolumeOnDestroy: true). To delete them: docker volume rm ${v.name}`
      : `Images deleted: the volume ${v.name} was destroyed with the stack (keepVolumeOnDestroy: false)`,
  );
}

if (require.main === module) exitWith(main);
