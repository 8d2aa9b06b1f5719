/**
 * The harness's own logic, on hand-made runs (no program): how a changed input is
 * classified, what an unknown input does, and which rules a plan breaks. The expected
 * values are written out, not computed by the code under test.
 */
import { NO_RESOURCE_OPTIONS, type ProgramRun, type RegisteredResource } from "../runProgram";
import { changedPaths, effectOf } from "./diff";
import { planUpdate, UnknownChangeError } from "./plan";
import { dayTwoViolations } from "./rules";

const NOW = new Date("2026-03-01T00:00:00Z");

function resource(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  extra: Partial<RegisteredResource> = {},
): RegisteredResource {
  return {
    type,
    name,
    parent: null,
    custom: true,
    inputs,
    state: inputs,
    id: `${name}-id`,
    computed: {},
    generation: 0,
    ...NO_RESOURCE_OPTIONS,
    ...extra,
  };
}

function run(
  backend: string,
  resources: RegisteredResource[],
  registry = "localhost:5000",
): ProgramRun {
  return {
    backend,
    resources,
    outputs: {
      REGISTRY: { value: registry, secret: false },
      REGISTRY_USERNAME: { value: "ci", secret: false },
    },
    files: {},
  };
}

const CONTAINER = "docker:index/container:Container";

describe("changed paths", () => {
  test("a list that grew is one change of the list; a field inside an element is its own path", () => {
    expect(changedPaths({ ports: [{ a: 1 }] }, { ports: [{ a: 1 }, { a: 2 }] })).toEqual([
      ["ports"],
    ]);
    expect(changedPaths({ ports: [{ a: 1 }] }, { ports: [{ a: 2 }] })).toEqual([
      ["ports", "0", "a"],
    ]);
  });

  test("a label key with dots stays one segment", () => {
    expect(
      changedPaths(
        { labels: { "app.kubernetes.io/version": "1" } },
        { labels: { "app.kubernetes.io/version": "2" } },
      ),
    ).toEqual([["labels", "app.kubernetes.io/version"]]);
  });

  test("the longest rule wins, a tie replaces", () => {
    const rules = { replaces: ["spec"], updates: ["spec.resources.requests"] };
    expect(effectOf(["spec", "resources", "requests", "storage"], rules)).toBe("update");
    expect(effectOf(["spec", "storageClassName"], rules)).toBe("replace");
    expect(effectOf(["x"], { replaces: ["x"], updates: ["x"] })).toBe("replace");
    expect(effectOf(["other"], rules)).toBeUndefined();
  });
});

describe("plan", () => {
  test("a changed input no rule knows fails the harness", () => {
    const a = run("docker", [resource(CONTAINER, "c", { notAnInput: 1 })]);
    const b = run("docker", [resource(CONTAINER, "c", { notAnInput: 2 })]);
    expect(() => planUpdate(a, b, NOW)).toThrow(UnknownChangeError);
  });

  test("create, update, replace, delete and same, by name", () => {
    const a = run("docker", [
      resource(CONTAINER, "kept", { restart: "no" }),
      resource(CONTAINER, "updated", { restart: "no" }),
      resource(CONTAINER, "replaced", { image: "a" }),
      resource(CONTAINER, "gone", { image: "a" }),
    ]);
    const b = run("docker", [
      resource(CONTAINER, "kept", { restart: "no" }),
      resource(CONTAINER, "updated", { restart: "always" }),
      resource(CONTAINER, "replaced", { image: "b" }),
      resource(CONTAINER, "new", { image: "a" }),
    ]);
    expect(planUpdate(a, b, NOW).summary).toEqual({
      create: ["Container/new"],
      update: ["Container/updated"],
      replace: ["Container/replaced"],
      delete: ["Container/gone"],
    });
  });

  test("a certificate in its early-renewal window is replaced with no input change", () => {
    const cert = (end: string) =>
      resource(
        "tls:index/locallySignedCert:LocallySignedCert",
        "cert",
        { earlyRenewalHours: 720 },
        {
          computed: { validityEndTime: end },
        },
      );
    // 30 days before the end is the window's start.
    expect(
      planUpdate(
        run("vm", [cert("2026-03-31T00:00:01Z")]),
        run("vm", [cert("2026-03-31T00:00:01Z")]),
        NOW,
      ).summary.replace,
    ).toEqual([]);
    expect(
      planUpdate(
        run("vm", [cert("2026-03-30T23:59:59Z")]),
        run("vm", [cert("2026-03-30T23:59:59Z")]),
        NOW,
      ).summary.replace,
    ).toEqual(["LocallySignedCert/cert"]);
  });
});

describe("rules", () => {
  const applied = (a: ProgramRun, b: ProgramRun) => ({
    before: a,
    after: b,
    plan: planUpdate(a, b, NOW),
    again: planUpdate(b, b, NOW),
  });

  test("a container replaced on its own name and port must go first", () => {
    const c = (image: string, extra: Partial<RegisteredResource> = {}) =>
      resource(
        CONTAINER,
        "registry",
        { name: "registry", image, ports: [{ ip: "127.0.0.1", external: 5000, internal: 5000 }] },
        extra,
      );
    expect(dayTwoViolations(applied(run("x", [c("a")]), run("x", [c("b")])), { plan: {} })).toEqual(
      ["registry keeps a fixed name or host port but is replaced create-before-delete"],
    );
    expect(
      dayTwoViolations(
        applied(run("x", [c("a")]), run("x", [c("b", { deleteBeforeReplace: true })])),
        { plan: {} },
      ),
    ).toEqual([]);
  });

  test("a volume replaced loses images unless the README says so; REGISTRY must not move", () => {
    const v = (driver: string) =>
      resource("docker:index/volume:Volume", "data", { name: "data", driver });
    const result = applied(run("x", [v("local")]), run("x", [v("other")], "localhost:5001"));
    expect(dayTwoViolations(result, { plan: {} })).toEqual([
      "data (holds images) is replaced",
      "data keeps a fixed name or host port but is replaced create-before-delete",
      'REGISTRY changed from "localhost:5000" to "localhost:5001"',
    ]);
    expect(
      dayTwoViolations(result, {
        plan: {},
        losesImages: { readme: "no such phrase in the README" },
        movesRegistry: "test",
      }),
    ).toEqual([
      'data is replaced but the README does not say "no such phrase in the README"',
      "data keeps a fixed name or host port but is replaced create-before-delete",
    ]);
  });

  test("a Kubernetes object with a name is deleted first by the provider itself", () => {
    const cm = (data: string) =>
      resource("kubernetes:core/v1:ConfigMap", "cfg", {
        metadata: { name: "cfg" },
        data: { a: data },
      });
    const plan = planUpdate(run("x", [cm("1")]), run("x", [cm("2")]), NOW);
    expect(plan.steps.map((s) => [s.op, s.deleteFirst])).toEqual([["replace", true]]);
  });
});
