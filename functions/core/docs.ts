/**
 * The documentation the product's own error wording cites (outside the checks' wording modules,
 * which keep their own `DOCS`). One place, so what an error links to and what chat shows as a link
 * (chatops/replies.ts `PRODUCT_LINKS`) cannot drift apart: a URL cited here and missing there would
 * reach chat as plain, unlinked text.
 */
export const DOCS = {
  /** Google Cloud, "Project suspension guidelines": what a CONSUMER_SUSPENDED refusal means. */
  gcpProjectSuspension: 'https://cloud.google.com/resource-manager/docs/project-suspension-guidelines',
  /** Google Cloud, "Set up Application Default Credentials". */
  gcpApplicationDefaultCredentials: 'https://cloud.google.com/docs/authentication/provide-credentials-adc',
  /** AWS SDKs and Tools Reference Guide, the format of the shared config and credentials files. */
  awsSharedConfigFormat: 'https://docs.aws.amazon.com/sdkref/latest/guide/file-format.html',
} as const;
