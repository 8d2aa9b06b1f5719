// Entry point for `pulumi up`: the stack outputs are the program's outputs.
import { deployRegistry } from "./program";

export = deployRegistry().outputs;
