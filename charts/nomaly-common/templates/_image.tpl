{{/*
The image: `<registry>/<repository>:<tag>` or `<registry>/<repository>@<digest>`. The most
specific setting wins: the chart's `image.*`, then the umbrella's `global.image.*`, then the
defaults (registry ghcr.io, tag = the chart's appVersion). A `latest` tag is refused by
nomaly.validateValues: it makes a rollout depend on when a node last pulled.
*/}}

{{- define "nomaly.globalImage" -}}
{{- $global := .Values.global | default dict -}}
{{- toYaml (get $global "image" | default dict) -}}
{{- end -}}

{{- define "nomaly.imageRegistry" -}}
{{- $global := include "nomaly.globalImage" . | fromYaml -}}
{{- .Values.image.registry | default $global.registry | default "ghcr.io" -}}
{{- end -}}

{{/* Also used by the umbrella chart, which has no `image` of its own. */}}
{{- define "nomaly.imageTag" -}}
{{- $global := include "nomaly.globalImage" . | fromYaml -}}
{{- $image := get .Values "image" | default dict -}}
{{- get $image "tag" | default $global.tag | default .Chart.AppVersion | toString -}}
{{- end -}}

{{- define "nomaly.image" -}}
{{- $base := printf "%s/%s" (include "nomaly.imageRegistry" .) .Values.image.repository -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $base .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $base (include "nomaly.imageTag" .) -}}
{{- end -}}
{{- end -}}

{{/* Pull secrets of the chart and of the umbrella, as a list of LocalObjectReferences. */}}
{{- define "nomaly.imagePullSecrets" -}}
{{- $global := include "nomaly.globalImage" . | fromYaml -}}
{{- $refs := list -}}
{{- range concat (.Values.image.pullSecrets | default list) ($global.pullSecrets | default list) | uniq -}}
{{- $refs = append $refs (dict "name" .) -}}
{{- end -}}
{{- if $refs -}}
{{- toYaml $refs -}}
{{- end -}}
{{- end -}}
