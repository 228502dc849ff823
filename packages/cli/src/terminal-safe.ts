/**
 * Makes untrusted text (message texts, names, server error sentences) safe to put on a
 * terminal: control characters (escape sequences, bells, carriage returns) and bidirectional
 * overrides become visible replacement characters, tabs become spaces. Newlines are kept; the
 * caller decides how to show them.
 */
export function sanitize(text: string): string {
  return (
    text
      .replace(/\r\n?/g, "\n")
      .replace(/\t/g, "    ")
      // eslint-disable-next-line no-control-regex -- finding control characters is the point
      .replace(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g, "\ufffd")
  );
}

/** One output line for line mode: sanitized, and a message's own newlines can't fake new lines. */
export function terminalLine(text: string): string {
  return sanitize(text).replace(/\n/g, " \u23ce ");
}
