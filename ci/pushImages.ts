/**
 * Pushes built images to the registry a stack deployed, under the computed tags.
 *
 *   npx tsx ci/pushImages.ts --outputs outputs.json --images "team/app=app:build" [--client docker|skopeo]
 *       [--certs-dir DIR] [--branch B --sha S] [--prepare] [--dry-run]
 *
 * outputs.json is `pulumi stack output --json --show-secrets`. In order: secrets are
 * masked (GitHub Actions), the CA is installed under <certs-dir>/<host:port>/ca.crt,
 * the client logs in (skipped for the keyless GCP path, where gcloud's credential
 * helper already did), then each image is pushed as <REGISTRY>/<name>:<tag> for every
 * tag of imageTags(): every image's immutable tag first, the moving tags (latest, stage)
 * only after all of those are pushed. `--prepare` only masks and writes the step outputs the workflow
 * needs before login (host, backend, credential-helper, GCP identity).
 *
 * Environment: IMAGES, REGISTRY_OUTPUTS_FILE, PUSH_CLIENT, REGISTRY_CERTS_DIR stand in
 * for the flags; DOCKER / SKOPEO name the binaries; the build is read from GitHub's
 * variables (see buildRefFromEnv) or CI_BRANCH / CI_SHA, or git as a last resort.
 * Node builtins only: the composite action runs it with `npx tsx` anywhere.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildRefFromEnv, imageTags, type BuildRef } from "./imageTags";
import {
  caCertPath,
  dockerClient,
  parseImageSpecs,
  skopeoClient,
  type Command,
  type ImageSpec,
  type RegistryClient,
} from "./registryClients";
import {
  maskCommands,
  parseStackOutputs,
  refuseMirrorPush,
  usesCredentialHelper,
  type RegistryOutputs,
} from "./stackOutputs";

export const DEFAULT_CERTS_DIR = "/etc/docker/certs.d";

export interface PushArgs {
  outputsFile: string;
  images: string;
  client: "docker" | "skopeo";
  certsDir: string;
  branch?: string;
  sha?: string;
  prepare: boolean;
  dryRun: boolean;
}

const USAGE =
  "usage: pushImages.ts --outputs FILE --images 'name=source ...' [--client docker|skopeo] [--certs-dir DIR] [--branch B] [--sha S] [--prepare] [--dry-run]";

export function parsePushArgs(argv: string[], env: Record<string, string | undefined>): PushArgs {
  const values: Record<string, string[]> = {};
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--prepare" || a === "--dry-run") flags.add(a);
    else if (
      ["--outputs", "--images", "--client", "--certs-dir", "--branch", "--sha"].includes(a)
    ) {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      (values[a] ??= []).push(v);
    } else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  const outputsFile = values["--outputs"]?.[0] ?? env.REGISTRY_OUTPUTS_FILE;
  if (!outputsFile) throw new Error(`--outputs is required\n${USAGE}`);
  const client = values["--client"]?.[0] ?? env.PUSH_CLIENT ?? "docker";
  if (client !== "docker" && client !== "skopeo")
    throw new Error(`--client is docker or skopeo (got ${client})`);
  const prepare = flags.has("--prepare");
  const images = (values["--images"] ?? []).join("\n") || env.IMAGES || "";
  if (!prepare && !images.trim()) throw new Error(`--images is required\n${USAGE}`);
  return {
    outputsFile,
    images,
    client,
    certsDir: values["--certs-dir"]?.[0] ?? env.REGISTRY_CERTS_DIR ?? DEFAULT_CERTS_DIR,
    branch: values["--branch"]?.[0],
    sha: values["--sha"]?.[0],
    prepare,
    dryRun: flags.has("--dry-run"),
  };
}

/** The build being pushed: flags first, then the CI's variables, then git. */
export function resolveBuildRef(
  args: Pick<PushArgs, "branch" | "sha">,
  env: Record<string, string | undefined>,
): BuildRef {
  const fromEnv = buildRefFromEnv(env, () =>
    env.GITHUB_EVENT_PATH && fs.existsSync(env.GITHUB_EVENT_PATH)
      ? JSON.parse(fs.readFileSync(env.GITHUB_EVENT_PATH, "utf8"))
      : undefined,
  );
  const git = (...a: string[]) => execFileSync("git", a, { encoding: "utf8" }).trim();
  const sha = args.sha ?? fromEnv?.sha ?? git("rev-parse", "HEAD");
  const branch = args.branch ?? fromEnv?.branch ?? git("rev-parse", "--abbrev-ref", "HEAD");
  return {
    branch,
    sha,
    pullRequest: args.branch === undefined && (fromEnv?.pullRequest ?? false),
    gitTag: args.branch === undefined && (fromEnv?.gitTag ?? false),
  };
}

export interface PushPlan {
  tags: string[];
  /** Full references pushed, <REGISTRY>/<name>:<tag>. */
  refs: string[];
  login: "password" | "credential-helper" | "anonymous";
  commands: Command[];
}

