{{/*
Argo Rollouts AnalysisTemplates (Prometheus provider).

No data. Every query below returns an empty vector, never NaN, when there is nothing to judge:
divisions are by `(denominator > 0)`, which drops the sample when the denominator is 0 instead
of dividing by it, and quantiles are joined (`and on()`) with a request count above 0 or above
a minimum. So the conditions need no `isNaN(result[0])` (a function older Argo versions lack).
Argo hands an empty vector to the conditions as `result == []`, and indexing it (`result[0]`)
would be an evaluation error; enough errors in a row error the whole analysis, and an errored
analysis aborts the rollout. So every condition tests `len(result)` first:
- analysis.noData `inconclusive`: empty is neither success nor failure, an Inconclusive
  measurement; past analysis.inconclusiveLimit of them Argo pauses the rollout for a human.
- analysis.noData `pass`: empty counts as success (nothing observed against the new version).
A failure always needs data.
*/}}

{{/* Timing and conditions of one metric: (dict "context" . "ok" "<expr on result[0]>" "bad" "<expr>"). */}}
{{- define "nomaly.analysisMeasurement" -}}
{{- $analysis := .context.Values.analysis -}}
interval: {{ $analysis.interval }}
{{- if gt (int $analysis.count) 0 }}
count: {{ $analysis.count }}
{{- end }}
failureLimit: {{ $analysis.failureLimit }}
inconclusiveLimit: {{ $analysis.inconclusiveLimit }}
{{- if eq $analysis.noData "pass" }}
successCondition: {{ printf "len(result) == 0 || %s" .ok | quote }}
{{- else }}
successCondition: {{ printf "len(result) > 0 && %s" .ok | quote }}
{{- end }}
failureCondition: {{ printf "len(result) > 0 && %s" .bad | quote }}
{{- end -}}

{{/*
One ReplicaSet's anomaly rate (flagged rows / scored rows) over the window, empty when it scored
fewer than minRows rows: (dict "selector" "{…}" "window" "5m" "minRows" "100"). A version that
flagged nothing has no detections series yet, hence `or vector(0)` on the numerator.
*/}}
{{- define "nomaly.anomalyRateQuery" -}}
(
  (sum(rate(nomaly_anomaly_detections_total{{ .selector }}[{{ .window }}])) or vector(0))
  / (sum(rate(nomaly_detection_rows_total{{ .selector }}[{{ .window }}])) > 0)
  and on () (sum(increase(nomaly_detection_rows_total{{ .selector }}[{{ .window }}])) >= {{ .minRows }})
)
{{- end -}}

{{/* One ReplicaSet's median score/threshold ratio, empty below minRows scored rows. */}}
{{- define "nomaly.medianScoreRatioQuery" -}}
(
  histogram_quantile(0.5, sum by (le) (rate(nomaly_detection_score_ratio_bucket{{ .selector }}[{{ .window }}])))
  and on () (sum(increase(nomaly_detection_score_ratio_count{{ .selector }}[{{ .window }}])) >= {{ .minRows }})
)
{{- end -}}

{{/*
The AnalysisTemplates of the chart, as one YAML stream: those of the Istio request telemetry
for a service with a route, the detector's anomaly behaviour, and a queue consumer's job
outcomes (canary only).
*/}}
{{- define "nomaly.analysisTemplates" -}}
{{- if and .Values.rollout.enabled .Values.analysis.enabled -}}
{{- $contract := include "nomaly.contract" . | fromYaml -}}
{{- $documents := list -}}
{{- if $contract.route -}}
{{- $documents = append $documents (include "nomaly.analysisTemplates.requests" .) -}}
{{- end -}}
{{- if include "nomaly.anomalyBehaviourEnabled" . -}}
{{- $documents = append $documents (include "nomaly.analysisTemplates.anomalyBehaviour" .) -}}
{{- end -}}
{{- if include "nomaly.jobAnalysisEnabled" . -}}
{{- $documents = append $documents (include "nomaly.analysisTemplates.jobFailures" .) -}}
{{- end -}}
{{- join "\n---\n" $documents -}}
{{- end -}}
{{- end -}}

