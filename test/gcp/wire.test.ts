import { describe, expect, it } from 'vitest';
import {
  CLOUD_SQL_ENUMS,
  cloudSqlRetries,
  enumName,
  googleErrorCode,
  googleErrorMessage,
  isKnownEnum,
  throttledUntilGivenUp,
  toDate,
  toNumber,
  transportFailure,
  unwrap,
} from '../../functions/gcp/wire.ts';

describe('unwrap', () => {
  it('reads the value of a decoded wrapper when gax hands { value }', () => {
    // Act / Assess
    expect(unwrap({ value: true }, 'boolean')).toBe(true);
    expect(unwrap({ value: 7 }, 'int32')).toBe(7);
  });

  it('reads a bare wrapper value when the answer is raw proto3 JSON', () => {
    // Act / Assess
    expect(unwrap(false, 'boolean')).toBe(false);
    expect(unwrap(35, 'int32')).toBe(35);
  });

  it('answers undefined when the wrapper is absent (null after decoding)', () => {
    // Act / Assess
    expect(unwrap(null, 'boolean')).toBeUndefined();
    expect(unwrap(undefined, 'int32')).toBeUndefined();
    expect(unwrap({ value: null }, 'boolean')).toBeUndefined();
  });
});

describe('unwrap of a value of the wrong JSON type', () => {
  // Both decoding paths clean these first (functions/gcp/cloud-sql-lean.ts NOT_SENT); unwrap does
  // not count on it: a fake API, a new read or raw JSON may hand it anything.
  it.each([[{ value: 'false' }], ['false'], [{ value: 1 }], [1], [{ value: {} }], [{}]])(
    'reads %j as not sent for a BoolValue',
    (field) => {
      // Act / Assess
      expect(unwrap(field as never, 'boolean')).toBeUndefined();
    },
  );

  it.each([
    [{ value: 'abc' }],
    ['abc'],
    [{ value: 3.5 }],
    [{ value: 2 ** 31 }],
    [{ value: true }],
    [Number.NaN],
  ])('reads %j as not sent for an Int32Value', (field) => {
    // Act / Assess
    expect(unwrap(field as never, 'int32')).toBeUndefined();
  });

  it('reads a bare decimal string as its int32, as proto3 JSON allows', () => {
    // Act / Assess
    expect(unwrap('35' as never, 'int32')).toBe(35);
    expect(unwrap({ value: -7 }, 'int32')).toBe(-7);
  });
});

