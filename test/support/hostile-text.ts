/** Titles, labels and logins an attacker (or an unlucky user) can put in a GitHub issue. */
export const HOSTILE_TITLES = [
  '<!channel> <script>alert(1)</script>',
  '@here the site is down @channel @everyone',
  '<!here|here> <!subteam^S123> <@U123>',
  '"><img src=x onerror=alert(1)>',
  "' onmouseover='alert(1)' x='",
  '<https://evil.example/login|Click to re-authenticate>',
  '[phish](javascript:alert(1)) javascript:alert(1)',
  'line one\nFAKE: RESOLVED all alerts\r\n\u0000\u0007bell',
  'invoice\u202Egnp.exe — RTL override',
  '&lt;already escaped&gt; & ampersands &amp;',
  '*bold* _italic_ ~strike~ `code` ```block```',
  '🔥 Checkout 💳 fails for 👩‍👩‍👧‍👦 families 🇩🇪'.repeat(20),
  'A'.repeat(10_000),
] as const;

/**
 * What a text alternative built from hostile titles must not contain: a control character other than the line feeds
 * that separate its own lines (a stray carriage return or NUL, or one from U+007F-U+009F), or a right-to-left override.
 */
export const FORBIDDEN_IN_TEXT_ALTERNATIVE = /(?!\n)\p{Cc}|\u202E/u;
