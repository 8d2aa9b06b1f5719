/**
 * Per backend, each long-running server (the registry, nginx), what it reads at
 * start, and how a plan shows that it was restarted or reloaded. The registry reads
 * config.yml, htpasswd and its env once, when it starts; nginx reads its conf and
 * certificates at start and on reload, and resolves its upstream's address then.
 * A day-two change to what a server reads must reach it (rules.ts).
 */
import { parse } from "yaml";
import { reveal, type ProgramRun } from "../runProgram";
import type { Plan } from "./plan";

export interface Server {
  name: string;
  /** Everything the running process takes in at start, as one comparable value. */
  reads(run: ProgramRun): unknown;
  /** Whether the plan restarts (or reloads) it with what it now reads. */
  restarted(plan: Plan, before: ProgramRun, after: ProgramRun): boolean;
}

const op = (plan: Plan, name: string) => plan.steps.find((s) => s.name === name)?.op ?? "same";
/** A new process (created or replaced) reads everything afresh. */
const started = (plan: Plan, name: string) => ["create", "replace"].includes(op(plan, name));

function inputsOf(run: ProgramRun, name: string, field: string): unknown {
  const r = run.resources.find((x) => x.name === name && x.custom);
  return r ? (reveal(r.inputs, true) as Record<string, unknown>)[field] : undefined;
}

function idOf(run: ProgramRun, name: string): string | undefined {
  return run.resources.find((x) => x.name === name && x.custom)?.id;
}

function composeService(run: ProgramRun, service: string): unknown {
  const text = run.files["vm/docker-compose.yml"];
  return text ? (parse(text) as { services?: Record<string, unknown> }).services?.[service] : null;
}

/** The Docker nginx container: `-tls-` with TLS, `-proxy-` when only the pull-only guard brings it. */
const dockerNginx = (run: ProgramRun) =>
  ["registry-tls-nginx", "registry-proxy-nginx"].find((n) => idOf(run, n) !== undefined) ??
  "registry-tls-nginx";

const docker: Server[] = [
  {
    // The container's uploads and env are its config: only a new container reads new ones.
    name: "docker registry",
    reads: (run) => [
      run.files["docker/config.yml"],
      run.files["docker/htpasswd"],
      inputsOf(run, "registry-registry", "envs"),
    ],
    restarted: (plan) => started(plan, "registry-registry"),
  },
  {
    // nginx resolves the registry container's address at start: a new registry container
    // is a new address, unless the conf resolves it per request (resolver + variable).
    name: "docker nginx",
    reads: (run) => {
      const conf = run.files["docker/nginx.conf"];
      if (conf === undefined) return null;
      const resolvesPerRequest = /^\s*resolver\s/m.test(conf);
      return [
        conf,
        inputsOf(run, dockerNginx(run), "uploads"),
        resolvesPerRequest ? null : idOf(run, "registry-registry"),
      ];
    },
    restarted: (plan, _before, after) => started(plan, dockerNginx(after)),
  },
];

const vm: Server[] = [
  {
    // `docker compose up -d` recreates a service only when its definition changes.
    name: "vm registry",
    reads: (run) => [
      run.files["vm/config.yml"],
      run.files["vm/htpasswd"],
      run.files["vm/registry.env"],
      run.files["vm/gcs-key.json"],
      composeService(run, "registry"),
    ],
    // Compose resolves env_file into the service's environment (`docker-compose config`
    // prints it there: components/vm/composeFile.test.ts), so a changed env file is a
    // changed service too.
    restarted: (plan, before, after) =>
      op(plan, "registry-compose-up") !== "same" &&
      (JSON.stringify(composeService(before, "registry")) !==
        JSON.stringify(composeService(after, "registry")) ||
        before.files["vm/registry.env"] !== after.files["vm/registry.env"]),
  },
  {
    // Every compose-up run ends with `nginx -s reload` (conf, certificates, upstream address).
    name: "vm nginx",
    reads: (run) => [
      run.files["vm/nginx.conf"],
      run.files["vm/certs/server.crt"],
      run.files["vm/certs/server.key"],
    ],
    restarted: (plan) => op(plan, "registry-compose-up") !== "same",
  },
];

const kubernetes: Server[] = [
  {
    // Pods read the ConfigMap and Secrets (the TLS one too) at start; only a new pod
    // template rolls them.
    name: "kubernetes registry",
    reads: (run) => [
      inputsOf(run, "registry-config", "data"),
      inputsOf(run, "registry-secrets", "stringData"),
      inputsOf(run, "registry-tls", "stringData"),
    ],
    restarted: (plan, before, after) => {
      const template = (run: ProgramRun) =>
        JSON.stringify((inputsOf(run, "registry", "spec") as { template?: unknown })?.template);
      return op(plan, "registry") !== "same" && template(before) !== template(after);
    },
  },
];

export function serversOf(backend: string): Server[] {
  return { docker, vm, kubernetes }[backend as "docker"] ?? [];
}
