{{/*
The workload: an Argo Rollout (canary or blue-green) when rollout.enabled, else a Deployment.
*/}}

{{- define "nomaly.workload" -}}
{{- if .Values.rollout.enabled -}}
{{ include "nomaly.rollout" . }}
{{- else -}}
{{ include "nomaly.deployment" . }}
{{- end -}}
{{- end -}}

{{/*
The AnalysisTemplates a rollout runs, as a `templates:` list for Rollout analysis: the Istio
request templates for a service with a route, then those the caller enables (the detector's
anomaly behaviour, a queue consumer's job outcomes).
*/}}
{{- define "nomaly.analysisTemplateRefs" -}}
{{- $fullname := include "nomaly.fullname" .context -}}
{{- $contract := include "nomaly.contract" .context | fromYaml -}}
{{- $names := list -}}
{{- if $contract.route -}}
{{- $names = concat $names (list "success-rate" "latency-p99") -}}
{{- end -}}
{{- if .anomalyBehaviour -}}
{{- $names = append $names "anomaly-behaviour" -}}
{{- end -}}
{{- if .jobs -}}
{{- $names = append $names "job-failures" -}}
{{- end -}}
{{- $refs := list -}}
{{- range $names -}}
{{- $refs = append $refs (dict "templateName" (printf "%s-%s" $fullname .)) -}}
{{- end -}}
{{- toYaml $refs -}}
{{- end -}}

{{/*
Analysis arguments. The Istio templates measure the Service named by `service-name` (the
preview Service before a blue-green promotion); the anomaly and job templates compare the pods
of the two ReplicaSets by their pod-template hashes. Argo ignores arguments a template does not
declare.
*/}}
{{- define "nomaly.analysisArgs" -}}
{{- $contract := include "nomaly.contract" .context | fromYaml -}}
{{- $args := list -}}
{{- if $contract.route -}}
{{- $args = append $args (dict "name" "service-name" "value" .serviceName) -}}
{{- end -}}
{{- $args = append $args (dict "name" "namespace" "value" .context.Release.Namespace) -}}
{{- if .hashes -}}
{{- $args = append $args (dict "name" "canary-hash" "valueFrom" (dict "podTemplateHashValue" "Latest")) -}}
{{- $args = append $args (dict "name" "stable-hash" "valueFrom" (dict "podTemplateHashValue" "Stable")) -}}
{{- end -}}
{{- toYaml $args -}}
{{- end -}}

{{/*
Whether the detector's anomaly-behaviour analysis applies ("true" or ""): canaries only, since
comparing versions needs user traffic on both at once, which a blue-green never has.
*/}}
{{- define "nomaly.anomalyBehaviourEnabled" -}}
{{- $contract := include "nomaly.contract" . | fromYaml -}}
{{- $canary := and .Values.rollout.enabled (eq .Values.rollout.strategy "canary") -}}
{{- if and $contract.detector $canary .Values.analysis.enabled .Values.analysis.anomalyBehaviour.enabled -}}
true
{{- end -}}
{{- end -}}

{{/*
Whether a queue consumer's job analysis applies ("true" or ""): canaries only, since it compares
the pods of the two ReplicaSets, which only a canary runs side by side.
*/}}
{{- define "nomaly.jobAnalysisEnabled" -}}
{{- $contract := include "nomaly.contract" . | fromYaml -}}
{{- $canary := and .Values.rollout.enabled (eq .Values.rollout.strategy "canary") -}}
{{- if and $contract.jobs $canary .Values.analysis.enabled -}}
true
{{- end -}}
{{- end -}}

