/**
 * Versions of the servers the stack provisions. The Temporal CLI v1.5.1 is the newest tag whose
 * go.mod has no `replace` directive (later tags cannot be `go install`ed); it embeds Server 1.29.1
 * and UI 2.42.1. The Maven artifacts are pinned in tools/maven/<name>/pom.xml.
 */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
