/** What the providers compute for the docker backend's resources (see types.ts for the modes). */
import { afterDeploy } from "../../components/shared/contract";
import { parseImageRef } from "../../config/imageRef";
import { seeded, type MockTable } from "./types";

const HEX = "0123456789abcdef";

export const dockerMocks: MockTable = {
  // The engine resolves a tag to an image id and the registry's digest at pull time.
  "docker:index/remoteImage:RemoteImage": ({ inputs, name }, mode) => {
    const image = String(inputs.name);
    if (mode === "render")
      return {
        imageId: afterDeploy(`image id of ${image}`),
        repoDigest: afterDeploy(`digest of ${image}`),
      };
    const repo = parseImageRef(image).name;
    return {
      imageId: `sha256:${seeded(`${name}-id`, 64, HEX)}`,
      repoDigest: `${repo}@sha256:${seeded(`${name}-digest`, 64, HEX)}`,
    };
  },
  "docker:index/volume:Volume": ({ inputs, name }) => {
    const volume = String(inputs.name ?? name);
    return {
      driver: inputs.driver ?? "local",
      mountpoint: `/var/lib/docker/volumes/${volume}/_data`,
    };
  },
  "docker:index/network:Network": ({ inputs }, mode) => ({
    driver: inputs.driver ?? "bridge",
    scope: "local",
    internal: inputs.internal ?? false,
    ipamConfigs:
      mode === "render"
        ? [{ subnet: afterDeploy("network subnet") }]
        : [{ subnet: "172.30.0.0/16", gateway: "172.30.0.1" }],
  }),
  "docker:index/container:Container": ({ inputs, name }, mode) => ({
    exitCode: 0,
    hostname: mode === "render" ? afterDeploy(`hostname of ${name}`) : seeded(name, 12, HEX),
    networkDatas:
      mode === "render"
        ? [{ ipAddress: afterDeploy(`address of ${String(inputs.name ?? name)}`) }]
        : [
            {
              ipAddress: "172.17.0.2",
              ipPrefixLength: 16,
              gateway: "172.17.0.1",
              networkName: "bridge",
            },
          ],
  }),
};
