/** What the providers compute for the vm backend's resources (see types.ts for the modes). */
import type { MockTable } from "./types";

export const vmMocks: MockTable = {};
