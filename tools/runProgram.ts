/**
 * Runs the program in-process under Pulumi's mock runtime — no CLI, no plugins, no
 * network — and collects what it registers, its stack outputs and the files it
 * generates. `render` and the tests both use it.
 */
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { deployRegistry } from "../program";
import { PROJECT } from "../config/load";
import type { GeneratedFile } from "../components/shared/contract";
import { allMocks, type MockMode, type MockTable } from "./mocks";

/** Marks a secret value in render's output. */
export const SECRET = "[secret]";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

export interface RegisteredResource {
  type: string;
  name: string;
  /** "<parent type>::<parent name>", or null for a top-level resource. */
  parent: string | null;
  custom: boolean;
  /** Inputs as the engine received them; secrets still wrapped (see reveal). */
  inputs: Record<string, unknown>;
  /** Inputs plus what the (mock) provider computed. */
  state: Record<string, unknown>;
  /** The physical id the (mock) provider gave it. */
  id: string;
  /** What the (mock) provider computed, without the inputs. */
  computed: Record<string, unknown>;
  /** How many times it was replaced since the first run of a lifecycle (0: never). */
  generation: number;
  /** What it waits for ("<type>::<name>"): its dependsOn and the resources its inputs come from. */
  dependencies: string[];
  /** The `protect` resource option. */
  protect: boolean;
  /** The `retainOnDelete` resource option: `pulumi destroy` leaves the real thing in place. */
  retainOnDelete: boolean;
  /** The `deleteBeforeReplace` resource option: a replacement deletes the old one first. */
  deleteBeforeReplace: boolean;
  /** The `replaceOnChanges` resource option: these input paths force a replacement. */
  replaceOnChanges: string[];
  /** The `ignoreChanges` resource option: these input paths never cause a diff. */
  ignoreChanges: string[];
  /** The `aliases` resource option: the old names (or URNs) this resource takes over. */
  aliases: string[];
}

export interface ProgramRun {
  backend: string;
  resources: RegisteredResource[];
  /** Each stack output's value and whether it is a secret. */
  outputs: Record<string, { value: unknown; secret: boolean }>;
  /** Generated files, path → content, with secrets redacted unless showSecrets. */
  files: Record<string, string>;
}

type ResourceOptionsSeen = Pick<
  RegisteredResource,
  | "dependencies"
  | "protect"
  | "retainOnDelete"
  | "deleteBeforeReplace"
  | "replaceOnChanges"
  | "ignoreChanges"
  | "aliases"
>;

export interface RunOptions {
  stack: string;
  /** Full keys ("registry:backend") → values; objects as objects or JSON text. */
  config: Record<string, unknown>;
  secretKeys?: string[];
  mode?: MockMode;
  /** Show secret values instead of "[secret]" in inputs and files. */
  showSecrets?: boolean;
  /** Extra or overriding computed outputs, by type token. */
  mocks?: MockTable;
  /**
   * The state an earlier run left, as the engine keeps it: a resource found here
   * (by "<type>::<name>") keeps its id and computed outputs, unless it is in
   * `replace`, which gives it a new id and new computed outputs. (tools/lifecycle)
   */
  prior?: ProgramRun;
  replace?: ReadonlySet<string>;
  /** The program's clock (and the mock providers'); default now. */
  now?: Date;
}

/** Resource options as a resource has them when none are set. */
export const NO_RESOURCE_OPTIONS: ResourceOptionsSeen = {
  dependencies: [],
  protect: false,
  retainOnDelete: false,
  deleteBeforeReplace: false,
  replaceOnChanges: [],
  ignoreChanges: [],
  aliases: [],
};

/** The key a resource is known by across runs: "<type>::<name>". */
export const resourceKey = (r: { type: string; name: string }) => `${r.type}::${r.name}`;

// Over 80 lines: the mock callbacks close over this run's state (prior, replace, the mock table).
export async function runProgram(opts: RunOptions): Promise<ProgramRun> {
  const mode = opts.mode ?? "test";
  const now = opts.now ?? new Date();
  const table = { ...allMocks, ...opts.mocks };
  const resources: RegisteredResource[] = [];
  const parents = new Map<string, string>();
  const options = new Map<string, ResourceOptionsSeen>();

  const prior = new Map(opts.prior?.resources.map((r) => [resourceKey(r), r]));

  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const key = resourceKey(args);
        // The engine carries an aliased resource's state over to its new name.
        const aliases = options.get(key)?.aliases ?? [];
        const kept = [key, ...aliases.map((a) => `${args.type}::${a}`)]
          .map((k) => prior.get(k))
          .find(Boolean);
        const replaced = opts.replace?.has(key) ?? false;
        const generation = (kept?.generation ?? 0) + (replaced ? 1 : 0);
        // A replacement is a new physical resource: a new id, freshly computed outputs
        // (the mocks seed generated values by name, so the name carries the generation).
        const computed =
          kept && !replaced
            ? kept.computed
            : (table[args.type]?.(
                generation ? { ...args, name: `${args.name}~${generation}` } : args,
                mode,
                now,
              ) ?? {});
        const id =
          args.custom === false
            ? ""
            : kept && !replaced
              ? kept.id
              : `${args.name}-id${generation ? `-${generation}` : ""}`;
        const state = { ...args.inputs, ...computed };
        resources.push({
          type: args.type,
          name: args.name,
          parent: null,
          custom: args.custom ?? true,
          inputs: args.inputs,
          state,
          id,
          computed,
          generation,
          // Filled in from the registration request once the program has run.
          ...NO_RESOURCE_OPTIONS,
        });
        return { id, state };
      },
      call(args) {
        const computed = table[`call:${args.token}`];
        return computed
          ? computed({ type: args.token, name: "", inputs: args.inputs }, mode, now)
          : args.inputs;
      },
    },
    PROJECT,
    opts.stack,
    false,
  );
  recordRegistrations(parents, options);

  const config: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.config))
    config[k] = typeof v === "string" ? v : JSON.stringify(v);
  pulumi.runtime.setAllConfig(config, opts.secretKeys ?? []);

  const program = deployRegistry({ now });
  const outputs: ProgramRun["outputs"] = {};
  for (const [key, output] of Object.entries(program.outputs)) outputs[key] = await unwrap(output);
  const files: Record<string, string> = {};
  for (const file of program.files)
    files[file.path] = await renderFile(file, opts.showSecrets ?? false);
  await waitForRegistrations();
  for (const r of resources) await readAssetTexts(r.inputs);

  for (const r of resources) {
    const parentUrn = parents.get(`${r.type}::${r.name}`);
    r.parent = parentUrn ? urnToParent(parentUrn) : null;
    Object.assign(r, options.get(`${r.type}::${r.name}`));
  }
  return { backend: program.backend, resources, outputs, files };
}

