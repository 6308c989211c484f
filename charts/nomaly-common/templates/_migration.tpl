{{/*
Database migrations as a Helm hook Job, run before install and before every upgrade: a failed
migration stops the release before any pod of the new version starts.

A pre-install hook runs before the release's ordinary objects exist, so the Job cannot read the
ConfigMap or the ServiceAccount: it carries the same variables inline and uses the namespace's
default account (it mounts no token either way). A chart-made Secret does not exist yet either,
so the Job then gets a hook copy, deleted once the hooks succeed.
*/}}

{{/*
Whether this chart runs migrations ("true" or ""): not when the contract says another service's
chart migrates its tables (`migratedBy`) or that it has none (`stateless`); the values of either
have no `migration` section.
*/}}
{{- define "nomaly.migrationEnabled" -}}
{{- $contract := include "nomaly.contract" . | fromYaml -}}
{{- if and (not $contract.migratedBy) (not $contract.stateless) .Values.migration.enabled -}}
true
{{- end -}}
{{- end -}}

{{/* The Job's pod labels: a name of its own, so the Service and PDB never select these pods. */}}
{{- define "nomaly.migrationSelectorLabels" -}}
app.kubernetes.io/name: {{ include "nomaly.name" . }}-migration
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "nomaly.migrationSecretName" -}}
{{- if and .Values.secret.create (not .Values.existingSecret) -}}
{{- printf "%s-migration" (include "nomaly.fullname" .) -}}
{{- else -}}
{{- include "nomaly.secretName" . -}}
{{- end -}}
{{- end -}}

{{- define "nomaly.migrationSecret" -}}
{{- if and (include "nomaly.migrationEnabled" .) .Values.secret.create (not .Values.existingSecret) -}}
# Copy of the development secrets for the migration hook, which runs before the chart's Secret exists.
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "nomaly.migrationSecretName" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "nomaly.componentLabels" (dict "context" . "component" "migration") | nindent 4 }}
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: "-5"
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
type: Opaque
data:
  {{- include "nomaly.secretData" . | nindent 2 }}
{{- end -}}
{{- end -}}

{{- define "nomaly.migrationJob" -}}
{{- if include "nomaly.migrationEnabled" . -}}
{{- $fullname := include "nomaly.fullname" . -}}
# Runs `migrate up` for {{ $fullname }} before the release changes anything else. Needs
# DATABASE_URL in the Secret {{ include "nomaly.migrationSecretName" . }}.
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ $fullname }}-migrate
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "nomaly.componentLabels" (dict "context" . "component" "migration") | nindent 4 }}
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: "0"
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  backoffLimit: {{ .Values.migration.backoffLimit }}
  activeDeadlineSeconds: {{ .Values.migration.activeDeadlineSeconds }}
  template:
    metadata:
      labels:
        {{- include "nomaly.migrationSelectorLabels" . | nindent 8 }}
        app.kubernetes.io/component: migration
        app.kubernetes.io/part-of: nomaly
        app.kubernetes.io/version: {{ include "nomaly.version" . | quote }}
      annotations:
        # A sidecar would keep the Job's pod running after the migration ends.
        sidecar.istio.io/inject: "false"
        {{- with .Values.migration.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      restartPolicy: Never
      automountServiceAccountToken: false
      enableServiceLinks: false
      securityContext:
        {{- include "nomaly.podSecurityContext" . | nindent 8 }}
      {{- with include "nomaly.imagePullSecrets" . }}
      imagePullSecrets:
        {{- . | nindent 8 }}
      {{- end }}
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: migrate
          image: {{ include "nomaly.image" . }}
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          # `args`, not `command`: the image's entrypoint (tini) stays PID 1.
          args:
            - node
            - apps/{{ .Chart.Name }}/dist/cli.js
            - migrate
            - up
          env:
            {{- range $name, $value := include "nomaly.configEnv" . | fromYaml }}
            - name: {{ $name }}
              value: {{ $value | quote }}
            {{- end }}
          envFrom:
            - secretRef:
                name: {{ include "nomaly.migrationSecretName" . }}
          resources:
            {{- toYaml .Values.migration.resources | nindent 12 }}
          securityContext:
            {{- include "nomaly.containerSecurityContext" . | nindent 12 }}
          volumeMounts:
            {{- include "nomaly.tmpVolumeMount" . | nindent 12 }}
      volumes:
        {{- include "nomaly.tmpVolume" . | nindent 8 }}
{{- end -}}
{{- end -}}
