import {
  caCertPath,
  dockerClient,
  isLoopback,
  parseImageSpecs,
  skopeoClient,
} from "./registryClients";

const login = { host: "r.example.com:5000", username: "ci", password: "pw-on-stdin" };

describe("docker client", () => {
  test("logs in with the password on stdin, never in the arguments", () => {
    const [cmd] = dockerClient().login(login);
    expect(cmd.args).toEqual([
      "login",
      "r.example.com:5000",
      "--username",
      "ci",
      "--password-stdin",
    ]);
    expect(cmd.input).toBe("pw-on-stdin");
    expect(cmd.args.join(" ")).not.toContain("pw-on-stdin");
  });

  test("tags then pushes every target", () => {
    const cmds = dockerClient("podman").push("app:build", ["r/app:main-0123456", "r/app:latest"]);
    expect(cmds.map((c) => [c.file, ...c.args].join(" "))).toEqual([
      "podman tag app:build r/app:main-0123456",
      "podman push r/app:main-0123456",
      "podman tag app:build r/app:latest",
      "podman push r/app:latest",
    ]);
  });
});

describe("skopeo client", () => {
  test("logs in with the password on stdin into a private auth file that each copy reads", () => {
    const client = skopeoClient("/tmp/x/auth.json");
    const [cmd] = client.login({ ...login, certDir: "/certs/r.example.com:5000" });
    expect(cmd.input).toBe("pw-on-stdin");
    expect(cmd.args.join(" ")).not.toContain("pw-on-stdin");
    expect(cmd.args).toEqual(
      expect.arrayContaining([
        "--authfile",
        "/tmp/x/auth.json",
        "--cert-dir",
        "/certs/r.example.com:5000",
      ]),
    );
    const [copy] = client.push(
      "oci:/img:v1",
      ["r.example.com:5000/app:t"],
      "/certs/r.example.com:5000",
    );
    expect(copy.args).toEqual(
      expect.arrayContaining(["--dest-authfile", "/tmp/x/auth.json", "--dest-cert-dir"]),
    );
    expect(copy.args.slice(-2)).toEqual(["oci:/img:v1", "docker://r.example.com:5000/app:t"]);
    expect(copy.args).not.toContain("--dest-tls-verify=false");
  });

  test("a loopback registry without a CA is plain HTTP, as docker treats it", () => {
    const client = skopeoClient("/a");
    expect(client.login({ ...login, host: "127.0.0.1:5000" })[0].args).toContain(
      "--tls-verify=false",
    );
    expect(client.push("oci:/i:v", ["127.0.0.1:5000/app:t"])[0].args).toContain(
      "--dest-tls-verify=false",
    );
  });

  test("a source skopeo cannot read is refused", () => {
    expect(() => skopeoClient("/a").push("app:build", ["r/app:t"])).toThrow(/oci:DIR:TAG/);
  });
});

test.each([
  ["127.0.0.1:5000", true],
  ["localhost:5000", true],
  ["[::1]:5000", true],
  ["127.example.com", false],
  ["10.0.0.1:5000", false],
])("isLoopback(%j) is %j", (host, loopback) => {
  expect(isLoopback(host)).toBe(loopback);
});

test("the CA goes to <root>/<host:port>/ca.crt, and a host cannot climb out of the root", () => {
  expect(caCertPath("/etc/docker/certs.d", "r.example.com:5000")).toBe(
    "/etc/docker/certs.d/r.example.com:5000/ca.crt",
  );
  expect(() => caCertPath("/etc/docker/certs.d", "../../etc")).toThrow(/not a registry host/);
});

describe("parseImageSpecs", () => {
  test("reads name=source pairs split by newlines, spaces or commas", () => {
    expect(
      parseImageSpecs("team/app=app:build\nweb=oci:/tmp/web:v1, worker=docker-archive:/w.tar"),
    ).toEqual([
      { name: "team/app", source: "app:build" },
      { name: "web", source: "oci:/tmp/web:v1" },
      { name: "worker", source: "docker-archive:/w.tar" },
    ]);
  });

  test.each([["app"], ["=x"], ["app="], ["Team/App=x"], ["a//b=x"], [""]])("refuses %j", (text) => {
    expect(() => parseImageSpecs(text)).toThrow();
  });
});