/** What to run, in order (pure: the CA file is written by the caller). */
export function planPush(
  outputs: RegistryOutputs,
  images: ImageSpec[],
  build: BuildRef,
  client: RegistryClient,
  certDir: string | undefined,
): PushPlan {
  refuseMirrorPush(outputs);
  const { all: tags, immutable, moving } = imageTags(build.branch, build.sha, build);
  let login: PushPlan["login"];
  const commands: Command[] = [];
  if (outputs.password !== "") {
    login = "password";
    commands.push(
      ...client.login({
        host: outputs.host,
        username: outputs.username,
        password: outputs.password,
        certDir,
      }),
    );
  } else if (usesCredentialHelper(outputs)) login = "credential-helper";
  else if (outputs.username === "") login = "anonymous";
  else throw new Error(`REGISTRY_USERNAME is ${outputs.username} but REGISTRY_PASSWORD is empty`);
  // Every image's immutable tag first; the moving tags (latest, stage, a release) only
  // once all of them are pushed, so a failure never leaves a mixed `latest` behind.
  const refs: string[] = [];
  const ref = (image: ImageSpec, tag: string) => `${outputs.registry}/${image.name}:${tag}`;
  for (const image of images) {
    refs.push(ref(image, immutable));
    commands.push(...client.push(image.source, [ref(image, immutable)], certDir));
  }
  const movingTags = moving.filter((t) => t !== immutable);
  if (movingTags.length > 0)
    for (const image of images) {
      const targets = movingTags.map((t) => ref(image, t));
      refs.push(...targets);
      commands.push(...client.push(image.source, targets, certDir));
    }
  return { tags, refs, login, commands };
}

/** `name=value` lines for $GITHUB_OUTPUT; multi-line values use the heredoc form. */
export function githubOutputLines(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => {
      if (!v.includes("\n")) return `${k}=${v}\n`;
      const delimiter = `EOF_${Math.random().toString(36).slice(2)}`;
      return `${k}<<${delimiter}\n${v}\n${delimiter}\n`;
    })
    .join("");
}

function runCommand(c: Command): void {
  console.log(
    `$ ${c.label ?? [c.file, ...c.args].join(" ")}${c.input !== undefined ? " < [password]" : ""}`,
  );
  execFileSync(c.file, c.args, {
    input: c.input ?? "",
    stdio: ["pipe", "inherit", "inherit"],
    timeout: 30 * 60_000,
  });
}

export function installCaCert(certsRoot: string, host: string, pem: string): string {
  const file = caCertPath(certsRoot, host);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, pem.endsWith("\n") ? pem : `${pem}\n`);
  return path.dirname(file);
}

export function main(argv: string[], env: Record<string, string | undefined>): void {
  const args = parsePushArgs(argv, env);
  const outputs = parseStackOutputs(fs.readFileSync(args.outputsFile, "utf8"), args.outputsFile);
  // Mask first: nothing below may print a secret before GitHub knows to hide it.
  if (env.GITHUB_ACTIONS === "true") for (const line of maskCommands(outputs)) console.log(line);
  // Before anything else, --prepare included: the workflow must not log in to push.
  refuseMirrorPush(outputs, args.outputsFile);

  if (args.prepare) {
    const step = {
      registry: outputs.registry,
      host: outputs.host,
      backend: outputs.backend,
      "has-ca": String(outputs.caCert !== ""),
      "credential-helper": String(usesCredentialHelper(outputs)),
      "gcp-workload-identity-provider": outputs.all.GCP_WORKLOAD_IDENTITY_PROVIDER ?? "",
      "gcp-service-account": outputs.all.GCP_SERVICE_ACCOUNT ?? "",
    };
    if (env.GITHUB_OUTPUT) fs.appendFileSync(env.GITHUB_OUTPUT, githubOutputLines(step));
    else console.log(JSON.stringify(step, null, 2));
    return;
  }

  const images = parseImageSpecs(args.images);
  const build = resolveBuildRef(args, env);
  const certDir =
    outputs.caCert === ""
      ? undefined
      : args.dryRun
        ? path.dirname(caCertPath(args.certsDir, outputs.host))
        : installCaCert(args.certsDir, outputs.host, outputs.caCert);
  if (certDir) console.log(`CA for ${outputs.host}: ${path.join(certDir, "ca.crt")}`);

  const authDir =
    args.client === "skopeo" ? fs.mkdtempSync(path.join(os.tmpdir(), "push-auth-")) : undefined;
  try {
    const client =
      args.client === "docker"
        ? dockerClient(env.DOCKER || "docker")
        : skopeoClient(path.join(authDir!, "auth.json"), env.SKOPEO || "skopeo");
    const plan = planPush(outputs, images, build, client, certDir);
    console.log(
      `${outputs.backend || "registry"} ${outputs.registry}: ${build.branch ?? "(no branch)"}@${build.sha.slice(0, 7)} → tags ${plan.tags.join(", ")} (login: ${plan.login})`,
    );
    for (const c of plan.commands) {
      if (args.dryRun)
        console.log(
          `would run: ${[c.file, ...c.args].join(" ")}${c.input !== undefined ? " < [password]" : ""}`,
        );
      else runCommand(c);
    }
    for (const ref of plan.refs) console.log(`${args.dryRun ? "would push" : "pushed"} ${ref}`);
    if (env.GITHUB_OUTPUT)
      fs.appendFileSync(
        env.GITHUB_OUTPUT,
        githubOutputLines({ tags: plan.tags.join(" "), refs: plan.refs.join("\n") }),
      );
  } finally {
    if (authDir) fs.rmSync(authDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  try {
    main(process.argv.slice(2), process.env);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
