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

{{/* The AnalysisTemplates a rollout runs, as a `templates:` list for Rollout analysis. */}}
{{- define "nomaly.analysisTemplateRefs" -}}
{{- $fullname := include "nomaly.fullname" .context -}}
- templateName: {{ $fullname }}-success-rate
- templateName: {{ $fullname }}-latency-p99
{{- if .anomalyBehaviour }}
- templateName: {{ $fullname }}-anomaly-behaviour
{{- end }}
{{- end -}}

{{/*
Analysis arguments. The Istio templates measure the Service named by `service-name` (the
preview Service before a blue-green promotion); the anomaly template compares the pods of the
two ReplicaSets by their pod-template hashes. Argo ignores arguments a template does not declare.
*/}}
{{- define "nomaly.analysisArgs" -}}
- name: service-name
  value: {{ .serviceName }}
- name: namespace
  value: {{ .context.Release.Namespace }}
{{- if .hashes }}
- name: canary-hash
  valueFrom:
    podTemplateHashValue: Latest
- name: stable-hash
  valueFrom:
    podTemplateHashValue: Stable
{{- end }}
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

{{- define "nomaly.rollout" -}}
{{- $contract := include "nomaly.contract" . | fromYaml -}}
{{- $fullname := include "nomaly.fullname" . -}}
{{- $anomaly := include "nomaly.anomalyBehaviourEnabled" . -}}
{{- if eq .Values.rollout.strategy "canary" }}
# Canary of {{ $fullname }} with Argo Rollouts: the route {{ $contract.route }}-primary of the VirtualService
# {{ .Values.rollout.canary.virtualService }} moves between the subsets stable and canary of the DestinationRule
# {{ $fullname }} (istio/), step by step, with analysis in the background.
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
      {{- if .Values.analysis.enabled }}
      analysis:
        templates:
          {{- include "nomaly.analysisTemplateRefs" (dict "context" . "anomalyBehaviour" $anomaly) | nindent 10 }}
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
      autoPromotionEnabled: {{ .Values.rollout.blueGreen.autoPromotionEnabled }}
      scaleDownDelaySeconds: {{ .Values.rollout.blueGreen.scaleDownDelaySeconds }}
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
