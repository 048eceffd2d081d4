import { Readable } from 'node:stream';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { _parseRfc3339DateTimeWithOffset } from '@smithy/core/serde';
import { describe, expect, it } from 'vitest';
import { decodeBody, decodeXmlResult, type Shape, XmlWireError } from '../../functions/aws/xml-wire.ts';

const SHAPE: Shape = {
  Items: { list: 'Item', of: { Id: 'string', Size: 'integer' } },
  Marker: 'string',
};

/** A page whose items carry members the shape skips, nested in the ways the skipping must survive. */
function page(skipped: string): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<ListResponse xmlns="urn:test"><ListResult><Items>',
    `<Item><Id>first</Id>${skipped}<Size>1</Size></Item>`,
    `<Item>${skipped}<Id>second</Id><Size>2</Size></Item>`,
    '</Items><Marker>next</Marker></ListResult></ListResponse>',
  ].join('');
}

const EXPECTED = {
  Items: [
    { Id: 'first', Size: 1 },
    { Id: 'second', Size: 2 },
  ],
  Marker: 'next',
};

describe('skipping the members a shape does not name', () => {
  it.each([
    ['a scalar', '<Endpoint>db.example</Endpoint>'],
    ['a structure', '<Endpoint><Address>db.example</Address><Port>5432</Port></Endpoint>'],
    [
      'elements nested under the same name',
      '<Wrapper><Wrapper><Wrapper>deep</Wrapper></Wrapper><Id>not-mine</Id><Wrapper>again</Wrapper></Wrapper>',
    ],
    ['an empty element of the same name inside', '<Wrapper><Wrapper/><Wrapper /><Id>not-mine</Id></Wrapper>'],
    [
      'an element of the same name with attributes inside',
      '<Note><Note lang="en">x</Note><Note\tlang="de"/></Note>',
    ],
    [
      'an element whose name starts with the skipped name',
      '<Tag><TagList><Tag>k</Tag></TagList><Tags/></Tag>',
    ],
    ['an empty element', '<Empty/>'],
    [
      'an empty element of the same name whose attribute value holds `>`',
      '<Note><Note a=">"/><Id>not-mine</Id></Note>',
    ],
    [
      'an element of the same name whose attribute value holds `/>`',
      '<Note><Note b="/>">x</Note><Id>not-mine</Id></Note>',
    ],
    ['a comment holding an end tag (read tag by tag)', '<Note><!-- </Note> --><Id>not-mine</Id></Note>'],
    ['a CDATA section holding an end tag', '<Note><![CDATA[</Note><Id>not-mine</Id>]]></Note>'],
  ])('keeps the named members of each item when it skips %s', (_, skipped) => {
    // Act
    const decoded = decodeXmlResult(page(skipped), ['ListResponse', 'ListResult'], SHAPE);

    // Assess
    expect(decoded).toEqual(EXPECTED);
  });

  it('skips structures whose names share a slot of the table their tags are kept in, item after item', () => {
    // Arrange: "Ah" and "Cg" fall in one slot (their length and three of their characters), and
    // "Ahx" starts like "Ah"; each item skips all three, nested under their own names, so the
    // second and later items take each name's tags from the table the first one filled.
    const shape: Shape = { Items: { list: 'Item', of: { Id: 'string' } } };
    const skipped = [
      '<Ah><Ah><Cg>1</Cg></Ah><Ahx><Ah/></Ahx></Ah>',
      '<Cg><Cg a="1"><Ah>2</Ah></Cg><Cg/></Cg>',
      '<Ahx><Ahx><Ah>3</Ah></Ahx></Ahx>',
    ].join('');
    const items = ['a', 'b', 'c'].map((id) => `<Item>${skipped}<Id>${id}</Id>${skipped}</Item>`).join('');
    const xml = `<R><Result><Items>${items}</Items></Result></R>`;

    // Act
    const decoded = decodeXmlResult(xml, ['R', 'Result'], shape);

    // Assess
    expect(decoded).toEqual({ Items: [{ Id: 'a' }, { Id: 'b' }, { Id: 'c' }] });
    expect(() =>
      decodeXmlResult(
        xml.replace('<Cg a="1"><Ah>2</Ah></Cg>', '<Cg a="1"><Ah>2</Ah>'),
        ['R', 'Result'],
        shape,
      ),
    ).toThrow(XmlWireError);
  });

  it('counts nested elements of the skipped name only between its start and end tags', () => {
    // Arrange: the skipped <Wrapper> of the second item is searched backwards from its end tag;
    // the first item's <Wrapper> elements, before it, must not count as nested in it.
    const skipped = '<Wrapper><Wrapper a="1">x</Wrapper></Wrapper>';
    const xml = `<R><Result><Items><Item>${skipped}<Id>a</Id></Item><Item><Wrapper>y</Wrapper><Id>b</Id><Wrapper><Wrapper/><Wrapper\nb="2"/></Wrapper><Size>3</Size></Item></Items></Result></R>`;

    // Act
    const decoded = decodeXmlResult(xml, ['R', 'Result'], SHAPE);

    // Assess
    expect(decoded).toEqual({ Items: [{ Id: 'a' }, { Id: 'b', Size: 3 }] });
  });

  it('refuses a start tag of the skipped name that does not end before the skipped element does', () => {
    // Arrange: the nested start tag's '>' is the end tag's own.
    const xml =
      '<R><Result><Items><Item><Note><Note lang="en</Note></Note><Id>a</Id></Item></Items></Result></R>';

    // Act + Assess
    expect(() => decodeXmlResult(xml, ['R', 'Result'], SHAPE)).toThrow(XmlWireError);
  });

  it('refuses a start tag of the skipped name whose quote is closed only after the skipped element ends', () => {
    // Arrange: read on past the skipped element's end tag, the nested start tag's quote would close
    // at the `"` of the next member's attribute and the tag end at its `>`.
    const xml =
      '<R><Result><Items><Item><Note><Note lang="en</Note></Note><Id a="x>">v</Id></Item></Items></Result></R>';

    // Act + Assess
    expect(() => decodeXmlResult(xml, ['R', 'Result'], SHAPE)).toThrow(XmlWireError);
  });

  it('refuses a skipped member that never ends instead of reading past the page', () => {
    // Arrange
    const truncated = '<ListResponse><ListResult><Items><Item><Endpoint><Address>db';

    // Act + Assess
    expect(() => decodeXmlResult(truncated, ['ListResponse', 'ListResult'], SHAPE)).toThrow(XmlWireError);
    expect(() =>
      decodeXmlResult(
        '<ListResponse><ListResult><Items><Item><Wrapper><Wrapper>x</Wrapper></Items>',
        ['ListResponse', 'ListResult'],
        SHAPE,
      ),
    ).toThrow(/ends inside <Wrapper>/);
  });

  it.each([
    ['after whole items', '<Item><Id>first</Id><Size>1</Size></Item>'],
    ['inside an item', '<Item><Id>first</Id><Size>1</Size>'],
    ['inside a text member', '<Item><Id>fir'],
    ['before the list', ''],
  ])('refuses a page that ends %s instead of decoding a shorter list', (_, items) => {
    // Arrange: a body cut short (a dropped connection or a proxy), with no end tags after the cut.
    const cut = items === '' ? '<ListResponse><ListResult>' : `<ListResponse><ListResult><Items>${items}`;

    // Act + Assess
    expect(() => decodeXmlResult(cut, ['ListResponse', 'ListResult'], SHAPE)).toThrow(XmlWireError);
  });

  it('refuses end tags that do not match their elements instead of guessing where a member ends', () => {
    // Arrange
    const garbled = [
      '<ListResponse><ListResult><Items><Item><Id>a</Size></Item></Items></ListResult></ListResponse>',
      '<ListResponse><ListResult><Items><Item><Id>a</Id></Items></Item></ListResult></ListResponse>',
      '<ListResponse><ListResult><Items><Item><Extra><Deep>x</Extra></Deep></Item></Items></ListResult></ListResponse>',
      '<ListResponse><ListResult><Items><Item><!-- c --><Extra><Deep>x</Extra></Deep></Item></Items></ListResult></ListResponse>',
    ];

    // Act + Assess
    for (const xml of garbled) {
      expect(() => decodeXmlResult(xml, ['ListResponse', 'ListResult'], SHAPE), xml).toThrow(XmlWireError);
    }
  });
});

