/**
 * Cheap checks of the bench's parts (no timing here: `npm run bench` measures). The
 * fixtures must stay the recipes as-is, and every template must fill into a file nginx
 * accepts.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderNginxConfig } from "../components/shared/nginxConfig";
import { nginxPaths } from "../tests/support/nginx";
import { describeWithTools, tool } from "../tests/support/tools";
import { fillTemplate, readFixture } from "./lib/fixtures";
import { parseArgs, headline } from "./bench";
import { registryFilesOf, renderBackends, withoutAuth } from "./lib/dataPaths";
import { ratiosOf } from "./lib/report";
import { interleaved, type Sample } from "./lib/runner";
import {
  atCost,
  CI_IMAGE_LAYERS,
  ciImagePairs,
  ciImageSetups,
  MiB,
  VM_BENCH_NGINX_OPTIONS,
  vmNginx,
} from "./lib/scenarios";
import {
  NGINX,
  deployedNginx,
  proxiedOnlyNginxConf,
  templateConfig,
  type NginxConfigText,
  type NginxHostLayout,
} from "./lib/setups";
import { hostMappings } from "../tests/support/vmStack";
import { mbPerSecond, median, ratio, table } from "./lib/stats";

describe("bench figures", () => {
  test("median, MB/s (10^6 bytes) and ratios", () => {
    expect(median([])).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(mbPerSecond(200e6, 2000)).toBe(100);
    expect(ratio(90, 100)).toBe(0.9);
    expect(ratio(null, 100)).toBeNull();
    expect(ratio(1, 0)).toBeNull();
  });

  test("the table pads columns and right-aligns numbers", () => {
    expect(
      table([
        ["a", "MB/s"],
        ["long name", 12.5],
        ["b", null],
      ]).split("\n"),
    ).toEqual(["a          MB/s", "---------  ----", "long name  12.5", "b          -"]);
  });

  test("a template refuses to serve a half-mapped file", () => {
    expect(fillTemplate("listen @PORT@;", { PORT: 5 })).toBe("listen 5;");
    expect(() => fillTemplate("listen @PORT@; @CERT@", { PORT: 5 })).toThrow(/@CERT@/);
  });
});

describe("bench fixtures stay as-is", () => {
  const recipe = readFixture("recipe-nginx.conf");
  const seed = readFixture("seed003-nginx.conf");

  test("configuration 3 is distribution's recipe, auth_basic included", () => {
    for (const line of [
      "client_max_body_size 0;",
      "chunked_transfer_encoding on;",
      "map $upstream_http_docker_distribution_api_version $docker_distribution_api_version {",
      "add_header 'Docker-Distribution-Api-Version' $docker_distribution_api_version always;",
      "proxy_read_timeout                  900;",
      'auth_basic "Registry realm";',
      "ssl_protocols TLSv1.1 TLSv1.2;",
    ])
      expect(recipe).toContain(line);
    // The recipe buffers both ways (nginx's defaults): nothing of the project's tuning.
    expect(recipe).not.toMatch(/proxy_buffering|proxy_request_buffering|keepalive|http2/);
  });

  test("configuration 4 is the seed's block: no body size setting (413 expected)", () => {
    expect(seed).toMatch(/location \/ \{\s+proxy_pass http:\/\/@UPSTREAM@; # bench-mapped\s+\}/);
    expect(seed).not.toMatch(/client_max_body_size|proxy_set_header/);
  });

  test("configuration 2 is the deployed nginx.conf with only the VM tests' mappings; 2b the same without blobs from storage", async () => {
    const { vm } = await renderBackends();
    expect(renderNginxConfig(VM_BENCH_NGINX_OPTIONS)).toBe(vm.nginxConf);
    const layout = benchLayout("/tmp/bench-unused");
    const served = vmNginx(vm)(layout);
    const mappings = hostMappings({
      nginx: layout.paths,
      registryDir: layout.registryDir,
      registryPort: 5000,
      httpsPort: layout.port,
      healthPort: layout.healthPort,
    })["vm/nginx.conf"];
    // user, pid, 2 logs, upstream, listen, health listen, 2 certificate paths, storage root.
    expect(mappings).toHaveLength(10);
    let undone = served;
    for (const { from, to } of mappings) undone = undone.replace(to, () => from);
    expect(undone).toBe(vm.nginxConf);
    expect(served).toContain("alias /tmp/bench-unused/registry/data/docker/registry/v2/blobs/");
    const proxied = proxiedOnlyNginxConf(VM_BENCH_NGINX_OPTIONS);
    expect(proxied).not.toMatch(/registry_blob|auth_request|alias/);
    expect(proxied.split("\n").every((line) => vm.nginxConf!.includes(line))).toBe(true);
  });
});

/** A configuration's host layout under `dir` (paths are not created). */
function benchLayout(dir: string): NginxHostLayout {
  return {
    listenAddress: "127.0.0.1",
    port: 18443,
    upstream: "127.0.0.1:5000",
    paths: {
      dir,
      configPath: `${dir}/nginx/nginx.conf`,
      certificatePath: `${dir}/nginx/server.crt`,
      keyPath: `${dir}/nginx/server.key`,
      pidPath: `${dir}/nginx/nginx.pid`,
      errorLogPath: `${dir}/nginx/error.log`,
      accessLogPath: `${dir}/nginx/access.log`,
      tempDir: `${dir}/nginx/temp`,
    },
    htpasswdPath: "",
    registryDir: `${dir}/registry`,
    healthPort: 18080,
  };
}

