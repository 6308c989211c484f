{{/*
Checks of the umbrella's own values; each service chart checks its values itself. Every problem
is collected and the release fails once, listing them all.
*/}}
{{- define "nomaly.validateUmbrella" -}}
{{- $problems := list -}}
{{- if and .Values.istio.enabled (ne .Release.Namespace "nomaly") -}}
{{- $problems = append $problems (printf "the release namespace is %q, but the Istio objects of istio/ (istio.enabled) name the namespace \"nomaly\" and its ServiceAccounts: install with --namespace nomaly" .Release.Namespace) -}}
{{- end -}}
{{- if .Values.istio.enabled -}}
{{- if not (.Files.Glob "files/istio/*.yaml") -}}
{{- $problems = append $problems "istio.enabled, but files/istio/ holds no *.yaml: the symlink charts/nomaly/files/istio -> ../../../istio is missing or was not followed" -}}
{{- end -}}
{{- end -}}
{{- if .Values.monitoring.grafanaDashboard.enabled -}}
{{- $json := .Files.Get "dashboards/nomaly-overview.json" -}}
{{- if not $json -}}
{{- $problems = append $problems "monitoring.grafanaDashboard.enabled, but dashboards/nomaly-overview.json is missing or empty" -}}
{{- else if hasKey (fromJson $json) "Error" -}}
{{- $problems = append $problems (printf "dashboards/nomaly-overview.json is not valid JSON: %s" (get (fromJson $json) "Error")) -}}
{{- end -}}
{{- end -}}
{{- if not (or (index .Values "auth-service").enabled (index .Values "dataset-service").enabled (index .Values "model-service").enabled (index .Values "detector-service").enabled) -}}
{{- $problems = append $problems "every service is disabled (<service>.enabled): the release would deploy no service" -}}
{{- end -}}
{{- if $problems -}}
{{- fail (printf "\n%s: %d problem(s) in the values:\n  - %s" .Chart.Name (len $problems) (join "\n  - " $problems)) -}}
{{- end -}}
{{- end -}}
