{{/* NOTES.txt of a service chart: what was deployed and how to follow it. */}}
{{- define "nomaly.notes" -}}
{{- $fullname := include "nomaly.fullname" . -}}
{{- $contract := include "nomaly.contract" . | fromYaml -}}
{{- $ns := .Release.Namespace -}}
{{ $fullname }} {{ include "nomaly.imageTag" . }} in namespace {{ $ns }} (image {{ include "nomaly.image" . }}).

Addresses in the cluster:
{{- if $contract.route }}
  {{ if $contract.paths }}HTTP{{ else }}REST{{ end }}  http://{{ include "nomaly.serviceHost" (dict "service" $fullname "context" .) }}:{{ $contract.http | int }}  ({{ $contract.paths | default "/health, /ready, /metrics, /api/docs" }})
{{- else }}
  HTTP  http://{{ include "nomaly.serviceHost" (dict "service" $fullname "context" .) }}:{{ $contract.http | int }}  (/health, /ready, /status, /metrics only: it serves no API)
{{- end }}
{{- if $contract.grpc }}
  gRPC  {{ include "nomaly.serviceHost" (dict "service" $fullname "context" .) }}:{{ $contract.grpc | int }}
{{- end }}
{{- if .Values.rollout.enabled }}

Rollout ({{ .Values.rollout.strategy }}):
  kubectl argo rollouts get rollout {{ $fullname }} -n {{ $ns }} --watch
  kubectl argo rollouts promote {{ $fullname }} -n {{ $ns }}    # next step, or switch a blue-green
{{- if $contract.route }}
  kubectl argo rollouts abort {{ $fullname }} -n {{ $ns }}      # traffic back to stable
{{- if eq .Values.rollout.strategy "canary" }}
  Try the canary before it gets user traffic: send the header `canary: true`.
{{- end }}
{{- else }}
  kubectl argo rollouts abort {{ $fullname }} -n {{ $ns }}      # every replica back to stable
  The canary shifts replicas, not traffic: at setWeight N, about N% of the pods run the new
  version and take jobs from the queues like the others.
{{- end }}
{{- else }}

Deployment:
  kubectl rollout status deployment/{{ $fullname }} -n {{ $ns }}
{{- end }}
{{- if $contract.stateless }}

No database, Redis, Secret or migrations: {{ $fullname }} keeps no state.
{{- else }}
{{- if $contract.migratedBy }}

Migrations: {{ $fullname }}'s tables are the {{ $contract.migratedBy }}'s, migrated by that chart's hook Job;
deploy or upgrade the {{ $contract.migratedBy }} first.
{{- else if .Values.migration.enabled }}

Migrations ran as the hook Job {{ $fullname }}-migrate (deleted when it succeeds). A failed one
stays for its logs: kubectl logs -n {{ $ns }} job/{{ $fullname }}-migrate
{{- end }}

Secrets are read from the Secret {{ include "nomaly.secretName" . }}{{ if not .Values.secret.create }}, which must exist{{ end }}.
{{- end }}
{{- end -}}
