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
`(denominator > 0)` so an idle service yields no series rather than NaN.
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