{{/* Success rate and p99 latency from the sidecars' request telemetry (two documents). */}}
{{- define "nomaly.analysisTemplates.requests" -}}
{{- $fullname := include "nomaly.fullname" . -}}
{{- $analysis := .Values.analysis -}}
{{- $w := $analysis.window -}}
{{- /* Argo's placeholders, resolved when it creates the AnalysisRun. */ -}}
{{- $sel := `{reporter="destination", destination_service_namespace="{{args.namespace}}", destination_service_name="{{args.service-name}}"}` -}}
{{- $selOk := `{reporter="destination", destination_service_namespace="{{args.namespace}}", destination_service_name="{{args.service-name}}", response_code!~"5.."}` -}}
{{- $minimum := include "nomaly.envValue" $analysis.successRate.minimum -}}
{{- $maximumMs := include "nomaly.envValue" $analysis.latencyP99.maximumMs -}}
# Share of non-5xx answers of {{ $fullname }}, from the sidecars' telemetry. Istio's metrics
# carry no ReplicaSet, so this is the whole Service (or the preview Service before a blue-green
# promotion): a canary failing every request at 10% weight takes it to 0.90.
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: {{ $fullname }}-success-rate
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "nomaly.labels" . | nindent 4 }}
spec:
  args:
    - name: service-name
    - name: namespace
  metrics:
    - name: success-rate
      {{- include "nomaly.analysisMeasurement" (dict "context" . "ok" (printf "result[0] >= %s" $minimum) "bad" (printf "result[0] < %s" $minimum)) | nindent 6 }}
      provider:
        prometheus:
          address: {{ $analysis.prometheusAddress }}
          # `or vector(0)`: a window with only 5xx answers has no non-5xx series at all.
          query: |
            (sum(rate(istio_requests_total{{ $selOk }}[{{ $w }}])) or vector(0))
            /
            (sum(rate(istio_requests_total{{ $sel }}[{{ $w }}])) > 0)
---
# p99 latency of {{ $fullname }} in milliseconds, from the sidecars' telemetry (the whole
# Service, as for the success rate).
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: {{ $fullname }}-latency-p99
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "nomaly.labels" . | nindent 4 }}
spec:
  args:
    - name: service-name
    - name: namespace
  metrics:
    - name: latency-p99
      {{- include "nomaly.analysisMeasurement" (dict "context" . "ok" (printf "result[0] < %s" $maximumMs) "bad" (printf "result[0] >= %s" $maximumMs)) | nindent 6 }}
      provider:
        prometheus:
          address: {{ $analysis.prometheusAddress }}
          query: |
            histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{{ $sel }}[{{ $w }}])))
            and on ()
            (sum(rate(istio_request_duration_milliseconds_count{{ $sel }}[{{ $w }}])) > 0)
{{- end -}}

{{/* The detector's anomaly behaviour, canary against stable. */}}
{{- define "nomaly.analysisTemplates.anomalyBehaviour" -}}
{{- $fullname := include "nomaly.fullname" . -}}
{{- $analysis := .Values.analysis -}}
{{- $ab := $analysis.anomalyBehaviour -}}
{{- $aw := $ab.window -}}
{{- $min := include "nomaly.envValue" $ab.minRows -}}
{{- $canary := dict "selector" `{namespace="{{args.namespace}}", rollouts_pod_template_hash="{{args.canary-hash}}"}` "window" $aw "minRows" $min -}}
{{- $stable := dict "selector" `{namespace="{{args.namespace}}", rollouts_pod_template_hash="{{args.stable-hash}}"}` "window" $aw "minRows" $min -}}
{{- $maxRate := include "nomaly.envValue" $ab.maxAnomalyRate -}}
{{- $maxRatio := include "nomaly.envValue" $ab.maxRatioToStable -}}
{{- $drift := include "nomaly.envValue" $ab.maxMedianScoreRatioDrift -}}
# Does the canary of {{ $fullname }} flag data like the stable version does? Compares the pods of
# the two ReplicaSets by the `rollouts_pod_template_hash` label (the ServiceMonitor copies it
# from the pods), on the detector's own metrics: a model that suddenly flags everything fails
# its rollout even when every request succeeds. Fewer than {{ $min }} rows scored by either side in
# {{ $aw }} is "no data" (analysis.noData), never a verdict.
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: {{ $fullname }}-anomaly-behaviour
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "nomaly.labels" . | nindent 4 }}
spec:
  args:
    - name: namespace
    - name: canary-hash
    - name: stable-hash
  metrics:
    # The canary's anomaly rate under an absolute cap, whatever stable does.
    - name: anomaly-rate-cap
      {{- include "nomaly.analysisMeasurement" (dict "context" . "ok" (printf "result[0] <= %s" $maxRate) "bad" (printf "result[0] > %s" $maxRate)) | nindent 6 }}
      provider:
        prometheus:
          address: {{ $analysis.prometheusAddress }}
          query: |
            {{- include "nomaly.anomalyRateQuery" $canary | nindent 12 }}
    # The canary's anomaly rate at most {{ $maxRatio }}× stable's; stable's is floored at
    # {{ include "nomaly.envValue" $ab.stableRateFloor }} so a stable version that flags almost nothing does not make any flag a failure.
    - name: anomaly-rate-vs-stable
      {{- include "nomaly.analysisMeasurement" (dict "context" . "ok" (printf "result[0] <= %s" $maxRatio) "bad" (printf "result[0] > %s" $maxRatio)) | nindent 6 }}
      provider:
        prometheus:
          address: {{ $analysis.prometheusAddress }}
          query: |
            {{- include "nomaly.anomalyRateQuery" $canary | nindent 12 }}
            /
            clamp_min(
              {{- include "nomaly.anomalyRateQuery" $stable | nindent 14 }},
              {{ include "nomaly.envValue" $ab.stableRateFloor }}
            )
    # The median score/threshold ratio of the canary within ±{{ $drift }} of stable's (1 = on the
    # threshold): the scores drifting shows a changed model or preprocessing before the flags do.
    - name: score-ratio-median-drift
      {{- include "nomaly.analysisMeasurement" (dict "context" . "ok" (printf "result[0] <= %s" $drift) "bad" (printf "result[0] > %s" $drift)) | nindent 6 }}
      provider:
        prometheus:
          address: {{ $analysis.prometheusAddress }}
          query: |
            abs(
              {{- include "nomaly.medianScoreRatioQuery" $canary | nindent 14 }}
              -
              {{- include "nomaly.medianScoreRatioQuery" $stable | nindent 14 }}
            )
{{- end -}}

