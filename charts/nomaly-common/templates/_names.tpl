{{/*
Names, and the deployment contract every Nomaly chart shares.

The fullname is the chart name (or fullnameOverride) and never carries the release name: the
mesh configuration in istio/ and the gRPC addresses name the services `auth-service`,
`dataset-service`, `model-service` and `detector-service`, so a release prefix would break them.
*/}}

{{- define "nomaly.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "nomaly.fullname" -}}
{{- default .Chart.Name .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "nomaly.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The services of the deployment contract (docs/deployment.md): ports, the
VirtualService route prefix Argo Rollouts shifts, and whom each one calls. Callers are derived
from `calls`, so a new edge is added in one place and reaches the env, the NetworkPolicies of
both ends and nothing else. Every service's sidecar fetches the auth-service's JWKS for the
RequestAuthentication (istio/request-authentication.yaml), the auth-service's own included.

What an entry leaves out, it does not have:
- no `route`: no public REST and nothing for Istio to shift. No ingress-gateway rule, a canary
  by replica share (no trafficRouting), no analysis or alerts from request telemetry, and no
  blue-green (a preview Service would hold back nothing).
- no `grpc`: no gRPC server, port or GRPC_PORT.
- `migratedBy: <service>`: its tables are that service's, migrated by that chart's hook Job, so
  no migration Job of its own.
- `jobs: true`: a queue consumer. Its canary is judged on its job outcomes, and its alerts
  watch job failures and the queues.
- `component`: its app.kubernetes.io/component label (default api).
- `stateless: true`: no database, Redis or secrets at all. No Secret (nor envFrom of one), no
  migration Job, no PostgreSQL/Redis egress, no database or circuit-breaker alerts.
- `paths`: what its http port serves, for NOTES (default the API's).
*/}}
{{- define "nomaly.contract.services" -}}
auth-service:
  route: auth
  http: 8003
  grpc: 50054
  calls:
    - service: auth-service
      port: http
dataset-service:
  route: dataset
  http: 8001
  grpc: 50052
  calls:
    - service: auth-service
      port: http
      env: AUTH_JWKS_URL
      path: /.well-known/jwks.json
model-service:
  route: model
  http: 8002
  grpc: 50053
  registry: true
  calls:
    - service: auth-service
      port: http
      env: AUTH_JWKS_URL
      path: /.well-known/jwks.json
# The detector-service serves no gRPC (ARCHITECTURE reserves 50051 for it): no grpc port.
detector-service:
  route: detector
  http: 8000
  detector: true
  calls:
    - service: auth-service
      port: http
      env: AUTH_JWKS_URL
      path: /.well-known/jwks.json
    - service: dataset-service
      port: grpc
      env: DATASET_SERVICE_GRPC_URL
    - service: model-service
      port: grpc
      env: MODEL_SERVICE_GRPC_URL
# Batch training and detection from the Redis queues (apps/worker): HTTP only for the probes and
# /metrics, no gRPC server; the detector-service's migrations create the job tables.
worker:
  component: worker
  http: 8005
  jobs: true
  migratedBy: detector-service
  calls:
    - service: auth-service
      port: http
    - service: dataset-service
      port: grpc
      env: DATASET_SERVICE_GRPC_URL
    - service: model-service
      port: grpc
      env: MODEL_SERVICE_GRPC_URL
# The web UI (apps/web): static files from memory under /ui, routed by
# istio/virtual-service-web.yaml (VirtualService nomaly-web); it calls nothing (the browser
# calls the API) and keeps no state.
web:
  component: frontend
  route: web
  http: 8004
  stateless: true
  paths: /ui, /health, /ready, /metrics
{{- end -}}

{{/* This chart's entry of the contract, as YAML (use with fromYaml). */}}
{{- define "nomaly.contract" -}}
{{- $services := include "nomaly.contract.services" . | fromYaml -}}
{{- $entry := get $services .Chart.Name -}}
{{- if not $entry -}}
{{- fail (printf "chart %q is not a Nomaly service: nomaly-common knows %s" .Chart.Name (keys $services | sortAlpha | join ", ")) -}}
{{- end -}}
{{- toYaml $entry -}}
{{- end -}}

{{/*
The in-cluster callers of this chart's service, as YAML `{callers: [{service, port}]}`: every
contract edge whose target is this chart.
*/}}
{{- define "nomaly.contract.callers" -}}
{{- $services := include "nomaly.contract.services" . | fromYaml -}}
{{- $callers := list -}}
{{- range $name := keys $services | sortAlpha -}}
{{- range (get $services $name).calls -}}
{{- if eq .service $.Chart.Name -}}
{{- $callers = append $callers (dict "service" $name "port" .port) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toYaml (dict "callers" $callers) -}}
{{- end -}}

{{/* `<service>.<namespace>.svc.<cluster domain>`: the address the contract gives each service. */}}
{{- define "nomaly.serviceHost" -}}
{{- printf "%s.%s.svc.%s" .service .context.Release.Namespace .context.Values.clusterDomain -}}
{{- end -}}
