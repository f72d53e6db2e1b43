{{/* Chart name, truncated to the DNS label limit. */}}
{{- define "aidoc.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified name: "aidoc" for a release named aidoc. */}}
{{- define "aidoc.fullname" -}}
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

{{/* Labels on every object. */}}
{{- define "aidoc.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "aidoc.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: aidoc
{{- end -}}

{{/* Selector labels of one component: (dict "ctx" $ "component" "gateway"). */}}
{{- define "aidoc.selectorLabels" -}}
app.kubernetes.io/name: {{ include "aidoc.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* All labels of one component. */}}
{{- define "aidoc.componentLabels" -}}
{{ include "aidoc.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Image reference: (dict "ctx" $ "image" .image "defaultTag" "x"). */}}
{{- define "aidoc.image" -}}
{{- $registry := .ctx.Values.global.imageRegistry -}}
{{- $repo := .image.repository -}}
{{- if $registry }}{{ $repo = printf "%s/%s" (trimSuffix "/" $registry) $repo }}{{ end -}}
{{- if .image.digest -}}
{{- printf "%s@%s" $repo .image.digest -}}
{{- else -}}
{{- $tag := .image.tag | default .defaultTag | default .ctx.Values.image.tag | default .ctx.Chart.AppVersion -}}
{{- printf "%s:%s" $repo (toString $tag) -}}
{{- end -}}
{{- end -}}

{{- define "aidoc.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-secrets" (include "aidoc.fullname" .)) -}}
{{- end -}}

{{- define "aidoc.configName" -}}
{{- printf "%s-config" (include "aidoc.fullname" .) -}}
{{- end -}}

{{/* The aidoc services, in start order, with the keys of the Secret each reads. */}}
{{- define "aidoc.services" -}}
api:
  portName: grpc
  secrets: [database-url, admin-password]
parser:
  portName: grpc
  secrets: []
indexer:
  portName: grpc
  secrets: [database-url, storage-access-key, storage-secret-key]
backup:
  portName: grpc
  secrets: [database-url, storage-access-key, storage-secret-key]
gateway:
  portName: http
  secrets: [storage-access-key, storage-secret-key, jwt-secret]
{{- end -}}

{{/* Environment variable that points a service at a secret file. */}}
{{- define "aidoc.secretEnv" -}}
{{- $map := dict "database-url" "AIDOC_DATABASE__URL_FILE" "storage-access-key" "AIDOC_STORAGE__S3__ACCESS_KEY_FILE" "storage-secret-key" "AIDOC_STORAGE__S3__SECRET_KEY_FILE" "jwt-secret" "AIDOC_AUTH__JWT_SECRET_FILE" "admin-password" "AIDOC_ADMIN_PASSWORD_FILE" -}}
{{- index $map . -}}
{{- end -}}

{{/* The backups bucket is on the same S3 service as the documents, with the same credentials. */}}
{{- define "aidoc.backupTargetEnv" -}}
- name: AIDOC_BACKUP__TARGET__S3__ACCESS_KEY_FILE
  value: /run/secrets/aidoc/storage-access-key
- name: AIDOC_BACKUP__TARGET__S3__SECRET_KEY_FILE
  value: /run/secrets/aidoc/storage-secret-key
{{- end -}}

{{/* Secret volume with only the given keys: (dict "ctx" $ "keys" (list ...)). */}}
{{- define "aidoc.secretVolume" -}}
- name: secrets
  secret:
    secretName: {{ include "aidoc.secretName" .ctx }}
    defaultMode: 0440
    items:
      {{- range .keys }}
      - key: {{ . }}
        path: {{ . }}
      {{- end }}
{{- end -}}

{{/* Host:port of PostgreSQL for the in-chart database. */}}
{{- define "aidoc.postgresHost" -}}
{{- printf "%s-postgres" (include "aidoc.fullname" .) -}}
{{- end -}}

{{/*
A secret value: the given one, else the one already in the cluster (kept
across upgrades), else a new random one.
(dict "ctx" $ "key" "jwt-secret" "value" .Values.secrets.jwtSecret "length" 48)
*/}}
{{- define "aidoc.secretValue" -}}
{{- if .value -}}
{{- .value -}}
{{- else -}}
{{- $secret := lookup "v1" "Secret" .ctx.Release.Namespace (include "aidoc.secretName" .ctx) -}}
{{- if and $secret (hasKey ($secret.data | default dict) .key) -}}
{{- index $secret.data .key | b64dec -}}
{{- else -}}
{{- randAlphaNum (.length | default 40) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Standard pod-level settings shared by every workload. */}}
{{- define "aidoc.podCommon" -}}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with .Values.global.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* The edge's env/ files (see deploy/nginx/env). */}}
{{- define "aidoc.edgeEnv" -}}
server.conf: |
  listen {{ .Values.edge.port }};
  root /usr/share/aidoc/web;
gateways.conf: |
  server {{ include "aidoc.fullname" . }}-gateway:{{ .Values.gateway.port }} max_fails=3 fail_timeout=10s;
{{- end -}}
