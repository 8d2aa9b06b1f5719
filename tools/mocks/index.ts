import { sharedMocks } from "./shared";
import { kubernetesMocks } from "./kubernetes";
import { vmMocks } from "./vm";
import { gcpMocks } from "./gcp";
import { dockerMocks } from "./docker";
import type { MockTable } from "./types";

export * from "./types";

export const allMocks: MockTable = {
  ...sharedMocks,
  ...kubernetesMocks,
  ...vmMocks,
  ...gcpMocks,
  ...dockerMocks,
};
