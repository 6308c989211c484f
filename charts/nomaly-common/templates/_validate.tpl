{{/*
Values validation beyond values.schema.json: the rules that relate several values, or that a
schema cannot say clearly. Every problem is collected, then the chart fails once listing all of
them, so one `helm install` attempt shows everything to fix.
*/}}

{{- define "nomaly.validateValues" -}}
{{- $problems := list -}}
{{- $v := .Values -}}
{{- $contract := include "nomaly.contract" . | fromYaml -}}

{{- /* Image: pinned, never latest. */ -}}
{{- if not $v.image.digest -}}
{{- if eq (include "nomaly.imageTag" .) "latest" -}}
{{- $problems = append $problems "image.tag (or global.image.tag) is \"latest\": pin a version or set image.digest, so every pod of a release runs the same build" -}}
{{- end -}}
{{- if eq (include "nomaly.imageTag" .) "" -}}
{{- $problems = append $problems "image.tag is empty and the chart has no appVersion: set image.tag or image.digest" -}}
{{- end -}}
{{- end -}}

{{- /* Replicas and scaling. */ -}}
{{- $minReplicas := int $v.replicaCount -}}
{{- if $v.autoscaling.enabled -}}
{{- $minReplicas = int $v.autoscaling.minReplicas -}}
{{- if lt (int $v.autoscaling.maxReplicas) (int $v.autoscaling.minReplicas) -}}
{{- $problems = append $problems (printf "autoscaling.maxReplicas (%d) is below autoscaling.minReplicas (%d)" (int $v.autoscaling.maxReplicas) (int $v.autoscaling.minReplicas)) -}}
{{- end -}}
{{- if not (or $v.autoscaling.targetCPUUtilizationPercentage $v.autoscaling.targetMemoryUtilizationPercentage) -}}
{{- $problems = append $problems "autoscaling is enabled but both targetCPUUtilizationPercentage and targetMemoryUtilizationPercentage are 0: give it at least one target" -}}
{{- end -}}
{{- end -}}

{{- /* Disruption budget: one form, and one that lets a node drain. */ -}}
{{- $pdb := $v.podDisruptionBudget -}}
{{- if $pdb.enabled -}}
{{- $minAvailable := toString $pdb.minAvailable -}}
{{- $maxUnavailable := toString $pdb.maxUnavailable -}}
{{- if and (ne $minAvailable "") (ne $maxUnavailable "") -}}
{{- $problems = append $problems "podDisruptionBudget: set minAvailable or maxUnavailable, not both" -}}
{{- else if and (eq $minAvailable "") (eq $maxUnavailable "") -}}
{{- $problems = append $problems "podDisruptionBudget: set minAvailable or maxUnavailable" -}}
{{- end -}}
{{- if and (ne $minAvailable "") (regexMatch "^[0-9]+$" $minAvailable) (ge (int $minAvailable) $minReplicas) -}}
{{- $problems = append $problems (printf "podDisruptionBudget.minAvailable (%s) must be below the replica count (%d), or no node could ever be drained" $minAvailable $minReplicas) -}}
{{- end -}}
{{- if eq $minAvailable "100%" -}}
{{- $problems = append $problems "podDisruptionBudget.minAvailable is 100%: no node could ever be drained" -}}
{{- end -}}
{{- if and (ne $maxUnavailable "") (regexMatch "^0%?$" $maxUnavailable) -}}
{{- $problems = append $problems "podDisruptionBudget.maxUnavailable is 0: no node could ever be drained" -}}
{{- end -}}
{{- end -}}

{{- /* Shutdown: the grace period must outlast the preStop sleep plus the service's drain. */ -}}
{{- $shutdownMs := int (default 10000 $v.config.SHUTDOWN_TIMEOUT_MS) -}}
{{- $neededSeconds := add (int $v.preStopSleepSeconds) (div (add $shutdownMs 999) 1000) -}}
{{- if le (int $v.terminationGracePeriodSeconds) (int $neededSeconds) -}}
{{- $problems = append $problems (printf "terminationGracePeriodSeconds (%d) must exceed preStopSleepSeconds (%d) + config.SHUTDOWN_TIMEOUT_MS (%d ms), or Kubernetes kills the service mid-drain" (int $v.terminationGracePeriodSeconds) (int $v.preStopSleepSeconds) $shutdownMs) -}}
{{- end -}}

