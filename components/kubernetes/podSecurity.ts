/** The Pod Security "restricted" contexts every pod of the registry runs with. */
import type * as In from "@pulumi/kubernetes/types/input";

/** The registry container's user and group: non-root, as Pod Security "restricted" wants. */
export const RUN_AS = 1000;

export const RESTRICTED_POD_SECURITY: In.core.v1.PodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: RUN_AS,
  runAsGroup: RUN_AS,
  // Volumes (the PVC, mounted secrets) become group-owned by 1000, so the registry can use them.
  fsGroup: RUN_AS,
  // Without it the kubelet chowns every file of the volume at each pod start (minutes on
  // a large registry); with it, only when the volume's root is not already group 1000.
  fsGroupChangePolicy: "OnRootMismatch",
  seccompProfile: { type: "RuntimeDefault" },
};

export const RESTRICTED_CONTAINER_SECURITY: In.core.v1.SecurityContext = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};
