/**
 * The two image shapes the bench measures and the configurations each is pushed and
 * pulled through, with the pairs whose ratio is the figure.
 *
 * - bigLayers: 1 GiB in 4 layers of 256 MiB, through the generated nginx vs the registry's
 *   own TLS (what the proxy costs), and the two nginx setups it is compared with.
 * - ciImage: the shape CI pushes (CI_IMAGE_LAYERS), through each self-hosted backend's
 *   data path as the program renders it, vs the same path with auth taken out of the
 *   registry config (what auth costs), and the VM's with the htpasswd at bcrypt cost 10
 *   (before).
 */
import { CHOSEN_PASSWORD_BCRYPT_COST, renderHtpasswd } from "../../components/shared/htpasswd";
import { BACKENDS, withoutAuth, type Backend, type BackendFiles } from "./dataPaths";
import { vmNginxOptions } from "../../components/vm/plan";
import { deployedNginx, NGINX, proxiedOnlyNginxConf, type SetupSpec } from "./setups";

export const MiB = 1048576;

export type ShapeId = "bigLayers" | "ciImage";

/** Layers of equal size adding up to sizeMiB. */
export function bigLayerSizes(sizeMiB: number, layers: number): number[] {
  return Array<number>(layers).fill(Math.floor((sizeMiB * MiB) / layers));
}

/**
 * An image the way a Dockerfile build makes it (about 296 MiB in 24 layers):
 * - 20 small layers (51 KiB to 1 MiB, 10.5 MiB together): the COPY of sources and
 *   configs, small RUN steps, certificates, entrypoint scripts;
 * - 3 medium layers (10, 25 and 50 MiB): the base OS (bookworm-slim is about 28 MB
 *   compressed), a package install, the application's dependencies;
 * - 1 big layer (200 MiB): a language runtime or toolchain (a JDK, Node with modules,
 *   a Python scientific stack).
 * Every layer is fresh random data, so nothing compresses or deduplicates.
 */
export const CI_IMAGE_LAYERS: number[] = [
  ...Array.from({ length: 20 }, (_, i) => Math.round((MiB * (i + 1)) / 20)),
  10 * MiB,
  25 * MiB,
  50 * MiB,
  200 * MiB,
];

/** A measured pair: `id`'s MB/s over `reference`'s. */
export interface RatioPair {
  name: string;
  id: string;
  reference: string;
}

export interface Scenario {
  shape: ShapeId;
  layerSizes: number[];
  setups: SetupSpec[];
  /** The first pair is the headline figure (results.json `push.ratio` / `ciImage.push.ratio`). */
  pairs: RatioPair[];
}

function login(files: BackendFiles): Pick<SetupSpec, "username" | "password"> {
  return { username: files.username, password: files.password };
}

/** The VM's nginx.conf as deployed (its stack: an existing host, HTTPS on 443, no redirect). */
export function vmNginx(vm: BackendFiles) {
  if (!vm.nginxConf) throw new Error("the vm backend rendered no nginx.conf");
  return deployedNginx(vm.nginxConf);
}

/** The VM stack's nginx options (bench.test.ts checks they render the deployed file). */
export const VM_BENCH_NGINX_OPTIONS = vmNginxOptions({
  httpsPort: 443,
  httpRedirectPort: undefined,
  storage: { driver: "filesystem" },
});

/** Configurations 1-4 of the big-layer shape, the VM backend's registry config in each. */
export function bigLayerSetups(vm: BackendFiles): SetupSpec[] {
  const withAuth = { configYml: vm.configYml, htpasswd: vm.htpasswd };
  const noAuth = { configYml: withoutAuth(vm.configYml) };
  return [
    {
      id: "registry-tls",
      label: "1 registry's own TLS (reference)",
      registry: withAuth,
      registryTls: true,
      ...login(vm),
    },
    {
      id: "nginx-generated",
      label: "2 generated nginx.conf (as deployed: blobs from storage)",
      registry: withAuth,
      nginx: vmNginx(vm),
      ...login(vm),
    },
    {
      id: "nginx-proxied",
      label: "2b the same without blobs from storage (before)",
      registry: withAuth,
      nginx: deployedNginx(proxiedOnlyNginxConf(VM_BENCH_NGINX_OPTIONS), { optional: true }),
      ...login(vm),
    },
    {
      id: "nginx-recipe",
      label: "3 distribution's nginx recipe",
      registry: noAuth,
      nginx: NGINX.recipe,
      nginxHtpasswd: true,
      ...login(vm),
    },
    {
      id: "nginx-seed003",
      label: "4 seed 003 server block",
      registry: noAuth,
      nginx: NGINX.seed003,
      ...login(vm),
    },
  ];
}

/** The same password and salt at cost 10: the htpasswd the program generated before. */
export function atCost(htpasswd: string, password: string, cost: number): string {
  const m = /^([^:]+):\$2y\$\d\d\$([./A-Za-z0-9]{22})/.exec(htpasswd);
  if (!m) throw new Error("not a bcrypt htpasswd line");
  return renderHtpasswd([{ username: m[1], password, salt: m[2], cost }]);
}

/**
 * The backend measured at bcrypt cost 10 too (what the program generated before): one is
 * enough, every backend's registry checks the hash the same way, and at cost 10 each
 * sample takes 30 s or more here.
 */
export const BEFORE_BACKEND: Backend = "vm";

/** For each backend: its data path as rendered and without auth (the limit); one at cost 10. */
export function ciImageSetups(files: Record<Backend, BackendFiles>, backends = BACKENDS) {
  return backends.flatMap((backend): SetupSpec[] => {
    const f = files[backend];
    const transport = backend === "vm" ? { nginx: vmNginx(f) } : {};
    const what = backend === "vm" ? "generated nginx TLS" : "plain HTTP";
    return [
      {
        id: `${backend}`,
        label: `${backend}: as rendered (${what}, htpasswd)`,
        registry: { configYml: f.configYml, htpasswd: f.htpasswd },
        ...transport,
        ...login(f),
      },
      {
        id: `${backend}-noauth`,
        label: `${backend}: no auth (the limit)`,
        registry: { configYml: withoutAuth(f.configYml) },
        ...transport,
        ...login(f),
      },
      ...(backend !== BEFORE_BACKEND
        ? []
        : [
            {
              id: `${backend}-cost10`,
              label: `${backend}: htpasswd at bcrypt cost 10 (before)`,
              registry: {
                configYml: f.configYml,
                htpasswd: atCost(f.htpasswd, f.password, CHOSEN_PASSWORD_BCRYPT_COST),
              },
              ...transport,
              ...login(f),
            },
          ]),
    ];
  });
}

export function ciImagePairs(backends = BACKENDS): RatioPair[] {
  return [
    ...backends.map((b) => ({ name: b, id: b, reference: `${b}-noauth` })),
    { name: "before", id: `${BEFORE_BACKEND}-cost10`, reference: `${BEFORE_BACKEND}-noauth` },
  ];
}

export const BIG_LAYER_PAIRS: RatioPair[] = [
  { name: "generated", id: "nginx-generated", reference: "registry-tls" },
  { name: "proxied", id: "nginx-proxied", reference: "registry-tls" },
  { name: "recipe", id: "nginx-recipe", reference: "registry-tls" },
  { name: "seed003", id: "nginx-seed003", reference: "registry-tls" },
];