{{- define "nomaly.rollout" -}}
{{- $contract := include "nomaly.contract" . | fromYaml -}}
{{- $fullname := include "nomaly.fullname" . -}}
{{- $anomaly := include "nomaly.anomalyBehaviourEnabled" . -}}
{{- $jobs := include "nomaly.jobAnalysisEnabled" . -}}
{{- /* A chart without blue-green values (the worker) is refused by nomaly.validateValues, which must get to say why. */ -}}
{{- $blueGreen := .Values.rollout.blueGreen | default dict -}}
{{- if and (eq .Values.rollout.strategy "canary") $contract.route }}
# Canary of {{ $fullname }} with Argo Rollouts: the route {{ $contract.route }}-primary of the VirtualService
# {{ .Values.rollout.canary.virtualService }} moves between the subsets stable and canary of the DestinationRule
# {{ $fullname }} (istio/), step by step, with analysis in the background.
{{- else if eq .Values.rollout.strategy "canary" }}
# Canary of {{ $fullname }} with Argo Rollouts, by replica share: it takes no traffic (its work comes
# from the queues), so there is nothing for Istio to route, and each setWeight is the share of the
# replicas that run the new version (rounded up). The analysis in the background compares the
# job outcomes of the two ReplicaSets' pods.
{{- else }}
# Blue-green of {{ $fullname }} with Argo Rollouts: new pods start behind
# {{ $fullname }}-preview, and the Service {{ $fullname }} switches to them once promoted,
# with analysis before and after.
{{- end }}
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: {{ $fullname }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "nomaly.labels" . | nindent 4 }}
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicaCount }}
  {{- end }}
  revisionHistoryLimit: {{ .Values.revisionHistoryLimit }}
  selector:
    matchLabels:
      {{- include "nomaly.selectorLabels" . | nindent 6 }}
  template:
    {{- include "nomaly.podTemplate" . | nindent 4 }}
  strategy:
    {{- if eq .Values.rollout.strategy "canary" }}
    canary:
      {{- if $contract.route }}
      trafficRouting:
        istio:
          virtualService:
            name: {{ .Values.rollout.canary.virtualService }}
            routes:
              - {{ $contract.route }}-primary
          destinationRule:
            name: {{ $fullname }}
            canarySubsetName: canary
            stableSubsetName: stable
      {{- end }}
      {{- if .Values.analysis.enabled }}
      analysis:
        templates:
          {{- include "nomaly.analysisTemplateRefs" (dict "context" . "anomalyBehaviour" $anomaly "jobs" $jobs) | nindent 10 }}
        startingStep: {{ .Values.rollout.canary.analysisStartingStep }}
        args:
          {{- include "nomaly.analysisArgs" (dict "context" . "serviceName" $fullname "hashes" true) | nindent 10 }}
      {{- end }}
      steps:
        {{- toYaml .Values.rollout.canary.steps | nindent 8 }}
    {{- else }}
    blueGreen:
      activeService: {{ $fullname }}
      previewService: {{ $fullname }}-preview
      autoPromotionEnabled: {{ $blueGreen.autoPromotionEnabled }}
      scaleDownDelaySeconds: {{ $blueGreen.scaleDownDelaySeconds }}
      {{- if .Values.analysis.enabled }}
      # Before the switch: the preview Service, which only test traffic reaches.
      prePromotionAnalysis:
        templates:
          {{- include "nomaly.analysisTemplateRefs" (dict "context" .) | nindent 10 }}
        args:
          {{- include "nomaly.analysisArgs" (dict "context" . "serviceName" (printf "%s-preview" $fullname)) | nindent 10 }}
      # After the switch: live traffic on the active Service; a failure switches back.
      postPromotionAnalysis:
        templates:
          {{- include "nomaly.analysisTemplateRefs" (dict "context" .) | nindent 10 }}
        args:
          {{- include "nomaly.analysisArgs" (dict "context" . "serviceName" $fullname) | nindent 10 }}
      {{- end }}
    {{- end }}
{{- end -}}

{{- define "nomaly.deployment" -}}
{{- $fullname := include "nomaly.fullname" . -}}
# Deployment of {{ $fullname }}: plain rolling updates, for clusters without Argo Rollouts.
# maxUnavailable 0 keeps full capacity while new pods become ready.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $fullname }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "nomaly.labels" . | nindent 4 }}
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicaCount }}
  {{- end }}
  revisionHistoryLimit: {{ .Values.revisionHistoryLimit }}
  selector:
    matchLabels:
      {{- include "nomaly.selectorLabels" . | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  template:
    {{- include "nomaly.podTemplate" . | nindent 4 }}
{{- end -}}
