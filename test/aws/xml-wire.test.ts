import { describe, expect, it } from 'vitest';
import { decodeXmlResult, type Shape, XmlWireError } from '../../functions/aws/xml-wire.ts';

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
    ['a comment holding an end tag (read tag by tag)', '<Note><!-- </Note> --><Id>not-mine</Id></Note>'],
    ['a CDATA section holding an end tag', '<Note><![CDATA[</Note><Id>not-mine</Id>]]></Note>'],
  ])('keeps the named members of each item when it skips %s', (_, skipped) => {
    // Act
    const decoded = decodeXmlResult(page(skipped), ['ListResponse', 'ListResult'], SHAPE);

    // Assess
    expect(decoded).toEqual(EXPECTED);
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
