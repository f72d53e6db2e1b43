{{/*
Value checks that a schema cannot express. Called from NOTES.txt and from
the ConfigMap, so `helm template`, `install` and `upgrade` all fail early.
*/}}
{{- define "aidoc.validate" -}}
{{- $errors := list -}}
{{- $v := .Values -}}
{{- if eq $v.postgresql.enabled $v.database.external.enabled -}}
{{- $errors = append $errors "enable exactly one of postgresql.enabled and database.external.enabled" -}}
{{- end -}}
{{- if and $v.database.external.enabled (not $v.secrets.existingSecret) (not $v.database.external.url) -}}
{{- $errors = append $errors "database.external.enabled needs database.external.url or secrets.existingSecret (key database-url)" -}}
{{- end -}}
{{- if eq $v.minio.enabled $v.storage.external.enabled -}}
{{- $errors = append $errors "enable exactly one of minio.enabled and storage.external.enabled" -}}
{{- end -}}
{{- if and $v.storage.external.enabled (not $v.storage.external.endpoint) -}}
{{- $errors = append $errors "storage.external.enabled needs storage.external.endpoint" -}}
{{- end -}}
{{- if and $v.storage.external.enabled (not $v.secrets.existingSecret) (or (not $v.storage.external.accessKey) (not $v.storage.external.secretKey)) -}}
{{- $errors = append $errors "storage.external.enabled needs storage.external.accessKey/secretKey or secrets.existingSecret" -}}
{{- end -}}
{{- if or (gt (int $v.backup.replicaCount) 1) $v.backup.autoscaling.enabled -}}
{{- $errors = append $errors "backup is a singleton: keep backup.replicaCount at 1 and backup.autoscaling.enabled false" -}}
{{- end -}}
{{- if and $v.ingress.enabled (not $v.ingress.host) -}}
{{- $errors = append $errors "ingress.enabled needs ingress.host" -}}
{{- end -}}
{{- if not $v.gateway.enabled -}}
{{- $errors = append $errors "gateway.enabled=false leaves aidoc without an entry point" -}}
{{- end -}}
{{- range $name := list "edge" "gateway" "api" "parser" "indexer" -}}
{{- $a := (index $v $name).autoscaling -}}
{{- if and $a.enabled (gt (int $a.minReplicas) (int $a.maxReplicas)) -}}
{{- $errors = append $errors (printf "%s.autoscaling.minReplicas is above maxReplicas" $name) -}}
{{- end -}}
{{- $p := (index $v $name).pdb -}}
{{- if and $p.enabled (not (empty $p.minAvailable)) (not (empty $p.maxUnavailable)) -}}
{{- $errors = append $errors (printf "%s.pdb: set minAvailable or maxUnavailable, not both" $name) -}}
{{- end -}}
{{- end -}}
{{- if lt (int $v.terminationGracePeriodSeconds) 30 -}}
{{- $errors = append $errors "terminationGracePeriodSeconds must be at least 30 (drain time + preStop)" -}}
{{- end -}}
{{- if $errors -}}
{{- fail (printf "\n\naidoc: invalid values:\n  - %s\n" (join "\n  - " $errors)) -}}
{{- end -}}
{{- end -}}
