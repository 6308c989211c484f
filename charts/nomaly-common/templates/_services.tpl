{{/*
Services and the ServiceAccount. Istio reads each port's protocol from `appProtocol`, and the
AuthorizationPolicies (istio/) name callers by ServiceAccount, so the account is always
`<fullname>`.
*/}}

{{- define "nomaly.servicePorts" -}}
{{- $contract := include "nomaly.contract" . | fromYaml -}}
- name: http
  port: {{ $contract.http | int }}
  targetPort: http
  protocol: TCP
  appProtocol: http
{{- if $contract.grpc }}
- name: grpc
  port: {{ $contract.grpc | int }}
  targetPort: grpc
  protocol: TCP
  appProtocol: grpc
{{- end }}
{{- end -}}

{{- define "nomaly.service" -}}
{{- $fullname := include "nomaly.fullname" . -}}
{{- $contract := include "nomaly.contract" . | fromYaml -}}
{{- if $contract.paths -}}
# {{ $contract.paths }} of {{ $fullname }} (http only), at the address the mesh configuration
# uses.{{ if and .Values.rollout.enabled (eq .Values.rollout.strategy "blueGreen") }} Blue-green: Argo Rollouts points its selector at the active pods.{{ end }}
{{- else if $contract.route -}}
# REST (http) and gRPC of {{ $fullname }}, at the address the other services and the mesh
# configuration use.{{ if and .Values.rollout.enabled (eq .Values.rollout.strategy "blueGreen") }} Blue-green: Argo Rollouts points its selector at the active pods.{{ end }}
{{- else -}}
# The probes and /metrics of {{ $fullname }}, for the ServiceMonitor: it serves no API, and
# nothing but Prometheus calls it.
{{- end }}
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullname }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "nomaly.labels" . | nindent 4 }}
  {{- with .Values.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: ClusterIP
  selector:
    {{- include "nomaly.selectorLabels" . | nindent 4 }}
  ports:
    {{- include "nomaly.servicePorts" . | nindent 4 }}
{{- end -}}

{{/*
The blue-green preview Service. Its label `nomaly.io/preview` keeps it out of the
ServiceMonitor, which would otherwise scrape the active pods twice while no rollout runs (both
Services then select the same pods).
*/}}
{{- define "nomaly.previewService" -}}
{{- if and .Values.rollout.enabled (eq .Values.rollout.strategy "blueGreen") -}}
{{- $fullname := include "nomaly.fullname" . -}}
# Preview of {{ $fullname }} during a blue-green rollout: Argo Rollouts points its selector at
# the new pods before promotion, so they can be tried (and analysed) before taking traffic.
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullname }}-preview
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "nomaly.labels" . | nindent 4 }}
    nomaly.io/preview: "true"
  {{- with .Values.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: ClusterIP
  selector:
    {{- include "nomaly.selectorLabels" . | nindent 4 }}
  ports:
    {{- include "nomaly.servicePorts" . | nindent 4 }}
{{- end -}}
{{- end -}}

{{- define "nomaly.serviceAccount" -}}
{{- if .Values.serviceAccount.create -}}
{{- $fullname := include "nomaly.fullname" . -}}
# Identity of {{ $fullname }} in the mesh (cluster.local/ns/{{ .Release.Namespace }}/sa/{{ $fullname }}); it holds no
# Kubernetes API rights and mounts no token.
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ $fullname }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "nomaly.labels" . | nindent 4 }}
  {{- with .Values.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: false
{{- end -}}
{{- end -}}

{{/*
The ConfigMap of non-secret variables. The pod template carries its checksum, so a change
rolls the pods (through the canary when Argo Rollouts is on).
*/}}
{{- define "nomaly.configMap" -}}
{{- $fullname := include "nomaly.fullname" . -}}
# Non-secret environment of {{ $fullname }}, validated by the service at boot.
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $fullname }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "nomaly.labels" . | nindent 4 }}
data:
  {{- include "nomaly.configEnv" . | nindent 2 }}
{{- end -}}

{{/*
The chart-made Secret, for development and test only (validation refuses it in staging and
production, where existingSecret names one made by a secret manager).
*/}}
{{- define "nomaly.secret" -}}
{{- if .Values.secret.create -}}
{{- $fullname := include "nomaly.fullname" . -}}
# Development secrets of {{ $fullname }}, from values. Staging and production use existingSecret.
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "nomaly.secretName" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "nomaly.labels" . | nindent 4 }}
type: Opaque
data:
  {{- include "nomaly.secretData" . | nindent 2 }}
{{- end -}}
{{- end -}}
