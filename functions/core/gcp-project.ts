/**
 * A GCP project id: 6 to 30 lower-case letters, digits or hyphens, a letter first, no hyphen last
 * (https://cloud.google.com/resource-manager/docs/creating-managing-projects). Written once here:
 * the policy, the CLI's --project, the deploy script and every name that holds a project
 * (`projects/<id>/secrets/…`, `<id>:<region>:<instance>`) build on it.
 */

/** The project id pattern, unanchored, to be part of a longer name's; also a POSIX extended regular expression. */
export const GCP_PROJECT_ID_PATTERN = '[a-z][a-z0-9-]{4,28}[a-z0-9]';
/** A whole string that is a GCP project id. */
export const GCP_PROJECT = new RegExp(`^${GCP_PROJECT_ID_PATTERN}$`);
