"""The only package that talks to AWS: DynamoDB records and S3 objects."""
