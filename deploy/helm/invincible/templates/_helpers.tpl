{{- define "invincible.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object; "component" is the app. Call with (dict "root" $ "component" "api"). */}}
{{- define "invincible.labels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "invincible.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The one place an image reference is made: <registry>/<app>:<tag>. */}}
{{- define "invincible.image" -}}
{{- printf "%s/%s:%s" .root.Values.image.registry .app (default .root.Chart.AppVersion .root.Values.image.tag) -}}
{{- end -}}

{{- define "invincible.podSecurityContext" -}}
{{- toYaml .root.Values.podSecurityContext }}
runAsUser: {{ .runAsUser }}
runAsGroup: {{ .runAsUser }}
fsGroup: {{ .runAsUser }}
{{- end -}}

{{/* Temporal, payload codec and database variables: the same on the API and both workers. */}}
{{- define "invincible.sharedEnv" -}}
{{- $v := .Values -}}
- name: NODE_ENV
  value: production
- name: LOG_LEVEL
  value: {{ $v.logLevel | quote }}
- name: LOG_FORMAT
  value: json
- name: TEMPORAL_ADDRESS
  value: {{ required "temporal.address is required" $v.temporal.address | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ $v.temporal.namespace | quote }}
{{- if $v.temporal.tls.enabled }}
- name: TEMPORAL_TLS
  value: "true"
{{- end }}
{{- with $v.temporal.tls.serverName }}
- name: TEMPORAL_TLS_SERVER_NAME
  value: {{ . | quote }}
{{- end }}
{{- if $v.temporal.tls.existingSecret }}
{{- if and $v.temporal.tls.clientCertKey $v.temporal.tls.clientKeyKey }}
- name: TEMPORAL_TLS_CLIENT_CERT_PATH
  value: /etc/invincible/temporal-tls/{{ $v.temporal.tls.clientCertKey }}
- name: TEMPORAL_TLS_CLIENT_KEY_PATH
  value: /etc/invincible/temporal-tls/{{ $v.temporal.tls.clientKeyKey }}
{{- end }}
{{- with $v.temporal.tls.serverCaKey }}
- name: TEMPORAL_TLS_SERVER_CA_CERT_PATH
  value: /etc/invincible/temporal-tls/{{ . }}
{{- end }}
{{- end }}
{{- if $v.temporal.apiKey.existingSecret }}
- name: TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $v.temporal.apiKey.existingSecret }}
      key: {{ $v.temporal.apiKey.key }}
{{- end }}
{{- if $v.payloadCodec.existingSecret }}
- name: PAYLOAD_CODEC_KEYS_FILE
  value: /etc/invincible/payload-codec/{{ $v.payloadCodec.key }}
{{- end }}
{{- /* With the migration Job on, it has migrated the schema before these pods start. */}}
- name: REPOSITORY_MIGRATE
  value: {{ ternary "false" "true" $v.migration.enabled | quote }}
{{ include "invincible.databaseEnv" . | trim }}
{{- end -}}

{{/* The database variables: the same on the apps and the migration Job, which must reach the
same keyspace with the same settings. */}}
{{- define "invincible.databaseEnv" -}}
{{- $v := .Values -}}
{{- with $v.database.outboxRetentionDays }}
- name: OUTBOX_RETENTION_DAYS
  value: {{ . | quote }}
{{- end }}
{{- if eq $v.database.backend "astra" }}
{{- $a := $v.database.astra }}
- name: ASTRA_DB_API_ENDPOINT
  value: {{ required "database.astra.endpoint is required with database.backend=astra" $a.endpoint | quote }}
- name: ASTRA_DB_KEYSPACE
  value: {{ $a.keyspace | quote }}
- name: ASTRA_DB_ENVIRONMENT
  value: {{ $a.environment | quote }}
{{- $secret := required "database.astra.existingSecret is required with database.backend=astra" $a.existingSecret }}
{{- if $a.tokenKey }}
- name: ASTRA_DB_APPLICATION_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $a.tokenKey }}
{{- end }}
{{- if and $a.usernameKey $a.passwordKey }}
- name: ASTRA_DB_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $a.usernameKey }}
- name: ASTRA_DB_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $a.passwordKey }}
{{- end }}
{{- else if eq $v.database.backend "cassandra" }}
{{- $c := $v.database.cassandra }}
- name: CASSANDRA_CONTACT_POINTS
  value: {{ required "database.cassandra.contactPoints is required" $c.contactPoints | quote }}
- name: CASSANDRA_LOCAL_DATA_CENTER
  value: {{ $c.localDataCenter | quote }}
- name: CASSANDRA_KEYSPACE
  value: {{ $c.keyspace | quote }}
- name: CASSANDRA_REPLICATION_FACTOR
  value: {{ $c.replicationFactor | quote }}
{{- with $c.existingSecret }}
- name: CASSANDRA_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $c.usernameKey }}
- name: CASSANDRA_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $c.passwordKey }}
{{- end }}
{{- else }}
{{- fail "database.backend is astra or cassandra" }}
{{- end }}
{{- end -}}

{{/* /tmp (the root filesystem is read-only) and the secrets mounted as files. */}}
{{- define "invincible.sharedVolumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.temporal.tls.existingSecret }}
- name: temporal-tls
  mountPath: /etc/invincible/temporal-tls
  readOnly: true
{{- end }}
{{- if .Values.payloadCodec.existingSecret }}
- name: payload-codec
  mountPath: /etc/invincible/payload-codec
  readOnly: true
{{- end }}
{{- end -}}

{{- define "invincible.sharedVolumes" -}}
- name: tmp
  emptyDir: {}
{{- with .Values.temporal.tls.existingSecret }}
- name: temporal-tls
  secret:
    secretName: {{ . }}
    defaultMode: 0440
{{- end }}
{{- with .Values.payloadCodec.existingSecret }}
- name: payload-codec
  secret:
    secretName: {{ . }}
    defaultMode: 0440
{{- end }}
{{- end -}}

{{- define "invincible.extraEnv" -}}
{{- range $name, $value := . }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}
