/**
 * The project's own stacks pass its own pack: every Pulumi.<stack>.yaml is run under
 * mocks (tools/runProgram.ts, render mode) and every resource goes through the pack
 * as the engine would hand it over — resource rules get each resource's inputs with
 * secrets in plain text (policies see no secret flag), stack rules get every
 * resource's state. Also: each built backend with its defaults only.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { reveal, runProgram, type ProgramRun } from "../tools/runProgram";
import { readStackConfig, type StackConfig } from "../tools/stackConfig";
import { policies } from "./policies";
import { validateAll, type FakeResource } from "./harness";
import { normalize } from "./inspect";

const ROOT = path.resolve(__dirname, "..");

/** additionalSecretOutputs per "type::name": the mock monitor sees them, runProgram does not keep them. */
const secretOutputs = new Map<string, string[]>();
const prototype = MockMonitor.prototype as unknown as {
  registerResource(req: unknown, cb: unknown): Promise<void>;
};
const register = prototype.registerResource;
beforeAll(() => {
  prototype.registerResource = function (this: unknown, req: unknown, cb: unknown) {
    const r = req as {
      getType(): string;
      getName(): string;
      getAdditionalsecretoutputsList(): string[];
    };
    secretOutputs.set(`${r.getType()}::${r.getName()}`, r.getAdditionalsecretoutputsList());
    return register.call(this, req, cb);
  };
});
afterAll(() => {
  prototype.registerResource = register;
});

/** As the engine serializes them: assets' texts resolved, secrets in plain text. */
async function plain(value: unknown): Promise<Record<string, unknown>> {
  return reveal(await normalize(value), true) as Record<string, unknown>;
}

async function asPolicyInput(
  run: ProgramRun,
): Promise<{ resources: FakeResource[]; stack: FakeResource[] }> {
  const common = (r: ProgramRun["resources"][number]) => ({
    type: r.type,
    name: r.name,
    additionalSecretOutputs: secretOutputs.get(`${r.type}::${r.name}`) ?? [],
  });
  return {
    resources: await Promise.all(
      run.resources.map(async (r) => ({ ...common(r), props: await plain(r.inputs) })),
    ),
    stack: await Promise.all(
      run.resources.map(async (r) => ({ ...common(r), props: await plain(r.state) })),
    ),
  };
}

function render(stack: string, config: StackConfig): Promise<ProgramRun> {
  return runProgram({
    stack,
    config: config.config,
    secretKeys: config.secretKeys,
    mode: "render",
  });
}

const stackFiles = fs
  .readdirSync(ROOT)
  .filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f))
  .map((f) => ({ stack: f.replace(/^Pulumi\.|\.yaml$/g, ""), file: path.join(ROOT, f) }));

test("there are stack files to check", () => {
  expect(stackFiles.length).toBeGreaterThan(0);
});

const cases: [string, () => StackConfig][] = [
  ...stackFiles.map(
    ({ stack, file }) => [stack, () => readStackConfig(file)] as [string, () => StackConfig],
  ),
  ...["kubernetes", "docker"].map(
    (backend) =>
      [
        `${backend}-defaults`,
        () => ({
          config: { "registry:backend": backend, [`registry:${backend}`]: {} },
          secretKeys: [],
        }),
      ] as [string, () => StackConfig],
  ),
  // The pull-only guard: nginx in the pod (TLS from the Secret), or published on Docker.
  ...(
    [
      ["kubernetes", { tls: { mode: "selfSigned" } }],
      ["docker", {}],
    ] as const
  ).map(
    ([backend, extra]) =>
      [
        `${backend}-pull-user`,
        () => ({
          config: {
            "registry:backend": backend,
            [`registry:${backend}`]: { ...extra, auth: { pullUser: { username: "reader" } } },
          },
          secretKeys: [],
        }),
      ] as [string, () => StackConfig],
  ),
];

