import { beforeAll, describe, expect, it } from 'vitest';
import { FULL_POLICY, type Synthesized, synthesize } from './support.ts';

/** Asset hashes change with every source edit; the template around them is what the snapshot guards. */
function stable(template: unknown): unknown {
  return JSON.parse(JSON.stringify(template).replace(/[0-9a-f]{64}/g, '<asset-hash>'));
}

describe('template snapshots', () => {
  let templates: Synthesized['templates'];
  beforeAll(() => {
    templates = synthesize(FULL_POLICY).templates;
  });

  it('keeps the audit stack template unchanged for the full policy', () => {
    // Act / Assess
    expect(stable(templates.audit.toJSON())).toMatchSnapshot();
  });

  it('keeps the member stack template unchanged for the full policy', () => {
    // Act / Assess
    expect(stable(templates.member.toJSON())).toMatchSnapshot();
  });

  it('keeps the federation stack template unchanged for the full policy', () => {
    // Act / Assess
    expect(stable(templates.federation?.toJSON())).toMatchSnapshot();
  });
});
