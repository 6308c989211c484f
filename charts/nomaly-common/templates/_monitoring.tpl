{{/*
Prometheus Operator objects: the ServiceMonitor that scrapes the service's /metrics and the
PrometheusRule with its alerts.
*/}}

{{/*
The ServiceMonitor keeps the pods' `rollouts-pod-template-hash` label (as
`rollouts_pod_template_hash`) on every series, which is how the anomaly-behaviour analysis tells
canary from stable. It skips the blue-green preview Service (see nomaly.previewService).
Under Istio's STRICT mTLS a plaintext scrape is refused, so by default Prometheus presents the
certificates its own sidecar writes (Istio's "Prometheus with mTLS" set-up); those certificates
name SPIFFE identities, not host names, hence no host name check.
*/}}
{{- define "nomaly.serviceMonitor" -}}
{{- if .Values.serviceMonitor.enabled -}}
{{- $fullname := include "nomaly.fullname" . -}}
{{- $sm := .Values.serviceMonitor -}}
# Scrapes /metrics of every {{ $fullname }} pod (canary and stable alike). Needs the Prometheus Operator.
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ $fullname }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "nomaly.labels" . | nindent 4 }}
    {{- with $sm.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "nomaly.selectorLabels" . | nindent 6 }}
    matchExpressions:
      - key: nomaly.io/preview
        operator: DoesNotExist
  namespaceSelector:
    matchNames:
      - {{ .Release.Namespace }}
  podTargetLabels:
    - rollouts-pod-template-hash
  endpoints:
    - port: http
      path: /metrics
      # Every series carries the `service` label the service sets itself (its SERVICE_NAME);
      # keep it rather than Prometheus's target label of the same name (`exported_service`).
      honorLabels: true
      interval: {{ $sm.interval }}
      scrapeTimeout: {{ $sm.scrapeTimeout }}
      {{- if $sm.istioMtls.enabled }}
      scheme: https
      tlsConfig:
        caFile: {{ $sm.istioMtls.certDir }}/root-cert.pem
        certFile: {{ $sm.istioMtls.certDir }}/cert-chain.pem
        keyFile: {{ $sm.istioMtls.certDir }}/key.pem
        insecureSkipVerify: true
      {{- end }}
{{- end -}}
{{- end -}}

{{/* A ratio as a percentage for humans: 0.05 → "5%". */}}
{{- define "nomaly.percent" -}}
{{- printf "%.4g%%" (mulf . 100) -}}
{{- end -}}