/** The mock monitor keeps no parent or options per resource: record them as each one registers. */
function recordRegistrations(
  parents: Map<string, string>,
  options: Map<string, ResourceOptionsSeen>,
): void {
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(
      req: {
        getType(): string;
        getName(): string;
        getParent(): string;
        getDependenciesList(): string[];
        getProtect(): boolean | undefined;
        getRetainondelete(): boolean | undefined;
        getDeletebeforereplace(): boolean;
        getReplaceonchangesList(): string[];
        getIgnorechangesList(): string[];
        getAliasesList(): { getUrn(): string; getSpec(): { getName(): string } | undefined }[];
      },
      cb: unknown,
    ): unknown;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    if (req.getParent()) parents.set(`${req.getType()}::${req.getName()}`, req.getParent());
    options.set(`${req.getType()}::${req.getName()}`, {
      dependencies: req.getDependenciesList().map(urnToParent),
      protect: req.getProtect() ?? false,
      retainOnDelete: req.getRetainondelete() ?? false,
      deleteBeforeReplace: req.getDeletebeforereplace(),
      replaceOnChanges: req.getReplaceonchangesList(),
      ignoreChanges: req.getIgnorechangesList(),
      // Names only: the providers add type-only aliases (old type tokens) of their own.
      aliases: req
        .getAliasesList()
        .map((a) => a.getUrn() || (a.getSpec()?.getName() ?? ""))
        .filter(Boolean),
    });
    return register(req, cb);
  };
}

async function waitForRegistrations(): Promise<void> {
  // waitForRPCs is the runtime's own "drain the RPC queue"; it is not in the typings.
  const runtime = pulumi.runtime as unknown as { waitForRPCs(): Promise<void> };
  await runtime.waitForRPCs();
}

function urnToParent(urn: string): string {
  // urn:pulumi:<stack>::<project>::<type chain>::<name>
  const parts = urn.split("::");
  const type = parts[2].split("$").pop() ?? parts[2];
  return `${type}::${parts.slice(3).join("::")}`;
}

/** An Output's value and secretness (the program runs with preview=false, so values are known). */
export async function unwrap<T>(output: pulumi.Output<T>): Promise<{ value: T; secret: boolean }> {
  const value = await new Promise<T>((resolve) => output.apply((v) => resolve(v)));
  return { value, secret: await pulumi.isSecret(output) };
}

/** The text of every StringAsset seen in inputs (an asset holds it as a Promise). */
const assetTexts = new WeakMap<object, string>();

async function readAssetTexts(value: unknown): Promise<void> {
  if (value instanceof pulumi.asset.StringAsset) {
    assetTexts.set(value, await value.text);
  } else if (value && typeof value === "object") {
    for (const v of Object.values(value)) await readAssetTexts(v);
  }
}

/** Replaces engine-wrapped secrets in inputs with "[secret]" (or their value); shows asset texts. */
export function reveal(value: unknown, showSecrets: boolean): unknown {
  if (Array.isArray(value)) return value.map((v) => reveal(v, showSecrets));
  if (value && typeof value === "object" && assetTexts.has(value))
    return { text: assetTexts.get(value) };
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270")
      return showSecrets ? reveal(obj.value, showSecrets) : SECRET;
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, reveal(v, showSecrets)]));
  }
  return value;
}

/** Resolves nested Outputs, redacting each secret one where it stands. */
export async function resolveDeep(value: unknown, showSecrets: boolean): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    const { value: v, secret } = await unwrap(value as pulumi.Output<unknown>);
    return secret && !showSecrets ? SECRET : resolveDeep(v, showSecrets);
  }
  if (value instanceof Promise) return resolveDeep(await value, showSecrets);
  if (Array.isArray(value)) return Promise.all(value.map((v) => resolveDeep(v, showSecrets)));
  if (value && typeof value === "object") {
    const entries = await Promise.all(
      Object.entries(value).map(async ([k, v]) => [k, await resolveDeep(v, showSecrets)] as const),
    );
    return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
  }
  return value;
}

async function renderFile(file: GeneratedFile, showSecrets: boolean): Promise<string> {
  if ("text" in file) return String(await resolveDeep(pulumi.output(file.text), showSecrets));
  const docs = await resolveDeep(file.yamlDocuments, showSecrets);
  return (docs as unknown[]).map((d) => stringify(d, { lineWidth: 0 })).join("---\n");
}
