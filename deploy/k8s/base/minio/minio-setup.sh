#!/bin/sh
# One-shot MinIO setup for Compose: the documents and backups buckets, and a
# service user that can use only those two buckets. Idempotent.
set -eu

: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}"
: "${AIDOC_STORAGE__S3__ACCESS_KEY:?}" "${AIDOC_STORAGE__S3__SECRET_KEY:?}"
documents="${AIDOC_STORAGE__S3__BUCKET:-aidoc-documents}"
backups="${AIDOC_BACKUP__TARGET__S3__BUCKET:-aidoc-backups}"

mc alias set aidoc "${MINIO_URL:-http://minio:9000}" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null
mc mb --ignore-existing "aidoc/$documents"
mc mb --ignore-existing "aidoc/$backups"
mc anonymous set none "aidoc/$documents"
mc anonymous set none "aidoc/$backups"

policy="$(mktemp)"
cat > "$policy" <<JSON
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
      "Resource": ["arn:aws:s3:::$documents", "arn:aws:s3:::$backups"]
    },
    {
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject",
                 "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
      "Resource": ["arn:aws:s3:::$documents/*", "arn:aws:s3:::$backups/*"]
    }
  ]
}
JSON
mc admin policy create aidoc aidoc-service "$policy"
mc admin user add aidoc "$AIDOC_STORAGE__S3__ACCESS_KEY" "$AIDOC_STORAGE__S3__SECRET_KEY"
if ! mc admin user info aidoc "$AIDOC_STORAGE__S3__ACCESS_KEY" | grep -q 'aidoc-service'; then
  mc admin policy attach aidoc aidoc-service --user "$AIDOC_STORAGE__S3__ACCESS_KEY"
fi
rm -f "$policy"
echo "minio-setup: buckets $documents, $backups and user $AIDOC_STORAGE__S3__ACCESS_KEY ready"
