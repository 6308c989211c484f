{{/*
Configuration: the environment each service validates at boot (apps/<service>/src/config.ts).
Non-secret variables go to the ConfigMap `<fullname>`; secrets come from a Secret by envFrom.
*/}}

{{/*
A value as the service parses it. Helm reads every YAML number as a float, which would print
1000000 as "1e+06" and fail the service's integer check, so whole numbers print as integers.
*/}}
{{- define "nomaly.envValue" -}}
{{- if kindIs "float64" . -}}
{{- if eq (float64 (int64 .)) . -}}{{ int64 . }}{{- else -}}{{ . }}{{- end -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}

{{/* ENVIRONMENT: the chart's value, then the umbrella's global.environment, then production. */}}
{{- define "nomaly.environment" -}}
{{- $global := .Values.global | default dict -}}
{{- .Values.config.ENVIRONMENT | default (get $global "environment") | default "production" -}}
{{- end -}}

{{/*
Every non-secret variable as a YAML map of strings. The contract fixes SERVICE_NAME, HOST, PORT
and GRPC_PORT (the mesh and the probes depend on them), so values cannot change those; the
addresses of other services default to their in-cluster names and may be overridden in
`config`. Empty values are left out: the services read an empty variable as unset.
*/}}
{{- define "nomaly.configEnv" -}}
{{- $contract := include "nomaly.contract" . | fromYaml -}}
{{- $services := include "nomaly.contract.services" . | fromYaml -}}
{{- $env := dict -}}
{{- range $name, $value := .Values.config -}}
{{- if and (not (kindIs "invalid" $value)) (ne (toString $value) "") -}}
{{- $_ := set $env $name (include "nomaly.envValue" $value) -}}
{{- end -}}
{{- end -}}
{{- range $contract.calls -}}
{{- if and .env (not (get $env .env)) -}}
{{- $peer := get $services .service -}}
{{- $host := include "nomaly.serviceHost" (dict "service" .service "context" $) -}}
{{- if eq .port "http" -}}
{{- $_ := set $env .env (printf "http://%s:%d%s" $host (int $peer.http) (.path | default "")) -}}
{{- else -}}
{{- $_ := set $env .env (printf "%s:%d" $host (int $peer.grpc)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $_ := set $env "SERVICE_NAME" (include "nomaly.fullname" .) -}}
{{- $_ := set $env "ENVIRONMENT" (include "nomaly.environment" .) -}}
{{- $_ := set $env "HOST" "0.0.0.0" -}}
{{- $_ := set $env "PORT" (toString (int $contract.http)) -}}
{{- if $contract.grpc -}}
{{- $_ := set $env "GRPC_PORT" (toString (int $contract.grpc)) -}}
{{- end -}}
{{- $lines := list -}}
{{- range $name := keys $env | sortAlpha -}}
{{- $lines = append $lines (printf "%s: %s" $name (get $env $name | quote)) -}}
{{- end -}}
{{- join "\n" $lines -}}
{{- end -}}

{{/*
The Secret the pods read, most specific first: the chart's existingSecret; the chart-made
`<fullname>-secrets` when secret.create; the umbrella's global.existingSecret; else
`<fullname>-secrets`, created beforehand by whoever manages the secrets.
*/}}
{{- define "nomaly.secretName" -}}
{{- $global := .Values.global | default dict -}}
{{- $own := printf "%s-secrets" (include "nomaly.fullname" .) -}}
{{- if .Values.existingSecret -}}
{{- .Values.existingSecret -}}
{{- else if .Values.secret.create -}}
{{- $own -}}
{{- else -}}
{{- get $global "existingSecret" | default $own -}}
{{- end -}}
{{- end -}}

{{/* The chart-made Secret's data (secret.create, development and test only), base64-encoded. */}}
{{- define "nomaly.secretData" -}}
{{- $lines := list -}}
{{- range $name := without (keys .Values.secret) "create" | sortAlpha -}}
{{- $value := get $.Values.secret $name | toString -}}
{{- if $value -}}
{{- $lines = append $lines (printf "%s: %s" $name ($value | b64enc | quote)) -}}
{{- end -}}
{{- end -}}
{{- join "\n" $lines -}}
{{- end -}}
