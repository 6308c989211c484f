{{/*
The pod of a Nomaly service. It meets the `restricted` Pod Security Standard and runs with a
read-only root filesystem: the image (user 10001, tini as PID 1) writes nothing outside /tmp.
*/}}

{{- define "nomaly.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "nomaly.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
Probes. Startup and liveness ask /health (the process answers); readiness asks /ready, which
turns 503 while the pod drains or its database is down, so traffic leaves before shutdown. The
startup probe gives a slow first boot its own budget instead of a long liveness delay.
*/}}
{{- define "nomaly.probes" -}}
startupProbe:
  httpGet:
    path: /health
    port: http
  {{- toYaml .Values.probes.startup | nindent 2 }}
livenessProbe:
  httpGet:
    path: /health
    port: http
  {{- toYaml .Values.probes.liveness | nindent 2 }}
readinessProbe:
  httpGet:
    path: /ready
    port: http
  {{- toYaml .Values.probes.readiness | nindent 2 }}
{{- end -}}

{{/* The writable /tmp of a read-only root filesystem. */}}
{{- define "nomaly.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpVolume.sizeLimit }}
{{- end -}}

{{- define "nomaly.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/*
Soft spreading over zones and nodes unless topologySpreadConstraints is set: losing one node
or zone then takes only part of a service's replicas.
*/}}
{{- define "nomaly.topologySpreadConstraints" -}}
{{- if .Values.topologySpreadConstraints -}}
{{- toYaml .Values.topologySpreadConstraints -}}
{{- else -}}
{{- $constraints := list -}}
{{- $selector := dict "matchLabels" (include "nomaly.selectorLabels" . | fromYaml) -}}
{{- range list "topology.kubernetes.io/zone" "kubernetes.io/hostname" -}}
{{- $constraints = append $constraints (dict "maxSkew" 1 "topologyKey" . "whenUnsatisfiable" "ScheduleAnyway" "labelSelector" $selector) -}}
{{- end -}}
{{- toYaml $constraints -}}
{{- end -}}
{{- end -}}

{{/*
The pod template of the Rollout or Deployment. Shutdown: Kubernetes sends SIGTERM after the
preStop sleep, by which time the endpoints controller and the sidecars have stopped routing new
requests here; the service then drains within SHUTDOWN_TIMEOUT_MS. The grace period covers both
(nomaly.validateValues checks it). A chart that takes no requests (the worker) sets
preStopSleepSeconds to 0: no preStop hook, and its drain gets the whole grace period. A
stateless chart (the web) reads no Secret, so its pods name none.
*/}}
{{- define "nomaly.podTemplate" -}}
{{- $contract := include "nomaly.contract" . | fromYaml -}}
metadata:
  labels:
    {{- include "nomaly.podLabels" . | nindent 4 }}
  annotations:
    checksum/config: {{ include "nomaly.configEnv" . | sha256sum }}
    {{- if and (not $contract.stateless) .Values.secret.create }}
    checksum/secret: {{ include "nomaly.secretData" . | sha256sum }}
    {{- end }}
    kubectl.kubernetes.io/default-container: {{ .Chart.Name }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "nomaly.fullname" . }}
  # The services never call the Kubernetes API; Istio's sidecar brings its own token.
  automountServiceAccountToken: false
  enableServiceLinks: false
  securityContext:
    {{- include "nomaly.podSecurityContext" . | nindent 4 }}
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  {{- with include "nomaly.imagePullSecrets" . }}
  imagePullSecrets:
    {{- . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  topologySpreadConstraints:
    {{- include "nomaly.topologySpreadConstraints" . | nindent 4 }}
  containers:
    - name: {{ .Chart.Name }}
      image: {{ include "nomaly.image" . }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      ports:
        - name: http
          containerPort: {{ $contract.http | int }}
          protocol: TCP
        {{- if $contract.grpc }}
        - name: grpc
          containerPort: {{ $contract.grpc | int }}
          protocol: TCP
        {{- end }}
      envFrom:
        - configMapRef:
            name: {{ include "nomaly.fullname" . }}
        {{- if not $contract.stateless }}
        - secretRef:
            name: {{ include "nomaly.secretName" . }}
        {{- end }}
      {{- with .Values.extraEnv }}
      env:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- include "nomaly.containerSecurityContext" . | nindent 8 }}
      {{- include "nomaly.probes" . | nindent 6 }}
      {{- if gt (int .Values.preStopSleepSeconds) 0 }}
      # `exec sleep` (the image is Debian-based), not the native `sleep` action: the Rollout
      # CRD's pod schema is that of the Kubernetes version Argo Rollouts was built with, and
      # where that predates the action (1.29) the API server prunes it, leaving an empty preStop
      # handler that every new pod is rejected for.
      lifecycle:
        preStop:
          exec:
            command:
              - sleep
              - {{ .Values.preStopSleepSeconds | quote }}
      {{- end }}
      volumeMounts:
        {{- include "nomaly.tmpVolumeMount" . | nindent 8 }}
  volumes:
    {{- include "nomaly.tmpVolume" . | nindent 4 }}
{{- end -}}