describe('matching member names', () => {
  it('tells apart members whose names have one 31-based string hash and skips a third of that hash', () => {
    // Arrange: "Aa", "BB" and "C#" have one 31-based string hash (what a member lookup by hash
    // would confuse; the scanner's slots are tested below).
    const shape: Shape = { Aa: 'string', BB: 'integer' };
    const xml = '<R><Result><C#>skipped</C#><BB>7</BB><Aa>first</Aa></Result></R>';

    // Act
    const decoded = decodeXmlResult(xml, ['R', 'Result'], shape);

    // Assess
    expect(decoded).toEqual({ Aa: 'first', BB: 7 });
  });

  it('refuses a skipped text member whose end tag is another element', () => {
    // Arrange: the skipped member's end tag has the right length but another name.
    const garbled = '<R><Result><Items><Item><Idx>a</Idy><Id>b</Id></Item></Items></Result></R>';

    // Act + Assess
    expect(() => decodeXmlResult(garbled, ['R', 'Result'], SHAPE)).toThrow(XmlWireError);
  });

  it('keeps entity references, CDATA and long values whole', () => {
    // Arrange
    const long = 'arn:aws:rds:eu-west-1:123456789012:db:certctl-&amp;-&lt;primary&gt;';
    const xml = `<R><Result><Items><Item><Id>${long}</Id></Item><Item><Id><![CDATA[a<b]]>&amp;c</Id></Item></Items></Result></R>`;

    // Act
    const decoded = decodeXmlResult(xml, ['R', 'Result'], SHAPE);

    // Assess
    expect(decoded).toEqual({
      Items: [{ Id: 'arn:aws:rds:eu-west-1:123456789012:db:certctl-&-<primary>' }, { Id: 'a<b&c' }],
    });
  });
});

