{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "dnssync.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: <release>-<chart>, or the release name when it already contains the chart name. */}}
{{- define "dnssync.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "dnssync.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "dnssync.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dnssync.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "dnssync.labels" -}}
helm.sh/chart: {{ include "dnssync.chart" . }}
{{ include "dnssync.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: controller
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "dnssync.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "dnssync.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "dnssync.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/* "true" when leader election is on: asked for, or more than one replica. */}}
{{- define "dnssync.leaderElection" -}}
{{- if or .Values.leaderElection.enabled (gt (int .Values.replicaCount) 1) }}true{{ end }}
{{- end }}

{{- define "dnssync.leaseName" -}}
{{- default (include "dnssync.fullname" .) .Values.leaderElection.leaseName }}
{{- end }}

{{/* The zones of the inmemory/zonefile providers; fails early without any. */}}
{{- define "dnssync.requireZones" -}}
{{- if not .Values.provider.zones }}
{{- fail (printf "provider.zones must list at least one zone for the %s provider" .Values.provider.name) }}
{{- end }}
{{- end }}

{{/* Settings that the schema cannot express; rendered (empty) by the Deployment. */}}
{{- define "dnssync.validate" -}}
{{- $p := .Values.provider }}
{{- if has $p.name (list "inmemory" "zonefile") }}
{{- include "dnssync.requireZones" . }}
{{- end }}
{{- if eq $p.name "rfc2136" }}
{{- if not $p.rfc2136.host }}
{{- fail "provider.rfc2136.host is required for the rfc2136 provider" }}
{{- end }}
{{- if not $p.rfc2136.zones }}
{{- fail "provider.rfc2136.zones must list at least one zone for the rfc2136 provider" }}
{{- end }}
{{- if and $p.rfc2136.insecure $p.rfc2136.tsigSecret.existingSecret }}
{{- fail "provider.rfc2136.insecure and provider.rfc2136.tsigSecret.existingSecret exclude each other" }}
{{- end }}
{{- if and (not $p.rfc2136.insecure) (or (not $p.rfc2136.tsigSecret.existingSecret) (not $p.rfc2136.tsigKeyname)) }}
{{- fail "the rfc2136 provider needs provider.rfc2136.tsigKeyname and provider.rfc2136.tsigSecret.existingSecret (or provider.rfc2136.insecure=true)" }}
{{- end }}
{{- end }}
{{- if and (eq $p.name "webhook") (not $p.webhook.image) }}
{{- fail "provider.webhook.image is required for the webhook provider (the ExternalDNS webhook sidecar)" }}
{{- end }}
{{- if and (eq $p.name "webhook") (eq (int $p.webhook.port) (int .Values.metrics.port)) }}
{{- fail "provider.webhook.port must differ from metrics.port (both listen in one pod)" }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.service.enabled) }}
{{- fail "metrics.serviceMonitor.enabled needs metrics.service.enabled" }}
{{- end }}
{{- $n := .Values.ingressNginx }}
{{- if and (or $n.tcpServices $n.udpServices) (not $n.controller) }}
{{- fail "ingressNginx.tcpServices/udpServices need ingressNginx.controller (the controller's LoadBalancer Service)" }}
{{- end }}
{{- if and $n.controller (not (or $n.tcpServices $n.udpServices)) }}
{{- fail "ingressNginx.controller needs ingressNginx.tcpServices and/or ingressNginx.udpServices" }}
{{- end }}
{{- if and (eq $p.name "zonefile") (gt (int .Values.replicaCount) 1) (not $p.zonefile.existingClaim) }}
{{- fail "the zonefile provider with replicaCount > 1 needs provider.zonefile.existingClaim (a shared volume)" }}
{{- end }}
{{- end }}

{{/* The flags of `dnssync run`, as a YAML list (every item a quoted string). */}}
{{- define "dnssync.args" -}}
{{- $v := .Values }}
{{- $p := .Values.provider }}
{{- $a := list "run" (printf "--provider=%s" $p.name) }}
{{- range $v.sources }}{{ $a = append $a (printf "--source=%s" .) }}{{ end }}
{{- with $v.ingressNginx.controller }}{{ $a = append $a (printf "--ingress-nginx-controller=%s" .) }}{{ end }}
{{- with $v.ingressNginx.tcpServices }}{{ $a = append $a (printf "--ingress-nginx-tcp-services=%s" .) }}{{ end }}
{{- with $v.ingressNginx.udpServices }}{{ $a = append $a (printf "--ingress-nginx-udp-services=%s" .) }}{{ end }}
{{- range $v.traefik.services }}{{ $a = append $a (printf "--traefik-service=%s" .) }}{{ end }}
{{- if $v.traefik.legacy }}{{ $a = append $a "--traefik-legacy" }}{{ end }}
{{- range $v.ingressClasses }}{{ $a = append $a (printf "--ingress-class=%s" .) }}{{ end }}
{{- range $v.namespaces }}{{ $a = append $a (printf "--namespace=%s" .) }}{{ end }}
{{- with $v.labelSelector }}{{ $a = append $a (printf "--label-selector=%s" .) }}{{ end }}
{{- with $v.annotationFilter }}{{ $a = append $a (printf "--annotation-filter=%s" .) }}{{ end }}
{{- range $v.domainFilters }}{{ $a = append $a (printf "--domain=%s" .) }}{{ end }}
{{- range $v.excludeDomains }}{{ $a = append $a (printf "--exclude-domain=%s" .) }}{{ end }}
{{- with $v.ownerId }}{{ $a = append $a (printf "--owner-id=%s" .) }}{{ end }}
{{- with $v.txtPrefix }}{{ $a = append $a (printf "--txt-prefix=%s" .) }}{{ end }}
{{- with $v.txtSuffix }}{{ $a = append $a (printf "--txt-suffix=%s" .) }}{{ end }}
{{- with $v.txtWildcardReplacement }}{{ $a = append $a (printf "--txt-wildcard-replacement=%s" .) }}{{ end }}
{{- $a = append $a (printf "--policy=%s" $v.policy) }}
{{- $a = append $a (printf "--default-ttl=%s" (ternary $v.defaultTTL (toString (int $v.defaultTTL)) (kindIs "string" $v.defaultTTL))) }}
{{- with $v.controllerName }}{{ $a = append $a (printf "--controller=%s" .) }}{{ end }}
{{- $a = append $a (printf "--max-change-percent=%d" (int $v.maxChangePercent)) }}
{{- if $v.force }}{{ $a = append $a "--force" }}{{ end }}
{{- $a = append $a (printf "--interval=%s" $v.interval) }}
{{- $a = append $a (printf "--resync-jitter=%s" $v.resyncJitter) }}
{{- $a = append $a (printf "--debounce=%s" $v.debounce) }}
{{- $a = append $a (printf "--ready-periods=%d" (int $v.readyPeriods)) }}
{{- $a = append $a (ternary "--events" "--no-events" $v.events) }}
{{- $a = append $a (printf "--log-format=%s" $v.logFormat) }}
{{- $a = append $a (printf "--log-level=%s" $v.logLevel) }}
{{- $a = append $a (printf "--metrics-address=0.0.0.0:%d" (int $v.metrics.port)) }}
{{- if include "dnssync.leaderElection" . }}
{{- $a = append $a "--leader-election" }}
{{- $a = append $a (printf "--leader-election-namespace=%s" .Release.Namespace) }}
{{- $a = append $a (printf "--leader-election-name=%s" (include "dnssync.leaseName" .)) }}
{{- $a = append $a (printf "--lease-duration=%s" $v.leaderElection.leaseDuration) }}
{{- $a = append $a (printf "--renew-deadline=%s" $v.leaderElection.renewDeadline) }}
{{- $a = append $a (printf "--retry-period=%s" $v.leaderElection.retryPeriod) }}
{{- else }}
{{- $a = append $a "--no-leader-election" }}
{{- end }}
{{- if has $p.name (list "inmemory" "zonefile") }}
{{- range $p.zones }}{{ $a = append $a (printf "--zone=%s" .) }}{{ end }}
{{- end }}
{{- if eq $p.name "zonefile" }}
{{- $a = append $a (printf "--zonefile-dir=%s" $p.zonefile.dir) }}
{{- end }}
{{- if eq $p.name "rfc2136" }}
{{- $r := $p.rfc2136 }}
{{- $a = append $a (printf "--rfc2136-host=%s" $r.host) }}
{{- $a = append $a (printf "--rfc2136-port=%d" (int $r.port)) }}
{{- range $r.zones }}{{ $a = append $a (printf "--rfc2136-zone=%s" .) }}{{ end }}
{{- if $r.insecure }}
{{- $a = append $a "--rfc2136-insecure" }}
{{- else }}
{{- $a = append $a (printf "--rfc2136-tsig-keyname=%s" $r.tsigKeyname) }}
{{- $a = append $a (printf "--rfc2136-tsig-secret-alg=%s" $r.tsigSecretAlg) }}
{{- $a = append $a (ternary "--rfc2136-tsig-axfr" "--no-rfc2136-tsig-axfr" $r.tsigAxfr) }}
{{- end }}
{{- end }}
{{- if eq $p.name "route53" }}
{{- $r := $p.route53 }}
{{- with $r.zoneType }}{{ $a = append $a (printf "--aws-zone-type=%s" .) }}{{ end }}
{{- range $r.zoneTags }}{{ $a = append $a (printf "--aws-zone-tags=%s" .) }}{{ end }}
{{- $a = append $a (printf "--aws-batch-change-size=%d" (int $r.batchChangeSize)) }}
{{- $a = append $a (printf "--aws-batch-change-size-bytes=%d" (int $r.batchChangeSizeBytes)) }}
{{- $a = append $a (printf "--aws-batch-change-size-values=%d" (int $r.batchChangeSizeValues)) }}
{{- if kindIs "bool" $r.evaluateTargetHealth }}
{{- $a = append $a (ternary "--aws-evaluate-target-health" "--no-aws-evaluate-target-health" $r.evaluateTargetHealth) }}
{{- end }}
{{- end }}
{{- if eq $p.name "webhook" }}
{{- $w := $p.webhook }}
{{- $a = append $a (printf "--webhook-provider-url=http://localhost:%d" (int $w.port)) }}
{{- $a = append $a (printf "--webhook-provider-read-timeout=%s" $w.readTimeout) }}
{{- $a = append $a (printf "--webhook-provider-write-timeout=%s" $w.writeTimeout) }}
{{- $a = append $a (printf "--webhook-provider-max-body-size=%d" (int64 $w.maxBodySize)) }}
{{- range $w.zones }}{{ $a = append $a (printf "--zone=%s" .) }}{{ end }}
{{- end }}
{{- if eq $p.name "google" }}
{{- $g := $p.google }}
{{- with $g.project }}{{ $a = append $a (printf "--google-project=%s" .) }}{{ end }}
{{- with $g.zoneVisibility }}{{ $a = append $a (printf "--google-zone-visibility=%s" .) }}{{ end }}
{{- $a = append $a (printf "--google-batch-change-size=%d" (int $g.batchChangeSize)) }}
{{- with $g.apiEndpoint }}{{ $a = append $a (printf "--google-api-endpoint=%s" .) }}{{ end }}
{{- end }}
{{- range $v.extraArgs }}{{ $a = append $a . }}{{ end }}
{{- toYaml $a }}
{{- end }}