describeWithTools("bench nginx configurations pass nginx -t", ["nginx", "openssl"], () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-nginx-t-"));
    execFileSync(
      tool("openssl"),
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        .concat(["-keyout", path.join(dir, "k.pem"), "-out", path.join(dir, "c.pem")])
        .concat(["-subj", "/CN=127.0.0.1", "-days", "1"]),
      { stdio: "pipe" },
    );
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const variants = fs
    .readdirSync(path.join(__dirname, "variants"))
    .map((f) => [f, templateConfig(fs.readFileSync(path.join(__dirname, "variants", f), "utf8"))]);
  const deployed = renderNginxConfig(VM_BENCH_NGINX_OPTIONS);
  const vmConfs: [string, NginxConfigText][] = [
    ["generated", deployedNginx(deployed)],
    ["proxied", deployedNginx(proxiedOnlyNginxConf(VM_BENCH_NGINX_OPTIONS), { optional: true })],
  ];
  test.each([...vmConfs, ...Object.entries(NGINX), ...variants] as [string, NginxConfigText][])(
    "%s",
    (id, nginx) => {
      const paths = nginxPaths(path.join(dir, id));
      fs.copyFileSync(path.join(dir, "c.pem"), paths.certificatePath);
      fs.copyFileSync(path.join(dir, "k.pem"), paths.keyPath);
      const htpasswdPath = path.join(paths.dir, "nginx.htpasswd");
      fs.writeFileSync(htpasswdPath, "");
      fs.writeFileSync(
        paths.configPath,
        nginx({
          listenAddress: "127.0.0.1",
          port: 18443,
          upstream: "127.0.0.1:15000",
          paths,
          htpasswdPath,
          registryDir: path.join(dir, id, "registry"),
          healthPort: 18080,
        }),
      );
      expect(() =>
        execFileSync(
          tool("nginx"),
          ["-t", "-q", "-c", paths.configPath, "-e", paths.errorLogPath],
          {
            stdio: "pipe",
          },
        ),
      ).not.toThrow();
    },
  );
});

describe("the CI-image shape", () => {
  test("20 layers of at most 1 MiB, 3 of 10-50 MiB, 1 of 200 MiB: about 296 MiB", () => {
    expect(CI_IMAGE_LAYERS).toHaveLength(24);
    expect(CI_IMAGE_LAYERS.slice(0, 20).every((b) => b > 0 && b <= MiB)).toBe(true);
    expect(CI_IMAGE_LAYERS.slice(0, 3)).toEqual([52429, 104858, 157286]);
    expect(CI_IMAGE_LAYERS.slice(20)).toEqual([10485760, 26214400, 52428800, 209715200]);
    expect(CI_IMAGE_LAYERS.reduce((a, b) => a + b, 0)).toBe(309854208);
  });
});

describe("the no-auth limit and the cost-10 htpasswd", () => {
  const config = [
    "version: 0.1",
    "http:",
    "  addr: :5000",
    "auth:",
    "  htpasswd:",
    "    realm: Registry",
    "    path: /auth/htpasswd",
    "",
  ].join("\n");

  test("withoutAuth drops the auth section and nothing else", () => {
    expect(withoutAuth(config)).toBe("version: 0.1\nhttp:\n  addr: :5000\n");
  });

  test("atCost keeps user and salt and changes the cost", () => {
    const line = "ci:$2y$04$Q9bX2mP4kL7nR1sT5vW8yOabcdefghijklmnopqrstuvwxyz01234\n";
    expect(atCost(line, "pw-0123456789abcdef", 10)).toMatch(
      /^ci:\$2y\$10\$Q9bX2mP4kL7nR1sT5vW8y[./A-Za-z0-9]{32}\n$/,
    );
    expect(() => atCost("ci:{SHA}abc\n", "pw", 10)).toThrow(/not a bcrypt/);
  });

  test("the Kubernetes files come from the ConfigMap and the Secret", () => {
    const manifests = [
      "kind: Namespace\nmetadata:\n  name: registry\n",
      "kind: ConfigMap\ndata:\n  config.yml: |\n    version: 0.1\n",
      "kind: Secret\nstringData:\n  htpasswd: |\n    ci:hash\n",
    ].join("---\n");
    expect(
      registryFilesOf("kubernetes", { files: { "kubernetes/manifests.yaml": manifests } }),
    ).toEqual({ configYml: "version: 0.1\n", htpasswd: "ci:hash\n" });
  });
});