describe('texts broken up by comments and processing instructions', () => {
  it.each([
    ['a comment', '<!-- note -->'],
    ['an empty comment', '<!---->'],
    ['a processing instruction', '<?pi data?>'],
    ['a comment holding a tag', '<!-- <Id>x</Id> -->'],
  ])('reads the whole text around %s, as an XML parser does', (_, inside) => {
    // Arrange: XML 1.0 §2.5 and §2.6 allow comments and processing instructions in character
    // data; they are not part of it, the text after them is.
    const xml = `<R><Result><Items><Item><Id>certctl${inside}-old</Id><Size>3${inside}5</Size></Item></Items><Marker>a${inside}b</Marker></Result></R>`;

    // Act
    const decoded = decodeXmlResult(xml, ['R', 'Result'], SHAPE);

    // Assess: not `certctl`, 3 and `a`, a value the answer never sent.
    expect(decoded).toEqual({ Items: [{ Id: 'certctl-old', Size: 35 }], Marker: 'ab' });
  });
});

describe('list elements that are not the list items', () => {
  it.each([
    ['an element of another name', '<Foo><Id>db</Id></Foo>'],
    ['an empty element of another name', '<Foo/>'],
    ['another element after an item', '<Item><Id>db</Id></Item><Foo/>'],
  ])('refuses a list holding %s instead of reading it as fewer items', (_, items) => {
    // Arrange: a list holds its items only; a page that lists something else is not the answer
    // the shape describes, and read as empty it would make a Region look empty.
    const xml = `<R><Result><Items>${items}</Items></Result></R>`;

    // Act + Assess
    expect(() => decodeXmlResult(xml, ['R', 'Result'], SHAPE)).toThrow(XmlWireError);
  });

  it('reads white space, comments and processing instructions between items as nothing', () => {
    // Arrange
    const xml = '<R><Result><Items>\n  <!-- a --><Item><Id>db</Id></Item>\n<?pi x?> </Items></Result></R>';

    // Act
    const decoded = decodeXmlResult(xml, ['R', 'Result'], SHAPE);

    // Assess
    expect(decoded).toEqual({ Items: [{ Id: 'db' }] });
  });
});

describe('a member sent twice', () => {
  it.each([
    ['a scalar', '<Item><Size>0</Size><Id>db</Id><Size>35</Size></Item>'],
    ['an empty scalar after a full one', '<Item><Id>db</Id><Id/></Item>'],
    ['a number after a text that is none', '<Item><Size>x</Size><Id>db</Id><Size>35</Size></Item>'],
    ['a number after an empty element', '<Item><Size/><Size>35</Size></Item>'],
    ['a list', '<Item><Id>db</Id></Item></Items><Items><Item><Id>other</Id></Item>'],
  ])('refuses an item that sends %s twice instead of keeping the last value', (_, items) => {
    // Arrange: the answer contradicts itself; the SDK refuses it too ("unhandled schema type").
    const xml = `<R><Result><Items>${items}</Items></Result></R>`;

    // Act + Assess
    expect(() => decodeXmlResult(xml, ['R', 'Result'], SHAPE)).toThrow(XmlWireError);
  });

  it('keeps every item of a flattened member, which is sent once per item', () => {
    // Arrange
    const shape: Shape = { Contents: { flattened: { Key: 'string' } } };
    const xml = '<R><Contents><Key>a</Key></Contents><Contents><Key>b</Key></Contents></R>';

    // Act
    const decoded = decodeXmlResult(xml, ['R'], shape);

    // Assess
    expect(decoded).toEqual({ Contents: [{ Key: 'a' }, { Key: 'b' }] });
  });
});

describe('integer texts that are not an optionally signed decimal integer', () => {
  it.each([
    ['7', 7],
    ['-3', -3],
    ['+4', 4],
    ['0012', 12],
    ['', undefined],
    ['0x23', undefined],
    ['3.5e1', undefined],
    ['1e3', undefined],
    ['7.0', undefined],
    // xs:integer collapses white space (XML Schema Part 2, 3.3.13): ` 7 ` is 7, as the SDK reads it.
    [' 7 ', 7],
    ['\n7\n', 7],
    ['\t-3\r\n', -3],
    [' ', undefined],
    ['7 7', undefined],
    ['\u00a07', undefined],
    ['seven', undefined],
    ['Infinity', undefined],
    ['12345678901234567890', undefined],
  ] as const)(
    'decodes <V>%j</V> as %s (undefined: not sent), read in place or the general way',
    (text, expected) => {
      // Arrange
      const shape: Shape = { V: 'integer', Id: 'string' };
      const read = (xml: string) =>
        decodeXmlResult(`<R><Result>${xml}<Id>kept</Id></Result></R>`, ['R', 'Result'], shape);

      // Act
      const fast = read(`<V>${text}</V>`);
      const general = read(`<V><![CDATA[]]>${text}</V>`);

      // Assess: a value the answer did not send as a number is left out, the rest of the item kept.
      for (const decoded of [fast, general]) {
        expect(decoded.V, text).toBe(expected);
        expect('V' in decoded, text).toBe(expected !== undefined);
        expect(decoded.Id).toBe('kept');
      }
    },
  );
});

