/**
 * A small chart shaped like the Nomaly service charts (deploy contract: Rollout canary or
 * blue-green through Istio subsets, AnalysisTemplate, Services named http/grpc, restricted pod
 * security), plus the istio/ files it needs. It passes the whole check; the tests copy it, seed
 * one mistake by editing a template or values file, and run the real pipeline on it.
 *
 * It lives in TypeScript rather than as files so that no YAML with Go templates sits in the
 * tree for Prettier and yamllint to trip on.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const FIXTURE_CHART = 'fixture-service';

const FILES: Readonly<Record<string, string>> = {
  [`charts/${FIXTURE_CHART}/Chart.yaml`]: `apiVersion: v2
name: ${FIXTURE_CHART}
description: Test fixture of tools/deploy shaped like a Nomaly service chart.
type: application
version: 0.1.0
appVersion: "0.1.0"
icon: https://example.com/icon.png
`,
  [`charts/${FIXTURE_CHART}/values.yaml`]: `image:
  repository: ghcr.io/nomaly/fixture-service
  tag: ""
replicaCount: 2
rollout:
  enabled: true
  strategy: canary
  route: fixture-primary
ports:
  http: 8000
  grpc: 50051
podSecurityContext:
  runAsNonRoot: true
  runAsUser: 10001
  runAsGroup: 10001
  fsGroup: 10001
  seccompProfile:
    type: RuntimeDefault
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: [ALL]
resources:
  requests:
    cpu: 100m
    memory: 128Mi
  limits:
    memory: 256Mi
readinessProbe:
  httpGet:
    path: /ready
    port: http
livenessProbe:
  httpGet:
    path: /health
    port: http
`,
  [`charts/${FIXTURE_CHART}/ci/default-values.yaml`]: `{}
`,
  [`charts/${FIXTURE_CHART}/ci/canary-values.yaml`]: `rollout:
  strategy: canary
`,
  [`charts/${FIXTURE_CHART}/ci/bluegreen-values.yaml`]: `rollout:
  strategy: blueGreen
`,
  [`charts/${FIXTURE_CHART}/ci/deployment-values.yaml`]: `rollout:
  enabled: false
`,
  [`charts/${FIXTURE_CHART}/templates/_helpers.tpl`]: `{{- define "fixture.fullname" -}}
{{- .Chart.Name -}}
{{- end -}}

{{- define "fixture.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "fixture.labels" -}}
{{ include "fixture.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}
`,
  [`charts/${FIXTURE_CHART}/templates/serviceaccount.yaml`]: `apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "fixture.fullname" . }}
  labels:
    {{- include "fixture.labels" . | nindent 4 }}
automountServiceAccountToken: false
`,
  [`charts/${FIXTURE_CHART}/templates/service.yaml`]: `{{- $names := list (include "fixture.fullname" .) -}}
{{- if and .Values.rollout.enabled (eq .Values.rollout.strategy "blueGreen") -}}
{{- $names = append $names (printf "%s-preview" (include "fixture.fullname" .)) -}}
{{- end -}}
{{- range $name := $names }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  labels:
    {{- include "fixture.labels" $ | nindent 4 }}
spec:
  selector:
    {{- include "fixture.selectorLabels" $ | nindent 4 }}
  ports:
    - name: http
      port: {{ $.Values.ports.http }}
      targetPort: http
      appProtocol: http
    - name: grpc
      port: {{ $.Values.ports.grpc }}
      targetPort: grpc
      appProtocol: grpc
{{- end }}
`,
  [`charts/${FIXTURE_CHART}/templates/workload.yaml`]: `{{- if .Values.rollout.enabled }}
apiVersion: argoproj.io/v1alpha1
kind: Rollout
{{- else }}
apiVersion: apps/v1
kind: Deployment
{{- end }}
metadata:
  name: {{ include "fixture.fullname" . }}
  labels:
    {{- include "fixture.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
      {{- include "fixture.selectorLabels" . | nindent 6 }}
  {{- if not .Values.rollout.enabled }}
  strategy:
    type: RollingUpdate
  {{- else if eq .Values.rollout.strategy "canary" }}
  strategy:
    canary:
      trafficRouting:
        istio:
          virtualService:
            name: nomaly
            routes:
              - {{ .Values.rollout.route }}
          destinationRule:
            name: {{ include "fixture.fullname" . }}
            canarySubsetName: canary
            stableSubsetName: stable
      analysis:
        templates:
          - templateName: {{ include "fixture.fullname" . }}-success-rate
        args:
          - name: service-name
            value: {{ include "fixture.fullname" . }}
      steps:
        - setWeight: 20
        - pause:
            duration: 1m
  {{- else }}
  strategy:
    blueGreen:
      activeService: {{ include "fixture.fullname" . }}
      previewService: {{ include "fixture.fullname" . }}-preview
      autoPromotionEnabled: false
      prePromotionAnalysis:
        templates:
          - templateName: {{ include "fixture.fullname" . }}-success-rate
        args:
          - name: service-name
            value: {{ include "fixture.fullname" . }}-preview
  {{- end }}
  template:
    metadata:
      labels:
        {{- include "fixture.labels" . | nindent 8 }}
        app: {{ include "fixture.fullname" . }}
        version: {{ .Chart.AppVersion | quote }}
    spec:
      serviceAccountName: {{ include "fixture.fullname" . }}
      securityContext:
        {{- toYaml .Values.podSecurityContext | nindent 8 }}
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
          ports:
            - name: http
              containerPort: {{ .Values.ports.http }}
            - name: grpc
              containerPort: {{ .Values.ports.grpc }}
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          readinessProbe:
            {{- toYaml .Values.readinessProbe | nindent 12 }}
          livenessProbe:
            {{- toYaml .Values.livenessProbe | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir: {}
`,
  [`charts/${FIXTURE_CHART}/templates/analysistemplate.yaml`]: `{{- if .Values.rollout.enabled }}
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: {{ include "fixture.fullname" . }}-success-rate
  labels:
    {{- include "fixture.labels" . | nindent 4 }}
spec:
  args:
    - name: service-name
    - name: prometheus-address
      value: http://prometheus-operated.monitoring.svc.cluster.local:9090
  metrics:
    - name: success-rate
      interval: 1m
      successCondition: result[0] >= 0.99
      failureLimit: 2
      provider:
        prometheus:
          address: "{{ "{{" }}args.prometheus-address{{ "}}" }}"
          query: >-
            sum(rate(istio_requests_total{destination_service_name="{{ "{{" }}args.service-name{{ "}}" }}",response_code!~"5.*"}[2m]))
            /
            sum(rate(istio_requests_total{destination_service_name="{{ "{{" }}args.service-name{{ "}}" }}"}[2m]))
{{- end }}
`,
  'istio/destination-rule-fixture-service.yaml': `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ${FIXTURE_CHART}
  namespace: nomaly
spec:
  host: ${FIXTURE_CHART}
  subsets:
    - name: stable
      labels:
        app: ${FIXTURE_CHART}
    - name: canary
      labels:
        app: ${FIXTURE_CHART}
`,
  'istio/virtual-service-nomaly.yaml': `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: nomaly
  namespace: nomaly
spec:
  hosts:
    - "*"
  http:
    - name: fixture-primary
      match:
        - uri:
            prefix: /api/v1/fixtures
      route:
        - destination:
            host: ${FIXTURE_CHART}
            subset: stable
            port:
              number: 8000
          weight: 100
        - destination:
            host: ${FIXTURE_CHART}
            subset: canary
            port:
              number: 8000
          weight: 0
`,
};

/** Writes the fixture's `charts/` and `istio/` folders under `root`. */
export async function writeFixture(root: string): Promise<void> {
  for (const [file, text] of Object.entries(FILES)) {
    const target = path.join(root, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, text);
  }
}

/**
 * Replaces `from` by `to` in one file of a copy, exactly once.
 *
 * @throws Error when `from` does not occur exactly once: a seed that silently edits nothing
 *   would make its test pass for the wrong reason.
 */
export async function editFile(file: string, from: string, to: string): Promise<void> {
  const text = await readFile(file, 'utf8');
  const count = text.split(from).length - 1;
  if (count !== 1) {
    throw new Error(
      `editFile: ${file} contains ${JSON.stringify(from)} ${count} times, expected once`,
    );
  }
  await writeFile(file, text.replace(from, to));
}