test.each(cases)("stack %s passes every policy of the pack", async (stack, config) => {
  const run = await render(stack, config());
  const { resources, stack: stackResources } = await asPolicyInput(run);
  expect(resources.length).toBeGreaterThan(0);
  const violations = await validateAll(policies, resources, stackResources);
  expect(violations).toEqual([]);
});

/**
 * Controls: the same rendered stacks, each with one flaw put in, fail the pack, which
 * shows the rules above really read these resources (configs inside assets included).
 */
function mapStrings(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === "string") return f(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, f)]));
  return value;
}

function mapProps(
  rs: FakeResource[],
  type: string,
  f: (props: Record<string, unknown>) => unknown,
): FakeResource[] {
  return rs.map((r) =>
    r.type === type ? { ...r, props: f(r.props) as Record<string, unknown> } : r,
  );
}

const controls: [string, string, string, (rs: FakeResource[]) => FakeResource[]][] = [
  [
    "dev",
    "pods-restricted",
    "a writable root filesystem",
    (rs) =>
      mapProps(rs, "kubernetes:apps/v1:Deployment", (p) =>
        JSON.parse(
          JSON.stringify(p).replace(
            /"readOnlyRootFilesystem":true/g,
            '"readOnlyRootFilesystem":false',
          ),
        ),
      ),
  ],
  [
    "dev",
    "registry-requires-auth",
    "auth removed from the registry config",
    (rs) =>
      mapProps(rs, "kubernetes:core/v1:ConfigMap", (p) =>
        mapStrings(p, (s) => s.replace(/^auth:\n( {2}.*\n)+/m, "")),
      ),
  ],
  [
    "staging",
    "tls-minimum-1-2",
    "TLSv1 in nginx's ssl_protocols",
    (rs) =>
      rs.map((r) => ({
        ...r,
        props: mapStrings(r.props, (s) =>
          s.replace(/ssl_protocols [^;]*;/, "ssl_protocols TLSv1 TLSv1.2;"),
        ) as Record<string, unknown>,
      })),
  ],
  [
    "staging",
    "registry-requires-auth",
    "auth removed from the registry config",
    (rs) =>
      rs.map((r) => ({
        ...r,
        props: mapStrings(r.props, (s) => s.replace(/^auth:\n( {2}.*\n)+/m, "")) as Record<
          string,
          unknown
        >,
      })),
  ],
  [
    "local",
    "registry-requires-auth",
    "auth removed and the port published on 0.0.0.0",
    (rs) =>
      mapProps(rs, "docker:index/container:Container", (p) => ({
        ...(mapStrings(p, (s) => s.replace(/^auth:\n( {2}.*\n)+/m, "")) as Record<string, unknown>),
        ports: [{ internal: 5000, external: 5000, ip: "0.0.0.0" }],
      })),
  ],
  [
    "local",
    "secrets-not-in-plain-config",
    "no additionalSecretOutputs on the container",
    (rs) =>
      rs.map((r) =>
        r.type === "docker:index/container:Container" ? { ...r, additionalSecretOutputs: [] } : r,
      ),
  ],
  [
    "prod",
    "ci-access-repository-scoped",
    "the CI writer moved to the project",
    (rs) =>
      rs.map((r) =>
        r.type === "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember"
          ? { ...r, type: "gcp:projects/iAMMember:IAMMember" }
          : r,
      ),
  ],
];

test.each(controls)("control: stack %s fails %s with %s", async (stack, policy, _flaw, spoil) => {
  const file = stackFiles.find((f) => f.stack === stack);
  if (!file) throw new Error(`no Pulumi.${stack}.yaml: the control has nothing to spoil`);
  const run = await render(stack, readStackConfig(file.file));
  const { resources, stack: stackResources } = await asPolicyInput(run);
  const violations = await validateAll(policies, spoil(resources), spoil(stackResources));
  expect(violations.map((v) => v.policy)).toContain(policy);
});