describe('boolean texts', () => {
  it.each([
    ['true', true],
    ['false', false],
    // xs:boolean collapses white space too: the value sent is `true`, which the SDK reads as false.
    [' true ', true],
    ['\nfalse\n', false],
    // Not the protocol's `true`/`false` (the SDK reads `1` and `0` as false, `TRUE` as true): left
    // out as not sent, the rest of the item kept, never a value the answer did not send.
    ['1', undefined],
    ['0', undefined],
    ['TRUE', undefined],
    ['yes', undefined],
    ['', undefined],
  ] as const)(
    'decodes <V>%j</V> as %s (undefined: not sent), read in place or the general way',
    (text, expected) => {
      // Arrange
      const shape: Shape = { V: 'boolean', Id: 'string' };
      const read = (xml: string) =>
        decodeXmlResult(`<R><Result>${xml}<Id>kept</Id></Result></R>`, ['R', 'Result'], shape);

      // Act
      const fast = read(`<V>${text}</V>`);
      const general = read(`<V><![CDATA[]]>${text}</V>`);

      // Assess
      for (const decoded of [fast, general]) {
        expect(decoded.V, text).toBe(expected);
        expect('V' in decoded, text).toBe(expected !== undefined);
        expect(decoded.Id).toBe('kept');
      }
    },
  );
});

