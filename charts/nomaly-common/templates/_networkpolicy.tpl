{{/*
NetworkPolicies: everything denied in both directions for the chart's pods, then exactly the
flows of the contract. They work under the Istio sidecar too: the CNI sees the original
destination port, and Istio's own ports (istiod 15012, the sidecar's 15020/15090 metrics) are
listed where needed.
*/}}

{{/* A peer in another namespace, selected by the namespace's name label and pod labels. */}}
{{- define "nomaly.networkPolicyPeer" -}}
- namespaceSelector:
    matchLabels:
      kubernetes.io/metadata.name: {{ .namespace }}
  {{- with .podLabels }}
  podSelector:
    matchLabels:
      {{- toYaml . | nindent 6 }}
  {{- end }}
{{- end -}}

{{/*
Egress every Nomaly pod needs: DNS and the database (migrations and the service alike); a
stateless chart's pods (the contract's `stateless`) only DNS.
*/}}
{{- define "nomaly.networkPolicyBaseEgress" -}}
{{- $contract := include "nomaly.contract" . | fromYaml -}}
{{- $np := .Values.networkPolicy -}}
# DNS.
- to:
    {{- include "nomaly.networkPolicyPeer" $np.dns | nindent 4 }}
  ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- if not $contract.stateless }}
# PostgreSQL.
- ports:
    - port: {{ $np.database.port }}
      protocol: TCP
  {{- with $np.database.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* The port of OTEL_EXPORTER_OTLP_ENDPOINT (scheme default when the URL names none). */}}
{{- define "nomaly.otlpPort" -}}
{{- $url := urlParse .Values.config.OTEL_EXPORTER_OTLP_ENDPOINT -}}
{{- $hostPort := splitList ":" $url.host -}}
{{- if gt (len $hostPort) 1 -}}
{{- last $hostPort -}}
{{- else if eq $url.scheme "https" -}}
443
{{- else -}}
80
{{- end -}}
{{- end -}}

{{- define "nomaly.networkPolicy" -}}
{{- if .Values.networkPolicy.enabled -}}
{{- $contract := include "nomaly.contract" . | fromYaml -}}
{{- $services := include "nomaly.contract.services" . | fromYaml -}}
{{- $callers := (include "nomaly.contract.callers" . | fromYaml).callers -}}
{{- $np := .Values.networkPolicy -}}
{{- $fullname := include "nomaly.fullname" . -}}
# Who may reach {{ $fullname }} and whom it may reach; everything else is denied.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ $fullname }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "nomaly.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "nomaly.selectorLabels" . | nindent 6 }}
  policyTypes:
    - Ingress
    - Egress
  ingress:
    {{- if $contract.route }}
    # Public REST through the Istio ingress gateway.
    - from:
        {{- include "nomaly.networkPolicyPeer" $np.ingressGateway | nindent 8 }}
      ports:
        - port: {{ $contract.http | int }}
          protocol: TCP
    {{- end }}
    # Prometheus: the service's /metrics, and the sidecar's Istio metrics (analysis queries).
    - from:
        {{- include "nomaly.networkPolicyPeer" $np.prometheus | nindent 8 }}
      ports:
        - port: {{ $contract.http | int }}
          protocol: TCP
        - port: 15020
          protocol: TCP
        - port: 15090
          protocol: TCP
    {{- range $callers }}
    # {{ .service }} → {{ .port }}.
    - from:
        - podSelector:
            matchLabels:
              app: {{ .service }}
      ports:
        - port: {{ get $contract .port | int }}
          protocol: TCP
    {{- end }}
    {{- with $np.extraIngress }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  egress:
    {{- include "nomaly.networkPolicyBaseEgress" . | nindent 4 }}
    {{- if not $contract.stateless }}
    # Redis.
    - ports:
        - port: {{ $np.redis.port }}
          protocol: TCP
      {{- with $np.redis.to }}
      to:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- end }}
    # istiod: the sidecar's configuration and certificates.
    - to:
        {{- include "nomaly.networkPolicyPeer" $np.istiod | nindent 8 }}
      ports:
        - port: 15012
          protocol: TCP
    {{- if .Values.config.OTEL_EXPORTER_OTLP_ENDPOINT }}
    # The OpenTelemetry collector (OTEL_EXPORTER_OTLP_ENDPOINT).
    - ports:
        - port: {{ include "nomaly.otlpPort" . }}
          protocol: TCP
      {{- with $np.otlp.to }}
      to:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- end }}
    {{- range $contract.calls }}
    # → {{ .service }} {{ .port }}.
    - to:
        - podSelector:
            matchLabels:
              app: {{ .service }}
      ports:
        - port: {{ get (get $services .service) .port | int }}
          protocol: TCP
    {{- end }}
    {{- with $np.extraEgress }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}
{{- end -}}

{{/*
The migration Job's pods: no ingress at all; DNS and the database out. They run without a
sidecar (the Job must end), hence no istiod.
*/}}
{{- define "nomaly.migrationNetworkPolicy" -}}
{{- if and .Values.networkPolicy.enabled (include "nomaly.migrationEnabled" .) -}}
{{- $fullname := include "nomaly.fullname" . -}}
# The migration Job of {{ $fullname }} reaches only DNS and PostgreSQL; nothing reaches it.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ $fullname }}-migration
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "nomaly.componentLabels" (dict "context" . "component" "migration") | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "nomaly.migrationSelectorLabels" . | nindent 6 }}
  policyTypes:
    - Ingress
    - Egress
  egress:
    {{- include "nomaly.networkPolicyBaseEgress" . | nindent 4 }}
{{- end -}}
{{- end -}}
