{{/*
Names and labels.
*/}}
{{- define "kafka-http-bridge.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "kafka-http-bridge.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "kafka-http-bridge.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "kafka-http-bridge.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kafka-http-bridge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "kafka-http-bridge.labels" -}}
helm.sh/chart: {{ include "kafka-http-bridge.chart" . }}
{{ include "kafka-http-bridge.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "kafka-http-bridge.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kafka-http-bridge.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "kafka-http-bridge.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The port of /health, /ready and /metrics: config.server.port (the bridge's default is 8080).
*/}}
{{- define "kafka-http-bridge.port" -}}
{{- $server := .Values.config.server | default dict }}
{{- $server.port | default 8080 | int }}
{{- end }}

{{/*
A bridge duration ("500ms", "30s", "1m30s", "2h", "1d") in milliseconds. The bridge accepts
whole numbers with the units ms, s, m, h, d; anything else fails rendering.
*/}}
{{- define "kafka-http-bridge.durationMs" -}}
{{- $text := toString . }}
{{- if not (regexMatch "^([0-9]+(ms|s|m|h|d))+$" $text) }}
{{- fail (printf "%q is not a duration like 500ms, 30s, 1m30s or 1h" $text) }}
{{- end }}
{{- $factors := dict "ms" 1 "s" 1000 "m" 60000 "h" 3600000 "d" 86400000 }}
{{- $total := 0 }}
{{- range $part := regexFindAll "[0-9]+(ms|s|m|h|d)" $text -1 }}
{{- $number := regexFind "^[0-9]+" $part }}
{{- $unit := regexReplaceAll "^[0-9]+" $part "" }}
{{- $total = add $total (mul (atoi $number) (get $factors $unit)) }}
{{- end }}
{{- $total }}
{{- end }}

{{/*
terminationGracePeriodSeconds: config.shutdown.timeout (default 30s) rounded up to whole
seconds, plus shutdownGraceMarginSeconds (at least 5, enforced by values.schema.json). There
is no value to set it directly, so it can never be shorter than the drain.
*/}}
{{- define "kafka-http-bridge.terminationGracePeriodSeconds" -}}
{{- $shutdown := .Values.config.shutdown | default dict }}
{{- $timeoutMs := include "kafka-http-bridge.durationMs" ($shutdown.timeout | default "30s") | atoi }}
{{- $margin := .Values.shutdownGraceMarginSeconds | int }}
{{- if lt $margin 5 }}
{{- fail "shutdownGraceMarginSeconds must be at least 5" }}
{{- end }}
{{- add (div (add $timeoutMs 999) 1000) $margin }}
{{- end }}

{{/*
Bootstrap servers for the KEDA trigger: keda.bootstrapServers, else config.kafka.brokers
(a list or a comma-separated string).
*/}}
{{- define "kafka-http-bridge.bootstrapServers" -}}
{{- $kafka := .Values.config.kafka | default dict }}
{{- $brokers := $kafka.brokers | default (list "localhost:9092") }}
{{- if .Values.keda.bootstrapServers }}
{{- .Values.keda.bootstrapServers }}
{{- else if kindIs "string" $brokers }}
{{- $brokers | replace " " "" }}
{{- else }}
{{- join "," $brokers }}
{{- end }}
{{- end }}

{{- define "kafka-http-bridge.groupId" -}}
{{- $kafka := .Values.config.kafka | default dict }}
{{- $kafka.groupId | default "kafka-http-bridge" }}
{{- end }}

{{/*
Checks between values that JSON Schema cannot express. Scaling is by partitions: an instance
beyond the partition count would own nothing, so no replica count may exceed `partitions`.
*/}}
{{- define "kafka-http-bridge.validate" -}}
{{- $partitions := .Values.partitions | int }}
{{- if lt $partitions 1 }}
{{- fail "partitions must be at least 1: the number of source-topic partitions the consumer group shares" }}
{{- end }}
{{- if and .Values.hpa.enabled .Values.keda.enabled }}
{{- fail "hpa.enabled and keda.enabled are exclusive: KEDA creates its own HorizontalPodAutoscaler" }}
{{- end }}
{{- if and (not .Values.hpa.enabled) (not .Values.keda.enabled) (gt (.Values.replicaCount | int) $partitions) }}
{{- fail (printf "replicaCount (%d) must not exceed partitions (%d): instances beyond the partition count own no partition and sit idle" (.Values.replicaCount | int) $partitions) }}
{{- end }}
{{- if .Values.hpa.enabled }}
{{- if gt (.Values.hpa.maxReplicas | int) $partitions }}
{{- fail (printf "hpa.maxReplicas (%d) must not exceed partitions (%d)" (.Values.hpa.maxReplicas | int) $partitions) }}
{{- end }}
{{- if gt (.Values.hpa.minReplicas | int) (.Values.hpa.maxReplicas | int) }}
{{- fail "hpa.minReplicas must not exceed hpa.maxReplicas" }}
{{- end }}
{{- end }}
{{- if .Values.keda.enabled }}
{{- if gt (.Values.keda.maxReplicas | int) $partitions }}
{{- fail (printf "keda.maxReplicas (%d) must not exceed partitions (%d)" (.Values.keda.maxReplicas | int) $partitions) }}
{{- end }}
{{- if gt (.Values.keda.minReplicas | int) (.Values.keda.maxReplicas | int) }}
{{- fail "keda.minReplicas must not exceed keda.maxReplicas" }}
{{- end }}
{{- end }}
{{- range .Values.secretMounts }}
{{- if or (eq .mountPath "/etc/kafka-http-bridge") (hasPrefix "/etc/kafka-http-bridge/" .mountPath) }}
{{- fail (printf "secretMounts %s: mountPath %s would hide the configuration; use e.g. /var/run/secrets/kafka-http-bridge/%s" .name .mountPath .name) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The topics the configuration needs, one line each: "<route>: <topic> (source|retry|dead-letter)".
Same rule as src/config/topic-names.ts: one retry delay -> <topic><suffix>; several ->
<topic><suffix>-1..N; dead letters -> <topic><deadLetter suffix>. Default delays: [1h].
*/}}
{{- define "kafka-http-bridge.topicLines" -}}
{{- range $route := .Values.config.routes }}
{{- $retry := $route.retry | default dict }}
{{- $delays := list "1h" }}
{{- if hasKey $retry "delays" }}{{ $delays = $retry.delays | default list }}{{ end }}
{{- $retrySuffix := $retry.topicSuffix | default "-retry" }}
{{- $deadLetter := $route.deadLetter | default dict }}
{{- $dltSuffix := $deadLetter.topicSuffix | default "-dlt" }}
{{- range $topic := $route.topics }}
  {{ $topic }} (route {{ $route.name }}, source)
{{- if eq (len $delays) 1 }}
  {{ $topic }}{{ $retrySuffix }} (retry)
{{- else }}
{{- range $index, $delay := $delays }}
  {{ $topic }}{{ $retrySuffix }}-{{ add1 $index }} (retry tier {{ add1 $index }}, {{ $delay }})
{{- end }}
{{- end }}
  {{ $topic }}{{ $dltSuffix }} (dead-letter)
{{- end }}
{{- end }}
{{- end }}