describe('the fast paths give what the general reading gives', () => {
  it('tells apart members that share a slot of the member table and skips a third of that slot', () => {
    // Arrange: "Id", "Ah" and "Cg" fall in one slot of the table the scanner looks members up in
    // (their length and three of their characters).
    const shape: Shape = { Id: 'string', Ah: 'integer' };
    const xml = '<R><Result><Cg>skipped</Cg><Ah>7</Ah><Id>first</Id><Cg/></Result></R>';

    // Act
    const decoded = decodeXmlResult(xml, ['R', 'Result'], shape);

    // Assess
    expect(decoded).toEqual({ Id: 'first', Ah: 7 });
  });

  it('reads tags with white space and attributes by their names', () => {
    // Arrange
    const xml = [
      '<R><Result><Items>',
      '<Item kind="a"><Id >first</Id ><Size\n>1</Size></Item>',
      '<Item\tkind=\'b\'><Skip a="x"/><Skip\n/><Id\r\n>second</Id\t><Size>2</Size ></Item>',
      '<Item ><Id a="1" b=\'2\'>third</Id><Size/></Item>',
      '</Items><Marker >next</Marker></Result></R>',
    ].join('');

    // Act
    const decoded = decodeXmlResult(xml, ['R', 'Result'], SHAPE);

    // Assess
    expect(decoded).toEqual({
      Items: [{ Id: 'first', Size: 1 }, { Id: 'second', Size: 2 }, { Id: 'third' }],
      Marker: 'next',
    });
  });

  it('reads tags whose attribute values hold a `>`, which XML allows there', () => {
    // Arrange: XML 1.0 §2.4 forbids `<` in attribute values, not `>`; the tag ends at the first `>`
    // outside quotes.
    const xml = [
      '<R a="x>y"><Result><Items>',
      '<Item kind=">"><Id note=">">first</Id><Size unit=\'>\'>1</Size></Item>',
      '<Item><Skip a=">"><Id>not-mine</Id></Skip><Id a="1>2" b=\'3>4\'>second</Id><Size>2</Size></Item>',
      '<Item><Id>third</Id><Size x=">"/></Item>',
      '</Items><Marker>next</Marker></Result></R>',
    ].join('');

    // Act
    const decoded = decodeXmlResult(xml, ['R', 'Result'], SHAPE);

    // Assess: not `">first`, a value the answer never sent.
    expect(decoded).toEqual({
      Items: [{ Id: 'first', Size: 1 }, { Id: 'second', Size: 2 }, { Id: 'third' }],
      Marker: 'next',
    });
  });

  it.each([
    [
      'integer',
      [
        '7',
        '0012',
        '123456789012345',
        '1234567890123456',
        ' 7 ',
        '-3',
        '+4',
        '1e3',
        '7.0',
        '7.5',
        '',
        'x',
        '&#55;',
        '1&amp;',
      ],
    ],
    ['boolean', ['true', 'false', 'True', ' true', 'tru&#101;', 'f', '']],
    [
      'timestamp',
      [
        '2026-12-01T10:00:00Z',
        '2026-12-01T10:00:00.123Z',
        '2026-12-01T10:00:00.1234Z',
        '2026-13-01T10:00:00Z',
        '2026-12-01T10:00:00+01:00',
        '2026-12-01T10:00:00&#90;',
        '2026-12-01 10:00:00Z',
        '',
      ],
    ],
    [
      'string',
      [
        'plain',
        'a value longer than thirteen characters',
        'a&amp;b',
        '&lt;x&gt; and &#x263A;',
        '',
        ' spaced ',
      ],
    ],
  ] as const)(
    'reads every %s text in place as the general reading (after a CDATA section) does',
    (kind, texts) => {
      // Arrange: `<V><![CDATA[]]>text</V>` holds the same value but takes the general path.
      const shape: Shape = { V: kind };
      const read = (xml: string): unknown => {
        try {
          return decodeXmlResult(`<R><Result>${xml}</Result></R>`, ['R', 'Result'], shape).V;
        } catch (error) {
          return error instanceof XmlWireError ? `refused: ${error.message}` : error;
        }
      };

      // Act + Assess
      for (const text of texts) {
        const fast = read(`<V>${text}</V>`);
        const general = read(`<V><![CDATA[]]>${text}</V>`);
        expect(fast, text).toEqual(general);
      }
    },
  );

  it('decodes entity references wherever they stand among plain texts', () => {
    // Arrange: the scanner remembers where the next `&` is; texts before, between and after it.
    const ids = ['long-plain-identifier-1', 'a&amp;b', 'long-plain-identifier-2', '&quot;q&quot;', 'x'];
    const xml = `<R><Result><Items>${ids.map((id) => `<Item><Id>${id}</Id></Item>`).join('')}</Items><Marker>m&amp;</Marker></Result></R>`;

    // Act
    const decoded = decodeXmlResult(xml, ['R', 'Result'], SHAPE);

    // Assess
    expect(decoded).toEqual({
      Items: [
        { Id: 'long-plain-identifier-1' },
        { Id: 'a&b' },
        { Id: 'long-plain-identifier-2' },
        { Id: '"q"' },
        { Id: 'x' },
      ],
      Marker: 'm&',
    });
  });

  it('notices a comment after texts with exclamation marks and reads that document tag by tag', () => {
    // Arrange: `!` in text is no comment; the comment after it holds an end tag a search would match.
    const xml = page(
      '<Note>wow!</Note><Note>!<Deep>!</Deep></Note><Note><!-- </Note> --><Id>not-mine</Id></Note>',
    );

    // Act
    const decoded = decodeXmlResult(xml, ['ListResponse', 'ListResult'], SHAPE);

    // Assess
    expect(decoded).toEqual(EXPECTED);
  });

  it('refuses a text member cut short or closed by another element, read or skipped', () => {
    // Arrange
    const bodies = [
      '<R><Result><Items><Item><Id>abc</I',
      '<R><Result><Items><Item><Id>abc</Ix></Item></Items></Result></R>',
      '<R><Result><Items><Item><Id>abc</Idx></Item></Items></Result></R>',
      '<R><Result><Items><Item><Size>12</Sizf></Item></Items></Result></R>',
      '<R><Result><Items><Item><Other>abc</Otheq></Item></Items></Result></R>',
      '<R><Result><Items><Item><Other><Other>a</Other></Otherr></Item></Items></Result></R>',
    ];

    // Act + Assess
    for (const xml of bodies) {
      expect(() => decodeXmlResult(xml, ['R', 'Result'], SHAPE), xml).toThrow(XmlWireError);
    }
  });
});

describe('what a decoded page keeps alive', () => {
  it('keeps the decoded values, not the pages they were read from', () => {
    // Arrange: 20 pages of about 400 KB, each item a long id beside 4 KB of members the shape skips.
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as () => void;
    const filler = `<Skipped>${'x'.repeat(4000)}</Skipped>`;
    collect();
    const before = getHeapStatistics().used_heap_size;
    const pages = Array.from({ length: 20 }, (_, p) => {
      const items = Array.from(
        { length: 100 },
        (_, i) => `<Item>${filler}<Id>arn:aws:rds:eu-west-1:123456789012:db:page-${p}-item-${i}</Id></Item>`,
      );
      return `<R><Result><Items>${items.join('')}</Items></Result></R>`;
    });

    // Act: decode each page, then let go of the page and keep what was decoded.
    const kept = pages.map((page) => decodeXmlResult(page, ['R', 'Result'], SHAPE));
    pages.length = 0;
    collect();
    const grown = getHeapStatistics().used_heap_size - before;

    // Assess: 2,000 ids are well under 1 MB; pages kept through their ids would be about 8 MB.
    expect(kept.flatMap((page) => page.Items as unknown[])).toHaveLength(2000);
    expect(grown).toBeLessThan(2 * 2 ** 20);
  });
});

