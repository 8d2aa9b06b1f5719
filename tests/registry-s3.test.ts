/**
 * The s3 storage config against an S3-compatible server (issue 16 section 1): npm's
 * s3rver 3.7.1 on 127.0.0.1 over plain HTTP, and Debian's docker-registry (distribution
 * 2.8) serving the VM stack's rendered config.yml and registry.env with `storage.s3`
 * pointing at it (`regionEndpoint: http://…`, `secure: false`). Host mappings: listen
 * address, htpasswd path, and AWS_CA_BUNDLE emptied (this machine sets it; the 2.8 S3
 * driver panics with LoadCustomCABundleError when it is set, on any host).
 *
 * What it shows, request by request (s3rver's own log of what it answered):
 * - reads work: a repository laid out by a real registry, put in the bucket, is pulled
 *   through the s3 registry digest for digest, its blobs served by redirects to s3rver;
 * - a push cannot complete against s3rver: distribution 2.8 starts each upload with a
 *   multipart upload, then looks it up again on the next request with ListMultipartUploads
 *   (GET /<bucket>?uploads&prefix=…), which s3rver 3.7.1 answers 501 NotImplemented, so the
 *   registry answers 500. A push is therefore not proven here (MinIO, Ceph RGW and AWS S3
 *   implement that call).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { runProgram, type ProgramRun } from "../tools/runProgram";
import { httpGet } from "./support/http";
import { buildImage, copyImage, ociManifest, type BuiltImage } from "./support/images";
import { freePort, ServerProcess, waitForPort } from "./support/processes";
import { startRegistry, type RunningRegistry } from "./support/registry";
import { describeWithTools } from "./support/tools";
import { localVmConfig, parseEnvFile } from "./support/vmStack";

/**
 * s3rver in its own process (the tests block on skopeo, which would stall an in-process
 * server): it logs each request it answered to a file, "METHOD url status keyId".
 */
const S3RVER_MAIN = `
const fs = require("node:fs");
const S3rver = require("s3rver");
const [port, directory, bucket, logFile] = process.argv.slice(1);
const s3 = new S3rver({ address: "127.0.0.1", port: Number(port), silent: true, directory,
  configureBuckets: [{ name: bucket }] });
s3.run().then(() => s3.httpServer.on("request", (req, res) => {
  const key = /Credential=([^/]+)\\//.exec(req.headers.authorization || "");
  res.on("finish", () => fs.appendFileSync(logFile,
    req.method + " " + req.url + " " + res.statusCode + " " + (key ? key[1] : "-") + "\\n"));
}));
`;

const PASSWORD = "s3-test-ci-password-4567";
const BUCKET = "images";
/** s3rver's built-in account (it checks the access key id). */
const KEYS = { accessKey: "S3RVER", secretKey: "S3RVER" };

