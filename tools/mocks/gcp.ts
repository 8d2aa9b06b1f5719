/** What the providers compute for the gcp backend's resources (see types.ts for the modes). */
import type { MockTable } from "./types";

export const gcpMocks: MockTable = {};