describe('timestamps', () => {
  const STAMPED: Shape = { At: 'timestamp' };
  const decodeAt = (text: string) =>
    decodeXmlResult(`<R><Result><At>${text}</At></Result></R>`, ['R', 'Result'], STAMPED);

  it.each([
    ['2026-12-01T10:00:00.000Z', '2026-12-01T10:00:00.000Z'],
    ['2026-12-01T10:00:00Z', '2026-12-01T10:00:00.000Z'],
    ['2026-12-01t10:00:00.5z', '2026-12-01T10:00:00.500Z'],
    ['2026-12-01T10:00:00.123456Z', '2026-12-01T10:00:00.123Z'],
    ['2026-12-01T12:00:00+02:00', '2026-12-01T10:00:00.000Z'],
    ['2026-12-01T05:30:00-04:30', '2026-12-01T10:00:00.000Z'],
  ])('reads %s as the instant %s, whatever the local time zone', (text, instant) => {
    // Act
    const decoded = decodeAt(text);

    // Assess
    expect((decoded.At as Date).toISOString()).toBe(instant);
  });

  it('reads every form of a random sample as the SDK reads it (the common UTC forms take a path of their own)', () => {
    // Arrange: a seeded sample over the UTC forms AWS sends (with and without milliseconds) and the
    // general ones (offsets, lower case, other fraction lengths), including out-of-range fields.
    let seed = 20261203;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed % n;
    };
    const two = (n: number): string => String(n).padStart(2, '0');
    // Years around the calendar's century and 400-year rules too (the common forms' days are
    // counted by arithmetic of their own): 1900 and 2100 have no 29 February, 2000 has one.
    const samples: string[] = [
      '2024-02-29T23:59:60Z',
      '2026-12-01T00:00:00.999Z',
      '0999-01-01T00:00:00Z',
      '0100-01-01T00:00:00Z',
      '1900-02-29T12:00:00Z',
      '2000-02-29T12:00:00.001Z',
      '2100-02-29T12:00:00Z',
      '2400-02-29T12:00:00Z',
      '9999-12-31T23:59:59.999Z',
      '1969-12-31T23:59:59.999Z',
      '1600-03-01T00:00:00Z',
    ];
    const years = (): string =>
      random(3) === 0 ? String(100 + random(9900)).padStart(4, '0') : String(1990 + random(60));
    for (let index = 0; index < 4000; index += 1) {
      const stamp = `${years()}-${two(random(14))}-${two(random(33))}T${two(random(25))}:${two(random(61))}:${two(random(62))}`;
      const fraction = [
        '',
        `.${String(random(1000)).padStart(3, '0')}`,
        `.${random(10)}`,
        `.${random(1000000)}`,
      ][random(4)];
      const zone = ['Z', 'Z', 'z', '+02:00', '-04:30'][random(5)];
      samples.push(`${stamp}${fraction}${zone}`);
    }
    const sdk = (text: string): number | 'refused' => {
      try {
        return _parseRfc3339DateTimeWithOffset(text)?.getTime() ?? 'refused';
      } catch {
        return 'refused';
      }
    };
    const lean = (text: string): number | 'refused' => {
      try {
        return (decodeAt(text).At as Date).getTime();
      } catch {
        return 'refused';
      }
    };

    // Act
    const differing = samples.filter((text) => sdk(text) !== lean(text));

    // Assess: the sample reaches both answers, and the two readings agree on every text.
    expect(samples.filter((text) => sdk(text) === 'refused').length).toBeGreaterThan(100);
    expect(samples.filter((text) => sdk(text) !== 'refused').length).toBeGreaterThan(1000);
    expect(differing).toEqual([]);
  });

  it.each([
    ['a date-time without an offset', '2026-12-01T10:00:00.000'],
    ['a date-time without an offset or fraction', '2026-12-01T10:00:00'],
    ['a date alone', '2026-12-01'],
    ['an HTTP date', 'Tue, 01 Dec 2026 10:00:00 GMT'],
    ['an out-of-range month', '2026-13-01T10:00:00Z'],
    ['an out-of-range hour', '2026-12-01T24:00:00Z'],
  ])('refuses %s, as the SDK does, instead of reading it in the local time zone', (_, text) => {
    // Act + Assess: `new Date(text)` would read an offset-less date-time as local time.
    expect(() => decodeAt(text)).toThrow(XmlWireError);
    expect(() => decodeAt(text)).toThrow(/At is not a timestamp/);
  });
});