/** Every file under dir, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describeWithTools(
  "s3 storage config against s3rver (an S3-compatible server over HTTP), served by docker-registry",
  ["docker-registry", "skopeo", "umoci"],
  () => {
    let work: string;
    let s3: ServerProcess;
    let s3LogFile: string;
    let s3Endpoint: string;
    let program: ProgramRun;
    let registry: RunningRegistry;
    let image: BuiltImage;
    /** "METHOD url status" of each request s3rver answered since `from` lines. */
    const s3Log = (from = 0) =>
      fs
        .readFileSync(s3LogFile, "utf8")
        .split("\n")
        .filter(Boolean)
        .slice(from)
        .map((l) => l.split(" ").slice(0, 3).join(" "));
    /**
     * s3rver writes a line when its answer is sent, which can be after the registry has
     * read it: wait (bounded, 5 s) until the log stops growing for 300 ms.
     */
    const logSettled = async () => {
      const deadline = Date.now() + 5_000;
      let size = -1;
      while (Date.now() < deadline) {
        const now = fs.statSync(s3LogFile).size;
        if (now === size) return;
        size = now;
        await new Promise((r) => setTimeout(r, 300));
      }
    };
    const keyIds = () => [
      ...new Set(
        fs
          .readFileSync(s3LogFile, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => l.split(" ")[3]),
      ),
    ];
    const ci = { username: "ci", password: PASSWORD, plainHttp: true };

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), "registry-s3-"));
      const s3Port = await freePort();
      s3LogFile = path.join(work, "s3rver.log");
      fs.writeFileSync(s3LogFile, "");
      s3 = new ServerProcess(
        "s3rver",
        process.execPath,
        ["-e", S3RVER_MAIN, String(s3Port), path.join(work, "s3rver"), BUCKET, s3LogFile],
        { cwd: path.resolve(__dirname, "..") },
      );
      await waitForPort(s3Port, 15_000, s3);
      s3Endpoint = `http://127.0.0.1:${s3Port}`;

      program = await runProgram({
        stack: "s3",
        config: localVmConfig({
          httpsPort: await freePort(),
          auth: { password: PASSWORD },
          storage: {
            driver: "s3",
            s3: {
              bucket: BUCKET,
              region: "us-east-1",
              regionEndpoint: s3Endpoint,
              secure: false,
              ...KEYS,
            },
          },
        }),
        secretKeys: ["registry:vm"],
        showSecrets: true,
      });
      registry = await startRegistry({
        configYml: program.files["vm/config.yml"],
        htpasswd: program.files["vm/htpasswd"],
        env: { ...parseEnvFile(program.files["vm/registry.env"]), AWS_CA_BUNDLE: "" },
        dir: path.join(work, "registry"),
      });
      image = buildImage(work, { layerSizes: [2 * 1024 * 1024, 4096] });
    });

    afterAll(async () => {
      await registry?.stop();
      await s3?.stop();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    test("the rendered s3 block: plain HTTP to the endpoint, said explicitly; keys only in the env", () => {
      expect(parse(program.files["vm/config.yml"]).storage.s3).toEqual({
        bucket: BUCKET,
        region: "us-east-1",
        encrypt: true,
        secure: false,
        regionendpoint: s3Endpoint,
      });
      const env = parseEnvFile(program.files["vm/registry.env"]);
      expect(env.REGISTRY_STORAGE_S3_ACCESSKEY).toBe('"S3RVER"');
      expect(env.REGISTRY_STORAGE_S3_SECRETKEY).toBe('"S3RVER"');
    });

    test("the registry reaches the bucket over HTTP, signing with the configured key", async () => {
      // The catalog is a listing of the bucket: an S3 request the registry must sign.
      const catalog = await httpGet(`http://${registry.address}/v2/_catalog`, {
        username: "ci",
        password: PASSWORD,
      });
      expect([catalog.status, catalog.body.trim()]).toEqual([200, '{"repositories":[]}']);
      await logSettled();
      expect(keyIds()).toEqual(["S3RVER"]);
      // Path-style requests to the bucket (distribution uses path style with a regionendpoint).
      expect(s3Log().some((l) => l.startsWith(`GET /${BUCKET}?`))).toBe(true);
    });

    test("a push fails at the first resumed upload: s3rver answers ListMultipartUploads 501 NotImplemented", async () => {
      const from = s3Log().length;
      expect(() =>
        copyImage(image.ref, `docker://${registry.address}/team/pushed:v1`, { dest: ci }),
      ).toThrow(/500 Internal Server Error/);
      await logSettled();
      const log = s3Log(from);
      const initiated = log.filter((l) =>
        / \/images\/[^ ]*\/_uploads\/[^ ]*\/data\?uploads[= ]/.test(l),
      );
      expect(initiated.length).toBeGreaterThan(0);
      for (const l of initiated) expect(l).toMatch(/^POST .* 200$/);
      const lookups = log.filter((l) => /^GET \/images\?.*uploads/.test(l));
      expect(lookups.length).toBeGreaterThan(0);
      for (const l of lookups)
        expect(l).toMatch(
          /prefix=docker%2Fregistry%2Fv2%2Frepositories%2Fteam%2Fpushed%2F_uploads%2F.* 501$/,
        );
      // Nothing of the image was committed: no blob data under the blobs tree.
      const stored = filesUnder(path.join(work, "s3rver", BUCKET));
      expect(stored.filter((f) => f.includes("docker/registry/v2/blobs/"))).toEqual([]);
    });

    test("reads work: a repository a real registry wrote, put in the bucket, is pulled digest for digest through redirects to s3rver", async () => {
      // A filesystem registry lays the repository out; its tree is the s3 driver's layout too.
      const seeder = await startRegistry({
        configYml: `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/registry\nhttp:\n  addr: :5000\n`,
        dir: path.join(work, "seeder"),
      });
      try {
        copyImage(image.ref, `docker://${seeder.address}/team/app:v1`, {
          dest: { plainHttp: true },
        });
      } finally {
        await seeder.stop();
      }
      for (const file of filesUnder(seeder.dataDir)) {
        const res = await fetch(`${s3Endpoint}/${BUCKET}/${file}`, {
          method: "PUT",
          body: fs.readFileSync(path.join(seeder.dataDir, file)),
        });
        expect([file, res.status]).toEqual([file, 200]);
      }
      const from = s3Log().length;
      const pulled = path.join(work, "pulled");
      copyImage(`docker://${registry.address}/team/app:v1`, `oci:${pulled}:v1`, { src: ci });
      expect(ociManifest(pulled, "v1")).toEqual({
        manifestDigest: image.manifestDigest,
        layers: image.layers,
      });
      // Each blob (2 layers + the config) fetched by skopeo from s3rver on a presigned URL.
      await logSettled();
      const presigned = s3Log(from).filter((l) =>
        /^GET \/images\/docker\/registry\/v2\/blobs\/sha256\/.*X-Amz-Signature=.* 200$/.test(l),
      );
      expect(presigned).toHaveLength(3);
    });
  },
);
