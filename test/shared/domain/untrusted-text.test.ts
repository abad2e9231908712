import { describe, expect, it } from 'vitest';
import { escapeHtml, githubWebHostOf, plainText, safeLink, slackText, withoutAutoLinks } from '../../../shared/domain/untrusted-text.ts';
import { HOSTILE_TITLES } from '../../support/hostile-text.ts';

describe('plainText', () => {
  it.each(HOSTILE_TITLES)('makes one line without control or bidi characters, at most 120 characters: %#', (title) => {
    const text = plainText(title);
    expect(text).not.toMatch(/[\p{Cc}\u202A-\u202E\u2066-\u2069]/u);
    expect(text.length).toBeLessThanOrEqual(120);
  });

  it('cuts long titles on a grapheme boundary with an ellipsis, never splitting an emoji', () => {
    const family = '👩‍👩‍👧‍👦';
    const text = plainText(`${'x'.repeat(115)}${family}${family}`, 120);
    expect(text).toBe(`${'x'.repeat(115)}…`);
    expect(plainText(`ab${family}cd`, 6)).toBe('ab…');
    expect(plainText('A'.repeat(10_000))).toBe(`${'A'.repeat(119)}…`);
    expect(plainText('short title')).toBe('short title');
  });

  it('turns line breaks into spaces so a title cannot fake another line', () => {
    expect(plainText('line one\nFAKE: RESOLVED\r\nx')).toBe('line one FAKE: RESOLVED x');
  });
});

describe('slackText', () => {
  it('shows special mentions and links as text instead of pinging or linking', () => {
    expect(slackText('<!channel> <script>')).toBe('&lt;!channel&gt; &lt;script&gt;');
    expect(slackText('<https://evil.example|Click>')).toBe('&lt;https://evil.example|Click&gt;');
    expect(slackText('@here @Channel @everyone me@here.com')).toBe('@\u2060here @\u2060Channel @\u2060everyone me@\u2060here.com');
    expect(slackText('a & b')).toBe('a &amp; b');
  });
});

describe('withoutAutoLinks', () => {
  it('breaks URLs and domain names with invisible characters so no client links them', () => {
    const text = withoutAutoLinks('log in at https://evil.example/login or evil.example');
    expect(text).toBe('log in at https:\u200B//evil\u200B.example/login or evil\u200B.example');
    expect(text).not.toMatch(/https?:\/\/|[a-z]\.[a-z]/i);
    expect(withoutAutoLinks('Checkout fails in v2.1 after 8.5 minutes')).toBe('Checkout fails in v2.1 after 8.5 minutes');
  });
});

describe('escapeHtml', () => {
  it('escapes everything that could open a tag or leave an attribute', () => {
    expect(escapeHtml(`"><img src=x onerror='a'>&`)).toBe('&quot;&gt;&lt;img src=x onerror=&#39;a&#39;&gt;&amp;');
  });
});

describe('safeLink', () => {
  it('keeps http(s) links to the configured GitHub host only', () => {
    expect(safeLink('https://github.com/acme/api/issues/1', 'github.com')).toBe('https://github.com/acme/api/issues/1');
    expect(safeLink('javascript:alert(1)', 'github.com')).toBeUndefined();
    expect(safeLink('https://github.com.evil.example/x', 'github.com')).toBeUndefined();
    expect(safeLink('https://evil.example/?https://github.com', 'github.com')).toBeUndefined();
    expect(safeLink('not a url', 'github.com')).toBeUndefined();
    expect(safeLink(undefined, 'github.com')).toBeUndefined();
  });

  it('derives the web host from the API URL, for github.com and GitHub Enterprise Server', () => {
    expect(githubWebHostOf('https://api.github.com')).toBe('github.com');
    expect(githubWebHostOf('https://ghe.example.com/api/v3')).toBe('ghe.example.com');
  });
});
