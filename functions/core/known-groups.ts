/**
 * The check group names a policy, a finding or a chat reply may name: the catalog's
 * ({@link CHECK_GROUPS}) and every group registered at run time. The registry
 * (functions/jobs/groups.ts `registerCheckGroup`) notes each name here as it registers the group and
 * forgets it as it removes it, so this list is the registry's, with nothing else to keep in step. It
 * lives apart from the registry because what needs only the names (the chat prose guard,
 * functions/chatops/replies.ts) would otherwise bundle every check of every group with them: 162 KiB
 * of the chat-amazon-q function's cold start.
 */
import { CHECK_GROUPS, type CheckGroup } from './finding.ts';

/** Names of the registered groups, in registration order. */
const registered = new Set<CheckGroup>();

/**
 * Note the name of a group being registered; returns a function that forgets it again. Only the
 * registry calls this, after it has checked the name.
 */
export function noteRegisteredGroup(name: CheckGroup): () => void {
  registered.add(name);
  return () => {
    registered.delete(name);
  };
}

/**
 * Every group a policy may name: the catalog's ({@link CHECK_GROUPS}, known even where a function
 * does not bundle them) and every registered one, in that order. Read at each call, so a group
 * registered after a caller's module loaded counts too.
 */
export function knownCheckGroups(): CheckGroup[] {
  return [...new Set<CheckGroup>([...CHECK_GROUPS, ...registered])];
}