describe('toNumber and toDate', () => {
  it('reads int64 values sent as decimal strings', () => {
    // Act / Assess
    expect(toNumber('1704067200')).toBe(1_704_067_200);
    expect(toNumber({ toNumber: () => 42 })).toBe(42);
    expect(toNumber('not a number')).toBeUndefined();
  });

  it('reads a decoded Timestamp whose seconds are an int64 string', () => {
    // Act
    const date = toDate({ seconds: '1704067200', nanos: 250_000_000 });

    // Assess
    expect(date?.toISOString()).toBe('2024-01-01T00:00:00.250Z');
  });

  it('reads an RFC 3339 timestamp and refuses garbage', () => {
    // Act / Assess
    expect(toDate('2024-01-01T00:00:00Z')?.toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(toDate('yesterday')).toBeUndefined();
    expect(toDate(null)).toBeUndefined();
  });
});

describe('enumName', () => {
  it('maps numeric enums with the generated protos, not hand-written numbers', () => {
    // Prepare
    const enterprisePlus = CLOUD_SQL_ENUMS.edition.ENTERPRISE_PLUS;
    const replica = CLOUD_SQL_ENUMS.instanceType.READ_REPLICA_INSTANCE;

    // Act / Assess
    expect(enumName('edition', enterprisePlus)).toBe('ENTERPRISE_PLUS');
    expect(enumName('instanceType', replica)).toBe('READ_REPLICA_INSTANCE');
    expect(enumName('databaseVersion', CLOUD_SQL_ENUMS.databaseVersion.POSTGRES_16)).toBe('POSTGRES_16');
  });

  it('passes names through and makes an unknown number visible when the protos do not know it', () => {
    // Act / Assess
    expect(enumName('edition', 'ENTERPRISE')).toBe('ENTERPRISE');
    expect(enumName('databaseVersion', 99_999)).toBe('DATABASEVERSION_99999');
    expect(isKnownEnum('databaseVersion', 'DATABASEVERSION_99999')).toBe(false);
    expect(enumName('edition', null)).toBeUndefined();
  });
});

describe('googleErrorCode', () => {
  it('names the gRPC status of a gax error and keeps Node codes', () => {
    // Act / Assess
    expect(googleErrorCode({ code: 7 })).toBe('PERMISSION_DENIED');
    expect(googleErrorCode({ code: 8 })).toBe('RESOURCE_EXHAUSTED');
    expect(
      googleErrorCode(Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } })),
    ).toBe('ECONNREFUSED');
    expect(googleErrorCode('boom')).toBe('UNKNOWN');
  });

  it('drops the trailing period of an API message so it reads inside a sentence', () => {
    // Act / Assess
    expect(googleErrorMessage(new Error('The instance does not exist.'))).toBe('The instance does not exist');
  });

  it('drops the attempts gax lists after a retried call’s error when it quotes the message', () => {
    // Prepare: gax's text for a refused port after retries (google-gax normalCalls/retries.js).
    const attempt =
      'request to http://127.0.0.1:9/v1/projects/p/instances failed, reason: connect ECONNREFUSED 127.0.0.1:9';
    const error = new Error(
      `Total timeout of API google.cloud.sql.v1.SqlInstancesService exceeded 1000 milliseconds retrying error Error: ${attempt}  before any response was received. : Previous errors : [${`{message: ${attempt}, code: 14, details: , note: },`.repeat(40)}]`,
    );

    // Act
    const message = googleErrorMessage(error);

    // Assess
    expect(message).toBe(
      `Total timeout of API google.cloud.sql.v1.SqlInstancesService exceeded 1000 milliseconds retrying error Error: ${attempt} before any response was received`,
    );
    expect(transportFailure(error)).toBe('connect ECONNREFUSED 127.0.0.1:9');
  });

  it('names gax’s own deadline as the reason when the endpoint never answered', () => {
    // Act / Assess
    expect(
      transportFailure(
        new Error(
          'Total timeout of API google.cloud.sql.v1.SqlInstancesService exceeded 1000 milliseconds retrying error Error: Deadline exceeded: list did not respond within 998 milliseconds.  before any response was received.',
        ),
      ),
    ).toBe('list did not respond within 998 milliseconds');
  });

  it('finds no transport failure when the API answered, even with an error', () => {
    // Act / Assess
    expect(
      transportFailure(Object.assign(new Error('The caller does not have permission'), { code: 7 })),
    ).toBeUndefined();
    expect(
      transportFailure(
        new Error(
          'Total timeout of API x exceeded 1000 milliseconds retrying error Error: backend unavailable  before any response was received.',
        ),
      ),
    ).toBeUndefined();
  });
});

describe('throttledUntilGivenUp', () => {
  /** gax's error for a read it gave up on, listing each attempt's status as it does (retries.js). */
  function gaveUp(codes: readonly number[]): Error & { code: number } {
    const previous = codes
      .map(
        (code) => `{message: Quota exceeded for quota metric 'Queries'., code: ${code}, details: , note: }`,
      )
      .join(',');
    return Object.assign(
      new Error(
        `Total timeout of API google.cloud.sql.v1.SqlInstancesService exceeded 1500 milliseconds retrying error Error: Quota exceeded.  before any response was received.${codes.length > 1 ? ` : Previous errors : [${previous}]` : ''}`,
      ),
      { code: 4 },
    );
  }

  it('says the reads were throttled when the last attempt was refused with RESOURCE_EXHAUSTED', () => {
    // Act / Assess
    expect(throttledUntilGivenUp(gaveUp([14, 8]))).toContain('Cloud SQL Admin throttled the reads');
  });

  it('claims nothing when the last attempt failed otherwise, gax listed no attempts, or the read did not time out', () => {
    // Act / Assess
    expect(throttledUntilGivenUp(gaveUp([8, 14]))).toBeUndefined();
    expect(throttledUntilGivenUp(gaveUp([8]))).toBeUndefined();
    expect(
      throttledUntilGivenUp(Object.assign(new Error('Quota exceeded, code: 8, details: '), { code: 8 })),
    ).toBeUndefined();
  });
});

describe('cloudSqlRetries', () => {
  it('says the read clients retry throttling and unavailability, rate limits included, and not INTERNAL or ABORTED', () => {
    // Act / Assess: gax reports the gRPC status as a number (google/rpc/code.proto).
    for (const code of [4, 8, 14]) expect(cloudSqlRetries({ code }), String(code)).toBe(true);
    expect(cloudSqlRetries({ code: 8, reason: 'RATE_LIMIT_EXCEEDED' })).toBe(true);
    for (const code of [10, 13]) expect(cloudSqlRetries({ code }), String(code)).toBe(false);
  });
});
