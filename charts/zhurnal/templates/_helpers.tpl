{{/*
Shared helpers. Every template loops over .Values.services; the per-service helpers take a
dict: (dict "root" $ "name" <service name> "svc" <service values> ...).
*/}}

{{/* The chart name, overridable with nameOverride. */}}
{{- define "zhurnal.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-scoped prefix of every object name: the release name alone when it already
contains the chart name ("zhurnal", "zhurnal-staging"), else "<release>-zhurnal". */}}
{{- define "zhurnal.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* "name-version" for the helm.sh/chart label. */}}
{{- define "zhurnal.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Object name of a service's Deployment, Service, ServiceAccount, HPA, PDB and
NetworkPolicy: "<fullname>-<service>". Args: root, name. */}}
{{- define "zhurnal.serviceName" -}}
{{- printf "%s-%s" (include "zhurnal.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Object name of one process's Deployment: the service's name for its server, with the
worker's name appended for a worker ("zhurnal-journal-relay"). Args: root, name, process. */}}
{{- define "zhurnal.processName" -}}
{{- if eq .process "server" -}}
{{- include "zhurnal.serviceName" . -}}
{{- else -}}
{{- printf "%s-%s" (include "zhurnal.serviceName" .) .process | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels that select every pod of one service (its server and its workers): what its
NetworkPolicy and the other services' policies match. Args: root, name. */}}
{{- define "zhurnal.componentSelectorLabels" -}}
app.kubernetes.io/name: {{ include "zhurnal.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* Labels that select the pods of one process of one service: a Deployment's selector, and
for the server also its Service and PDB. Args: root, name, process. */}}
{{- define "zhurnal.selectorLabels" -}}
{{ include "zhurnal.componentSelectorLabels" . }}
zhurnal.io/process: {{ .process }}
{{- end -}}

{{/* Every label of an object of one service. Args: root, name, process (optional). */}}
{{- define "zhurnal.labels" -}}
helm.sh/chart: {{ include "zhurnal.chart" .root }}
{{ include "zhurnal.componentSelectorLabels" . }}
{{- if .process }}
zhurnal.io/process: {{ .process }}
{{- end }}
app.kubernetes.io/part-of: zhurnal
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end -}}

{{/* The service's container image: [<registry>/]<repository>(:<tag>|@<digest>).
Args: root, svc. */}}
{{- define "zhurnal.image" -}}
{{- $g := .root.Values.global.image -}}
{{- $repository := .svc.image.repository -}}
{{- if $g.registry -}}
{{- $repository = printf "%s/%s" (trimSuffix "/" $g.registry) $repository -}}
{{- end -}}
{{- if .svc.image.digest -}}
{{- printf "%s@%s" $repository .svc.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repository (.svc.image.tag | default $g.tag | default .root.Chart.AppVersion | toString) -}}
{{- end -}}
{{- end -}}

{{/* The env prefix of a service's settings: ZHURNAL_<NAME>_ (pydantic-settings env_prefix).
Args: name. */}}
{{- define "zhurnal.envPrefix" -}}
{{- printf "ZHURNAL_%s_" (.name | upper | replace "-" "_") -}}
{{- end -}}

{{/* The container env of a service's process: what the chart derives from global settings
(listen addresses, Kafka, Keycloak, the addresses of the services it calls), then
global.env, the service's env and the worker's env, later ones winning; every name gets the
service's prefix. Then extraEnv verbatim. Args: root, name, svc, worker (optional). */}}
{{- define "zhurnal.env" -}}
{{- $root := .root -}}
{{- $g := $root.Values.global -}}
{{- $svc := .svc -}}
{{- $prefix := include "zhurnal.envPrefix" . -}}
{{- /* Every process listens on all of the pod's addresses: probes, Prometheus and callers
come from outside it. */ -}}
{{- $vars := dict "ENVIRONMENT" $g.environment "BIND_HOST" "0.0.0.0" -}}
{{- if eq $svc.kind "grpc" -}}
{{- $_ := set $vars "GRPC_PORT" $g.ports.grpc -}}
{{- else -}}
{{- $_ := set $vars "HTTP_PORT" $g.ports.http -}}
{{- end -}}
{{- if or (eq $svc.kind "grpc") .worker -}}
{{- $_ := set $vars "METRICS_PORT" $g.ports.metrics -}}
{{- end -}}
{{- if $svc.uses.kafka -}}
{{- $_ := set $vars "KAFKA_BOOTSTRAP" $g.kafka.bootstrap -}}
{{- end -}}
{{- if $svc.uses.keycloak -}}
{{- $_ := set $vars "KEYCLOAK_URL" $g.keycloak.url -}}
{{- $_ := set $vars "KEYCLOAK_REALM" $g.keycloak.realm -}}
{{- end -}}
{{- range $callee := $svc.calls -}}
{{- $target := get $root.Values.services $callee -}}
{{- if not $target -}}
{{- fail (printf "services.%s.calls names %q, which is not a service" $.name $callee) -}}
{{- end -}}
{{- if ne $target.kind "grpc" -}}
{{- fail (printf "services.%s.calls names %q, which is not a gRPC service" $.name $callee) -}}
{{- end -}}
{{- if $target.enabled -}}
{{- $addr := printf "%s:%v" (include "zhurnal.serviceName" (dict "root" $root "name" $callee)) $g.ports.grpc -}}
{{- $_ := set $vars (printf "%s_ADDR" ($callee | upper | replace "-" "_")) $addr -}}
{{- end -}}
{{- end -}}
{{- $workerEnv := dict -}}
{{- if .worker -}}
{{- $workerEnv = .worker.env | default dict -}}
{{- end -}}
{{- /* sprig's merge: the first dict wins, so the most specific comes first. */ -}}
{{- $vars = merge (dict) $workerEnv ($svc.env | default dict) ($g.env | default dict) $vars -}}
{{- range $key := keys $vars | sortAlpha }}
- name: {{ printf "%s%s" $prefix $key }}
  value: {{ get $vars $key | toString | quote }}
{{- end }}
{{- with $svc.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The container securityContext of every container: not configurable on purpose. */}}
{{- define "zhurnal.containerSecurityContext" -}}
runAsNonRoot: true
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* NetworkPolicy ports from a list of port numbers. Args: ports, protocol (optional). */}}
{{- define "zhurnal.policyPorts" -}}
{{- range $port := .ports }}
- port: {{ $port }}
  protocol: {{ $.protocol | default "TCP" }}
{{- end }}
{{- end -}}
