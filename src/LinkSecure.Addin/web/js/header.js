// The Link-Security request header, written and read exactly as the agent's RequestParser reads it
// (docs/protocol.md §2; src/LinkSecure.Core/Protocol/RequestParser.cs):
//   Link-Security: level=<0-4>; fallback=<bounce|safe-part>
// level=0 is the explicit "no request". Names and values are case-insensitive, white space around ';' and '='
// is ignored, unknown parameters are ignored, and a malformed value (bad level or fallback, a parameter without
// '=', a repeated parameter, a value over 998 characters) is read as the strictest reading level=1; fallback=bounce.

export const HEADER_NAME = "Link-Security";
export const SUBJECT_HEADER_NAME = "Link-Security-Subject";
export const FALLBACKS = ["bounce", "safe-part"];

/** RFC 5322 §2.1.1: a line is at most 998 characters; the agent refuses longer values, Office.js limits name + value. */
export const MAX_LINE = 998;

/**
 * Formats a request value.
 * @param {{ level: number, fallback?: string }} request level 0..4; fallback "bounce" or "safe-part"
 * @returns {string} "level=2; fallback=bounce", or "level=0" for no request
 * @throws {RangeError} on a level or fallback the agent would read as malformed
 */
export function formatRequest(request) {
  const level = request.level;
  if (!Number.isInteger(level) || level < 0 || level > 4) {
    throw new RangeError("level must be an integer from 0 to 4, not " + String(level));
  }
  if (level === 0) {
    return "level=0";
  }
  const fallback = request.fallback === undefined ? "bounce" : request.fallback;
  if (FALLBACKS.indexOf(fallback) < 0) {
    throw new RangeError("fallback must be 'bounce' or 'safe-part', not " + String(fallback));
  }
  return "level=" + level + "; fallback=" + fallback;
}

/**
 * Parses a request value as the agent does.
 * @param {string | null | undefined} value the header value (may be folded)
 * @returns {{ level: number, fallback: string, problem: string | null }} the reading; problem says why the value
 *   was malformed (then the reading is level 1, bounce)
 */
export function parseRequest(value) {
  const strictest = (problem) => ({ level: 1, fallback: "bounce", problem: problem });
  if (value === null || value === undefined) {
    return { level: 1, fallback: "bounce", problem: null };
  }
  if (value.length > MAX_LINE) {
    return strictest("value longer than 998 characters");
  }
  const text = value.replace(/[\r\n]/g, "");
  if (text.indexOf("=?") >= 0) {
    // The agent decodes RFC 2047 encoded-words once; the add-in never writes them, so it does not read them.
    return strictest("RFC 2047 encoded-words are decoded by the agent, not by the add-in");
  }
  let level = 1;
  let fallback = "bounce";
  let seenLevel = false;
  let seenFallback = false;
  for (const raw of text.split(";")) {
    const parameter = raw.trim();
    if (parameter.length === 0) {
      continue;
    }
    const equals = parameter.indexOf("=");
    if (equals <= 0) {
      return strictest("parameter '" + parameter + "' has no '=' or no name");
    }
    const name = parameter.slice(0, equals).trim().toLowerCase();
    const argument = parameter.slice(equals + 1).trim().toLowerCase();
    if (name === "level") {
      if (seenLevel) {
        return strictest("'level' given twice");
      }
      seenLevel = true;
      if (!/^[0-4]$/.test(argument)) {
        return strictest("level '" + argument + "' is not one of 0, 1, 2, 3, 4");
      }
      level = Number(argument);
    } else if (name === "fallback") {
      if (seenFallback) {
        return strictest("'fallback' given twice");
      }
      seenFallback = true;
      if (FALLBACKS.indexOf(argument) < 0) {
        return strictest("fallback '" + argument + "' is neither 'bounce' nor 'safe-part'");
      }
      fallback = argument;
    } else if (/[ \t]/.test(name)) {
      return strictest("parameter name '" + name + "' contains white space");
    }
  }
  return { level: level, fallback: fallback, problem: null };
}

/**
 * Cleans a neutral subject for the Link-Security-Subject header: control characters (CR and LF would start a new
 * header field) become spaces, runs of white space collapse, and the value is cut so that name + ": " + value
 * stays within one 998-character line.
 * @param {string} text what the sender typed
 * @param {string} [headerName] the subject header's name (the policy's subjectHeaderName)
 * @returns {string} the value; "" means "no neutral subject" (the header is removed)
 */
export function formatSubject(text, headerName) {
  const name = headerName || SUBJECT_HEADER_NAME;
  // eslint-disable-next-line no-control-regex
  const clean = String(text || "").replace(/[\u0000-\u001f\u007f]/g, " ").replace(/\s+/g, " ").trim();
  const room = MAX_LINE - name.length - 2;
  return Array.from(clean).slice(0, room).join("").trim();
}
