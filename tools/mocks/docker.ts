/** What the providers compute for the docker backend's resources (see types.ts for the modes). */
import type { MockTable } from "./types";

export const dockerMocks: MockTable = {};
