/**
 * The registry pod's volumes and where its container mounts them: config.yml from the
 * ConfigMap, a small /tmp, the data (claim or emptyDir, filesystem storage only) and
 * files from Secrets (htpasswd, the GCS key, the TLS certificate and key), each Secret
 * file mode 0440 and group-owned by the pod's fsGroup.
 */
import * as path from "node:path";
import type * as In from "@pulumi/kubernetes/types/input";

/** Files from one Secret, mounted in one directory: [key in the Secret, path in the container]. */
export interface SecretFiles {
  volume: string;
  secretName: string;
  files: [key: string, containerPath: string][];
}

export interface PodVolumesInput {
  configMapName: string;
  /** Where the image reads config.yml (v2 and v3 images differ). */
  configPath: string;
  /** Filesystem storage: the claim (persistent) or an emptyDir of this size, at dataDir. */
  data?: { dataDir: string; claimName?: string; emptyDirSize: string };
  secretFiles: SecretFiles[];
}

export function podVolumes(input: PodVolumesInput): {
  volumes: In.core.v1.Volume[];
  mounts: In.core.v1.VolumeMount[];
} {
  const configFile = path.posix.basename(input.configPath);
  const volumes: In.core.v1.Volume[] = [
    {
      name: "config",
      configMap: { name: input.configMapName, items: [{ key: "config.yml", path: configFile }] },
    },
    { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
  ];
  const mounts: In.core.v1.VolumeMount[] = [
    { name: "config", mountPath: path.posix.dirname(input.configPath), readOnly: true },
    { name: "tmp", mountPath: "/tmp" },
  ];
  const data = input.data;
  if (data) {
    volumes.push(
      data.claimName
        ? { name: "data", persistentVolumeClaim: { claimName: data.claimName } }
        : { name: "data", emptyDir: { sizeLimit: data.emptyDirSize } },
    );
    mounts.push({ name: "data", mountPath: data.dataDir });
  }
  for (const { volume, secretName, files } of input.secretFiles) {
    volumes.push({
      name: volume,
      secret: {
        secretName,
        items: files.map(([key, p]) => ({ key, path: path.posix.basename(p) })),
        defaultMode: 0o440,
      },
    });
    mounts.push({ name: volume, mountPath: path.posix.dirname(files[0][1]), readOnly: true });
  }
  return { volumes, mounts };
}
