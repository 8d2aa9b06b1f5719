import { githubOutputLines, parsePushArgs, planPush, resolveBuildRef } from "./pushImages";
import { dockerClient } from "./registryClients";
import { parseStackOutputs } from "./stackOutputs";

const SHA = "89abcdef0123456789abcdef0123456789abcdef";
const outputs = (o: Record<string, string>) =>
  parseStackOutputs(
    JSON.stringify({ REGISTRY: "r.example.com/team", REGISTRY_BACKEND: "vm", ...o }),
  );
const images = [{ name: "app", source: "app:build" }];

describe("planPush", () => {
  test("logs in with the password, then pushes each image under every tag", () => {
    const plan = planPush(
      outputs({ REGISTRY_USERNAME: "ci", REGISTRY_PASSWORD: "pw" }),
      images,
      { branch: "main", sha: SHA, pullRequest: false, gitTag: false },
      dockerClient(),
      undefined,
    );
    expect(plan.login).toBe("password");
    expect(plan.tags).toEqual(["main-89abcde", "latest"]);
    expect(plan.refs).toEqual([
      "r.example.com/team/app:main-89abcde",
      "r.example.com/team/app:latest",
    ]);
    expect(plan.commands[0].args.slice(0, 2)).toEqual(["login", "r.example.com"]);
    expect(plan.commands).toHaveLength(5);
  });

  test("two images: both immutable tags are pushed before either moving tag", () => {
    const plan = planPush(
      outputs({ REGISTRY_USERNAME: "ci", REGISTRY_PASSWORD: "pw" }),
      [...images, { name: "web", source: "web:build" }],
      { branch: "main", sha: SHA, pullRequest: false, gitTag: false },
      dockerClient(),
      undefined,
    );
    expect(plan.commands.filter((c) => c.args[0] === "push").map((c) => c.args[1])).toEqual([
      "r.example.com/team/app:main-89abcde",
      "r.example.com/team/web:main-89abcde",
      "r.example.com/team/app:latest",
      "r.example.com/team/web:latest",
    ]);
  });

  test("the keyless GCP path skips login (gcloud's credential helper is set up by the workflow)", () => {
    const plan = planPush(
      outputs({ REGISTRY_BACKEND: "gcp", REGISTRY_PASSWORD: "" }),
      images,
      { branch: "feature/x", sha: SHA, pullRequest: false, gitTag: false },
      dockerClient(),
      undefined,
    );
    expect(plan.login).toBe("credential-helper");
    expect(plan.commands.map((c) => c.args[0])).toEqual(["tag", "push"]);
    expect(plan.refs).toEqual(["r.example.com/team/app:feature-x-89abcde"]);
  });

  test("a mirror stack is refused before any command: it cannot take a push (issue 14 item 8)", () => {
    const mirror = outputs({
      REGISTRY_ROLE: "mirror",
      REGISTRY_PULL_USERNAME: "ci",
      REGISTRY_PULL_PASSWORD: "pw",
      REGISTRY_MIRROR_URL: "https://r.example.com/team",
    });
    expect(() =>
      planPush(
        mirror,
        images,
        { branch: "main", sha: SHA, pullRequest: false, gitTag: false },
        dockerClient(),
        undefined,
      ),
    ).toThrow(
      "stack outputs: REGISTRY_ROLE is mirror: r.example.com/team is a pull-through mirror, which refuses every push; push to a stack whose REGISTRY_ROLE is registry (the mirror's login is REGISTRY_PULL_USERNAME/REGISTRY_PULL_PASSWORD, for pulls only)",
    );
    expect(() =>
      planPush(
        outputs({ REGISTRY_ROLE: "cache", REGISTRY_USERNAME: "ci", REGISTRY_PASSWORD: "pw" }),
        images,
        { branch: "main", sha: SHA, pullRequest: false, gitTag: false },
        dockerClient(),
        undefined,
      ),
    ).toThrow('stack outputs: REGISTRY_ROLE must be registry or mirror (got "cache")');
  });

  test("a stack from before REGISTRY_ROLE (no such output) is a registry", () => {
    expect(outputs({ REGISTRY_USERNAME: "ci", REGISTRY_PASSWORD: "pw" }).role).toBe("registry");
  });

  test("a username without a password is a broken stack, not an anonymous push", () => {
    expect(() =>
      planPush(
        outputs({ REGISTRY_USERNAME: "ci" }),
        images,
        { branch: "x", sha: SHA, pullRequest: false, gitTag: false },
        dockerClient(),
        undefined,
      ),
    ).toThrow(/REGISTRY_PASSWORD is empty/);
  });
});

describe("parsePushArgs", () => {
  test("flags win over the environment; docker and /etc/docker/certs.d by default", () => {
    const args = parsePushArgs(["--outputs", "o.json", "--images", "a=b"], { IMAGES: "ignored=x" });
    expect(args).toMatchObject({
      outputsFile: "o.json",
      images: "a=b",
      client: "docker",
      certsDir: "/etc/docker/certs.d",
    });
    expect(
      parsePushArgs([], { REGISTRY_OUTPUTS_FILE: "f", IMAGES: "a=b", PUSH_CLIENT: "skopeo" })
        .client,
    ).toBe("skopeo");
  });

  test.each([
    [[], /--outputs is required/],
    [["--outputs", "f"], /--images is required/],
    [["--outputs", "f", "--images", "a=b", "--client", "podman"], /docker or skopeo/],
    [["--bogus"], /unknown argument/],
  ])("%j is refused", (argv, message) => {
    expect(() => parsePushArgs(argv as string[], {})).toThrow(message);
  });

  test("--prepare needs no images", () => {
    expect(parsePushArgs(["--outputs", "f", "--prepare"], {}).prepare).toBe(true);
  });
});

test("an explicit --branch is a plain branch build, even inside a pull_request job", () => {
  const ref = resolveBuildRef(
    { branch: "main", sha: SHA },
    { GITHUB_HEAD_REF: "main", GITHUB_SHA: SHA },
  );
  expect(ref).toEqual({ branch: "main", sha: SHA, pullRequest: false, gitTag: false });
});

test("step outputs: one line per value, heredoc form for multi-line ones", () => {
  const text = githubOutputLines({ tags: "a b", refs: "r/x:a\nr/x:b" });
  expect(text).toMatch(/^tags=a b\nrefs<<(EOF_\w+)\nr\/x:a\nr\/x:b\n\1\n$/);
});