{{/*
One ReplicaSet's share of failed jobs among those it finished (failed / (succeeded + failed); a
cancelled job is neither), empty when it finished fewer than minJobs:
(dict "selector" "namespace=…, rollouts_pod_template_hash=…" "minJobs" "5").
It reads the counters themselves, not rate() over a window: a pod's first job of a type and
outcome creates that series at 1, an increase rate() cannot see, and jobs are sparse enough for
those first ones to be most of the evidence. A canary's pods start with the rollout, so their
counters hold exactly the canary's jobs; stable's hold its jobs since its pods started. A
version that failed nothing has no failed series yet, hence `or vector(0)`.
*/}}
{{- define "nomaly.jobFailureShareQuery" -}}
(
  (sum(nomaly_jobs_total{ {{- .selector }}, outcome="failed"}) or vector(0))
  / (sum(nomaly_jobs_total{ {{- .selector }}, outcome=~"succeeded|failed"}) >= {{ .minJobs }})
)
{{- end -}}

{{/* A queue consumer's job outcomes, canary against stable. */}}
{{- define "nomaly.analysisTemplates.jobFailures" -}}
{{- $fullname := include "nomaly.fullname" . -}}
{{- $analysis := .Values.analysis -}}
{{- $jf := $analysis.jobFailures -}}
{{- $min := include "nomaly.envValue" $jf.minJobs -}}
{{- $canary := dict "selector" `namespace="{{args.namespace}}", rollouts_pod_template_hash="{{args.canary-hash}}"` "minJobs" $min -}}
{{- $stable := dict "selector" `namespace="{{args.namespace}}", rollouts_pod_template_hash="{{args.stable-hash}}"` "minJobs" $min -}}
{{- $maxShare := include "nomaly.envValue" $jf.maxFailureShare -}}
{{- $maxExcess := include "nomaly.envValue" $jf.maxExcessOverStable -}}
# Does the canary of {{ $fullname }} finish its jobs like the stable version does? Compares the pods
# of the two ReplicaSets by the `rollouts_pod_template_hash` label (the ServiceMonitor copies it
# from the pods) on nomaly_jobs_total{type,outcome}. Fewer than {{ $min }} jobs finished by either
# side is "no data" (analysis.noData), never a verdict: on a quiet queue the rollout waits for
# jobs, or for a human.
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: {{ $fullname }}-job-failures
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "nomaly.labels" . | nindent 4 }}
spec:
  args:
    - name: namespace
    - name: canary-hash
    - name: stable-hash
  metrics:
    # The canary's share of failed jobs under an absolute cap, whatever stable does.
    - name: job-failure-share-cap
      {{- include "nomaly.analysisMeasurement" (dict "context" . "ok" (printf "result[0] <= %s" $maxShare) "bad" (printf "result[0] > %s" $maxShare)) | nindent 6 }}
      provider:
        prometheus:
          address: {{ $analysis.prometheusAddress }}
          query: |
            {{- include "nomaly.jobFailureShareQuery" $canary | nindent 12 }}
    # The canary's share at most {{ $maxExcess }} above stable's: jobs that fail on the caller's
    # mistakes (a deleted dataset, a bad parameter) fail on both versions alike.
    - name: job-failure-share-vs-stable
      {{- include "nomaly.analysisMeasurement" (dict "context" . "ok" (printf "result[0] <= %s" $maxExcess) "bad" (printf "result[0] > %s" $maxExcess)) | nindent 6 }}
      provider:
        prometheus:
          address: {{ $analysis.prometheusAddress }}
          query: |
            {{- include "nomaly.jobFailureShareQuery" $canary | nindent 12 }}
            -
            {{- include "nomaly.jobFailureShareQuery" $stable | nindent 12 }}
{{- end -}}