{{- /* Rollouts and analysis. */ -}}
{{- if $v.rollout.enabled -}}
{{- if eq $v.rollout.strategy "canary" -}}
{{- $steps := $v.rollout.canary.steps | default list -}}
{{- if not $steps -}}
{{- $problems = append $problems "rollout.canary.steps is empty: give the canary at least one step" -}}
{{- end -}}
{{- if and $v.analysis.enabled (ge (int $v.rollout.canary.analysisStartingStep) (len $steps)) -}}
{{- $problems = append $problems (printf "rollout.canary.analysisStartingStep (%d) is past the last step (%d steps): the analysis would never run" (int $v.rollout.canary.analysisStartingStep) (len $steps)) -}}
{{- end -}}
{{- range $index, $step := $steps -}}
{{- if ne (len (keys $step)) 1 -}}
{{- $problems = append $problems (printf "rollout.canary.steps[%d] must hold exactly one action (setWeight, pause, analysis, ...), found %s" $index (keys $step | sortAlpha | join ", " | default "none")) -}}
{{- end -}}
{{- end -}}
{{- else if and (eq $v.rollout.strategy "blueGreen") $contract.route $v.analysis.enabled (le (int $v.analysis.count) 0) -}}
{{- $problems = append $problems "analysis.count must be above 0 with rollout.strategy blueGreen: pre- and post-promotion analysis must end (a canary's background analysis runs until the rollout ends)" -}}
{{- end -}}
{{- end -}}
{{- if and (include "nomaly.anomalyBehaviourEnabled" .) (not $v.serviceMonitor.enabled) -}}
{{- $problems = append $problems "analysis.anomalyBehaviour.enabled needs serviceMonitor.enabled: its queries select pods by the rollouts_pod_template_hash label the ServiceMonitor adds" -}}
{{- end -}}
{{- if and (include "nomaly.jobAnalysisEnabled" .) (not $v.serviceMonitor.enabled) -}}
{{- $problems = append $problems "analysis.enabled needs serviceMonitor.enabled: the job-failures analysis selects pods by the rollouts_pod_template_hash label the ServiceMonitor adds" -}}
{{- end -}}
{{- if and $v.rollout.enabled (eq $v.rollout.strategy "blueGreen") (not $contract.route) -}}
{{- $problems = append $problems (printf "rollout.strategy is blueGreen, but %s takes no traffic (it has no route): a preview Service would hold nothing back while the new pods took jobs from the queues anyway. Use canary, whose steps shift the share of replicas" .Chart.Name) -}}
{{- end -}}

{{- /* Secrets; a stateless chart has none (and no such values). */ -}}
{{- if not $contract.stateless -}}
{{- $environment := include "nomaly.environment" . -}}
{{- if and $v.existingSecret $v.secret.create -}}
{{- $problems = append $problems "existingSecret and secret.create are both set: use one" -}}
{{- end -}}
{{- if $v.secret.create -}}
{{- if has $environment (list "staging" "production") -}}
{{- $problems = append $problems (printf "secret.create is for development and test, and ENVIRONMENT is %s: create the Secret with your secret manager and name it in existingSecret" $environment) -}}
{{- end -}}
{{- if not $v.secret.DATABASE_URL -}}
{{- $problems = append $problems "secret.DATABASE_URL is empty: the service and its migration Job need a PostgreSQL URL (the embedded database cannot run on a read-only filesystem)" -}}
{{- else if not (regexMatch "^postgres(ql)?://" $v.secret.DATABASE_URL) -}}
{{- $problems = append $problems "secret.DATABASE_URL must start with postgres:// or postgresql://" -}}
{{- end -}}
{{- if and $v.secret.REDIS_URL (not (regexMatch "^rediss?://" $v.secret.REDIS_URL)) -}}
{{- $problems = append $problems "secret.REDIS_URL must start with redis:// or rediss://" -}}
{{- else if and $contract.jobs (not $v.secret.REDIS_URL) -}}
{{- $problems = append $problems (printf "secret.REDIS_URL is empty: %s takes its jobs from the queues in Redis and does not start without it" .Chart.Name) -}}
{{- end -}}
{{- range $name := list "SECRET_KEY" "API_KEYS_ENCRYPTION_KEY" -}}
{{- $value := get $v.secret $name | default "" | toString -}}
{{- if and $value (lt (len $value) 32) -}}
{{- $problems = append $problems (printf "secret.%s is %d characters: at least 32 are required" $name (len $value)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- if $problems -}}
{{- fail (printf "\n%s: %d problem(s) in the values:\n  - %s" .Chart.Name (len $problems) (join "\n  - " $problems)) -}}
{{- end -}}
{{- end -}}
