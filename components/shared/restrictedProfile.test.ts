import { restrictedViolations } from "./restrictedProfile";

const UNKNOWN = Symbol("unknown");
const isUnknown = (v: unknown) => v === UNKNOWN;

const restrictedContainer = {
  name: "registry",
  securityContext: {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
  },
};
const restrictedPod = {
  securityContext: {
    runAsNonRoot: true,
    runAsUser: 1000,
    seccompProfile: { type: "RuntimeDefault" },
  },
  volumes: [
    { name: "config", configMap: { name: "c" } },
    { name: "data", persistentVolumeClaim: { claimName: "d" } },
  ],
  containers: [restrictedContainer],
};

test("a restricted pod passes, with or without the read-only root rule", () => {
  expect(restrictedViolations(restrictedPod)).toEqual([]);
  expect(restrictedViolations(restrictedPod, { readOnlyRootFilesystem: true })).toEqual([]);
});

test("names each violation of a careless pod", () => {
  const careless = {
    hostNetwork: true,
    volumes: [{ name: "host", hostPath: { path: "/var/run/docker.sock" } }],
    containers: [
      {
        name: "app",
        ports: [{ containerPort: 80, hostPort: 80 }],
        securityContext: { privileged: true, capabilities: { add: ["SYS_ADMIN"] } },
      },
    ],
  };
  expect(restrictedViolations(careless)).toEqual([
    "the pod sets hostNetwork: true",
    "the pod: volume host has a forbidden type hostPath",
    "container app: securityContext.allowPrivilegeEscalation must be false",
    "container app: securityContext.privileged must not be true",
    "container app: runAsNonRoot must be true (container or pod securityContext)",
    "container app: securityContext.capabilities.drop must include ALL",
    "container app: capabilities.add SYS_ADMIN (only NET_BIND_SERVICE may be added back)",
    "container app: seccompProfile.type must be RuntimeDefault (container or pod securityContext)",
    "container app: must not use hostPort 80",
  ]);
});

test("pod-level fields: root, sysctls, seccomp, SELinux and AppArmor", () => {
  const pod = {
    ...restrictedPod,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 0,
      seccompProfile: { type: "Unconfined" },
      sysctls: [{ name: "net.ipv4.tcp_syncookies" }, { name: "kernel.msgmax" }],
      seLinuxOptions: { type: "spc_t" },
      appArmorProfile: { type: "Unconfined" },
    },
    containers: [
      {
        ...restrictedContainer,
        securityContext: {
          ...restrictedContainer.securityContext,
          seccompProfile: { type: "RuntimeDefault" },
        },
      },
    ],
  };
  expect(restrictedViolations(pod)).toEqual([
    "the pod: sysctl kernel.msgmax is not safe",
    "the pod: runAsUser must not be 0 (root)",
    "the pod: seccompProfile.type must be RuntimeDefault or Localhost",
    "the pod: seLinuxOptions.type is not allowed",
    "the pod: appArmorProfile must not be Unconfined",
  ]);
});

test("init and ephemeral containers, procMount, and the read-only root rule", () => {
  const open = { ...restrictedContainer.securityContext, readOnlyRootFilesystem: false };
  const pod = {
    ...restrictedPod,
    initContainers: [{ name: "gc", securityContext: { ...open, procMount: "Unmasked" } }],
    ephemeralContainers: [{ name: "debug", securityContext: restrictedContainer.securityContext }],
  };
  expect(restrictedViolations(pod)).toEqual(["initContainer gc: procMount must be Default"]);
  expect(restrictedViolations(pod, { readOnlyRootFilesystem: true })).toEqual([
    "initContainer gc: securityContext.readOnlyRootFilesystem must be true",
    "initContainer gc: procMount must be Default",
  ]);
});

test("values not known yet (a preview) are skipped, not reported", () => {
  const pod = {
    securityContext: {
      runAsNonRoot: UNKNOWN,
      seccompProfile: UNKNOWN,
      sysctls: [{ name: UNKNOWN }],
    },
    volumes: [UNKNOWN],
    containers: [
      { name: "a", securityContext: UNKNOWN },
      {
        name: "b",
        ports: [{ hostPort: UNKNOWN }],
        securityContext: {
          allowPrivilegeEscalation: UNKNOWN,
          readOnlyRootFilesystem: UNKNOWN,
          capabilities: { drop: UNKNOWN },
          procMount: UNKNOWN,
        },
      },
      UNKNOWN,
    ],
  };
  expect(restrictedViolations(pod, { readOnlyRootFilesystem: true, isUnknown })).toEqual([]);
  // Without the preview's marker, the same value is a violation.
  const pod2 = {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    containers: [
      {
        name: "b",
        securityContext: { allowPrivilegeEscalation: UNKNOWN, capabilities: { drop: ["ALL"] } },
      },
    ],
  };
  expect(restrictedViolations(pod2, { isUnknown })).toEqual([]);
  expect(restrictedViolations(pod2)).toEqual([
    "container b: securityContext.allowPrivilegeEscalation must be false",
  ]);
});
