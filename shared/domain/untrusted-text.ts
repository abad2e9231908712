/**
 * Text from GitHub (titles, labels, logins) is untrusted: it reaches on-call through Slack, email and
 * SNS, so each channel gets it neutralised for its own syntax. Pure.
 */

/** Bidirectional overrides and isolates (an RTL override can make `exe.txt` read as `txt.exe`), and the BOM. */
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g;
/** C0 and C1 control characters, including line breaks, which would let a title fake extra lines. */
const CONTROL_CHARACTERS = /\p{Cc}+/gu;

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** A title as one line of plain text: controls dropped, whitespace collapsed, at most `maxLength` characters as people count them. */
export function plainText(text: string, maxLength = 120): string {
  const line = text.replace(BIDI_CONTROLS, '').replace(CONTROL_CHARACTERS, ' ').replace(/\s+/g, ' ').trim();
  if (line.length <= maxLength) return line;
  // Cut on a grapheme boundary so an emoji or an accented letter is never split in half.
  let cut = '';
  for (const { segment } of graphemes.segment(line)) {
    if (cut.length + segment.length > maxLength - 1) break;
    cut += segment;
  }
  return `${cut.trimEnd()}…`;
}

/**
 * Breaks what mail and chat clients would turn into a link on their own (`https://evil.example`,
 * `evil.example/login`) with invisible zero-width spaces, so a title cannot carry a link past
 * {@link safeLink}'s host check.
 */
export function withoutAutoLinks(text: string): string {
  return text.replace(/:\/\//g, ':\u200B//').replace(/([a-z])\.(?=[a-z])/gi, '$1\u200B.');
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]!);
}

/** HTML-escaped text that may break after `/` and `-` and before `#` (`acme-demo/|checkout-|api|#139`), and at spaces. */
export function breakable(text: string): string {
  return text
    .split(/(?<=[/-])|(?=#)/)
    .map(escapeHtml)
    .join('<wbr>');
}

/**
 * Text safe in Slack mrkdwn: `&`, `<` and `>` escaped as Slack documents (so `<!channel>` and
 * `<https://evil|click>` are shown, not parsed), and `@here`/`@channel`/`@everyone` broken with a word
 * joiner so no client turns them into a mention.
 */
export function slackText(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(?=(here|channel|everyone)\b)/gi, '@\u2060');
}

/**
 * The link if it is an http(s) URL on `allowedHost` (the configured GitHub's web host), else undefined:
 * a `javascript:` URL or a link to another site never reaches a reader.
 */
export function safeLink(url: string | undefined, allowedHost: string): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    if ((parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || parsed.host !== allowedHost) return undefined;
    return parsed.href;
  } catch {
    return undefined;
  }
}

/**
 * The web host of a GitHub API URL: `api.github.com` → `github.com`; a GitHub Enterprise Server API
 * (`https://ghe.example.com/api/v3`) serves its web pages on its own host.
 */
export function githubWebHostOf(apiUrl: string): string {
  const { host } = new URL(apiUrl);
  return host === 'api.github.com' ? 'github.com' : host;
}