describe('answers read as UTF-8 bytes', () => {
  const NAMED: Shape = {
    Items: { list: 'Item', of: { Id: 'string', Size: 'integer', At: 'timestamp', On: 'boolean' } },
    Marker: 'string',
  };
  /** `xml` decoded from its text and from its UTF-8 bytes: the two must agree. */
  const bothWays = (xml: string, shape: Shape = NAMED): Record<string, unknown> => {
    const fromText = decodeXmlResult(xml, ['R', 'Result'], shape);
    const fromBytes = decodeXmlResult(Buffer.from(xml, 'utf8'), ['R', 'Result'], shape);
    expect(fromBytes).toEqual(fromText);
    return fromBytes;
  };
  const items = (...inner: string[]): string =>
    `<R><Result><Items>${inner.map((item) => `<Item>${item}</Item>`).join('')}</Items></Result></R>`;

  it.each([
    ['two-byte characters', 'café'],
    ['three-byte characters, longer than a short string', '日本のデータベース-certctl-primary'],
    ['four-byte characters', '🚀🐘'],
    ['characters of every length side by side', 'é日🚀x'],
    ['a character of another script only', 'ü'],
  ])('keeps %s of a value whole', (_, value) => {
    // Act
    const decoded = bothWays(
      `<R><Result><Items><Item><Note>${value}</Note><Id>${value}</Id></Item></Items><Marker>${value}</Marker></Result></R>`,
    );

    // Assess
    expect(decoded).toEqual({ Items: [{ Id: value }], Marker: value });
  });

  it('skips members, structures and attribute values holding multi-byte characters', () => {
    // Arrange: the skipped structure nests one of its own name, with an attribute value holding a
    // `>` and multi-byte characters; the item's own attribute too.
    const skipped = '<Note lang="日本>"><Note>é</Note><Deep>🚀</Deep></Note><Other>ü</Other>';
    const xml = items(`${skipped}<Id>a</Id>${skipped}<Size>3</Size>`, `<Id>b</Id>${skipped}`).replace(
      '<Item>',
      '<Item note="€">',
    );

    // Act
    const decoded = bothWays(xml);

    // Assess
    expect(decoded).toEqual({ Items: [{ Id: 'a', Size: 3 }, { Id: 'b' }] });
  });

  it('decodes entity and character references, beside multi-byte characters', () => {
    // Act
    const decoded = bothWays(
      items(
        '<Id>a&amp;b &lt;c&gt; &quot;d&quot; &apos;e&apos;</Id>',
        '<Id>&#233;&#xE9;&#x1F600;&#128512;</Id>',
        '<Id>é&amp;日&#x65E5;🚀</Id>',
      ),
    );

    // Assess
    expect(decoded).toEqual({
      Items: [{ Id: 'a&b <c> "d" \'e\'' }, { Id: 'éé😀😀' }, { Id: 'é&日日🚀' }],
    });
  });

  it('reads CDATA sections holding markup and multi-byte characters as text', () => {
    // Act
    const decoded = bothWays(items('<Id><![CDATA[日本<Id>&amp;]]>é</Id>', '<Id>x<![CDATA[]]></Id>'));

    // Assess
    expect(decoded).toEqual({ Items: [{ Id: '日本<Id>&amp;é' }, { Id: 'x' }] });
  });

  it('reads an empty element and an element with no content alike', () => {
    // Act
    const shortForm = bothWays('<R><Result><Items/><Marker/></Result></R>');
    const longForm = bothWays('<R><Result><Items></Items><Marker></Marker></Result></R>');
    const members = bothWays(items('<Id/><Size/><At/><On/>', '<Id></Id><Size></Size><On></On>'));

    // Assess: an empty string is a string sent; an empty number, time or flag is not sent.
    expect(shortForm).toEqual({ Items: [], Marker: '' });
    expect(longForm).toEqual(shortForm);
    expect(members).toEqual({ Items: [{ Id: '' }, { Id: '' }] });
  });

  it('reads tags with namespaces, attributes and white space by their names', () => {
    // Arrange
    const xml = [
      '<?xml version="1.0" encoding="UTF-8"?>\n',
      '<R xmlns="http://rds.amazonaws.com/doc/2014-10-31/">\n  <Result xmlns:x="urn:é">\n    <Items>\n',
      '      <Item x:kind="日本"><Id xml:lang="fr">  été  </Id ><Size\n>7</Size><At a="1">2026-12-01T10:00:00Z</At><On\t>true</On></Item>\n',
      '    </Items>\n    <Marker >m</Marker>\n  </Result>\n</R>\n',
    ].join('');

    // Act
    const decoded = bothWays(xml);

    // Assess
    expect(decoded).toEqual({
      Items: [{ Id: '  été  ', Size: 7, At: new Date('2026-12-01T10:00:00Z'), On: true }],
      Marker: 'm',
    });
  });

  it('reads past a byte order mark before the XML declaration', () => {
    // Act
    const decoded = decodeXmlResult(
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(items('<Id>é</Id>'))]),
      ['R', 'Result'],
      NAMED,
    );

    // Assess
    expect(decoded).toEqual({ Items: [{ Id: 'é' }] });
  });

  it('reads bytes that are no UTF-8 as the replacement character, as a decoding of the whole body does', () => {
    // Arrange: a lone lead byte, a lone continuation byte, and a character cut short before a tag.
    const xml = Buffer.concat([
      Buffer.from('<R><Result><Items><Item><Id>a'),
      Buffer.from([0xc3]),
      Buffer.from('b</Id></Item><Item><Id>'),
      Buffer.from([0x80, 0xe6, 0x97]),
      Buffer.from('</Id></Item></Items></Result></R>'),
    ]);

    // Act
    const decoded = decodeXmlResult(xml, ['R', 'Result'], NAMED);

    // Assess
    expect(decoded).toEqual(decodeXmlResult(xml.toString('utf8'), ['R', 'Result'], NAMED));
    expect(decoded).toEqual({ Items: [{ Id: 'a\ufffdb' }, { Id: '\ufffd\ufffd' }] });
  });

  it('reads a view of a larger buffer from its own first byte to its own last', () => {
    // Arrange: the answer's bytes in the middle of a buffer holding other markup before and after.
    const answer = Buffer.from(items('<Id>日本</Id>'));
    const outer = Buffer.concat([
      Buffer.from('<Items><Item><Id>before'),
      answer,
      Buffer.from('<Id>after</Id>'),
    ]);
    const view = new Uint8Array(outer.buffer, outer.byteOffset + 23, answer.length);

    // Act
    const decoded = decodeXmlResult(view, ['R', 'Result'], NAMED);

    // Assess
    expect(decoded).toEqual({ Items: [{ Id: '日本' }] });
  });

  it('refuses the answer cut short at any byte before its result ends, inside a character too', () => {
    // Arrange: every prefix of the answer up to the end of <Result>, cut bytes of multi-byte
    // characters included (a body the connection dropped).
    const whole = Buffer.from(
      items('<Note>日本</Note><Id>é🚀</Id><Size>12</Size>', '<Id>x</Id><At>2026-12-01T10:00:00Z</At>'),
    );
    const resultEnd = whole.indexOf('</Result>') + '</Result>'.length;

    // Act
    const outcomes = Array.from({ length: resultEnd }, (_, cut) => {
      try {
        decodeXmlResult(whole.subarray(0, cut), ['R', 'Result'], NAMED);
        return `decoded at ${cut}`;
      } catch (error) {
        return error instanceof XmlWireError ? 'refused' : `${String(error)} at ${cut}`;
      }
    });

    // Assess
    expect(outcomes.filter((outcome) => outcome !== 'refused')).toEqual([]);
    expect(decodeXmlResult(whole.subarray(0, resultEnd), ['R', 'Result'], NAMED)).toEqual({
      Items: [
        { Id: 'é🚀', Size: 12 },
        { Id: 'x', At: new Date('2026-12-01T10:00:00Z') },
      ],
    });
  });

  it('refuses a shape whose member names are not ASCII, which the bytes are compared with', () => {
    // Act + Assess
    expect(() =>
      decodeXmlResult('<R><Result><Id>x</Id></Result></R>', ['R', 'Result'], { Námé: 'string' }),
    ).toThrow(XmlWireError);
    expect(() =>
      decodeXmlResult('<R><Result><Id>x</Id></Result></R>', ['R', 'Result'], {
        Items: { list: 'Ítem', of: 'string' },
      }),
    ).toThrow(XmlWireError);
  });
});

