{{/*
Labels. Selectors use only name + instance: both stay the same across upgrades, so a selector
never has to change (Deployments and Rollouts refuse a changed selector).
*/}}

{{- define "nomaly.selectorLabels" -}}
app.kubernetes.io/name: {{ include "nomaly.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
The version label value: the image tag actually deployed (the appVersion unless a tag is set),
made label-safe. A label that named the chart's appVersion while another tag runs would lie to
Istio's telemetry (`version`) and to whoever reads the pods.
*/}}
{{- define "nomaly.version" -}}
{{- include "nomaly.imageTag" . | replace "+" "_" | trunc 63 | trimSuffix "-" | trimSuffix "." | trimSuffix "_" -}}
{{- end -}}

{{/* Standard labels for a component: `include "nomaly.componentLabels" (dict "context" . "component" "api")`. */}}
{{- define "nomaly.componentLabels" -}}
{{- $ctx := .context -}}
{{ include "nomaly.selectorLabels" $ctx }}
app.kubernetes.io/version: {{ include "nomaly.version" $ctx | quote }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: nomaly
app.kubernetes.io/managed-by: {{ $ctx.Release.Service }}
helm.sh/chart: {{ include "nomaly.chart" $ctx }}
{{- end -}}

{{/* The labels of a service chart's objects; the component is the contract's (default api). */}}
{{- define "nomaly.labels" -}}
{{- $contract := include "nomaly.contract" . | fromYaml -}}
{{ include "nomaly.componentLabels" (dict "context" . "component" ($contract.component | default "api")) }}
{{- end -}}

{{/*
Pod template labels: the standard ones plus `app` and `version`, which Istio reads (the
DestinationRule subsets select `app: <fullname>`; telemetry reports `version`).
*/}}
{{- define "nomaly.podLabels" -}}
{{ include "nomaly.labels" . }}
app: {{ include "nomaly.fullname" . }}
version: {{ include "nomaly.version" . | quote }}
{{- with .Values.podLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}
