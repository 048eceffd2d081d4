/** Helpers for the lean-decoding tests (rds-wire, s3-wire). */
import type { Shape } from '../../functions/aws/xml-wire.ts';

/** The SDK's output reduced to the members `shape` names (what the lean decoder promises). */
export function project(value: unknown, shape: Shape): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const record = value as Record<string, unknown>;
  for (const [name, field] of Object.entries(shape)) {
    const member = record[name];
    if (member === undefined) continue;
    if (typeof field === 'string') out[name] = member;
    else if ('struct' in field) out[name] = project(member, field.struct);
    else if ('flattened' in field) {
      const of = field.flattened;
      out[name] = (member as unknown[]).map((item) => project(item, of));
    } else {
      const of = field.of;
      out[name] = (member as unknown[]).map((item) => (of === 'string' ? item : project(item, of)));
    }
  }
  return out;
}
