{{/*
Scaling and disruption: a HorizontalPodAutoscaler on the Rollout (or Deployment) and a
PodDisruptionBudget on the pods.
*/}}

{{/*
The HPA measures the service's own container (ContainerResource): with Istio, pod-level
utilization would average in the sidecar's requests and hide a saturated service.
*/}}
{{- define "nomaly.hpa" -}}
{{- if .Values.autoscaling.enabled -}}
{{- $fullname := include "nomaly.fullname" . -}}
{{- $targets := list -}}
{{- if .Values.autoscaling.targetCPUUtilizationPercentage -}}
{{- $targets = append $targets "CPU" -}}
{{- end -}}
{{- if .Values.autoscaling.targetMemoryUtilizationPercentage -}}
{{- $targets = append $targets "memory" -}}
{{- end -}}
# Scales {{ $fullname }} between {{ .Values.autoscaling.minReplicas }} and {{ .Values.autoscaling.maxReplicas }} replicas on its container's {{ join " and " $targets }}.
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $fullname }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "nomaly.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    {{- if .Values.rollout.enabled }}
    apiVersion: argoproj.io/v1alpha1
    kind: Rollout
    {{- else }}
    apiVersion: apps/v1
    kind: Deployment
    {{- end }}
    name: {{ $fullname }}
  minReplicas: {{ .Values.autoscaling.minReplicas }}
  maxReplicas: {{ .Values.autoscaling.maxReplicas }}
  metrics:
    {{- range $resource, $target := dict "cpu" .Values.autoscaling.targetCPUUtilizationPercentage "memory" .Values.autoscaling.targetMemoryUtilizationPercentage }}
    {{- if $target }}
    - type: ContainerResource
      containerResource:
        name: {{ $resource }}
        container: {{ $.Chart.Name }}
        target:
          type: Utilization
          averageUtilization: {{ $target }}
    {{- end }}
    {{- end }}
  {{- with .Values.autoscaling.behavior }}
  behavior:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
{{- end -}}

{{/*
`unhealthyPodEvictionPolicy: AlwaysAllow` lets a node drain evict pods that are not ready
anyway (crash-looping), which the budget would otherwise count and block on.
*/}}
{{- define "nomaly.pdb" -}}
{{- if .Values.podDisruptionBudget.enabled -}}
{{- $fullname := include "nomaly.fullname" . -}}
# Keeps voluntary disruptions (node drains, upgrades) from taking too many {{ $fullname }} pods at once.
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $fullname }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "nomaly.labels" . | nindent 4 }}
spec:
  {{- if ne (toString .Values.podDisruptionBudget.minAvailable) "" }}
  minAvailable: {{ .Values.podDisruptionBudget.minAvailable }}
  {{- else }}
  maxUnavailable: {{ .Values.podDisruptionBudget.maxUnavailable }}
  {{- end }}
  unhealthyPodEvictionPolicy: AlwaysAllow
  selector:
    matchLabels:
      {{- include "nomaly.selectorLabels" . | nindent 6 }}
{{- end -}}
{{- end -}}
