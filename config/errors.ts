import * as pulumi from "@pulumi/pulumi";

/**
 * A bad stack configuration. It extends RunError so that `pulumi up` prints the
 * message alone, without a stack trace, and nothing is registered after it.
 */
export class ConfigError extends pulumi.RunError {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
  }
}