{{/*
Alerts. Series are selected by the namespace and the `service` label, which is the Service name
on every scraped series (and also the services' own default label). Ratios divide by
`(denominator > 0)` so an idle service yields no series rather than NaN. The request alerts
(5xx, latency) need a route: a chart without one serves no API. A stateless chart has no
circuit breakers and no database pool to watch.
*/}}
{{- define "nomaly.prometheusRule" -}}
{{- if .Values.prometheusRule.enabled -}}
{{- $fullname := include "nomaly.fullname" . -}}
{{- $contract := include "nomaly.contract" . | fromYaml -}}
{{- $rules := .Values.prometheusRule -}}
{{- $sel := printf "namespace=%q, service=%q" .Release.Namespace $fullname -}}
# Alerts on {{ $fullname }}. Needs the Prometheus Operator; monitoring/prometheus/alerts.yml holds the
# same alert names for Docker Compose.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: {{ $fullname }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "nomaly.labels" . | nindent 4 }}
    {{- with $rules.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  groups:
    - name: {{ $fullname }}.rules
      rules:
        # Every pod failing its scrape: the service is down or unreachable from Prometheus.
        - alert: ServiceDown
          expr: |
            max by (namespace, service) (up{ {{- $sel }}}) == 0
          for: {{ $rules.serviceDown.for }}
          labels:
            severity: critical
          annotations:
            summary: {{ printf "No %s pod answers Prometheus" $fullname | quote }}
            description: 'Every {{ $fullname }} pod has failed its /metrics scrape for {{ $rules.serviceDown.for }}.'
        {{- if $contract.route }}
        - alert: HighErrorRate
          expr: |
            sum by (namespace, service) (rate(http_requests_total{ {{- $sel }}, status=~"5.."}[5m]))
            /
            (sum by (namespace, service) (rate(http_requests_total{ {{- $sel }}}[5m])) > 0)
            > {{ include "nomaly.envValue" $rules.highErrorRate.threshold }}
          for: {{ $rules.highErrorRate.for }}
          labels:
            severity: critical
          annotations:
            summary: {{ printf "%s answers more than %s of its requests with 5xx" $fullname (include "nomaly.percent" $rules.highErrorRate.threshold) | quote }}
            description: '{{ "{{" }} $value | humanizePercentage {{ "}}" }} of the requests to {{ $fullname }} failed with 5xx over 5 minutes.'
        - alert: HighLatencyP95
          expr: |
            histogram_quantile(0.95, sum by (namespace, service, le) (rate(http_request_duration_seconds_bucket{ {{- $sel }}}[5m])))
            > {{ include "nomaly.envValue" $rules.highLatencyP95.thresholdSeconds }}
          for: {{ $rules.highLatencyP95.for }}
          labels:
            severity: warning
          annotations:
            summary: {{ printf "%s p95 latency above %ss" $fullname (include "nomaly.envValue" $rules.highLatencyP95.thresholdSeconds) | quote }}
            description: 'The p95 latency of {{ $fullname }} is {{ "{{" }} $value | humanizeDuration {{ "}}" }}.'
        {{- end }}
        {{- if not $contract.stateless }}
        - alert: CircuitBreakerOpen
          expr: |
            max by (namespace, service, pod, operation) (nomaly_circuit_breaker_state{ {{- $sel }}}) == 1
          for: {{ $rules.circuitBreakerOpen.for }}
          labels:
            severity: warning
          annotations:
            summary: {{ printf "A circuit breaker of %s is open" $fullname | quote }}
            description: 'The breaker {{ "{{" }} $labels.operation {{ "}}" }} of {{ "{{" }} $labels.pod {{ "}}" }} has been open for {{ $rules.circuitBreakerOpen.for }}: calls fail fast instead of reaching the dependency.'
        - alert: DatabaseConnectionPoolExhausted
          expr: |
            max by (namespace, service, pod) (
              nomaly_database_connections_active{ {{- $sel }}}
              / (nomaly_database_connections_max{ {{- $sel }}} > 0)
            )
            > {{ include "nomaly.envValue" $rules.databaseConnectionPoolExhausted.threshold }}
          for: {{ $rules.databaseConnectionPoolExhausted.for }}
          labels:
            severity: warning
          annotations:
            summary: {{ printf "%s is using more than %s of its database pool" $fullname (include "nomaly.percent" $rules.databaseConnectionPoolExhausted.threshold) | quote }}
            description: '{{ "{{" }} $labels.pod {{ "}}" }} has {{ "{{" }} $value | humanizePercentage {{ "}}" }} of its DATABASE_POOL_SIZE connections checked out; requests will queue for a connection.'
        {{- end }}
        {{- if $contract.jobs }}
        {{- include "nomaly.jobAlerts" (dict "context" . "selector" $sel) | nindent 8 }}
        {{- end }}
        {{- if $contract.detector }}
        - alert: HighAnomalyRate
          expr: |
            sum by (namespace, service, model_type) (rate(nomaly_anomaly_detections_total{ {{- $sel }}}[{{ $rules.highAnomalyRate.window }}]))
            /
            (sum by (namespace, service, model_type) (rate(nomaly_detection_rows_total{ {{- $sel }}}[{{ $rules.highAnomalyRate.window }}])) > 0)
            > {{ include "nomaly.envValue" $rules.highAnomalyRate.threshold }}
          for: {{ $rules.highAnomalyRate.for }}
          labels:
            severity: warning
          annotations:
            summary: {{ printf "More than %s of the scored rows are flagged as anomalies" (include "nomaly.percent" $rules.highAnomalyRate.threshold) | quote }}
            description: '{{ "{{" }} $value | humanizePercentage {{ "}}" }} of the rows scored by {{ "{{" }} $labels.model_type {{ "}}" }} models were anomalies: an incident in the data, or a model that no longer fits it.'
        {{- end }}
        {{- if $contract.registry }}
        - alert: ModelAccuracyDegraded
          expr: |
            min by (namespace, service, model_id, model_type) (nomaly_model_accuracy{ {{- $sel }}})
            < {{ include "nomaly.envValue" $rules.modelAccuracyDegraded.threshold }}
          for: {{ $rules.modelAccuracyDegraded.for }}
          labels:
            severity: warning
          annotations:
            summary: {{ printf "A model's accuracy fell below %s" (include "nomaly.envValue" $rules.modelAccuracyDegraded.threshold) | quote }}
            description: 'Model {{ "{{" }} $labels.model_id {{ "}}" }} ({{ "{{" }} $labels.model_type {{ "}}" }}) has accuracy {{ "{{" }} $value {{ "}}" }}: retrain it or roll back its alias in the model registry.'
        {{- end }}
{{- end -}}
{{- end -}}

{{/*
The alerts of a queue consumer: (dict "context" . "selector" "namespace=…, service=…").
Every worker pod reads the same queue depths from Redis at scrape time, so nomaly_queue_jobs is
taken once per queue and state (max over the pods), never summed over pods. The backlog is what
waits to be taken: the states waiting and prioritized (delayed jobs wait for their retry
back-off on purpose).
*/}}
{{- define "nomaly.jobAlerts" -}}
{{- $ctx := .context -}}
{{- $sel := .selector -}}
{{- $fullname := include "nomaly.fullname" $ctx -}}
{{- $rules := $ctx.Values.prometheusRule -}}
{{- $backlog := printf "sum by (namespace, service, queue) (max by (namespace, service, queue, state) (nomaly_queue_jobs{%s, state=~\"waiting|prioritized\"}))" $sel -}}
{{- $backlogBefore := printf "sum by (namespace, service, queue) (max by (namespace, service, queue, state) (nomaly_queue_jobs{%s, state=~\"waiting|prioritized\"} offset %s))" $sel $rules.jobQueueBacklogGrowing.window -}}
{{- $active := printf "sum by (namespace, service, queue) (max by (namespace, service, queue, state) (nomaly_queue_jobs{%s, state=\"active\"}))" $sel -}}
# Jobs that end failed, out of those that end (cancelled ones aside): retries of dependency
# failures do not count until the job runs out of them.
- alert: HighJobFailureRate
  expr: |
    sum by (namespace, service, type) (rate(nomaly_jobs_total{ {{- $sel }}, outcome="failed"}[{{ $rules.highJobFailureRate.window }}]))
    /
    (sum by (namespace, service, type) (rate(nomaly_jobs_total{ {{- $sel }}, outcome=~"succeeded|failed"}[{{ $rules.highJobFailureRate.window }}])) > 0)
    > {{ include "nomaly.envValue" $rules.highJobFailureRate.threshold }}
  for: {{ $rules.highJobFailureRate.for }}
  labels:
    severity: warning
  annotations:
    summary: {{ printf "More than %s of the %s jobs end failed" (include "nomaly.percent" $rules.highJobFailureRate.threshold) $fullname | quote }}
    description: '{{ "{{" }} $value | humanizePercentage {{ "}}" }} of the {{ "{{" }} $labels.type {{ "}}" }} jobs that ended over {{ $rules.highJobFailureRate.window }} failed: see the jobs'' error codes (GET /api/v1/jobs?state=failed) and the worker log.'
# The backlog above a floor and larger than it was a window ago, for a while: the workers do not
# keep up (the HPA scales on CPU, so at maxReplicas the queue grows).
- alert: JobQueueBacklogGrowing
  expr: |
    {{ $backlog }}
    > {{ include "nomaly.envValue" $rules.jobQueueBacklogGrowing.minJobs }}
    and
    {{ $backlog }}
    - {{ $backlogBefore }}
    > 0
  for: {{ $rules.jobQueueBacklogGrowing.for }}
  labels:
    severity: warning
  annotations:
    summary: {{ printf "The %s job queues grow faster than the workers empty them" $fullname | quote }}
    description: '{{ "{{" }} $value {{ "}}" }} {{ "{{" }} $labels.queue {{ "}}" }} jobs wait, more than {{ $rules.jobQueueBacklogGrowing.window }} before: raise autoscaling.maxReplicas or WORKER_CONCURRENCY, or look for slow dependencies (nomaly_job_chunk_duration_seconds).'
# Jobs wait and none runs: every worker is stuck, paused or losing its queue locks.
- alert: JobQueueStalled
  expr: |
    {{ $backlog }} > 0
    and on (namespace, service, queue)
    {{ $active }} == 0
  for: {{ $rules.jobQueueStalled.for }}
  labels:
    severity: critical
  annotations:
    summary: '{{ "{{" }} $labels.queue {{ "}}" }} jobs wait and no {{ $fullname }} pod runs any'
    description: '{{ "{{" }} $value {{ "}}" }} {{ "{{" }} $labels.queue {{ "}}" }} jobs have waited for {{ $rules.jobQueueStalled.for }} with none active: check the worker log for lock or Redis errors.'
# The worker answers its scrape but reports no queue depth: it cannot read Redis, so it takes no
# job (the depth gauge is left out while Redis is unreachable, rather than stale).
- alert: JobQueueUnreachable
  expr: |
    count by (namespace, service) (up{ {{- $sel }}} == 1)
    unless on (namespace, service)
    count by (namespace, service) (nomaly_queue_jobs{ {{- $sel }}})
  for: {{ $rules.jobQueueUnreachable.for }}
  labels:
    severity: critical
  annotations:
    summary: {{ printf "%s cannot read the job queues" $fullname | quote }}
    description: 'No {{ $fullname }} pod has read the queue depths from Redis for {{ $rules.jobQueueUnreachable.for }}: no job runs until Redis (REDIS_URL) answers again.'
{{- end -}}
