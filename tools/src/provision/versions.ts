/**
 * Versions of the servers the stack provisions. The Temporal CLI v1.5.1 is the newest tag whose
 * go.mod has no `replace` directive (later tags cannot be `go install`ed); it embeds Server 1.29.1
 * and UI 2.42.1. The Maven artifacts are pinned in tools/maven/<name>/pom.xml.
 */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

/**
 * The Temporal server run on Cassandra (`TEMPORAL_PERSISTENCE=cassandra`): the same server
 * version as inside the CLI, so both modes behave alike, and its Cassandra schema tool.
 */
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
/** The Cassandra schema version Server 1.29.1 expects (its schema/cassandra/version.go). */
export const TEMPORAL_CASSANDRA_SCHEMA_VERSION = '1.13';

/** The Web UI server, the same UI version the CLI's dev server embeds. */
export const TEMPORAL_UI_SERVER_MODULE = 'github.com/temporalio/ui-server/v2';
export const TEMPORAL_UI_SERVER_VERSION = 'v2.42.1';

/**
 * Jaeger, the trace viewer of `npm start -- --traces`: v1.76.0 is the module tag of Jaeger v2's
 * `cmd/jaeger` (an OpenTelemetry Collector distribution). Its go.mod pins Shopify/sarama with a
 * `replace`, so it is built as a tool of a throwaway module (tools/src/provision/go-install.ts),
 * with the same replace restated.
 */
export const JAEGER_MODULE = 'github.com/jaegertracing/jaeger';
export const JAEGER_VERSION = 'v1.76.0';
export const JAEGER_REPLACES = ['github.com/Shopify/sarama=github.com/Shopify/sarama@v1.33.0'];

/**
 * The Jaeger UI. A binary built from the Go module embeds only a placeholder page (the UI is a
 * separate JavaScript project, built in Jaeger's release pipeline), so its production build comes
 * from a registry package that ships it unmodified: the `otlp-embedded` crate vendors Jaeger UI
 * v2.14.1 under `jaeger-ui/build` (Apache-2.0, like Jaeger). Jaeger serves it with
 * `jaeger_query.ui.assets_path`.
 */
export const JAEGER_UI_VERSION = 'v2.14.1';
export const JAEGER_UI_CRATE = 'otlp-embedded';
export const JAEGER_UI_CRATE_VERSION = '0.0.2';

/**
 * Schemathesis, the property-based API tester of the fuzz suite (apps/api/src/fuzz.int.test.ts),
 * installed from tools/python/schemathesis/requirements.txt: that version with every dependency
 * pinned by hash. Change both together (the file says how to regenerate it).
 */
export const SCHEMATHESIS_VERSION = '4.32.5';
/** The oldest Python that version runs on (its Requires-Python). */
export const SCHEMATHESIS_MIN_PYTHON = [3, 11] as const;

/**
 * Helm, which renders `deploy/helm/invincible` in its test (tools/src/deploy/helm-chart.int.test.ts).
 * Its go.mod has no `replace` directive, so `go install` builds it like the Temporal CLI (about
 * 2 minutes on 2 cores, once). A binary built that way reports `v3.19` without the patch number:
 * the release's ldflags are not applied.
 */
export const HELM_MODULE = 'helm.sh/helm/v3/cmd/helm';
export const HELM_VERSION = 'v3.19.5';
