/**
 * The pack as Pulumi runs it: `pulumi preview --policy-pack policy` starts
 * `@pulumi/pulumi/cmd/run-policy-pack` with node in this folder (ts-node compiles
 * index.ts), and talks to it over gRPC. No Pulumi CLI here, so this test starts the
 * same runner from the root node_modules and plays the engine's part: it proves the
 * pack loads with the root install only, lists its policies as mandatory, and reports
 * on resources serialized as the engine sends them (an asset, a secret, an unknown).
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as analyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import * as structPb from "google-protobuf/google/protobuf/struct_pb";
import * as emptyPb from "google-protobuf/google/protobuf/empty_pb";
import { policies } from "./policies";

const ROOT = path.resolve(__dirname, "..");
const RUNNER = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [__dirname] });
const SIG = "4dabf18193072939515e22adb298388d";
const ASSET = "c44067f5952c0a294b673a41bacd8c17";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

let pack: ChildProcess;
let client: InstanceType<typeof analyzerGrpc.AnalyzerClient>;
let stderr = "";

beforeAll(async () => {
  // The engine address is only used for logging; the pack serves on a port it prints.
  pack = spawn(process.execPath, [RUNNER, "127.0.0.1:1", "."], {
    cwd: path.join(ROOT, "policy"),
    stdio: ["ignore", "pipe", "pipe"],
  });
  pack.stderr!.on("data", (d) => (stderr += String(d)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    pack.stdout!.on("data", (d) => {
      out += String(d);
      const m = /^(\d+)\s*$/m.exec(out);
      if (m) resolve(Number(m[1]));
    });
    pack.on("exit", (code) => reject(new Error(`policy pack exited ${code}: ${stderr}`)));
  });
  client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 120_000);

afterAll(() => {
  client?.close();
  if (pack && pack.exitCode === null) pack.kill();
});

function call<Req, Res>(
  method: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown,
  req: Req,
) {
  return new Promise<Res>((resolve, reject) =>
    method.call(client, req, (err, res) => (err ? reject(err) : resolve(res))),
  );
}

/** The engine always sends resource options (the pack refuses a request without them). */
function options(): analyzerPb.AnalyzerResourceOptions {
  const o = new analyzerPb.AnalyzerResourceOptions();
  o.setCustomtimeouts(new analyzerPb.AnalyzerResourceOptions.CustomTimeouts());
  return o;
}

async function analyze(type: string, props: Record<string, unknown>): Promise<string[]> {
  const req = new analyzerPb.AnalyzeRequest();
  req.setType(type);
  req.setName("r");
  req.setUrn(`urn:pulumi:test::registry::${type}::r`);
  req.setProperties(
    structPb.Struct.fromJavaScript(props as Record<string, structPb.JavaScriptValue>),
  );
  req.setOptions(options());
  const res = await call<analyzerPb.AnalyzeRequest, analyzerPb.AnalyzeResponse>(
    client.analyze,
    req,
  );
  return res.getDiagnosticsList().map((d) => `${d.getPolicyname()}: ${d.getMessage()}`);
}

test("the runner loads the pack from the root install and lists every policy as mandatory", async () => {
  const info = await call<emptyPb.Empty, analyzerPb.AnalyzerInfo>(
    client.getAnalyzerInfo,
    new emptyPb.Empty(),
  );
  expect(info.getName()).toBe("registry-guardrails");
  expect(info.getPoliciesList().map((p) => p.getName())).toEqual(policies.map((p) => p.name));
  for (const p of info.getPoliciesList())
    expect(p.getEnforcementlevel()).toBe(analyzerPb.EnforcementLevel.MANDATORY);
}, 60_000);

test("a resource rule reports through gRPC", async () => {
  const service = {
    spec: { type: "NodePort", ports: [{ name: "http", port: 5000, nodePort: 80 }] },
  };
  expect(await analyze("kubernetes:core/v1:Service", service)).toEqual([
    expect.stringMatching(/^nodeport-in-range: [\s\S]*nodePort 80 is outside 30000-32767/),
  ]);
  service.spec.ports[0].nodePort = 30500;
  expect(await analyze("kubernetes:core/v1:Service", service)).toEqual([]);
}, 60_000);

test("an nginx config inside a string asset, and a secret, are read as plain values", async () => {
  const nginx =
    "server {\n  listen 443 ssl;\n  ssl_certificate /c;\n  ssl_protocols TLSv1 TLSv1.2;\n}\n";
  const diags = await analyze("command:remote:CopyToRemote", {
    remotePath: "/opt/registry/nginx.conf",
    source: { [SIG]: ASSET, text: nginx },
    connection: { [SIG]: SECRET, value: { host: "10.0.0.2", user: "registry" } },
  });
  expect(diags).toEqual([
    expect.stringMatching(/^tls-minimum-1-2: [\s\S]*nginx config: ssl_protocols allows TLSv1$/),
  ]);
}, 60_000);

test("an unknown value (preview) is skipped, not an error", async () => {
  expect(
    await analyze("gcp:projects/iAMMember:IAMMember", {
      role: "roles/artifactregistry.writer",
      member: UNKNOWN_STRING,
    }),
  ).toEqual([]);
}, 60_000);

test("a stack rule reports through gRPC", async () => {
  const resource = (type: string, name: string, props: Record<string, unknown>) => {
    const r = new analyzerPb.AnalyzerResource();
    r.setType(type);
    r.setName(name);
    r.setUrn(`urn:pulumi:test::registry::${type}::${name}`);
    r.setProperties(
      structPb.Struct.fromJavaScript(props as Record<string, structPb.JavaScriptValue>),
    );
    r.setOptions(options());
    return r;
  };
  const config =
    "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/registry\nhttp:\n  addr: :5000\n";
  const req = new analyzerPb.AnalyzeStackRequest();
  req.setResourcesList([
    resource("docker:index/container:Container", "registry", {
      uploads: [{ file: "/etc/docker/registry/config.yml", content: config }],
      ports: [{ internal: 5000, external: 5000, ip: "0.0.0.0" }],
    }),
  ]);
  const res = await call<analyzerPb.AnalyzeStackRequest, analyzerPb.AnalyzeResponse>(
    client.analyzeStack,
    req,
  );
  expect(res.getDiagnosticsList().map((d) => d.getPolicyname())).toEqual([
    "registry-requires-auth",
  ]);
}, 60_000);