describe("the backends' data paths as the program renders them", () => {
  test("each has its config with auth, a cost-4 htpasswd and the generated password", async () => {
    const files = await renderBackends();
    for (const f of Object.values(files)) {
      expect(f.configYml).toMatch(/^auth:\n {2}htpasswd:\n/m);
      expect(f.htpasswd).toMatch(/^ci:\$2y\$04\$[./A-Za-z0-9]{53}\n$/);
      expect(f.password).toMatch(/^[A-Za-z0-9]{32}$/);
    }
    const setups = ciImageSetups(files);
    expect(setups.map((s) => s.id)).toEqual([
      "vm",
      "vm-noauth",
      "vm-cost10",
      "docker",
      "docker-noauth",
      "kubernetes",
      "kubernetes-noauth",
    ]);
    expect(setups.filter((s) => s.nginx).map((s) => s.id)).toEqual([
      "vm",
      "vm-noauth",
      "vm-cost10",
    ]);
    for (const s of setups.filter((x) => x.id.endsWith("-noauth"))) {
      expect(s.registry.htpasswd).toBeUndefined();
      expect(s.registry.configYml).not.toMatch(/^auth:/m);
    }
    expect(setups.find((s) => s.id === "vm-cost10")!.registry.htpasswd).toMatch(/^ci:\$2y\$10\$/);
  }, 60_000);
});

describe("interleaving and ratios", () => {
  test("each repetition rotates the order, every other one reversed", () => {
    expect([0, 1, 2, 3].map((rep) => interleaved(["a", "b", "c"], rep).join(""))).toEqual([
      "abc",
      "acb",
      "cab",
      "cba",
    ]);
  });

  const t = (mbps: number | null, registry = 1) => ({
    ok: mbps !== null,
    ms: 1000,
    mbps,
    cpu: { nginx: 0.5, registry, skopeo: 0.5 },
  });
  const s = (rep: number, push: number | null, pull: number, registry = 1): Sample => ({
    rep,
    push: t(push, registry),
    pull: t(pull),
  });
  const samples = new Map<string, Sample[]>([
    // push CPU: 3 s per successful push (the failed one's 9 s is left out), vs 2 s without auth
    ["vm", [s(0, 80, 100, 2), s(1, 90, 90, 2), s(2, null, 95, 8)]],
    ["vm-noauth", [s(0, 100, 100), s(1, 100, 120), s(2, 40, 100)]],
    ["docker", [s(0, 45, 50), s(1, 50, 50), s(2, 50, 50)]],
    ["docker-noauth", [s(0, 50, 50), s(1, 50, 50), s(2, 50, 50)]],
  ]);

  test("ratio of medians and median of per-repetition ratios; failures left out", () => {
    const r = ratiosOf(samples, ciImagePairs(["vm"]));
    expect(r.vm).toEqual({
      of: "vm / vm-noauth",
      push: { ratio: 0.85, pairedRatio: 0.85, cpuRatio: 0.667 },
      pull: { ratio: 0.95, pairedRatio: 0.95, cpuRatio: 1 },
    });
  });

  test("results.json's CI-image figure is the lowest backend's", () => {
    const ratios = ratiosOf(samples, ciImagePairs(["vm", "docker"]));
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const h = headline({ ciImage: { ratios } as any });
    expect(h.ciImage!.push.ratio).toBe(0.85);
    expect(h.ciImage!.push.byBackend.docker).toEqual({ ratio: 1, pairedRatio: 1, cpuRatio: 1 });
    expect(h.ciImage!.pull.ratio).toBe(0.95);
    expect(h.push).toBeNull();
  });

  test("options: shapes, repetitions, no dated copy, the recipes", () => {
    const a = parseArgs(["--shapes", "ciImage", "--ci-reps", "2", "--no-dated"]);
    expect([a.shapes, a.ciReps, a.reps, a.dated, a.recipes]).toEqual([
      ["ciImage"],
      2,
      3,
      false,
      false,
    ]);
    expect(parseArgs(["--recipes"]).recipes).toBe(true);
    expect(() => parseArgs(["--shapes", "tiny"])).toThrow(/unknown shape tiny/);
    expect(() => parseArgs(["--reps", "0"])).toThrow(/whole number/);
  });
});