describe('bodies read from a stream of chunks', () => {
  const xml = Buffer.from(
    '<R><Result><Items><Item><Id>é日🚀-certctl-primary</Id><Size>5</Size></Item></Items><Marker>ü</Marker></Result></R>',
  );
  const decode = (bytes: Uint8Array) => decodeXmlResult(bytes, ['R', 'Result'], SHAPE);
  const expected = { Items: [{ Id: 'é日🚀-certctl-primary', Size: 5 }], Marker: 'ü' };
  const unused = () => Promise.reject(new Error('a stream is read, not collected'));

  it('decodes the body cut into chunks at every byte, inside a character too', async () => {
    // Act
    const decoded = await Promise.all(
      Array.from({ length: xml.length - 1 }, (_, cut) =>
        decodeBody(Readable.from([xml.subarray(0, cut + 1), xml.subarray(cut + 1)]), unused, decode),
      ),
    );

    // Assess
    for (const page of decoded) expect(page).toEqual(expected);
  });

  it('decodes bodies read at the same time each from its own bytes', async () => {
    // Arrange: two bodies of several chunks each, read at the same time; the second is shorter,
    // so it is joined where the first was, ending while the first is still being decoded or not.
    const other = Buffer.from('<R><Result><Marker>other-page-of-the-audit</Marker></Result></R>');
    const chunks = (bytes: Buffer) =>
      Readable.from(
        Array.from({ length: Math.ceil(bytes.length / 7) }, (_, at) => bytes.subarray(at * 7, at * 7 + 7)),
      );

    // Act
    const pages = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        decodeBody(chunks(index % 2 === 0 ? xml : other), unused, decode),
      ),
    );

    // Assess: each page's values are its own, whichever body was joined after it.
    pages.forEach((page, index) => {
      expect(page).toEqual(index % 2 === 0 ? expected : { Marker: 'other-page-of-the-audit' });
    });
  });

  it('decodes a body the client collects, and a body given as text chunks', async () => {
    // Act
    const collected = await decodeBody(
      { not: 'a stream' },
      () => Promise.resolve(new Uint8Array(xml)),
      decode,
    );
    const text = await decodeBody(
      Readable.from([xml.toString('utf8')], { objectMode: true }),
      unused,
      decode,
    );

    // Assess
    expect(collected).toEqual(expected);
    expect(text).toEqual(expected);
  });
});
