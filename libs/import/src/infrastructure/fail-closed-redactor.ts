import { maskOpaqueTokens } from '@app/scim';

/**
 * The redactor used when a connector's secrets cannot be read (missing connector, secret key
 * changed, ciphertext damaged): it cannot check the text for those exact values, so it removes
 * everything that could be one — credentials in URLs, values after an auth scheme or a
 * secret-named key, and every long opaque token (letters and digits mixed, as keys, passwords
 * and their Base64 forms are).
 */
export function failClosedRedactor(): (text: string) => string {
  return (text) =>
    // long opaque tokens last: 10+ characters mixing letters and digits (a Base64 value is cut into its long pieces)
    maskOpaqueTokens(
      text
        // user-info in URLs
        .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1***@')
        // Authorization header values: `Basic dXNlcjpwdw==`, `Bearer eyJ…`
        .replace(/\b(basic|bearer|digest|negotiate|token|apikey)(\s+)[^\s,;"']+/gi, '$1$2***')
        // secret-named keys in JSON, query strings, form bodies and prose: password=…, "client_secret": "…"
        .replace(
          /(["']?\b(?:pass(?:word|wd)?|pwd|secret|client[_-]?secret|(?:access|refresh|id)?[_-]?token|api[_-]?key|authorization|credentials?)\b["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&}]+)/gi,
          (_m, key: string, value: string) => `${key}${value.startsWith('"') ? '"***"' : value.startsWith("'") ? "'***'" : '***'}`,
        ),
    );
}
